"""The date or period a figure refers to (its `as_of`), in ISO 8601: a day or an interval of
days, by the rules of rules/facts.yaml's as_of section; a date given without its year takes
the report's."""

from __future__ import annotations

import calendar
import re
from datetime import date

from pipeline.extract.fact_rules import Figure, compiled, table
from pipeline.extract.report import Report
from pipeline.read.dates import day_before_or_on, iso_day, month_number


def _year(text: str | None, month: int, day: int | None, report: Report) -> int | None:
    if text:
        return int(text)
    if report.issued is None:
        return None
    if day is not None:
        found = day_before_or_on(day, month, report.issued)
        return found.year if found else None
    return report.issued.year if month <= report.issued.month else report.issued.year - 1


def _day(m: re.Match, report: Report, d: str = "d", mo: str = "m", y: str = "y") -> str | None:
    month = month_number(m.group(mo))
    year = _year(m.group(y), month, int(m.group(d)), report)
    return iso_day(m.group(d), m.group(mo), str(year)) if year else None


def _interval(m: re.Match, report: Report) -> str | None:
    end = _day(m, report, "d2", "m2", "y2")  # "between 1 June and 2 August": the report's year
    if end is None:
        return None
    year1 = m.group("y1") or (
        end[:4] if month_number(m.group("m1")) <= int(end[5:7]) else str(int(end[:4]) - 1)
    )
    start = iso_day(m.group("d1"), m.group("m1"), year1)
    return f"{start}/{end}" if start else None


# Between a figure and a date that follows it: only its own words, no other figure.
_OWN_WORDS = re.compile(r"[^\d;,(]{0,40}(?:\([^)]{0,30}\)[^\d;,]{0,30})?")


def _date_near(
    text: str, start: int, end: int, rules: dict, report: Report
) -> tuple[str, str] | None:
    """The date of the figure at text[start:end]: one right after it (before any other
    figure: 'from 1,641 at the end of July to 1,480 by 7 January'), else the last before it,
    else the first after it. Days first, then months."""
    found = []
    for name in ("day_month_year", "month_year"):
        for m in rules[name]["pattern"].finditer(text):
            value = _day(m, report) if name == "day_month_year" else _month(m, report)
            # "extended until 15 April 2017", "since inception to 30 November": the end of
            # something else's period, not the figure's date
            if value is None or re.search(
                r"\b(?:until|till|up to|to|through)\s*$",
                text[: m.start("d" if name == "day_month_year" else "m")],
                re.I,
            ):
                continue
            since = re.search(
                r"\b(?:since|from)\s*$",
                text[: m.start("d" if name == "day_month_year" else "m")],
                re.I,
            )
            if since and report.issued and name == "day_month_year":
                value, name_used = f"{value}/{report.issued.isoformat()}", f"{name} after 'since'"
            else:
                name_used = name
            found.append((m.start(), m.end(), value, name_used))
    if not found:
        return None
    after = [x for x in found if x[0] >= end and _OWN_WORDS.fullmatch(text[end : x[0]])]
    if after:
        return after[0][2], after[0][3] + " right after it"
    before = [x for x in found if x[1] <= start]
    if before:
        return before[-1][2], before[-1][3]
    # "1,195 officers, including 79 women, deployed as at 20 September": an explicit anchor
    anchored = [
        x for x in found if x[0] >= end and re.match(r"(?i)as (?:at|of)\b", text[x[0] : x[0] + 6])
    ]
    return (anchored[0][2], anchored[0][3] + " (as at, after it)") if anchored else None


def _month(m: re.Match, report: Report) -> str | None:
    """'in March 2005' as 2005-03; 'at the beginning of March' as its first day, 'at the end
    of July' as its last."""
    month = month_number(m.group("m"))
    year = _year(m.group("y"), month, None, report)
    if year is None:
        return None
    edge = re.search(r"\b(beginning|start|end)\s+of\b", m.group(), re.I)
    last = calendar.monthrange(year, month)[1]
    if edge is not None:
        return date(year, month, 1 if edge.group(1).lower() != "end" else last).isoformat()
    if re.match(r"since\b", m.group(), re.I) and report.issued:
        return f"{date(year, month, 1).isoformat()}/{report.issued.isoformat()}"
    return f"{date(year, month, 1).isoformat()}/{date(year, month, last).isoformat()}"


def year_interval(year: int) -> str:
    """A year as the interval of its days: 2001 is 2001-01-01/2001-12-31."""
    return f"{year}-01-01/{year}-12-31"


_QUARTERS = {"first": 1, "second": 4, "third": 7, "fourth": 10, "last": 10}


def _quarter(text: str, pos: int) -> str | None:
    """'in the first quarter of 2002' before or right after the figure, as an interval."""
    m = None
    for m in re.finditer(r"\b(first|second|third|fourth|last) quarter of (\d{4})\b", text, re.I):
        if m.end() <= pos:
            continue
        break
    if m is None:
        return None
    first, year = _QUARTERS[m.group(1).lower()], int(m.group(2))
    end = date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    return f"{date(year, first, 1).isoformat()}/{end.isoformat()}"


def _stated(f: Figure, report: Report, rules: dict, before: str) -> tuple[str, str] | None:
    """A date the figure's own words give: an annex it points to, 'current', or a period or
    date in its clause, else in its sentence."""
    s0, s1 = f.sentence
    c0, c1 = f.clause
    # "UNMOP consists of 28 observers (see annex)": the annex's table is as at its own date
    if report.annex_date and re.search(r"\bsee annex\b", f.text[s0:s1], re.I):
        return report.annex_date.isoformat(), "annex_date: the date of the annex it points to"
    # "from the current 1,023 officers": its own word dates it, whatever dates follow
    if report.issued and re.search(
        r"\b(?:current|currently|present|presently)\s+(?:\w+\s+)?$",
        f.text[max(c0, f.start - 40) : f.start],
        re.I,
    ):
        return report.issued.isoformat(), "current: 'current' right before it: date of issue"
    for lo, hi, where in ((c0, c1, "clause"), (s0, s1, "sentence")):
        text, pos = f.text[lo:hi], f.start - lo
        if m := rules["period_from_to"]["pattern"].search(text):
            if (value := _interval(m, report)) is not None:
                return value, f"period_from_to (in its {where})"
        if rules["same_date"]["pattern"].search(text):
            earlier = before + "\n" + f.text[max(0, s0 - 3000) : s0]
            if (value := _last_date(earlier[-3000:], report)) is not None:
                return value, "same_date: the last date stated before it"
        if found := _date_near(text, pos, pos + f.end - f.start, rules, report):
            value, rule = found
            return value, f"{rule} (in its {where})"
    return None


def as_of(
    f: Figure,
    report: Report,
    concept: str | None = None,
    state: str | None = None,
    before: str = "",
) -> tuple[str | None, str]:
    """The date or period the figure refers to (ISO 8601), and the rule that says so."""
    rules = {r["name"]: r for r in compiled("as_of")}
    if found := _stated(f, report, rules, before):
        return found
    s0, s1 = f.sentence
    c0, c1 = f.clause
    if m := rules["year_in_brackets"]["pattern"].match(f.text, f.end):
        return year_interval(int(m.group("y"))), "year_in_brackets"
    current = rules["current"]["pattern"]
    if report.issued and (
        current.search(f.text[c0 : f.start]) or current.search(f.text[f.end : c1][:40])
    ):
        return report.issued.isoformat(), "current: present tense or 'current': date of issue"
    if (quarter := _quarter(f.text[s0:s1], f.start - s0)) is not None:
        return quarter, "quarter: 'in the first quarter of 2002'"
    since = re.search(
        r"\bsince (?:the (?:beginning|start) of )?(\d{4})\b", f.text[s0 : f.start], re.I
    )
    if since and report.issued:
        return (
            f"{since.group(1)}-01-01/{report.issued.isoformat()}",
            "since_year: from then to the report's date of issue",
        )
    if f.year is not None:
        return year_interval(f.year), "figure_year: the year the extractor gave the figure"
    if state == "authorized" and not f.money and report.issued:
        return (
            report.issued.isoformat(),
            "ceiling_in_force: a ceiling no date limits, in force when the report was issued",
        )
    if concept in table()["paragraph_date_for"]:
        if found := _date_near(
            f.text[max(0, f.sentence[0] - 3000) : f.sentence[0]],
            min(f.sentence[0], 3000),
            min(f.sentence[0], 3000),
            rules,
            report,
        ):
            return found[0], "paragraph_date: an incident's date stated before it in its paragraph"
    return None, "none: nothing ties a date to it"


def _last_date(text: str, report: Report) -> str | None:
    """The last day-month date stated in a text (for 'as of the same date')."""
    pattern = {r["name"]: r for r in compiled("as_of")}["day_month_year"]["pattern"]
    last = None
    for m in pattern.finditer(text):
        last = _day(m, report) or last
    return last

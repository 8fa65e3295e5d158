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
    """'from 1 March to 31 August 2015', 'between June 2015 and 11 August 2016' (a month
    without its day starts on its first), 'from January to June 2005' (ends on the last)."""
    groups = m.groupdict()
    if groups.get("d2"):
        end = _day(m, report, "d2", "m2", "y2")  # "between 1 June and 2 August": report's year
    else:
        end = _month_end(m.group("m2"), groups.get("y2"), report)
    if end is None:
        return None
    year1 = groups.get("y1") or (
        end[:4] if month_number(m.group("m1")) <= int(end[5:7]) else str(int(end[:4]) - 1)
    )
    start = iso_day(groups.get("d1") or "1", m.group("m1"), year1)
    return f"{start}/{end}" if start and start <= end else None


def _month_end(name: str, year: str | None, report: Report) -> str | None:
    """The last day of a month, its year taken from the report when left out."""
    month = month_number(name)
    found = int(year) if year else _year(None, month, None, report)
    if found is None:
        return None
    return date(found, month, calendar.monthrange(found, month)[1]).isoformat()


def _day_range(m: re.Match, report: Report) -> str | None:
    """'between 6 and 8 July', 'on 9 and 10 June': the days from the first to the last."""
    end = _day(m, report)
    if end is None or not int(m.group("d1")) < int(m.group("d")):
        return None
    start = iso_day(m.group("d1"), m.group("m"), end[:4])
    return f"{start}/{end}" if start else None


_WEEKS = {"first": 1, "second": 8, "third": 15, "fourth": 22}


def _week(m: re.Match, report: Report) -> str | None:
    """'in the last week of October 1993': its seven days (the last: to the month's end)."""
    month = month_number(m.group("m"))
    year = _year(m.group("y"), month, None, report)
    if year is None:
        return None
    last = calendar.monthrange(year, month)[1]
    first = _WEEKS.get(m.group("w").lower(), last - 6)
    return f"{date(year, month, first).isoformat()}/{date(year, month, first + 6).isoformat()}"


def _shifted(interval: str, year: int) -> str | None:
    """The same period in another year: 'for the same period in 2018' (a period across two
    years is named by the year it starts in)."""
    try:
        days = [date.fromisoformat(d) for d in interval.split("/")]
        delta = year - days[0].year
        return "/".join(d.replace(year=d.year + delta).isoformat() for d in days)
    except ValueError:  # 29 February
        return None


# Between a figure and a date that follows it: only its own words, no other figure; or one
# more figure joined by "and", whose date it shares ("the killing of 8 civilians and the
# injuring of 10 others on 24 April").
_OWN_WORDS = re.compile(
    r"[^\d;,(]{0,40}(?:\([^)]{0,30}\)[^\d;,]{0,30})?"
    r"|[^\d;,(]{0,40}\band\s+[^\d;,(]{0,30}\d[\d,.]*[^\d;,(]{0,40}"
)


def _periods(text: str, rules: dict, report: Report) -> list[tuple[int, int, str, str]]:
    """Every period from one date to another a text states: (start, end, ISO, rule)."""
    found = []
    for name in ("period_from_to", "month_to_date"):
        for m in rules[name]["pattern"].finditer(text):
            if (value := _interval(m, report)) is not None:
                found.append((m.start(), m.end(), value, name))
    return sorted(found)


def _dates(text: str, rules: dict, report: Report) -> list[tuple[int, int, str, str]]:
    """Every day range, day and month a text states: (start, end, ISO value, rule)."""
    found = [
        (m.start(), m.end(), value, "day_range")
        for m in rules["day_range"]["pattern"].finditer(text)
        if (value := _day_range(m, report)) is not None
    ]
    ranges = [(a, b) for a, b, _, _ in found]
    found += [
        (m.start(), m.end(), value, "week_of_month")
        for m in rules["week_of_month"]["pattern"].finditer(text)
        if (value := _week(m, report)) is not None
    ]
    ranges = [(a, b) for a, b, _, _ in found]
    for name in ("day_month_year", "month_year", "month_year_of_event"):
        for m in rules[name]["pattern"].finditer(text):
            if any(a < m.end() and m.start() < b for a, b in ranges):
                continue  # a day of a range already read
            value = _day(m, report) if name == "day_month_year" else _month(m, report)
            # "extended until 15 April 2017", "since inception to 30 November": the end of
            # something else's period, not the figure's date
            head = text[: m.start("d" if name == "day_month_year" else "m")]
            if value is None or re.search(r"\b(?:until|till|up to|to|through)\s*$", head, re.I):
                continue
            rule = name
            if re.search(r"\b(?:ending|ended)\s*$", head, re.I):
                # "for the mandate periods ending 7 November": only the figure right before
                # it is that period's; it dates no figure after it
                rule = _ENDS_A_PERIOD
            if (
                name == "day_month_year"
                and report.issued
                and re.search(r"\b(?:since|from)\s*$", head, re.I)
            ):
                value, rule = f"{value}/{report.issued.isoformat()}", f"{name} after 'since'"
            found.append((m.start(), m.end(), value, rule))
    return sorted(found)


_ENDS_A_PERIOD = "day_month_year (the end of a period)"


def _years(text: str, rules: dict) -> list[tuple[int, int, str, str]]:
    """Years a text states as a period ('during the entirety of 2018'): read only right
    after a figure (a year before it is the extractor's `year`)."""
    return [
        (m.start(), m.end(), year_interval(int(m.group("y"))), "year_after")
        for m in rules["year_after"]["pattern"].finditer(text)
    ]


def _right_after(found: list, end: int, text: str) -> tuple[int, int, str, str] | None:
    """The first date or period after a figure with only its own words between."""
    after = [x for x in sorted(found) if x[0] >= end and _OWN_WORDS.fullmatch(text[end : x[0]])]
    return after[0] if after else None


def _date_near(
    text: str, start: int, end: int, rules: dict, report: Report
) -> tuple[str, str] | None:
    """The date of the figure at text[start:end]: one right after it (before any other
    figure: 'from 1,641 at the end of July to 1,480 by 7 January'), else the last before it,
    else the first after it anchored by 'as at'. Day ranges and days, then months."""
    found = _dates(text, rules, report)
    if after := _right_after(found, end, text):
        return after[2], after[3] + " right after it"
    before = [x for x in found if x[1] <= start and x[3] != _ENDS_A_PERIOD]
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
    if m.groupdict().get("m2") and (month2 := month_number(m.group("m2"))) > month:
        # "in March and April": both months, one interval
        end = date(year, month2, calendar.monthrange(year, month2)[1])
        return f"{date(year, month, 1).isoformat()}/{end.isoformat()}"
    if edge is not None:
        return date(year, month, 1 if edge.group(1).lower() != "end" else last).isoformat()
    if re.match(r"since\b", m.group(), re.I) and report.issued:
        return f"{date(year, month, 1).isoformat()}/{report.issued.isoformat()}"
    return f"{date(year, month, 1).isoformat()}/{date(year, month, last).isoformat()}"


def year_interval(year: int) -> str:
    """A year as the interval of its days: 2001 is 2001-01-01/2001-12-31."""
    return f"{year}-01-01/{year}-12-31"


_QUARTERS = {"first": 1, "second": 4, "third": 7, "fourth": 10, "last": 10}


def _quarter(text: str, pos: int, rules: dict, report: Report) -> str | None:
    """'in the first quarter of 2002' (or 'of this year': the report's) before or right
    after the figure, as an interval."""
    m = None
    for m in rules["quarter"]["pattern"].finditer(text):
        if m.end() <= pos:
            continue
        break
    if m is None:
        return None
    year = _named_year(m.group("y"), report)
    if year is None:
        return None
    first = _QUARTERS[m.group("q").lower()]
    end = date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    return f"{date(year, first, 1).isoformat()}/{end.isoformat()}"


def _named_year(text: str, report: Report) -> int | None:
    """'2002' as 2002; 'this year' as the report's, 'last year' as the one before."""
    if text.isdigit():
        return int(text)
    if report.issued is None:
        return None
    back = re.match(r"(?i)(?:last|the previous|the past)\b", text) is not None
    return report.issued.year - back


def _reporting_period(text: str, rules: dict, report: Report) -> str | None:
    """'during the reporting period': the period the report says it covers, when it does."""
    if not (report.period_start and report.period_end):
        return None
    if not rules["reporting_period"]["pattern"].search(text):
        return None
    return f"{report.period_start.isoformat()}/{report.period_end.isoformat()}"


def _in_text(f: Figure, lo: int, hi: int, rules: dict, report: Report) -> tuple[str, str] | None:
    """A period or date right after the figure in its own words, else a period its clause or
    sentence (text[lo:hi]) states ('for the same period in 2018' moves it to that year)."""
    text, pos, end = f.text[lo:hi], f.start - lo, f.end - lo
    periods = _periods(text, rules, report)
    dates = [  # a day that starts or ends a period is not a date of its own
        x
        for x in _dates(text, rules, report) + _years(text, rules)
        if not any(a < x[1] and x[0] < b for a, b, _, _ in periods)
    ]
    before = [x for x in periods if x[1] <= pos]
    same = rules["same_period"]["pattern"].match(text, end)
    if same and before and (moved := _shifted(before[-1][2], int(same.group("y")))):
        return moved, "same_period: the period stated before it, in the year it names"
    if (after := _right_after(periods + dates, end, text)) is not None:
        s0, s1 = f.sentence
        if after[3] == "year_after" and (q := rules["quarter"]["pattern"].search(f.text[s0:s1])):
            # "In the first quarter of this year, returns quadrupled, from 1,711 in 1999 to
            # 7,300": like is compared with like, the same quarter of the year named
            year = after[2][:4]
            moved = _quarter(f"{q.group('q')} quarter of {year}", 0, rules, report)
            return moved, "quarter: the quarter its sentence states, in the year right after it"
        return after[2], f"{after[3]} right after it"
    if before:
        return before[-1][2:]
    # a day-to-day period later in the clause ("$97.8 million, for the period from 1 July
    # 2005 to 30 June 2006"); a looser month-to-month one there belongs to other words
    later = [x for x in periods if x[3] == "period_from_to"]
    return later[0][2:] if later else None


def _stated(
    f: Figure, report: Report, rules: dict, before: str, events: bool
) -> tuple[str, str] | None:
    """A date the figure's own words give: an annex it points to, 'current', or a period or
    date in its clause, else in its sentence; 'during the reporting period' for people
    killed, injured, displaced or returned (paragraph_date_for), not for a strength."""
    s0, s1 = f.sentence
    c0, c1 = f.clause
    # "UNMOP consists of 28 observers (see annex)": the annex's table is as at its own date;
    # only for the figure whose clause points to it ("authorized strength of 1,850; its
    # current strength is 1,586 (see annex)": the ceiling is not in the annex)
    if report.annex_date and re.search(r"\bsee annex\b", f.text[c0:c1], re.I):
        return report.annex_date.isoformat(), "annex_date: the date of the annex it points to"
    # "from the current 1,023 officers": its own word dates it, whatever dates follow
    if report.issued and re.search(
        r"\b(?:current|currently|present|presently)\s+(?:\w+\s+)?$",
        f.text[max(c0, f.start - 40) : f.start],
        re.I,
    ):
        return report.issued.isoformat(), "current: 'current' right before it: date of issue"
    for lo, hi, where in ((c0, c1, "clause"), (s0, s1, "sentence")):
        if found := _in_text(f, lo, hi, rules, report):
            return found[0], f"{found[1]} (in its {where})"
        if rules["same_date"]["pattern"].search(f.text[lo:hi]):
            earlier = before + "\n" + f.text[max(0, s0 - 3000) : s0]
            if (value := _last_date(earlier[-3000:], report)) is not None:
                return value, "same_date: the last date stated before it"
        if found := _date_near(f.text[lo:hi], f.start - lo, f.end - lo, rules, report):
            value, rule = found
            return value, f"{rule} (in its {where})"
        if events and (period := _reporting_period(f.text[lo:hi], rules, report)):
            return period, f"reporting_period: the period the report covers (in its {where})"
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
    events = concept in table()["paragraph_date_for"]
    if found := _stated(f, report, rules, before, events):
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
    if (quarter := _quarter(f.text[s0:s1], f.start - s0, rules, report)) is not None:
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
        earlier = f.text[max(0, f.sentence[0] - 3000) : f.sentence[0]]
        if found := _last_stated(earlier, rules, report):
            return found, "paragraph_date: an incident's date stated before it in its paragraph"
        if found := _event_year(earlier, rules):
            return found, "year_of_event: the year of the event named before it in its paragraph"
    return None, "none: nothing ties a date to it"


def _last_stated(text: str, rules: dict, report: Report) -> str | None:
    """The last date, or mention of the reporting period (when the report says which), a
    text states."""
    found = [x for x in _dates(text, rules, report) if x[3] != _ENDS_A_PERIOD]
    if report.period_start and report.period_end:
        period = f"{report.period_start.isoformat()}/{report.period_end.isoformat()}"
        pattern = rules["reporting_period"]["pattern"]
        found += [(m.start(), m.end(), period, "") for m in pattern.finditer(text)]
    return max(found)[2] if found else None


def _event_year(text: str, rules: dict) -> str | None:
    """The year of the last event a text names by its year ('the 2005 hurricane season')."""
    found = list(rules["year_of_event"]["pattern"].finditer(text))
    return year_interval(int(found[-1].group("y"))) if found else None


def _last_date(text: str, report: Report) -> str | None:
    """The last day-month date stated in a text (for 'as of the same date')."""
    pattern = {r["name"]: r for r in compiled("as_of")}["day_month_year"]["pattern"]
    last = None
    for m in pattern.finditer(text):
        last = _day(m, report) or last
    return last

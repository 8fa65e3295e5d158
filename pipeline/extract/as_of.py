"""The date or period a figure refers to (its `as_of`), in ISO 8601: a day or an interval of
days, by the rules of rules/facts.yaml's as_of section; a date given without its year takes
the report's."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from pipeline.extract.dates_stated import (
    ENDS_A_PERIOD,
    dates_in,
    day_of,
    month_interval,
    periods_in,
    quarter_of,
    shifted,
    year_interval,
    years_in,
)
from pipeline.extract.fact_rules import Figure, compiled, table
from pipeline.extract.report import Report

# Between a figure and a date that follows it: only its own words, no other figure; or one
# more figure joined by "and", whose date it shares ("the killing of 8 civilians and the
# injuring of 10 others on 24 April").
_OWN_WORDS = re.compile(
    r"[^\d;,(]{0,40}(?:\([^)]{0,30}\)[^\d;,]{0,30})?"
    r"|[^\d;,(]{0,40}\band\s+[^\d;,(]{0,30}\d[\d,.]*[^\d;,(]{0,40}"
    # the rest of a list closed by "respectively": a date after it is every member's
    r"|[^;()]{0,60}?\brespectively\b,?[^\d;,(]{0,20}"
)


# Patterns asked for once per figure, compiled once.
_AS_AT = re.compile(r"(?i)as (?:at|of)\b")
_NO_FIGURE = re.compile(r"[^\d;]{0,120}")
_SEE_ANNEX = re.compile(r"\bsee annex\b", re.I)
_CURRENT_BEFORE = re.compile(r"\b(?:current|currently|present|presently)\s+(?:\w+\s+)?$", re.I)
_FROM = re.compile(r"\bfrom\s*$", re.I)
_TO = re.compile(r"[^.;]{0,60}?\bto\s+(?:about |some |over |nearly |almost )?\d")
_SINCE_YEAR = re.compile(r"\bsince (?:the (?:beginning|start) of )?(\d{4})\b", re.I)


@cache
def _rules() -> dict[str, dict]:
    """The rules of the as_of section by name (one dict: dates_in remembers texts by it)."""
    return {r["name"]: r for r in compiled("as_of")}


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
    found = dates_in(text, rules, report)
    if after := _right_after(found, end, text):
        return after[2], after[3] + " right after it"
    before = [x for x in found if x[1] <= start and x[3] != ENDS_A_PERIOD]
    if before:
        return before[-1][2], before[-1][3]
    # "1,195 officers, including 79 women, deployed as at 20 September": an explicit anchor
    anchored = [x for x in found if x[0] >= end and _AS_AT.match(text[x[0] : x[0] + 6])]
    return (anchored[0][2], anchored[0][3] + " (as at, after it)") if anchored else None


def _same_period(
    f: Figure, year: int | None, rules: dict, report: Report
) -> tuple[str | None, str]:
    """'compared with 396 over the same period in 2016': the last period stated before it in
    its paragraph (or 'the reporting period'), moved to that year (a year back for 'of the
    previous year', year None); none if there is none."""
    text = f.text[max(0, f.start - 3000) : f.start]
    found = periods_in(text, rules, report)
    if report.period_start and report.period_end:
        period = f"{report.period_start.isoformat()}/{report.period_end.isoformat()}"
        pattern = rules["reporting_period"]["pattern"]
        found += [(m.start(), m.end(), period, "") for m in pattern.finditer(text)]
    if found and year is None:
        year = int(max(found)[2][:4]) - 1
    if found and (moved := shifted(max(found)[2], year)):
        return moved, "same_period: the period stated before it, in the year it names"
    return None, "same_period: no period stated before it to move to that year"


def _event_date_after(text: str, end: int, rules: dict, report: Report) -> str | None:
    """For an incident: the first date after it with no other figure between ('two
    peacekeepers were injured in an ambush on 16 December')."""
    after = [x for x in dates_in(text, rules, report) if x[0] >= end and x[3] != ENDS_A_PERIOD]
    if after and _NO_FIGURE.fullmatch(text[end : after[0][0]]):
        return after[0][2]
    return None


def _reporting_period(text: str, rules: dict, report: Report) -> str | None:
    """'during the reporting period': the period the report says it covers, when it does."""
    if not (report.period_start and report.period_end):
        return None
    if not rules["reporting_period"]["pattern"].search(text):
        return None
    return f"{report.period_start.isoformat()}/{report.period_end.isoformat()}"


def _in_text(f: Figure, lo: int, hi: int, rules: dict, report: Report) -> tuple[str, str] | None:
    """A period or date right after the figure in its own words, else a period its clause or
    sentence (text[lo:hi]) states."""
    text, pos, end = f.text[lo:hi], f.start - lo, f.end - lo
    periods = periods_in(text, rules, report)
    dates = [  # a day that starts or ends a period is not a date of its own
        x
        for x in dates_in(text, rules, report) + years_in(text, rules)
        if not any(a < x[1] and x[0] < b for a, b, _, _ in periods)
    ]
    before = [x for x in periods if x[1] <= pos]
    if (after := _right_after(periods + dates, end, text)) is not None:
        s0, s1 = f.sentence
        if after[3] == "year_after" and (q := rules["quarter"]["pattern"].search(f.text[s0:s1])):
            # "In the first quarter of this year, returns quadrupled, from 1,711 in 1999 to
            # 7,300": like is compared with like, the same quarter of the year named
            year = after[2][:4]
            moved = quarter_of(f"{q.group('q')} quarter of {year}", 0, rules, report)
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
    if report.annex_date and _SEE_ANNEX.search(f.text[c0:c1]):
        return report.annex_date.isoformat(), "annex_date: the date of the annex it points to"
    # "from the current 1,023 officers": its own word dates it, whatever dates follow
    if report.now and _CURRENT_BEFORE.search(f.text[max(c0, f.start - 40) : f.start]):
        return report.now.isoformat(), "current: 'current' right before it: the report's present"
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
        if events and (found := _event_date_after(f.text[lo:hi], f.end - lo, rules, report)):
            return found, f"event_date_after: the incident's date later in its {where}"
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
    value, why = _as_of(f, report, concept, state, before)
    if (
        value
        and len(value) == 10
        and why.startswith("month_year")
        and (concept in table()["aggregation"]["flow"])
    ):
        # "took place at the end of June after a demonstration in which one life was lost":
        # a stock is counted on the month's last day, an event only known to fall in it
        day = date.fromisoformat(value)
        return month_interval(day.year, day.month), why + "; an event at a month's edge: the month"
    return value, why


def _as_of(
    f: Figure, report: Report, concept: str | None, state: str | None, before: str
) -> tuple[str | None, str]:
    """as_of, before an event's edge of a month is widened to the month."""
    rules = _rules()
    events = concept in table()["paragraph_date_for"]
    if same := rules["same_period"]["pattern"].match(f.text, f.end):
        year = int(same.group("y")) if same.group("y") else None
        return _same_period(f, year, rules, report)
    s0, s1 = f.sentence
    recent = events and rules["recent_event"]["pattern"].search(f.text[s0:s1])
    if found := _stated(f, report, rules, before, events):
        if recent and found[1].startswith("same_date"):
            # "At the same time, three ... have been murdered in recent weeks"
            return None, "recent_event: 'the same time' as recent events, not an earlier date"
        return found
    c0, c1 = f.clause
    if m := rules["year_in_brackets"]["pattern"].match(f.text, f.end):
        return year_interval(int(m.group("y"))), "year_in_brackets"
    current = rules["current"]["pattern"]
    if report.now and (
        current.search(f.text[c0 : f.start]) or current.search(f.text[f.end : c1][:40])
    ):
        return report.now.isoformat(), "current: present tense or 'current': the report's present"
    if (quarter := quarter_of(f.text[s0:s1], f.start - s0, rules, report)) is not None:
        return quarter, "quarter: 'in the first quarter of 2002'"
    since = _SINCE_YEAR.search(f.text[s0 : f.start])
    if since and report.now:
        return (
            f"{since.group(1)}-01-01/{report.now.isoformat()}",
            "since_year: from then to the report's present",
        )
    if f.year is not None:
        return year_interval(f.year), "figure_year: the year the extractor gave the figure"
    if state == "authorized" and not f.money and report.issued:
        return (
            report.issued.isoformat(),
            "ceiling_in_force: a ceiling no date limits, in force when the report was issued",
        )
    if concept in table()["paragraph_date_for"]:
        if recent:
            return None, "recent_event: a date stated before it is another event's"
        earlier = f.text[max(0, f.sentence[0] - 3000) : f.sentence[0]]
        if found := _last_stated(earlier, rules, report):
            return found, "paragraph_date: an incident's date stated before it in its paragraph"
        if found := _event_year(earlier, rules):
            return found, "year_of_event: the year of the event named before it in its paragraph"
    return None, "none: nothing ties a date to it"


def _last_stated(text: str, rules: dict, report: Report) -> str | None:
    """The last date, or mention of the reporting period (when the report says which), a
    text states."""
    found = [x for x in dates_in(text, rules, report) if x[3] != ENDS_A_PERIOD]
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
    pattern = _rules()["day_month_year"]["pattern"]
    last = None
    for m in pattern.finditer(text):
        last = day_of(m, report) or last
    return last


def cumulative_since(f: Figure, report: Report, value: str | None) -> str | None:
    """'from 230, reported in June, to 2,440 persons since January 1998': the figure a change
    of a cumulative total starts from, dated before the report's present, counts from the start
    stated after the figure it changed to."""
    if value is None or report.now is None:
        return None
    to = _TO.match(f.text, f.end)
    if to is None or not _FROM.search(f.text[max(0, f.start - 30) : f.start]):
        return None
    first, _, last = value.partition("/")
    last, now = last or first, report.now.isoformat()
    if last >= now:
        return None
    s0, s1 = f.sentence
    starts = [  # a "since ..." period: it ends on the report's present
        v.partition("/")[0]
        for a, _, v, _ in dates_in(f.text[s0:s1], _rules(), report)
        if a + s0 >= to.end() and v.endswith("/" + now) and v.partition("/")[0] < first
    ]
    return f"{starts[0]}/{last}" if starts else None

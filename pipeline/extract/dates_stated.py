"""Dates and periods a text states, in ISO 8601 (a day or an interval of days), by the
named rules of rules/facts.yaml's as_of section: days, day ranges, weeks, months, periods_in
from one date to another, quarters and years; a date given without its year takes the
report's. Which of them a figure refers to is decided in as_of.py."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date

from pipeline.extract.report import Report
from pipeline.read.dates import day_before_or_on, iso_day, month_number


def _year(text: str | None, month: int, day: int | None, report: Report) -> int | None:
    """The year stated, else the report's (the last on or before its date of issue)."""
    if text:
        return int(text)
    if report.issued is None:
        return None
    if day is not None:
        found = day_before_or_on(day, month, report.issued)
        return found.year if found else None
    return report.issued.year if month <= report.issued.month else report.issued.year - 1


def day_of(m: re.Match, report: Report, d: str = "d", mo: str = "m", y: str = "y") -> str | None:
    """The ISO day a match's day, month and year groups name."""
    month = month_number(m.group(mo))
    year = _year(m.group(y), month, int(m.group(d)), report)
    return iso_day(m.group(d), m.group(mo), str(year)) if year else None


def interval_of(m: re.Match, report: Report) -> str | None:
    """'from 1 March to 31 August 2015', 'between June 2015 and 11 August 2016' (a month
    without its day starts on its first), 'from January to June 2005' (ends on the last)."""
    groups = m.groupdict()
    if groups.get("d2"):
        end = day_of(m, report, "d2", "m2", "y2")  # "between 1 June and 2 August": report's year
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
    end = day_of(m, report)
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


def shifted(interval: str, year: int) -> str | None:
    """The same period in another year: 'for the same period in 2018' (a period across two
    years is named by the year it starts in)."""
    try:
        days = [date.fromisoformat(d) for d in interval.split("/")]
        delta = year - days[0].year
        return "/".join(d.replace(year=d.year + delta).isoformat() for d in days)
    except ValueError:  # 29 February
        return None


# The dates of a sentence or clause are asked for once per figure in it: read each text once.
_READ: dict[tuple, list] = {}
_READ_MAX = 4096


def _read_once(reader: Callable, text: str, rules: dict, report: Report | None) -> list:
    """reader(text, rules, report), remembered for the next figure that asks (a copy: the
    caller may add to it)."""
    key = (reader, text, id(rules), report)
    if (found := _READ.get(key)) is None:
        if len(_READ) >= _READ_MAX:
            _READ.clear()
        found = _READ[key] = reader(text, rules, report)
    return list(found)


def periods_in(text: str, rules: dict, report: Report) -> list[tuple[int, int, str, str]]:
    """Every period from one date to another a text states: (start, end, ISO, rule)."""
    return _read_once(_periods_in, text, rules, report)


def _periods_in(text: str, rules: dict, report: Report) -> list[tuple[int, int, str, str]]:
    found = []
    for name in ("period_from_to", "month_to_date"):
        for m in rules[name]["pattern"].finditer(text):
            if (value := interval_of(m, report)) is not None:
                found.append((m.start(), m.end(), value, name))
    return sorted(found)


def dates_in(text: str, rules: dict, report: Report) -> list[tuple[int, int, str, str]]:
    """Every day range, day and month a text states: (start, end, ISO value, rule)."""
    return _read_once(_dates_in, text, rules, report)


# Words right before a date that say whose date it is.
_UNTIL = re.compile(r"\b(?:until|till|up to|to|through)\s*$", re.I)
_ENDING = re.compile(r"\b(?:ending|ended)\s*$", re.I)
_SINCE = re.compile(r"\b(?:since|from)\s*$", re.I)


def _dates_in(text: str, rules: dict, report: Report) -> list[tuple[int, int, str, str]]:
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
            value = day_of(m, report) if name == "day_month_year" else month_of(m, report)
            # "extended until 15 April 2017", "since inception to 30 November": the end of
            # something else's period, not the figure's date
            head = text[: m.start("d" if name == "day_month_year" else "m")]
            if value is None or _UNTIL.search(head):
                continue
            rule = name
            if _ENDING.search(head):
                # "for the mandate periods ending 7 November": only the figure right before
                # it is that period's; it dates no figure after it
                rule = ENDS_A_PERIOD
            if name == "day_month_year" and report.now and _SINCE.search(head):
                value, rule = f"{value}/{report.now.isoformat()}", f"{name} after 'since'"
            found.append((m.start(), m.end(), value, rule))
    return sorted(found)


ENDS_A_PERIOD = "day_month_year (the end of a period)"


def years_in(text: str, rules: dict) -> list[tuple[int, int, str, str]]:
    """Years a text states as a period ('during the entirety of 2018'): read only right
    after a figure (a year before it is the extractor's `year`)."""
    return _read_once(_years_in, text, rules, None)


def _years_in(text: str, rules: dict, _report: None) -> list[tuple[int, int, str, str]]:
    return [
        (m.start(), m.end(), year_interval(int(m.group("y"))), "year_after")
        for m in rules["year_after"]["pattern"].finditer(text)
    ]


def month_of(m: re.Match, report: Report) -> str | None:
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
    if re.match(r"since\b", m.group(), re.I) and report.now:
        return f"{date(year, month, 1).isoformat()}/{report.now.isoformat()}"
    return month_interval(year, month)


def month_interval(year: int, month: int) -> str:
    """A month as the interval of its days: 2005-03 is 2005-03-01/2005-03-31."""
    last = calendar.monthrange(year, month)[1]
    return f"{date(year, month, 1).isoformat()}/{date(year, month, last).isoformat()}"


def year_interval(year: int) -> str:
    """A year as the interval of its days: 2001 is 2001-01-01/2001-12-31."""
    return f"{year}-01-01/{year}-12-31"


_QUARTERS = {"first": 1, "second": 4, "third": 7, "fourth": 10, "last": 10}


def quarter_of(text: str, pos: int, rules: dict, report: Report) -> str | None:
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

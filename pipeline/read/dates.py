"""Month names and dates as reports write them: the one definition every reader and rule uses."""

from __future__ import annotations

import re
from datetime import date

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Abbreviations as printed ("Sept." too); May has none.
ABBREVIATIONS = (
    "Jan.",
    "Feb.",
    "Mar.",
    "Apr.",
    "Jun.",
    "Jul.",
    "Aug.",
    "Sept.",
    "Sep.",
    "Oct.",
    "Nov.",
    "Dec.",
)
MONTH_PATTERN = "|".join(MONTHS)  # for regular expressions: "January|February|..."
_NUMBER = {m.lower(): i for i, m in enumerate(MONTHS, 1)}
_NUMBER.update(
    {
        a.rstrip(".").lower(): _NUMBER[m.lower()]
        for a in ABBREVIATIONS
        for m in MONTHS
        if m.lower().startswith(a.rstrip(".").lower()[:3])
    }
)


def month_number(name: str) -> int:
    """1 for 'January' (or 'Jan.'), ... 12 for 'December'."""
    return _NUMBER[name.rstrip(".").lower()]


def day_before_or_on(day: int, month: int, issued: date) -> date | None:
    """The date with that day and month on or before the issue date (a year left out is the
    report's, or the one before for 'as at 20 December' in a report issued in January)."""
    for year in (issued.year, issued.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= issued:
            return candidate
    return None


def iso_day(day: str, month: str, year: str) -> str | None:
    """'1 June 1995' as '1995-06-01' (None when it is no real date)."""
    try:
        return date(int(year), month_number(month), int(day)).isoformat()
    except (ValueError, KeyError):
        return None


def is_month(word: str) -> bool:
    """Whether a word is a month's name."""
    return bool(re.fullmatch(MONTH_PATTERN, word, re.I))

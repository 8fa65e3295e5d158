"""What the facts of a figure need to know of the report it is in: its date of issue, its
subject (the mission or organisation it is about), the acronyms it spells out and the date
its annex is "as at"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pipeline.extract.fact_rules import rx, table
from pipeline.read.dates import MONTH_PATTERN, day_before_or_on, iso_day, month_number

_ACRONYM_DEFINED = re.compile(
    r"\b((?:[A-Z][\w’'-]*|of|the|for|in|and|on|de|la|du|des|pour|en)"
    r"(?:\s+(?:[A-Z][\w’'-]*|of|the|for|in|and|on|de|la|du|des|pour|en)){1,12})\s+\(([A-Z]{2,10})\)"
)


@dataclass(frozen=True)
class Report:
    """What the facts need to know of the report a figure is in."""

    issued: date | None = None
    subject: str | None = None  # the mission's or organisation's acronym
    subject_name: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    acronyms: tuple[tuple[str, str], ...] = ()  # (acronym, what it stands for), as defined
    annex_date: date | None = None  # the date an annex's table is "as at" ("(see annex)")
    cut_off: date | None = None  # "The present report reflects events up to 30 July 1995"

    @property
    def now(self) -> date | None:
        """What the report's present tense and open periods ('since January') end on."""
        return self.cut_off or self.issued

    @staticmethod
    def of(metadata, text: str = "") -> Report:
        """The report from a document's metadata and text (acronyms it spells out)."""

        def day(value):
            try:
                return date.fromisoformat(str(value)) if value else None
            except ValueError:
                return None

        issued, start, end = (
            day(metadata.date_issued),
            day(metadata.period_start),
            day(metadata.period_end),
        )
        if start is None and issued is not None:
            start, end = covered_since(text, issued), (issued if end is None else end)
            start, end = (start, end) if start else (None, None)
        return Report(
            issued,
            metadata.subject,
            metadata.subject_name,
            start,
            end,
            defined_acronyms(text),
            annex_date(text),
            cut_off(text, issued) if issued else None,
        )


_ANNEX = re.compile(r"^\s*Annex(?:es)?\b.*$", re.M | re.I)
_ANNEX_AS_AT = re.compile(
    rf"\b(?:as (?:at|of)|at)\s+(\d{{1,2}})\s+({MONTH_PATTERN})\s+(\d{{4}})\b", re.I
)


def annex_date(text: str) -> date | None:
    """The date the report's first annex is 'as at' ('Composition and strength ... as at 2
    October 1998'): the date of a figure whose sentence says '(see annex)'."""
    if (annex := _ANNEX.search(text)) is None:
        return None
    if (m := _ANNEX_AS_AT.search(text, annex.start(), annex.start() + 3000)) is None:
        return None
    found = iso_day(m.group(1), m.group(2), m.group(3))
    return date.fromisoformat(found) if found else None


def _opening_day(rule: str, text: str, issued: date) -> date | None:
    """The day a rule of facts.yaml finds in a report's opening (groups d, m, y); a year left
    out is the last that puts it on or before the date of issue."""
    m = rx(table()[rule]).search(text[:6000])
    if m is None:
        return None
    if not m.group("y"):  # "up to 30 December" in a report issued in January: the year before
        return day_before_or_on(int(m.group("d")), month_number(m.group("m")), issued)
    found = iso_day(m.group("d"), m.group("m"), m.group("y"))
    return date.fromisoformat(found) if found else None


def cut_off(text: str, issued: date) -> date | None:
    """The day up to which a report says it reflects events ('The present report reflects
    events up to 30 July 1995'), in its opening: what its present tense means."""
    day = _opening_day("report_cut_off", text, issued)
    return day if day and day <= issued else None


def covered_since(text: str, issued: date) -> date | None:
    """The day a report says it covers developments since ('since my report of 26 March
    2008'), in its opening; its year, when left out, is the last before the date of issue."""
    day = _opening_day("report_since", text, issued)
    return day if day and day < issued else None


def defined_acronyms(text: str) -> tuple[tuple[str, str], ...]:
    """Acronyms a text spells out: 'International Police Task Force (IPTF)' -> IPTF."""
    found: dict[str, str] = {}
    for m in _ACRONYM_DEFINED.finditer(text):
        words, acronym = m.group(1).split(), m.group(2)
        initials = [w for w in words if w[0].isupper()]
        # keep the words from the first whose initial starts the acronym
        for i, w in enumerate(words):
            if w[0] == acronym[0] and len([x for x in words[i:] if x[0].isupper()]) >= 2:
                found.setdefault(acronym, " ".join(words[i:]))
                break
        else:
            if initials:
                found.setdefault(acronym, " ".join(words))
    return tuple(sorted(found.items()))


NO_REPORT = Report()  # a text read alone: no date of issue, no subject

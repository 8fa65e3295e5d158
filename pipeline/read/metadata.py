"""Front-matter metadata: what a report's header says about it (title, symbols, dates, bodies)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Metadata:
    """What a report's header says about it; None where it is not printed."""

    title: str | None = None
    symbols: tuple[str, ...] = ()
    date_issued: str | None = None
    original_language: str | None = None
    bodies: tuple[str, ...] = ()
    sessions: tuple[str, ...] = ()
    agenda_items: tuple[str, ...] = ()
    reporting_year: int | None = None



_FIRST_PARAGRAPH = re.compile(r"^(?:-\s+|#{1,6}\s+)?(?:1\.|I\.)\s+\S", re.M)


def front_matter(text: str) -> str:
    """The header block before the first numbered heading or paragraph."""
    match = _FIRST_PARAGRAPH.search(text)
    return text[: match.start()] if match else text[:4000]


_SYMBOL = re.compile(r"^(?:[A-Z]{1,4}(?:\.\d+)?/)+[A-Z0-9.()/-]*\d[A-Z0-9.()/-]*$")
_DATE = re.compile(r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|"
                   r"October|November|December) (\d{4})\b")
_SESSION = re.compile(r"^[A-Z][a-z]+(?:-[a-z]+)? (?:special |regular |resumed )?session$")
_AGENDA = re.compile(r"^Items? ([\d, and]+?) of the (?:provisional )?agenda", re.I)
_BODY = re.compile(r"^(?:General Assembly|Security Council|Economic and Social Council|"
                   r"(?:Commission|Conference|Committee|Council|Board|Assembly)\b.{3,80})$")
_REPORT_BY = re.compile(r"^(?:Report|Note) (?:of|by) the ")
_REPORT_YEAR = re.compile(r"\b(?:during|in|for|of) ((?:19|20)\d\d)\b(?![–-]\d)")


def _lines(header: str) -> list[str]:
    """Non-empty, stripped header lines without Markdown heading marks or emphasis."""
    out = []
    for line in header.splitlines():
        line = re.sub(r"^#+\s*", "", line.strip()).strip("*_ ").rstrip("*")
        if line and line != "<!-- image -->":
            out.append(line)
    return out


def parse_metadata(header: str) -> Metadata:
    """Read title, symbols, date, bodies, sessions, agenda items and year from a header."""
    lines = _lines(header)
    # A symbol printed alone on a line is the document's own; "* E/CN.7/2022/1." is a note.
    symbols = tuple(dict.fromkeys(
        line.strip().lstrip("#").strip() for line in header.splitlines()
        if _SYMBOL.match(line.strip().lstrip("#").strip())))
    date_issued = language = title = None
    bodies: list[str] = []
    sessions: list[str] = []
    agenda: list[str] = []
    for i, line in enumerate(lines):
        # The issue date follows "Distr.: General", on its line or the next.
        if date_issued is None and (m := _DATE.search(line)) and (
                "Distr" in line or i and "Distr" in lines[i - 1]):
            date_issued = datetime.strptime(m.group(), "%d %B %Y").date().isoformat()
        if language is None and (m := re.search(r"Original:\s*([A-Z][a-z]+)", line)):
            language = m.group(1)
        if _SESSION.match(line):
            body = next((b for b in reversed(lines[:i]) if _BODY.match(b)), None)
            sessions.append(f"{body}: {line}" if body else line)
        elif _BODY.match(line) and line not in bodies:
            bodies.append(line)
        if m := _AGENDA.match(line):
            agenda.extend(re.findall(r"\d+", m.group(1)))
        if title is None and _REPORT_BY.match(line) and i > 0:
            title = lines[i - 1]
    summary = header.split("Summary", 1)[1] if "Summary" in header else header
    years = _REPORT_YEAR.findall(summary)
    return Metadata(
        title=title,
        symbols=symbols,
        date_issued=date_issued,
        original_language=language,
        bodies=tuple(bodies),
        sessions=tuple(sessions),
        agenda_items=tuple(dict.fromkeys(agenda)),
        reporting_year=int(years[0]) if years else None,
    )

"""Front-matter metadata: what a report says about itself (title, symbols, dates, period, subject).

Read from the header block before the first numbered heading or paragraph, and, for the
reporting period and the subject's acronym, from the opening paragraphs. Every reader (plain
text, converted Markdown, a PDF's text layer with or without layout) puts the masthead's
parts on different lines, so each field is found by what it looks like, not by its position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from pipeline.read.dates import MONTH_PATTERN


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
    period_start: str | None = None
    period_end: str | None = None
    subject: str | None = None
    subject_name: str | None = None
    subject_country: str | None = None
    warnings: tuple[str, ...] = ()


_FIRST_PARAGRAPH = re.compile(r"^[ \t]*(?:-\s+|#{1,6}\s+)?(?:1\.|I\.)\s+\S", re.M)
OPENING_CHARS = 4000  # how far into the body the period and the subject's acronym are sought


def front_matter(text: str) -> str:
    """The header block before the first numbered heading or paragraph."""
    match = _FIRST_PARAGRAPH.search(text)
    return text[: match.start()] if match else text[:4000]


MONTHS = MONTH_PATTERN
_DATE = re.compile(rf"\b(\d{{1,2}}) ({MONTHS}) (\d{{4}})\b", re.I)
# A symbol: series letter(s), then parts separated by '/', with at least one number; an
# OCR'd text layer may print the 'S' in lower case. Suffixes such as /Add.1 are kept.
_SYMBOL_TOKEN = re.compile(
    r"(?<![\w/.])([AESs]/(?:[A-Z]{1,6}(?:\.\d+)?/)*\d[\d/]*(?:/(?:Add|Corr|Rev)\.\d+)*)"
    r"(?=[*.,;]?(?:\s|$|[-–]))"
)
_SYMBOL_LINE = re.compile(
    r"^[*\s]*(?:United Nations\s+|UNITED\s+NATIONS\s+)?"
    r"((?:[AESs]/\S+\s*[-–]?\s*)+?)\*?\.?$"
)
_SESSION = re.compile(r"^[A-Z][a-z]+(?:-[a-z]+)? (?:special |regular |resumed )?session$", re.I)
_YEAR_OF_COUNCIL = re.compile(r"^[A-Z][a-z]+(?:-[a-z]+)? year$", re.I)
_AGENDA = re.compile(
    r"^(?:Items? ([\d, and]+?) of the (?:provisional )?agenda|"
    r"(?:Provisional )?agenda items? ([\d, and]*\d))",
    re.I,
)
_BODY = re.compile(
    r"^(?:General Assembly|Security Council|Economic and Social Council|"
    r"(?:Commission|Conference|Committee|Council|Board|Assembly)\b.{3,80})$",
    re.I,
)
_REPORT_BY = re.compile(
    r"^(?:(?:Interim|Special|Progress|Further|Final|Second|Third|Fourth|"
    r"Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Annual|Comprehensive)\s+)*"
    r"(?:Report|Note) (?:of|by) the ",
    re.I,
)
_WORDS = re.compile(r"[A-Za-z]{3,}\W+[A-Za-z]{2,}")  # a title has words, not a barcode
_LETTER = re.compile(r"^(?:Identical )?letters? dated ", re.I)
_REPORT_YEAR = re.compile(r"\b(?:during|in|for|of) ((?:19|20)\d\d)\b(?![–-]\d)")
# Masthead lines: never a title, whatever comes after them.
_FURNITURE = re.compile(
    r"^(?:(?:United Nations|UNITED\s+NATIONS)(?:$|\s+[ASE]/)|Distr\b|GENERAL$|Original\b|"
    r"ORIGINAL\b|ENGLISH\b|"
    r"Summary$|SUMMARY$|Page \d|Agenda item|Items? \d|Provisional agenda|"
    r"[A-Z][a-z]+, \d{1,2}(?:[–-]\d{1,2})? [A-Z][a-z]+ \d{4}$|"  # Vienna, 14–18 March 2022
    r"\d{2}-\d{5}|\*\d+\*|\(?[EFS]\)?\s*\d{6})",
    re.I,
)
# 'for the period from 9 August 2006 to 26 January 2007'; 'covers major developments since
# my report of 1 September 2009 (S/2009/439) until 15 April 2010'.
_PERIOD = re.compile(
    rf"(?:period|developments|activities|events)\s+(?:that (?:have )?occurred\s+)?"
    rf"(?:from|since|between)\s+(?:the issuance of\s+)?(?:my\s+(?:previous\s+|last\s+)?"
    rf"report,?\s+(?:of|on|dated)\s+)?"
    rf"(\d{{1,2}} (?:{MONTHS})(?: \d{{4}})?)(?:\s*\([^)]{{0,40}}\))?,?\s+"
    rf"(?:to|until|through|and)\s+(\d{{1,2}} (?:{MONTHS}) \d{{4}})",
    re.I,
)
_ACRONYM = re.compile(
    r"\b((?:the )?(?:United Nations|UNITED NATIONS)\s[^()]{4,140}?)\s*"
    r"\(([A-Z][A-Z-]{2,11})\)"
)
_OF_THE = re.compile(r"\b(?:on|of|in) the (United Nations\s.+?)\s*(?:\(|$|\bpursuant\b|,)", re.I)
_IN_PLACE = re.compile(
    r"\b(?i:in|of) (?i:the )?([A-Z][\w'’-]+(?: (?:and )?[A-Z][\w'’-]+){0,3})"
    r"\s*$"
)


def _lines(header: str, keep_blank: bool = False) -> list[str]:
    """Stripped header lines without Markdown heading marks or emphasis; blank lines are
    kept as '' when asked (they end a title's block)."""
    out = []
    for line in header.splitlines():
        line = re.sub(r"^#+\s*", "", line.strip()).strip("*_ ").rstrip("*")
        if line == "<!-- image -->":
            continue
        if line or (keep_blank and out and out[-1]):
            out.append(line)
    return out


def _cells(lines: list[str]) -> list[str]:
    """Lines split where a layout reader put two columns side by side (3+ spaces)."""
    out = []
    for line in lines:
        out.extend([c.strip() for c in re.split(r"\s{3,}", line) if c.strip()] or [""])
    return out


def _one_line(text: str) -> str:
    """Text with line breaks joined: a hyphen at a line end keeps its word whole."""
    text = re.sub(r"-[ \t]*\n\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def _iso(day: str, month: str, year: str) -> str:
    return datetime.strptime(f"{day} {month.title()} {year}", "%d %B %Y").date().isoformat()


def symbols_in(header: str) -> tuple[str, ...]:
    """The document's own symbols: those printed alone (or beside 'United Nations') on a line.

    A joint report prints one symbol per organ ('A/51/695' and 'S/1996/998', on two lines or
    joined by a dash); '* E/CN.7/2022/1.' below the agenda is a footnote, not the report's."""
    found = []
    for line in header.splitlines():
        for cell in re.split(r"\s{3,}", re.sub(r"^\s*#+\s*", "", line).strip()):
            if re.match(r"^\*+\s*[A-Z]/", cell):
                continue  # a footnote to the agenda: '* E/CN.7/2022/1.'
            if m := _SYMBOL_LINE.match(cell.strip("_ ")):
                found.extend(s.group(1) for s in _SYMBOL_TOKEN.finditer(m.group(1)))
    return tuple(dict.fromkeys(s[0].upper() + s[1:] for s in found))


def _date_issued(cells: list[str]) -> str | None:
    """The issue date: the first full date in the masthead, from 'Distr.' to 'Original'."""
    start = next((i for i, c in enumerate(cells) if re.match(r"^Distr", c, re.I)), 0)
    end = next((i for i, c in enumerate(cells) if re.match(r"^ORIGINAL", c, re.I)), None)
    stop = len(cells) if end is None else end + 2
    for cell in cells[start:stop]:
        if (m := _DATE.search(cell)) and not re.match(r"^[A-Z][a-z]+, \d", cell):
            return _iso(*m.groups())
    return None


def _is_furniture(line: str) -> bool:
    """A masthead line (symbol, body, session, agenda, date, place): never a title."""
    return bool(
        _FURNITURE.match(line)
        or _SYMBOL_LINE.match(line)
        or _SESSION.match(line)
        or _YEAR_OF_COUNCIL.match(line)
        or _AGENDA.match(line)
        or _BODY.match(line)
        or _DATE.fullmatch(line)
    )


def _title_line(line: str) -> bool:
    """Whether a line above 'Report of ...' can be part of the report's own title."""
    return bool(
        line
        and not _is_furniture(line)
        and _WORDS.search(line)
        and len(line) <= 200
        and not line.endswith((".", ":"))
        and not _REPORT_BY.match(line)
    )


def _title(lines: list[str]) -> str | None:
    """The title: the line above 'Report of the ...' when it names the report, else that line
    and its continuation lines; masthead lines never."""
    for i, line in enumerate(lines):
        if not (_REPORT_BY.match(line) or _LETTER.match(line)):
            continue
        block: list[str] = []  # the lines above, up to a blank or masthead line, same case
        above = lines[: i - 1] if i and not lines[i - 1] else lines[:i]
        for prev in reversed(above):
            if (
                not _title_line(prev)
                or block
                and prev.isupper() != block[0].isupper()
                or len(block) == 4
            ):
                break
            block.insert(0, prev)
        if block:
            return _one_line("\n".join(block))
        parts = [line]
        for nxt in lines[i + 1 :]:
            if (
                not nxt
                or nxt.startswith("(")
                or _is_furniture(nxt)
                or re.match(r"^(?:Summary|Addendum|Corrigendum|Annex|Introduction)\b", nxt, re.I)
                or len(" ".join(parts)) > 250
            ):
                break
            parts.append(nxt)
        # '... in Timor-Leste (for the period from ...)' on one line: the period is not title
        return re.sub(r"\s*\(for the period .*$", "", _one_line("\n".join(parts)), flags=re.I)
    return None


def _period(text: str) -> tuple[str | None, str | None]:
    """The reporting period, as ISO dates, from 'for the period from 9 August 2006 to ...'."""
    m = _PERIOD.search(_one_line(text))
    if not m:
        return None, None
    end_day, end_month, end_year = m.group(2).split()
    start = m.group(1).split()
    if len(start) == 2:  # 'from 16 September to 21 March 2003': the year of the end, or before
        year = int(end_year)
        if (
            datetime.strptime(start[1].title(), "%B").month
            > datetime.strptime(end_month.title(), "%B").month
        ):
            year -= 1
        start.append(str(year))
    first, last = _iso(*start), _iso(end_day, end_month, end_year)
    if date.fromisoformat(first) > date.fromisoformat(last):
        return None, None
    return first, last


def _subject(title: str | None, text: str) -> tuple[str | None, str | None]:
    """The organisation or mission the report is about: (acronym, full name)."""
    flat = _one_line(text)
    named = {}
    for m in _ACRONYM.finditer(flat):
        name = re.sub(r"^the ", "", m.group(1), flags=re.I)
        named.setdefault(name.lower(), (m.group(2), name))
    wanted = _OF_THE.search(title or "")
    if wanted:
        key = wanted.group(1).lower()
        for name, (acronym, printed) in named.items():
            if name == key or name.endswith(key) or key.endswith(name):
                return acronym, printed
        # A layout that breaks the name: an acronym made of the name's initials.
        initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", wanted.group(1))).upper()
        for acronym in re.findall(r"\(([A-Z]{3,10})\)", flat):
            if _subsequence(acronym, initials):
                return acronym, _one_line(wanted.group(1))
        return None, _one_line(wanted.group(1))
    for acronym, printed in named.values():
        # Without a name in the title, the first mission, office or operation named with
        # its acronym in the opening is what the report is about.
        if re.search(
            r"\b(?:Mission|Office|Operation|Force|Observer|Group|Verification|"
            r"Administration|Programme|Support)\b",
            printed,
            re.I,
        ):
            return acronym, printed
    return None, None


def _subsequence(short: str, long: str) -> bool:
    """Whether the letters of short appear in long in order."""
    rest = iter(long)
    return all(ch in rest for ch in short)


def country_iso3(name: str | None) -> str | None:
    """ISO 3166-1 alpha-3 code of a country named at the end of a subject or title."""
    if not name:
        return None
    import pycountry

    m = _IN_PLACE.search(name.rstrip(" )"))
    if not m:
        return None
    place = m.group(1)
    for candidate in (place, place.title()):
        try:
            return pycountry.countries.lookup(candidate).alpha_3
        except LookupError:
            continue
    return None


def parse_metadata(header: str, opening: str = "") -> Metadata:
    """Read a report's metadata from its header (and the opening paragraphs after it)."""
    lines = _lines(header)
    cells = _cells(lines)
    language = None
    bodies: list[str] = []
    sessions: list[str] = []
    agenda: list[str] = []
    for i, cell in enumerate(cells):
        if language is None and (m := re.search(r"Original:\s*([A-Z][A-Za-z]+)", cell, re.I)):
            language = m.group(1).title()
        if _SESSION.match(cell):
            body = next((b for b in reversed(cells[:i]) if _BODY.match(b)), None)
            sessions.append(f"{body}: {cell}" if body else cell)
        elif _BODY.match(cell) and cell not in bodies and len(cell) < 60:
            bodies.append(cell)
        if m := _AGENDA.match(cell):
            agenda.extend(re.findall(r"\d+", m.group(1) or m.group(2)))
    title = _title(_cells(_lines(header, keep_blank=True)))
    summary = header.split("Summary", 1)[1] if "Summary" in header else header
    years = _REPORT_YEAR.findall(summary)
    start, end = _period(header + "\n" + opening[:OPENING_CHARS])
    subject, subject_name = _subject(title, header + "\n" + opening[:OPENING_CHARS])
    country = country_iso3(subject_name) or country_iso3(title)
    symbols = symbols_in(header)
    date_issued = _date_issued(cells)
    missing = [
        what
        for what, value in (
            ("title", title),
            ("document symbol", symbols),
            ("date of issue", date_issued),
            ("reporting period", start or (years and years[0])),
            ("subject (mission or organisation)", subject or subject_name),
        )
        if not value
    ]
    return Metadata(
        title=title,
        symbols=symbols,
        date_issued=date_issued,
        original_language=language,
        bodies=tuple(bodies),
        sessions=tuple(sessions),
        agenda_items=tuple(dict.fromkeys(agenda)),
        reporting_year=int(years[0]) if years else None,
        period_start=start,
        period_end=end,
        subject=subject,
        subject_name=subject_name,
        subject_country=country,
        warnings=tuple(f"no {what} found in the front matter" for what in missing),
    )


def read_metadata(text: str) -> Metadata:
    """A report's metadata from its whole text: the front matter and the opening paragraphs."""
    header = front_matter(text)
    return parse_metadata(header, text[len(header) : len(header) + OPENING_CHARS])

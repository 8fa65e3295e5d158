"""Front-matter metadata: what a report says about itself (title, symbols, dates, period, subject).

Read from the header block before the first numbered heading or paragraph, and, for the
reporting period and the subject's acronym, from the opening paragraphs. Every reader (plain
text, converted Markdown, a PDF's text layer with or without layout) puts the masthead's
parts on different lines, so each field is found by what it looks like, not by its position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from pipeline.read.families import GENERIC, UNCLAIMED, Family, claim, get


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


OPENING_CHARS = 4000  # how far into the body the period and the subject's acronym are sought
_WORDS = re.compile(r"[A-Za-z]{3,}\W+[A-Za-z]{2,}")  # a title has words, not a barcode
_IN_PLACE = re.compile(
    r"\b(?i:in|of) (?i:the )?([A-Z][\w'’-]+(?: (?:and )?[A-Z][\w'’-]+){0,3})"
    r"\s*$"
)


def _family(family: Family | None, text: str) -> Family:
    """The family given, else the one that claims the text (the generic rules if none)."""
    return family if family is not None else claim(text) or get(GENERIC)


def front_matter(text: str, family: Family | None = None) -> str:
    """The header block before the first numbered heading or paragraph."""
    match = _family(family, text).pattern("front_matter_end").search(text)
    return text[: match.start()] if match else text[:4000]


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


def symbols_in(header: str, family: Family | None = None) -> tuple[str, ...]:
    """The document's own symbols: those printed alone (or beside 'United Nations') on a line.

    A joint report prints one symbol per organ ('A/51/695' and 'S/1996/998', on two lines or
    joined by a dash); '* E/CN.7/2022/1.' below the agenda is a footnote, not the report's."""
    family = _family(family, header)
    note, line_of, token = (
        family.pattern(slot) for slot in ("symbol_note", "symbol_line", "symbol_token")
    )
    found = []
    for line in header.splitlines():
        for cell in re.split(r"\s{3,}", re.sub(r"^\s*#+\s*", "", line).strip()):
            if note.match(cell):
                continue  # a footnote to the agenda: '* E/CN.7/2022/1.'
            if m := line_of.match(cell.strip("_ ")):
                found.extend(s.group(1) for s in token.finditer(m.group(1)))
    return tuple(dict.fromkeys(s[0].upper() + s[1:] for s in found))


def _date_issued(cells: list[str], family: Family) -> str | None:
    """The issue date: the first full date in the masthead, from 'Distr.' to 'Original'."""
    first, last = family.pattern("issue_start"), family.pattern("issue_end")
    start = next((i for i, c in enumerate(cells) if first.match(c)), 0)
    end = next((i for i, c in enumerate(cells) if last.match(c)), None)
    stop = len(cells) if end is None else end + 2
    for cell in cells[start:stop]:
        if (m := family.pattern("date").search(cell)) and not re.match(r"^[A-Z][a-z]+, \d", cell):
            return _iso(*m.groups())
    return None


_MASTHEAD_SLOTS = ("symbol_line", "session", "year_of_council", "agenda", "body")


def _is_furniture(line: str, family: Family) -> bool:
    """A masthead line (symbol, body, session, agenda, date, place): never a title."""
    return bool(
        family.any_of("masthead").match(line)
        or any(family.pattern(slot).match(line) for slot in _MASTHEAD_SLOTS)
        or family.pattern("date").fullmatch(line)
    )


def _title_line(line: str, family: Family) -> bool:
    """Whether a line above 'Report of ...' can be part of the report's own title."""
    return bool(
        line
        and not _is_furniture(line, family)
        and _WORDS.search(line)
        and len(line) <= 200
        and not line.endswith((".", ":"))
        and not family.pattern("report_by").match(line)
    )


def _title_above(lines: list[str], i: int, family: Family) -> list[str]:
    """The lines above line i that name the report, up to a blank or masthead line, same case."""
    block: list[str] = []
    above = lines[: i - 1] if i and not lines[i - 1] else lines[:i]
    for prev in reversed(above):
        if (
            not _title_line(prev, family)
            or block
            and prev.isupper() != block[0].isupper()
            or len(block) == 4
        ):
            break
        block.insert(0, prev)
    return block


def _title(lines: list[str], family: Family) -> str | None:
    """The title: the line above 'Report of the ...' when it names the report, else that line
    and its continuation lines; masthead lines never."""
    report_by, letter = family.pattern("report_by"), family.pattern("letter")
    for i, line in enumerate(lines):
        if not (report_by.match(line) or letter.match(line)):
            continue
        if block := _title_above(lines, i, family):
            return _one_line("\n".join(block))
        parts = [line]
        for nxt in lines[i + 1 :]:
            if (
                not nxt
                or nxt.startswith("(")
                or _is_furniture(nxt, family)
                or family.pattern("title_stop").match(nxt)
                or len(" ".join(parts)) > 250
            ):
                break
            parts.append(nxt)
        # '... in Timor-Leste (for the period from ...)' on one line: the period is not title
        return re.sub(r"\s*\(for the period .*$", "", _one_line("\n".join(parts)), flags=re.I)
    return None


def _period(text: str, family: Family) -> tuple[str | None, str | None]:
    """The reporting period, as ISO dates, from 'for the period from 9 August 2006 to ...'."""
    m = family.pattern("period").search(_one_line(text))
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


def _subject(title: str | None, text: str, family: Family) -> tuple[str | None, str | None]:
    """The organisation or mission the report is about: (acronym, full name)."""
    flat = _one_line(text)
    named = {}
    for m in family.pattern("acronym").finditer(flat):
        name = re.sub(r"^the ", "", m.group(1), flags=re.I)
        named.setdefault(name.lower(), (m.group(2), name))
    wanted = family.pattern("of_the").search(title or "")
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
        if family.pattern("subject_kind").search(printed):
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


@dataclass
class _Masthead:
    """What the masthead's cells say: original language, bodies, sessions, agenda items."""

    language: str | None = None
    bodies: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    agenda: list[str] = field(default_factory=list)


def _masthead(cells: list[str], family: Family) -> _Masthead:
    """The masthead's fields, each found by what it looks like."""
    out = _Masthead()
    session, body, agenda = (family.pattern(s) for s in ("session", "body", "agenda"))
    for i, cell in enumerate(cells):
        if out.language is None and (m := family.pattern("language").search(cell)):
            out.language = m.group(1).title()
        if session.match(cell):
            organ = next((b for b in reversed(cells[:i]) if body.match(b)), None)
            out.sessions.append(f"{organ}: {cell}" if organ else cell)
        elif body.match(cell) and cell not in out.bodies and len(cell) < 60:
            out.bodies.append(cell)
        if m := agenda.match(cell):
            out.agenda.extend(re.findall(r"\d+", m.group(1) or m.group(2)))
    return out


def parse_metadata(header: str, opening: str = "", family: Family | None = None) -> Metadata:
    """Read a report's metadata from its header (and the opening paragraphs after it), by the
    patterns of its family (the one that claims the header when none is given)."""
    family = _family(family, header)
    cells = _cells(_lines(header))
    masthead = _masthead(cells, family)
    title = _title(_cells(_lines(header, keep_blank=True)), family)
    summary = header.split("Summary", 1)[1] if "Summary" in header else header
    years = family.pattern("report_year").findall(summary)
    start, end = _period(header + "\n" + opening[:OPENING_CHARS], family)
    subject, subject_name = _subject(title, header + "\n" + opening[:OPENING_CHARS], family)
    symbols = symbols_in(header, family)
    date_issued = _date_issued(cells, family)
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
    warnings = [f"no {what} found in the front matter" for what in missing]
    return Metadata(
        title=title,
        symbols=symbols,
        date_issued=date_issued,
        original_language=masthead.language,
        bodies=tuple(masthead.bodies),
        sessions=tuple(masthead.sessions),
        agenda_items=tuple(dict.fromkeys(masthead.agenda)),
        reporting_year=int(years[0]) if years else None,
        period_start=start,
        period_end=end,
        subject=subject,
        subject_name=subject_name,
        subject_country=country_iso3(subject_name) or country_iso3(title),
        warnings=tuple([UNCLAIMED, *warnings] if family.name == GENERIC else warnings),
    )


def read_metadata(text: str, family: Family | None = None) -> Metadata:
    """A report's metadata from its whole text: the front matter and the opening paragraphs."""
    family = _family(family, text)
    header = front_matter(text, family)
    return parse_metadata(header, text[len(header) : len(header) + OPENING_CHARS], family)

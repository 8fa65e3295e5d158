"""Ingest: read one raw report into a Document with its checksum and header metadata."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline.read.errors import ReportError

SUPPORTED_SUFFIXES = {".txt", ".md", ".pdf"}
VALID_ID = re.compile(r"^[A-Za-z0-9._-]+$")


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


@dataclass(frozen=True)
class Document:
    """One raw report: its text, checksum and header metadata."""

    document_id: str
    source_file: str
    format: str
    text: str
    sha256: str
    size_bytes: int
    metadata: Metadata = field(default_factory=Metadata)


def document_id_for(path: Path) -> str:
    """The document id is the file stem."""
    return path.stem


def read_text(path: Path, data: bytes) -> str:
    """Decode a report's bytes to text, or raise ReportError saying why not."""
    if not data.strip():
        raise ReportError(path, "the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pipeline.read.pdf import pdf_text

        return pdf_text(path, data)
    if b"\x00" in data[:8192]:
        raise ReportError(path, "binary file, not text (it contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ReportError(
            path, f"not UTF-8 text (invalid byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None
    # Normalise line ends only: offsets stay valid against the decoded text we store.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def ingest(path: Path) -> Document:
    """Read one report file into a Document."""
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ReportError(path, f"unsupported file type {path.suffix or '(none)'!r} "
                                "(use .txt, .md or .pdf)")
    if not VALID_ID.match(path.stem):
        raise ReportError(path, "the file name becomes the document id and may hold only "
                                "letters, digits, '.', '_' and '-': rename the file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ReportError(path, f"cannot be read ({err.strerror})") from None
    text = read_text(path, data)
    return Document(
        document_id=document_id_for(path),
        source_file=path.name,
        format=path.suffix.lower().lstrip("."),
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        metadata=parse_metadata(front_matter(text)),
    )


def list_reports(raw_dir: Path) -> list[Path]:
    """Report files in raw/, sorted by name; hidden files are ignored."""
    return sorted(p for p in Path(raw_dir).iterdir() if p.is_file() and not p.name.startswith("."))


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

"""Ingest: read one raw report into a Document with its checksum and header metadata."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.read.errors import ReportError
from pipeline.read.metadata import Metadata, front_matter, parse_metadata

SUPPORTED_SUFFIXES = {".txt", ".md", ".pdf"}
VALID_ID = re.compile(r"^[A-Za-z0-9._-]+$")


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

"""Ingest: read one raw report into a Document with its checksum and header metadata."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.read.errors import EnvironmentProblem, ReportError
from pipeline.read.families import Family, detect
from pipeline.read.metadata import Metadata, parse_metadata, read_metadata  # noqa: F401  (re-exported)
from pipeline.read.normalise import normalise
from pipeline.read.options import DEFAULT, ReadOptions

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
    pages: int | None = None  # PDFs only
    ocr_pages: tuple[int, ...] = ()  # 1-based numbers of the pages read by OCR
    # The kind of report it was read as (None: the family that claims its text, when parsed).
    family: Family | None = None
    # Scans: where the OCR'd text came from (the snapshot and Tesseract version); '' otherwise.
    ocr_source: str = ""


def document_id_for(path: Path) -> str:
    """The document id is the file stem."""
    return path.stem


def read_text(path: Path, data: bytes) -> str:
    """Decode a report's bytes to text, or raise ReportError saying why not."""
    if not data.strip():
        raise ReportError(path, "the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pipeline.read.pdf import read_pdf

        return read_pdf(path, data).text
    return decode_text(path, data)


# Byte-order marks, longest first (UTF-32 LE starts with UTF-16 LE's).
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _decode(path: Path, data: bytes) -> str:
    """Bytes to text: by byte-order mark, else UTF-8, else UTF-16 or UTF-32 without a mark
    as charset-normalizer finds it. Other encodings (Latin-1, Windows-1252...) are refused
    with the likely one named: a guess between 8-bit code pages can silently change
    characters, and a published quote must be exactly what the report says."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as err:
                raise ReportError(
                    path,
                    f"starts with a {encoding.upper()} byte-order mark but "
                    f"is not valid {encoding.upper()} text ({err.reason} "
                    f"at byte {err.start})",
                ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        encoding, guess = _guess(data)
        if encoding.startswith(("utf_16", "utf_32")):
            return guess
        where = f"invalid byte 0x{data[err.start]:02x} at offset {err.start}"
        if encoding:
            raise ReportError(
                path,
                f"not UTF-8 text ({where}; perhaps an 8-bit code page "
                f"such as {encoding}: convert it to UTF-8)",
            ) from None
        kind = "binary file, not text" if b"\x00" in data else "not UTF-8 text"
        raise ReportError(path, f"{kind} ({where}, and no text encoding fits)") from None
    if "\x00" in text:
        encoding, guess = _guess(data)
        if encoding.startswith(("utf_16", "utf_32")) and "\x00" not in guess:
            return guess  # UTF-16 without a byte-order mark is valid UTF-8 full of NULs
    return text


def _guess(data: bytes) -> tuple[str, str]:
    """The encoding charset-normalizer finds most plausible and the text in it ('' if none)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return ("", "") if best is None else (best.encoding, str(best))


def decode_text(path: Path, data: bytes) -> str:
    """A text report's bytes as text with '\\n' line ends; NUL characters are refused."""
    text = _decode(path, data)
    if (nul := text.find("\x00")) >= 0:
        raise ReportError(
            path,
            f"contains NUL characters (the first at character {nul}): "
            "binary data inside text is never published; remove them or "
            "convert the file to plain text",
        )
    # Normalise line ends only: offsets stay valid against the decoded text we store.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_regular_file(path: Path, max_bytes: int | None = None) -> bytes:
    """A file's bytes; anything but a regular file (FIFO, device, folder) is refused without
    blocking on it, even if it was swapped in after raw/ was listed, and so is a file over
    max_bytes (before it is read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise ReportError(path, f"cannot be read ({err.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        kind = _kind(os.fstat(fd).st_mode)
        if kind != "file":
            raise ReportError(path, f"is {kind}, not a regular file: not read")
        size = os.fstat(fd).st_size
        if max_bytes is not None and size > max_bytes:
            raise EnvironmentProblem(
                path,
                f"is {size / 2**20:.1f} MB, over the limit of "
                f"{max_bytes / 2**20:g} MB per file "
                "(INDICATORS_MAX_FILE_MB)",
            )
        return handle.read()


def _kind(mode: int) -> str:
    """What a stat mode describes, in words."""
    for test, name in (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def ingest(path: Path, options: ReadOptions = DEFAULT) -> Document:
    """Read one report file into a Document, within the options' limits."""
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ReportError(
            path, f"unsupported file type {path.suffix or '(none)'!r} (use .txt, .md or .pdf)"
        )
    if not VALID_ID.match(path.stem):
        raise ReportError(
            path,
            "the file name becomes the document id and may hold only "
            "letters, digits, '.', '_' and '-': rename the file",
        )
    data = read_regular_file(path, options.max_bytes)
    pages, ocr, ocr_source = None, (), ""
    if path.suffix.lower() == ".pdf" and data.strip():
        from pipeline.read.pdf import read_pdf

        pdf = read_pdf(path, data, options)
        text, pages, ocr, family = normalise(pdf.text), pdf.pages, pdf.ocr_pages, pdf.family
        ocr_source = pdf.ocr_source
    else:
        text = normalise(read_text(path, data))
        family = detect(text, options.families, path.name)
    return Document(
        document_id=document_id_for(path),
        source_file=path.name,
        format=path.suffix.lower().lstrip("."),
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        metadata=read_metadata(text, family),
        pages=pages,
        ocr_pages=ocr,
        family=family,
        ocr_source=ocr_source,
    )


def _refusal(entry: Path, root: Path) -> str | None:
    """Why a raw/ entry cannot be a report (None when it is a regular file inside raw/)."""
    try:
        target = entry.resolve(strict=True)
    except FileNotFoundError:
        return f"is a link to {os.readlink(entry)!r}, which does not exist (dangling link)"
    except (RuntimeError, OSError) as err:  # ELOOP: Python 3.11 raises RuntimeError
        return f"cannot be followed ({getattr(err, 'strerror', None) or err}; a link loop?)"
    if not target.is_relative_to(root):
        return (
            f"points outside raw/ (to {target}): only files inside raw/ are read; "
            "copy the report into raw/ instead"
        )
    kind = _kind(target.stat().st_mode)
    if kind == "a folder":
        return (
            "is a folder: reports go directly in raw/ (files inside folders are not "
            "read); move them up"
        )
    if kind != "file":
        return f"is {kind}, not a regular file: not read"
    return None


def scan_raw(raw_dir: Path, skip: tuple[Path, ...] = ()) -> tuple[list[Path], list[ReportError]]:
    """Report files in raw/ sorted by name, and every other entry refused with the reason
    (links leading outside raw/, dangling or looping links, folders, FIFOs, devices).
    Hidden names (.gitkeep, editor files, downloads in progress) and the files in `skip` (the
    collection's manifest) are ignored."""
    root = Path(raw_dir).resolve()
    skipped = {os.path.abspath(p) for p in skip}  # by name: resolving a link loop would raise
    paths, problems = [], []
    with os.scandir(raw_dir) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for item in entries:
        entry = Path(raw_dir) / item.name
        if item.name.startswith(".") or os.path.abspath(entry) in skipped:
            continue
        # A plain file is told from the listing itself; only links and the rest are resolved
        # (a realpath per file cost a second at 10,000 reports).
        plain = not item.is_symlink() and item.is_file(follow_symlinks=False)
        if plain or (problem := _refusal(entry, root)) is None:
            paths.append(entry)
        else:
            problems.append(ReportError(entry, problem))
    return paths, problems


def find_report(raw_dir: Path, document_id: str) -> Path | None:
    """The report file of a document id, looked up by name rather than by listing raw/ (a
    backfill of N reports would list it N times): the one acceptable file <id>.<suffix>;
    None when there is none or several."""
    if not document_id or "/" in document_id or document_id.startswith("."):
        return None
    root = Path(raw_dir).resolve()
    found = [
        path
        for suffix in sorted(SUPPORTED_SUFFIXES)
        if os.path.lexists(path := Path(raw_dir) / f"{document_id}{suffix}")
        and _refusal(path, root) is None
    ]
    return found[0] if len(found) == 1 else None


def list_reports(raw_dir: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Report files in raw/, sorted by name; scan_raw also says which entries were refused."""
    return scan_raw(raw_dir, skip)[0]

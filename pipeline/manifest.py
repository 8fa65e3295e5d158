"""The collection's manifest: the list of what the dataset is made from.

One CSV row per report file in raw/: its document symbol(s), mission, date of issue, language,
official URL on the UN's document system, size and sha256. A run checks raw/ against it
(`check_collection`): files missing, files not listed, files whose bytes changed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pipeline.dataset.ods import ods_url

SEPARATOR = ";"  # between the symbols (and URLs) of a document issued under two symbols


class ManifestError(ValueError):
    """The manifest cannot be read: a missing column, a malformed row."""


@dataclass(frozen=True)
class Entry:
    """One report of the collection, as the manifest lists it."""

    file: str  # its name in raw/
    symbols: str = ""  # 'S/2005/453', or 'A/47/739;S/24871' for a joint report
    mission: str = ""  # the mission (or organisation) it reports on: UNMIT, UNODC
    mission_name: str = ""
    date_issued: str = ""  # YYYY-MM-DD from the front matter, YYYY from the symbol, or empty
    date_source: str = ""  # 'front matter', 'symbol year' or empty (not found)
    language: str = "en"
    url: str = ""  # the official URL of each symbol, ';'-separated
    bytes: int | None = None
    sha256: str = ""
    text_layer: str = ""  # PDFs: yes, no (a scan) or partly; empty for text files
    note: str = ""

    def symbol_list(self) -> list[str]:
        """The document's symbols, in order."""
        return [s for s in self.symbols.split(SEPARATOR) if s]

    def as_row(self) -> dict[str, str]:
        """The entry as a CSV row."""
        return {
            f.name: "" if getattr(self, f.name) is None else str(getattr(self, f.name))
            for f in fields(self)
        }

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> Entry:
        """An entry from a CSV row (sizes as integers, empty ones None)."""
        values = {f.name: (row.get(f.name) or "").strip() for f in fields(cls)}
        size = values.pop("bytes")
        return cls(**values, bytes=int(size) if size else None)


COLUMNS = [f.name for f in fields(Entry)]


def read_manifest(path: Path) -> list[Entry]:
    """The manifest's entries (ManifestError naming the line when one is malformed)."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if missing := [c for c in ("file", "sha256") if c not in (reader.fieldnames or [])]:
            raise ManifestError(f"{path}: no column {', '.join(missing)} (columns: {COLUMNS})")
        entries = []
        for row in reader:
            try:
                entries.append(Entry.from_row(row))
            except ValueError as err:
                raise ManifestError(f"{path}, line {reader.line_num}: {err}") from None
    names = [e.file for e in entries]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise ManifestError(f"{path}: files listed twice: {', '.join(twice)}")
    return entries


def manifest_text(entries: Iterable[Entry]) -> str:
    """The manifest as CSV text, sorted by file name (LF line ends: the same bytes anywhere)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(e.as_row() for e in sorted(entries, key=lambda e: e.file))
    return out.getvalue()


def write_manifest(path: Path, entries: Iterable[Entry]) -> None:
    """Write the manifest atomically: readers see the old one or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(manifest_text(entries))
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)  # not mkstemp's 600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def with_entry(entries: list[Entry], entry: Entry) -> list[Entry]:
    """The entries with one added, or replacing the one of the same file."""
    return [e for e in entries if e.file != entry.file] + [entry]


# --- symbols and file names -------------------------------------------------------------------

# A symbol's parts in a file name: MINUSTAH_S_2004_677.pdf, ONUSAL_A_47_739_S_24871.pdf,
# ONUSAL_A_47_1012_Add.1_S_26416_Add.1.pdf (series letter, numbers, /Add.1 /Corr.1 /Rev.1).
_NAME_SYMBOL = re.compile(r"(?:^|_)([AS](?:_\d+)+(?:_(?:Add|Corr|Rev)\.\d+)*)(?=_|$)")
_MISSION = re.compile(r"^([A-Z][A-Z0-9]+)_[AS]_\d")


def symbols_from_name(name: str) -> tuple[str, ...]:
    """The document symbols a corpus file name spells ('A_47_739_S_24871' -> A/47/739, S/24871)."""
    stem = Path(name).stem
    return tuple(m.group(1).replace("_", "/") for m in _NAME_SYMBOL.finditer(stem))


def mission_from_name(name: str) -> str:
    """The mission a corpus file name starts with (MINUSTAH_S_2004_677.pdf -> MINUSTAH), or ''."""
    m = _MISSION.match(Path(name).stem)
    return m.group(1) if m else ""


def file_name_for(symbol: str, mission: str = "", suffix: str = ".pdf") -> str:
    """The raw/ file name of a symbol's report, as the corpus names them: MISSION_S_2005_453.pdf."""
    stem = re.sub(r"[^A-Za-z0-9.]+", "_", symbol.strip()).strip("_")
    return f"{mission}_{stem}{suffix}" if mission else f"{stem}{suffix}"


def official_urls(symbols: Iterable[str]) -> str:
    """The official URL of each symbol on the UN's document system, ';'-separated."""
    return SEPARATOR.join(ods_url(s) for s in symbols)


_SYMBOL_YEAR = re.compile(r"^S/((?:19|20)\d\d)/\d")


def symbol_year(symbols: Iterable[str]) -> str:
    """The year a Security Council symbol carries (S/2005/453 -> 2005; S/24871 has none)."""
    return next((m.group(1) for s in symbols if (m := _SYMBOL_YEAR.match(s))), "")


# --- the check of raw/ against the manifest ---------------------------------------------------

SHOWN = 10  # names listed in a message; the rest are counted


@dataclass(frozen=True)
class Changed:
    """A file whose bytes are not those the manifest lists."""

    file: str
    expected: str
    found: str


@dataclass
class CollectionCheck:
    """raw/ against the manifest: files missing, not listed, or changed."""

    manifest: Path
    listed: int = 0
    present: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    problem: str = ""  # the manifest itself is absent or unreadable

    def warnings(self) -> list[str]:
        """What a run should say but may go on with: reports not yet fetched, files unlisted."""
        out = [self.problem] if self.problem else []
        if self.missing:
            out.append(
                f"{len(self.missing)} of the {self.listed} reports in the manifest "
                f"({self.manifest.name}) are not in raw/: {_names(self.missing)}; "
                "`indicators fetch` gets them (`indicators fetch --dry-run` lists them all)"
            )
        if self.extra:
            out.append(
                f"{len(self.extra)} file(s) in raw/ are not in the manifest "
                f"({self.manifest.name}): {_names(self.extra)}; `indicators fetch --add` adds "
                "them to it"
            )
        return out

    def errors(self) -> list[str]:
        """Files whose bytes differ from the manifest's: raw/ holds immutable snapshots."""
        return [
            f"{c.file}: sha256 {c.found[:12]}... differs from the manifest's {c.expected[:12]}... "
            "(a report in raw/ never changes: restore it, or add the new version under a new "
            "name)"
            for c in self.changed
        ]


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def check_collection(
    manifest: Path, entries: list[Entry], present: Mapping[str, str]
) -> CollectionCheck:
    """Compare raw/'s files (name -> sha256) with the manifest's entries."""
    listed = {e.file: e for e in entries}
    return CollectionCheck(
        manifest,
        listed=len(listed),
        present=len(present),
        missing=sorted(set(listed) - set(present)),
        extra=sorted(set(present) - set(listed)),
        changed=[
            Changed(name, listed[name].sha256, digest)
            for name, digest in sorted(present.items())
            if name in listed and listed[name].sha256 and listed[name].sha256 != digest
        ],
    )


def check_raw(manifest: Path, present: Mapping[str, str]) -> CollectionCheck:
    """raw/ (name -> sha256) against the manifest at its path; an absent or unreadable manifest
    is said, not fatal (a scratch raw/ folder has none)."""
    if not manifest.is_file():
        return CollectionCheck(
            manifest,
            present=len(present),
            problem=f"no manifest at {manifest}: raw/ was not checked against one",
        )
    try:
        entries = read_manifest(manifest)
    except (ManifestError, OSError, UnicodeDecodeError, csv.Error) as err:
        return CollectionCheck(
            manifest, present=len(present), problem=f"manifest unreadable: {err}"
        )
    return check_collection(manifest, entries, present)


def updated(entry: Entry, size: int, sha256: str) -> Entry:
    """The entry with a size and sha256 recorded (when it had none)."""
    return replace(entry, bytes=entry.bytes or size, sha256=entry.sha256 or sha256)


# --- what a report says about itself ----------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What the pipeline's own reader finds in a report's front matter."""

    date_issued: str = ""
    symbols: tuple[str, ...] = ()
    text_layer: str = ""  # yes, partly, no (a scan); empty for text files
    problem: str = ""  # why it could not be read (a scan without an OCR snapshot)


def read_reports(paths: list[Path], settings) -> dict[Path, Reading]:
    """The front matter of each report, read as a run reads it (in a child process, within the
    settings' limits) but never by OCR: a scan is read from its OCR snapshot or not at all."""
    from pipeline.read.errors import ReportError
    from pipeline.read.isolated import IsolatedReader

    options = replace(settings.read_options(), max_ocr_pages=0)
    out = {}
    with IsolatedReader(settings.report_memory_mb, settings.report_seconds) as reader:
        for path in paths:
            try:
                doc = reader.read(path, options)
            except ReportError as err:
                out[path] = Reading(problem=err.problem)
                continue
            layer = ""
            if doc.pages:
                layer = (
                    "no"
                    if len(doc.ocr_pages) == doc.pages
                    else "partly"
                    if doc.ocr_pages
                    else "yes"
                )
            out[path] = Reading(doc.metadata.date_issued or "", doc.metadata.symbols, layer)
    return out


def needs_ocr(reading: Reading) -> bool:
    """Whether a report was left unread because pages without a text layer need OCR."""
    return "no text layer" in reading.problem


def entry_for(
    path: Path,
    symbols: tuple[str, ...],
    reading: Reading,
    sha256: str,
    mission: str = "",
    mission_name: str = "",
    notes: tuple[str, ...] = (),
) -> Entry:
    """A manifest entry for a file in hand: its date from the front matter, else the symbol's
    year (marked), its official URLs, its size and sha256."""
    notes = list(notes)
    date, source = reading.date_issued, "front matter" if reading.date_issued else ""
    if not date and (year := symbol_year(symbols)):
        date, source = year, "symbol year"
    if reading.problem and needs_ocr(reading):
        notes.append(
            "pages without a text layer and no OCR snapshot of them: not read (never OCR'd "
            "for the manifest)"
        )
    elif reading.problem:
        notes.append(f"not read: {reading.problem}")
    elif not reading.date_issued:
        notes.append("no date of issue found in the front matter")
    if other := [s for s in reading.symbols if s not in symbols]:
        notes.append(f"the front matter prints {' '.join(other)}")
    return Entry(
        file=path.name,
        symbols=SEPARATOR.join(symbols),
        mission=mission,
        mission_name=mission_name,
        date_issued=date,
        date_source=source,
        url=official_urls(symbols),
        bytes=path.stat().st_size,
        sha256=sha256,
        text_layer=reading.text_layer,
        note="; ".join(notes),
    )

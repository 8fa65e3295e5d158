"""Scans and their OCR snapshots: which PDFs need OCR, whether each snapshot is intact, and
making one again with Tesseract when asked (`indicators ocr`). Never run by a read: a read
uses the snapshot when it is intact (pipeline.read.ocr)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.read.errors import ReportError
from pipeline.read.ingest import read_regular_file
from pipeline.read.ocr import (
    DamagedSnapshot,
    load_snapshot,
    ocr_with_tesseract,
    snapshot_path,
    write_snapshot,
)

# What a PDF's snapshot is, in the order a reader cares about.
NOT_A_SCAN, INTACT, MISSING, DAMAGED = "not a scan", "intact", "missing", "damaged"


@dataclass(frozen=True)
class ScanStatus:
    """One PDF: its pages without a text layer and the state of its OCR snapshot."""

    file: str
    pages: int
    scan_pages: tuple[int, ...]  # 1-based pages without a text layer
    snapshot: str  # the snapshot's file name ('' for a PDF that needs none)
    state: str  # NOT_A_SCAN, INTACT, MISSING or DAMAGED
    tesseract: str = ""  # the version that made the snapshot, when it says
    problem: str = ""  # why a damaged snapshot cannot be used

    @property
    def ok(self) -> bool:
        """Whether a read needs no Tesseract: no scan, or its snapshot is intact."""
        return self.state in (NOT_A_SCAN, INTACT)


def _open(path: Path, max_bytes: int | None):
    """The PDF's bytes and PDFium document; ReportError when it is no readable PDF."""
    import pypdfium2 as pdfium

    data = read_regular_file(path, max_bytes)
    try:
        return data, pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise ReportError(path, f"not a readable PDF ({err})") from None


def pages_without_text(pdf) -> list[int]:
    """0-based numbers of the pages with no text layer: the ones a read OCRs (as read_pdf)."""
    missing = []
    for i in range(len(pdf)):
        page = pdf[i]
        textpage = page.get_textpage()
        try:
            if not textpage.get_text_range().strip():
                missing.append(i)
        finally:
            textpage.close()
            page.close()
    return missing


def scan_status(path: Path, cache: Path, max_bytes: int | None = None) -> ScanStatus:
    """Whether the PDF needs OCR and the state of its snapshot in `cache`."""
    data, pdf = _open(path, max_bytes)
    try:
        count, missing = len(pdf), pages_without_text(pdf)
    finally:
        pdf.close()
    return _status(path.name, count, missing, snapshot_path(cache, data))


def _status(name: str, count: int, missing: list[int], cached: Path) -> ScanStatus:
    """The status of one PDF given its pages without text and where its snapshot belongs."""
    scan = tuple(i + 1 for i in missing)
    if not missing:
        return ScanStatus(name, count, scan, "", NOT_A_SCAN)
    if not cached.exists():
        return ScanStatus(name, count, scan, cached.name, MISSING)
    try:
        snapshot = load_snapshot(cached)
    except DamagedSnapshot as err:
        return ScanStatus(name, count, scan, cached.name, DAMAGED, problem=str(err))
    if sorted(snapshot.lines) != missing:
        # A read would take its pages as they are: a snapshot of other pages is no use.
        problem = f"holds pages {_pages(snapshot.lines)}, not the scan's {_pages(missing)}"
        return ScanStatus(name, count, scan, cached.name, DAMAGED, snapshot.tesseract, problem)
    return ScanStatus(name, count, scan, cached.name, INTACT, snapshot.tesseract)


def _pages(indexes) -> str:
    """0-based page indexes as the 1-based numbers people read."""
    return ", ".join(str(i + 1) for i in sorted(indexes)) or "none"


def refresh_snapshot(path: Path, cache: Path, max_bytes: int | None = None) -> ScanStatus:
    """OCR the PDF's pages without text again with Tesseract and replace its snapshot: the
    old one stays until the new OCR of every page has succeeded (EnvironmentProblem when
    Tesseract is missing). A PDF with a text layer on every page is left alone."""
    data, pdf = _open(path, max_bytes)
    try:
        count, missing = len(pdf), pages_without_text(pdf)
        cached = snapshot_path(cache, data)
        if missing:
            write_snapshot(cached, ocr_with_tesseract(path, pdf, missing))
    finally:
        pdf.close()
    return _status(path.name, count, missing, cached)

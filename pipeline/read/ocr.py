"""OCR for pages without a text layer: Tesseract through pytesseract, cached by the file's sha256.

pytesseract is a thin wrapper over the `tesseract` program (Debian package `tesseract-ocr`):
nothing to compile, and its TSV output gives each word's box, from which lines get the
position and size that the layout rules need. (ocrmypdf would rewrite the whole PDF through
Ghostscript; tesserocr needs Tesseract's C++ headers to build.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.read.errors import EnvironmentProblem, ReportError
from pipeline.read.layout import Line
from pipeline.read.options import DEFAULT, ReadOptions

log = logging.getLogger("pipeline.ocr")
DPI = 300  # typewritten 1990s pages read almost without error at 300 dpi, poorly at 150
CACHE_VERSION = f"tesseract-{DPI}dpi-1"
INSTALL_HINT = "install Tesseract (Debian/Ubuntu: apt-get install -y tesseract-ocr)"


def snapshot_path(cache: Path, data: bytes) -> Path:
    """Where the OCR snapshot of a PDF's bytes is kept: by its sha256 and the engine's version."""
    return cache / f"{hashlib.sha256(data).hexdigest()}.{CACHE_VERSION}.json"


def _content_sha256(pages: dict) -> str:
    return hashlib.sha256(
        json.dumps(pages, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()


class DamagedSnapshot(ValueError):
    """A snapshot that cannot be used: unreadable, or its content no longer matches its sha256."""


@dataclass(frozen=True)
class Snapshot:
    """An intact OCR snapshot: its pages' lines and the Tesseract version that made them."""

    lines: dict[int, list[Line]]
    tesseract: str


def load_snapshot(cached: Path) -> Snapshot:
    """The snapshot in `cached`, verified by its content's sha256; DamagedSnapshot otherwise."""
    try:
        stored = json.loads(cached.read_text(encoding="utf-8"))
        pages = stored["pages"]
        if stored.get("content_sha256") != _content_sha256(pages):
            raise DamagedSnapshot("does not match its recorded sha256 (edited or damaged)")
        lines = {int(k): [Line(**li) for li in v] for k, v in pages.items()}
        return Snapshot(lines, str(stored.get("tesseract") or "unknown"))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
        if isinstance(err, DamagedSnapshot):
            raise
        raise DamagedSnapshot("is unreadable") from None


def snapshot_source(cached: Path, tesseract: str) -> str:
    """Where a scan's text came from, the same on every machine: the snapshot by its folder's
    and file's names (never an absolute path) and the Tesseract version that made it."""
    return f"snapshot {cached.parent.name}/{cached.name}, tesseract {tesseract}"


def read_snapshot(path: Path, cached: Path) -> dict[int, list[Line]] | None:
    """The OCR snapshot's lines when it is intact; a damaged or edited one is reported by name
    and ignored (the scan is read again)."""
    snapshot = _usable_snapshot(path, cached)
    return None if snapshot is None else snapshot.lines


def _usable_snapshot(path: Path, cached: Path) -> Snapshot | None:
    """The intact snapshot, or None (a damaged one logged by name: the scan is read again)."""
    if not cached.exists():
        return None
    try:
        return load_snapshot(cached)
    except DamagedSnapshot as err:
        log.warning("%s: OCR snapshot %s %s; reading the scan again", path.name, cached, err)
        return None


def write_snapshot(cached: Path, out: dict[int, list[Line]]) -> str:
    """Write an OCR snapshot with the sha256 of its content (atomically); the Tesseract
    version it records."""
    pages = {str(k): [li.__dict__ for li in v] for k, v in sorted(out.items())}
    version = tesseract_version()
    record = {
        "engine": CACHE_VERSION,
        "tesseract": version,
        "content_sha256": _content_sha256(pages),
        "pages": pages,
    }
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(
        json.dumps(record, ensure_ascii=False, sort_keys=True, indent=0) + "\n", encoding="utf-8"
    )
    os.replace(tmp, cached)
    return version


def tesseract_version() -> str:
    """The Tesseract program's version ('5.3.0'), recorded with each snapshot it made."""
    import pytesseract

    try:
        return str(pytesseract.get_tesseract_version())
    except (OSError, RuntimeError, pytesseract.TesseractNotFoundError):
        return "unknown"


def tesseract_available() -> bool:
    """Whether the tesseract program is on PATH."""
    return shutil.which("tesseract") is not None


def ocr_pages(
    path: Path, pdf, pages: list[int], data: bytes, options: ReadOptions = DEFAULT
) -> tuple[dict[int, list[Line]], str]:
    """Lines of the given pages (0-based) by OCR, from the snapshot when this file was read
    before (verified by its sha256), and where they came from (`snapshot_source`)."""
    cached = snapshot_path(options.ocr_cache, data) if options.ocr_cache else None
    if cached and (snapshot := _usable_snapshot(path, cached)) is not None:
        return snapshot.lines, snapshot_source(cached, snapshot.tesseract)
    if len(pages) > options.max_ocr_pages:
        raise EnvironmentProblem(
            path,
            f"{len(pages)} pages have no text layer, over the limit of "
            f"{options.max_ocr_pages} pages to OCR per file "
            "(INDICATORS_MAX_OCR_PAGES)",
        )
    out = ocr_with_tesseract(path, pdf, pages)
    if not cached:
        return out, f"tesseract {tesseract_version()}, read now"
    # The text is now the snapshot's: later reads, here or elsewhere, say the same.
    return out, snapshot_source(cached, write_snapshot(cached, out))


def ocr_with_tesseract(path: Path, pdf, pages: list[int]) -> dict[int, list[Line]]:
    """Lines of the given pages (0-based) read by Tesseract now, never from a snapshot."""
    if not tesseract_available():
        raise EnvironmentProblem(
            path,
            f"{len(pages)} page(s) have no text layer (a scan) and the "
            f"tesseract program is missing: {INSTALL_HINT}",
        )
    out: dict[int, list[Line]] = {}
    started = time.perf_counter()
    for n, i in enumerate(pages, 1):
        out[i] = _ocr_page(path, pdf, i)
        elapsed = time.perf_counter() - started
        log.info(
            "OCR %s: page %d/%d, %.0f s, about %.0f s left",
            path.name,
            n,
            len(pages),
            elapsed,
            elapsed / n * (len(pages) - n),
        )
    return out


def _ocr_page(path: Path, pdf, index: int) -> list[Line]:
    """One page rendered at DPI and read by Tesseract into lines with position and size."""
    import pytesseract

    page = pdf[index]
    try:
        image = page.render(scale=DPI / 72, grayscale=True).to_pil()
    finally:
        page.close()
    try:
        data = pytesseract.image_to_data(
            image, lang="eng", config="--psm 3", output_type=pytesseract.Output.DICT
        )
    except pytesseract.TesseractError as err:
        raise ReportError(path, f"OCR of page {index + 1} failed ({err})") from None
    return lines_from_tsv(data, index, image.width, image.height)


def lines_from_tsv(data: dict, page: int, width: int, height: int) -> list[Line]:
    """Group Tesseract's words into lines; a line's size is its median word height in points."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= 0:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            groups.setdefault(key, []).append(i)
    lines = []
    for idx in groups.values():
        words = [data["text"][i] for i in idx]
        heights = sorted(data["height"][i] for i in idx)
        top = min(data["top"][i] for i in idx)
        left = min(data["left"][i] for i in idx)
        right = max(data["left"][i] + data["width"][i] for i in idx)
        size = heights[len(heights) // 2] * 72 / DPI / 0.7  # cap height is ~0.7 of the size
        lines.append(
            Line(" ".join(words), page, top / height, round(size, 1), left / width, right / width)
        )
    # Blocks come in layout order already; within a page, read top to bottom.
    return lines

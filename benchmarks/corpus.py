"""Read, structure and extract the whole corpus (../shared/corpus/pdf) and print figures.

Reports per second, time reading vs structuring vs extracting, OCR pages and time, peak memory,
the audit totals, and the floor of the work: PDFium alone extracting the same text layers.

    .venv/bin/python benchmarks/corpus.py [CORPUS_DIR] [--no-ocr]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.audit import audit_file, totals
from pipeline.extract.metrics import extract
from pipeline.extract.structure import parse
from pipeline.read.errors import ReportError
from pipeline.read.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent


def floor(files: list[Path]) -> float:
    """Seconds PDFium alone needs to extract every page's text layer."""
    started = time.perf_counter()
    for f in files:
        pdf = pdfium.PdfDocument(f)
        for page in pdf:
            page.get_textpage().get_text_range()
        pdf.close()
    return time.perf_counter() - started


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus" / "pdf"
    files = sorted(corpus.glob("*.pdf"))
    text_layer = [
        f
        for f in files
        if any(p.get_textpage().get_text_range().strip() for p in pdfium.PdfDocument(f))
    ]
    if "--no-ocr" in sys.argv:
        files = text_layer
    read = extracting = ocr_seconds = 0.0
    ocr_pages = 0
    read_text_layer = 0.0
    for f in files:
        t0 = time.perf_counter()
        try:
            doc = ingest(f)
        except ReportError:
            continue
        t1 = time.perf_counter()
        try:
            extract(parse(doc))
        except ReportError:  # no numbered paragraphs, and not an addendum
            pass
        read += t1 - t0
        extracting += time.perf_counter() - t1
        if doc.ocr_pages:
            ocr_pages += len(doc.ocr_pages)
            ocr_seconds += t1 - t0
        else:
            read_text_layer += t1 - t0
    total = read + extracting
    pdfium_floor = floor(text_layer)
    audit = totals([audit_file(f) for f in files])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reports: {len(files)} ({len(text_layer)} with a text layer)")
    print(f"total: {total:.1f} s, {len(files) / total:.1f} reports/s")
    print(
        f"reading: {read:.1f} s (text layers {read_text_layer:.1f} s; OCR {ocr_seconds:.1f} s "
        f"for {ocr_pages} pages{', cached' if ocr_pages and ocr_seconds < ocr_pages else ''})"
    )
    print(f"structure and extraction: {extracting:.1f} s")
    print(
        f"floor, PDFium alone on the text layers: {pdfium_floor:.1f} s; our reading "
        f"{read_text_layer / max(pdfium_floor, 1e-9):.2f}x that"
    )
    print(f"peak memory: {peak:.0f} MiB")
    print("audit:", " ".join(f"{k}={v}" for k, v in audit.items()))


if __name__ == "__main__":
    main()

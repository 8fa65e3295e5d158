"""Reading text-layer PDFs: our reader against its floor, PDFium alone extracting the same text.

Both run in this one process over the same files, alternately, so machine load hits both.

    .venv/bin/python benchmarks/reading.py [CORPUS_DIR] [--rounds N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.read.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent


def floor(path: Path) -> None:
    """What any reader must do: open the PDF and extract every page's text."""
    pdf = pdfium.PdfDocument(path)
    for page in pdf:
        page.get_textpage().get_text_range()
    pdf.close()


def main() -> None:
    argv = sys.argv[1:]
    rounds = 3
    if "--rounds" in argv:
        i = argv.index("--rounds")
        rounds = int(argv[i + 1])
        del argv[i : i + 2]
    args = argv
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus" / "pdf"
    files = [
        f
        for f in sorted(corpus.glob("*.pdf"))
        if any(p.get_textpage().get_text_range().strip() for p in pdfium.PdfDocument(f))
    ]
    best_floor = best_ours = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for f in files:
            floor(f)
        best_floor = min(best_floor, time.perf_counter() - t)
        t = time.perf_counter()
        for f in files:
            ingest(f)
        best_ours = min(best_ours, time.perf_counter() - t)
    print(f"{len(files)} text-layer PDFs, best of {rounds} rounds")
    print(f"PDFium alone (open, extract text): {best_floor:.2f} s")
    print(
        f"our reader (layout, furniture, reflow, normalise, metadata, sha256): "
        f"{best_ours:.2f} s = {best_ours / best_floor:.2f}x the floor"
    )


if __name__ == "__main__":
    main()

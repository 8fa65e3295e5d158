"""How reading and extracting cost grows with a report's size: ordinary report text (the real
UNMIT and UNODC paragraphs, renumbered) at 1, 4 and 16 MB, and one paragraph of 1 MB.
Prints seconds and seconds per MB; asserts nothing.

    .venv/bin/python benchmarks/scaling.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.build import process_document  # noqa: E402
from pipeline.extract.structure import parse  # noqa: E402
from pipeline.read.ingest import ingest  # noqa: E402
from pipeline.settings import Settings  # noqa: E402


def paragraphs() -> list[str]:
    """Real numbered paragraphs' text, from the report in raw/."""
    doc = ingest(ROOT / "raw" / "unodc-activities-report-2021.txt")
    return [p.text for p in parse(doc).paragraphs]


def report(size_mb: float, texts: list[str]) -> str:
    """A report of about size_mb MB: the paragraphs repeated, numbered 1, 2, 3, ..."""
    out, n, size = ["Activities report\n\n"], 0, 0
    while size < size_mb * 2**20:
        for text in texts:
            n += 1
            line = f"{n}. {text}\n\n"
            out.append(line)
            size += len(line)
    return "".join(out)


def main() -> None:
    texts = paragraphs()
    settings = Settings.from_env(max_paragraph_chars=10**9, max_file_mb=10**4)
    print("size    seconds  s/MB   (ingest, structure, extract; one process)")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (1, 4, 16):
            path = Path(tmp) / f"report-{size}mb.txt"
            path.write_text(report(size, texts), encoding="utf-8")
            started = time.perf_counter()
            tables = process_document(path, settings)
            seconds = time.perf_counter() - started
            mb = path.stat().st_size / 2**20
            print(
                f"{mb:5.1f} MB {seconds:7.1f} {seconds / mb:6.2f}   "
                f"{len(tables.rows['metrics'])} metrics"
            )
        path = Path(tmp) / "one-paragraph.txt"
        path.write_text("1. " + " ".join(texts * 200)[: 2**20] + "\n", encoding="utf-8")
        started = time.perf_counter()
        try:
            process_document(path, Settings.from_env())
            outcome = "read"
        except Exception as err:  # noqa: BLE001
            outcome = f"refused: {err}"
        print(f"one 1 MB paragraph: {time.perf_counter() - started:.1f} s, {outcome}")


if __name__ == "__main__":
    main()

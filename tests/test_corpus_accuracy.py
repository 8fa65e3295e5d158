"""Accuracy floors on the blind-annotated corpus reports (tests/data/corpus_gold/).

The floors are the scores measured when the extraction rules of issue 10 were finished, minus
0.005; see tests/data/corpus_gold/README.md for the first, blind scores. A report whose PDF
is not available (no ../shared/corpus) or cannot be read here (a scan without OCR) is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract.evaluate import evaluate_corpus_report
from pipeline.read.errors import ReportError
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "corpus_gold"
PDFS = ROOT.parent / "shared" / "corpus" / "pdf"
OPTIONS = Settings.from_env().read_options()  # scans from the committed OCR snapshots (ocr/)

# report: (value F1, strict F1) as measured; the test allows 0.005 below
FLOORS = {
    "ONUSAL_S_1994_375": (1.000, 0.929),
    "UNMOT_S_1997_415": (0.976, 0.976),
    "UNMIBH_S_1997_224": (1.000, 0.943),
    "UNMIBH_S_2001_1132": (1.000, 0.965),
    "MINUSTAH_S_2006_592": (1.000, 0.943),
    "MINUSTAH_S_2015_667": (1.000, 0.928),
}


@pytest.mark.parametrize("stem", sorted(FLOORS))
def test_corpus_report_accuracy_floor(stem: str) -> None:
    if not (PDFS / f"{stem}.pdf").exists():
        pytest.skip("corpus PDFs not available")
    try:
        scores = evaluate_corpus_report(GOLD / f"{stem}.jsonl", PDFS, OPTIONS)
    except ReportError as err:
        pytest.skip(f"not readable here: {err}")
    f1, strict = FLOORS[stem]
    assert scores.f1 >= f1 - 0.005, scores
    assert scores.strict_f1 >= strict - 0.005, scores

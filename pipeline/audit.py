"""Audit: how well a batch of reports reads (pages, OCR, numbering, furniture left, metrics)."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.dataset.tables import DocumentTables
from pipeline.dataset.validate import validate_document
from pipeline.extract.metrics import extract
from pipeline.extract.structure import parse
from pipeline.read.errors import ReportError
from pipeline.read.ingest import SUPPORTED_SUFFIXES, ingest
from pipeline.read.options import DEFAULT, ReadOptions
from pipeline.rows import to_rows

# Page furniture as it shows up when left inside prose: job numbers with a language code and
# date stamp, "/..." continuation marks, running heads, barcodes.
FURNITURE_IN_TEXT = {
    "job number": re.compile(r"\b\d{2}-\d{5}\s*\([A-Z]\)"),
    "date stamp": re.compile(r"\([A-Z]\)\s+\d{6}\b"),
    "continuation mark": re.compile(r"(?<!\w)/\s?\.\s?\.\s?\.(?!\w)"),
    "running head": re.compile(r"\bEnglish\s+Page\s+\d+\b|\b[A-Z]/\d{4}/\d+\s+English\b"),
    "barcode": re.compile(r"\*\d{7,}\*"),
}


@dataclass
class DocumentAudit:
    """How one report read."""

    file: str
    status: str = "ok"  # ok | failed
    error: str = ""
    pages: int | None = None
    ocr_pages: int = 0
    paragraphs: int = 0
    numbering_gaps: int = 0
    numbering_repeats: int = 0
    furniture: int = 0
    furniture_examples: list[str] = field(default_factory=list)
    words: int = 0
    metrics: int = 0
    metrics_per_1000_words: float = 0.0
    quarantined: int = 0
    offset_quarantined: int = 0
    warnings: int = 0
    seconds: float = 0.0


def numbering_problems(numbers: list[int]) -> tuple[int, int]:
    """Gaps (missing numbers) and repeats (numbers not above the previous) in a sequence."""
    gaps = repeats = 0
    previous = 0
    for n in numbers:
        if n <= previous:
            repeats += 1
            continue
        gaps += n - previous - 1
        previous = n
    return gaps, repeats


def furniture_in(text: str) -> list[str]:
    """Snippets of page furniture found in a paragraph's text."""
    found = []
    for name, pattern in FURNITURE_IN_TEXT.items():
        for m in pattern.finditer(text):
            found.append(f"{name}: …{text[max(m.start() - 20, 0) : m.end() + 20]}…")
    return found


def audit_file(path: Path, options: ReadOptions = DEFAULT) -> DocumentAudit:
    """Read, parse, extract and validate one report and say how it went; never raises."""
    started = time.perf_counter()
    result = DocumentAudit(path.name)
    try:
        doc = ingest(path, options)
        structure = parse(doc)
        metrics = extract(structure)
        rows = to_rows(doc, structure, metrics)
        validated = validate_document(DocumentTables(doc.document_id, doc.sha256, rows, doc.text))
    except ReportError as err:
        result.status, result.error = "failed", str(err)
    except Exception as err:  # noqa: BLE001 - an audit reports every failure, whatever it is
        result.status, result.error = "failed", f"{path.name}: {type(err).__name__}: {err}"
    else:
        result.pages = doc.pages
        result.ocr_pages = len(doc.ocr_pages)
        result.paragraphs = len(structure.paragraphs)
        result.numbering_gaps, result.numbering_repeats = numbering_problems(
            [p.number for p in structure.paragraphs]
        )
        for p in structure.paragraphs:
            result.furniture_examples += furniture_in(p.text)
        result.furniture = len(result.furniture_examples)
        result.furniture_examples = result.furniture_examples[:5]
        result.words = sum(len(p.text.split()) for p in structure.paragraphs)
        result.metrics = len(validated.frames["metrics"])
        result.metrics_per_1000_words = round(1000 * result.metrics / max(result.words, 1), 1)
        failures = validated.failures
        result.quarantined = validated.failed_rows
        result.offset_quarantined = (
            int((failures["check_name"] == "quote_is_source_text").sum()) if len(failures) else 0
        )
        result.warnings = len(structure.warnings)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def report_files(paths: list[Path]) -> list[Path]:
    """The report files named, folders expanded to the reports they hold, sorted."""
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
            )
        else:
            out.append(p)
    return out


def totals(audits: list[DocumentAudit]) -> dict:
    """The batch in one row: sums, and the share of reports that read cleanly."""
    ok = [a for a in audits if a.status == "ok"]
    words = sum(a.words for a in ok)
    metrics = sum(a.metrics for a in ok)
    return {
        "reports": len(audits),
        "failed": len(audits) - len(ok),
        "pages": sum(a.pages or 0 for a in ok),
        "ocr_pages": sum(a.ocr_pages for a in ok),
        "paragraphs": sum(a.paragraphs for a in ok),
        "without_paragraphs": sum(a.paragraphs == 0 for a in ok),
        "numbering_gaps": sum(a.numbering_gaps for a in ok),
        "numbering_repeats": sum(a.numbering_repeats for a in ok),
        "furniture": sum(a.furniture for a in ok),
        "metrics": metrics,
        "metrics_per_1000_words": round(1000 * metrics / max(words, 1), 1),
        "quarantined": sum(a.quarantined for a in ok),
        "offset_quarantined": sum(a.offset_quarantined for a in ok),
        "warnings": sum(a.warnings for a in ok),
        "seconds": round(sum(a.seconds for a in audits), 1),
    }


def as_rows(audits: list[DocumentAudit]) -> list[dict]:
    """Plain dicts, examples joined, for CSV and JSON."""
    rows = []
    for a in audits:
        row = asdict(a)
        row["furniture_examples"] = " | ".join(a.furniture_examples)
        rows.append(row)
    return rows

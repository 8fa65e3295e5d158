"""Scans read once, for everyone: `indicators ocr` over the committed snapshots in ocr/, and
each scan's provenance in the documents table."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.extract.metrics import extract
from pipeline.extract.structure import parse
from pipeline.read.errors import EnvironmentProblem
from pipeline.read.ingest import ingest
from pipeline.read.ocr import load_snapshot, snapshot_path, tesseract_available
from pipeline.read.options import ReadOptions
from pipeline.read.scans import DAMAGED, INTACT, MISSING, refresh_snapshot, scan_status
from pipeline.rows import document_row
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "ocr"
SCAN = ROOT / "tests" / "data" / "real" / "UNMOP_S_2002_713.pdf"  # 5 typewritten pages
TEXT_PDF = ROOT / "tests" / "data" / "real" / "UNMOT_S_1997_56.pdf"


def _ocr(*args: str, cache: Path | None = None):
    env = {"INDICATORS_OCR_CACHE": str(cache)} if cache else {}
    return CliRunner().invoke(app, ["ocr", *args], env=env)


def _copy_of_snapshots(tmp_path: Path) -> Path:
    cache = tmp_path / "ocr"
    shutil.copytree(SNAPSHOTS, cache)
    return cache


def test_check_passes_on_the_committed_snapshots_for_raw_and_the_real_scan():
    settings = Settings.from_env()
    result = _ocr("--check", str(settings.raw_dir), str(SCAN.parent), cache=SNAPSHOTS)
    assert result.exit_code == 0, result.output
    assert "UNMOP_S_2002_713.pdf" in result.output and "intact" in result.output
    assert "0 missing, 0 damaged" in result.output
    # raw/'s manifest is no PDF and is never opened
    assert "manifest" not in result.output


def test_every_pdf_in_raw_is_checked_by_default():
    result = _ocr("--check")
    assert result.exit_code == 0, result.output
    pdfs = [p for p in Settings.from_env().raw_dir.iterdir() if p.suffix == ".pdf"]
    assert result.output.splitlines()[-1].startswith(f"{len(pdfs)} PDFs")


def test_a_damaged_snapshot_is_reported_and_fails_the_check(tmp_path):
    cache = _copy_of_snapshots(tmp_path)
    snapshot = snapshot_path(cache, SCAN.read_bytes())
    snapshot.write_text(
        snapshot.read_text(encoding="utf-8").replace("observers", "observars", 1),
        encoding="utf-8",
    )
    status = scan_status(SCAN, cache)
    assert status.state == DAMAGED and "sha256" in status.problem
    result = _ocr("--check", str(SCAN), cache=cache)
    assert result.exit_code == 1
    assert "damaged" in result.output and "1 damaged" in result.output
    assert _ocr(str(SCAN), cache=cache).exit_code == 0  # without --check it only reports


def test_a_missing_snapshot_fails_the_check_and_a_text_pdf_needs_none(tmp_path):
    assert scan_status(SCAN, tmp_path).state == MISSING
    assert _ocr("--check", str(SCAN), cache=tmp_path).exit_code == 1
    text = scan_status(TEXT_PDF, tmp_path)
    assert text.ok and text.scan_pages == () and text.snapshot == ""
    assert _ocr("--check", str(TEXT_PDF), cache=tmp_path).exit_code == 0


def test_a_snapshot_of_other_pages_is_not_intact(tmp_path):
    cache = _copy_of_snapshots(tmp_path)
    snapshot = snapshot_path(cache, SCAN.read_bytes())
    record = json.loads(snapshot.read_text(encoding="utf-8"))
    del record["pages"]["4"]
    from pipeline.read.ocr import _content_sha256

    record["content_sha256"] = _content_sha256(record["pages"])
    snapshot.write_text(json.dumps(record), encoding="utf-8")
    status = scan_status(SCAN, cache)
    assert status.state == DAMAGED and "not the scan's" in status.problem


def test_a_scan_read_from_its_snapshot_names_it_in_the_documents_row():
    doc = ingest(SCAN, ReadOptions(ocr_cache=SNAPSHOTS))
    tesseract = load_snapshot(snapshot_path(SNAPSHOTS, SCAN.read_bytes())).tesseract
    name = snapshot_path(SNAPSHOTS, SCAN.read_bytes()).name
    assert doc.ocr_source == f"snapshot ocr/{name}, tesseract {tesseract}"
    structure = parse(doc)
    row = document_row(doc, structure, extract(structure))
    assert row["ocr_source"] == doc.ocr_source and row["ocr_pages"] == [1, 2, 3, 4, 5]
    assert "/work" not in row["ocr_source"] and str(ROOT) not in row["ocr_source"]
    text = ingest(TEXT_PDF, ReadOptions(ocr_cache=SNAPSHOTS))
    assert document_row(text, parse(text), [])["ocr_source"] is None


def test_the_validated_documents_row_of_a_scan_read_in_the_child_reader_keeps_its_source():
    """The way a run reads a PDF: in the isolated child process, then validated by pandera."""
    from pipeline.build import process_document
    from pipeline.dataset.validate import validate_document
    from pipeline.read.isolated import IsolatedReader

    settings = Settings.from_env(ocr_cache=str(SNAPSHOTS))
    with IsolatedReader(settings.report_memory_mb, settings.report_seconds) as reader:
        tables = process_document(SCAN, settings, reader)
    validated = validate_document(tables)
    assert validated.failed_rows == 0
    source = validated.frames["documents"]["ocr_source"].tolist()
    name = snapshot_path(SNAPSHOTS, SCAN.read_bytes()).name
    assert source == [f"snapshot ocr/{name}, tesseract 5.3.0"]  # as the snapshot records


def test_a_missing_snapshot_without_tesseract_fails_the_report_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert not tesseract_available()
    with pytest.raises(EnvironmentProblem, match="tesseract program is missing"):
        ingest(SCAN, ReadOptions(ocr_cache=tmp_path / "empty"))
    # --refresh fails the same way and leaves the intact snapshot as it was
    cache = _copy_of_snapshots(tmp_path)
    snapshot = snapshot_path(cache, SCAN.read_bytes())
    before = snapshot.read_bytes()
    result = _ocr("--refresh", str(SCAN), cache=cache)
    assert "tesseract program is missing" in result.output
    assert snapshot.read_bytes() == before


def _first_page(tmp_path: Path) -> Path:
    """A one-page PDF holding the real scan's first page: the smallest real scan."""
    import pypdfium2 as pdfium

    one = pdfium.PdfDocument.new()
    src = pdfium.PdfDocument(SCAN)
    one.import_pages(src, [0])
    out = tmp_path / "UNMOP_S_2002_713_page1.pdf"
    one.save(out)
    one.close()
    src.close()
    return out


@pytest.mark.slow
@pytest.mark.skipif(not tesseract_available(), reason="tesseract is not installed")
def test_refresh_remakes_a_snapshot_with_tesseract_into_the_given_folder(tmp_path):
    page = _first_page(tmp_path)
    cache = tmp_path / "cache"
    assert scan_status(page, cache).state == MISSING
    committed = sorted(p.name for p in SNAPSHOTS.iterdir())
    result = _ocr("--refresh", "--check", str(page), cache=cache)
    assert result.exit_code == 0, result.output
    status = scan_status(page, cache)
    assert status.state == INTACT and status.scan_pages == (1,)
    made = load_snapshot(cache / status.snapshot)
    assert made.tesseract not in ("", "unknown")
    # The same page OCR'd again reads as the committed snapshot's first page did.
    old = load_snapshot(snapshot_path(SNAPSHOTS, SCAN.read_bytes()))
    if old.tesseract == made.tesseract:
        assert made.lines[0] == old.lines[0]
    # A damaged snapshot is replaced by a whole one; the repository's ocr/ is never written.
    (cache / status.snapshot).write_text("{", encoding="utf-8")
    assert refresh_snapshot(page, cache).state == INTACT
    assert sorted(p.name for p in SNAPSHOTS.iterdir()) == committed
    assert not list(cache.glob("*.tmp*"))

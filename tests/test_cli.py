"""The indicators command, run as a user would."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the whole pipeline: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"
CLI = str(Path(sys.executable).parent / "indicators")
GOLD = ROOT / "gold" / "unodc-activities-report-2021.jsonl"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, cwd=ROOT)


def test_extract_jsonl_has_the_contract_fields_and_exact_provenance():
    out = _run("extract", str(REPORT), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    # Offsets point into the text as read (`indicators text`), the source the quotes come from.
    text = _run("text", str(REPORT)).stdout
    assert "$354 million" in text and "\\$354" not in text  # Markdown escape undone
    for r in records:
        for key in (
            "paragraph",
            "quote",
            "value",
            "value_max",
            "unit",
            "entity",
            "qualifier",
            "year",
            "document_id",
            "theme",
            "countries",
            "char_start",
            "char_end",
            "sentence",
        ):
            assert key in r
        assert text[r["char_start"] : r["char_end"]] == r["quote"]
    p37 = [r for r in records if r["paragraph"] == 37]
    assert p37 and all({c["iso3"] for c in r["countries"]} == {"BOL", "LAO", "MMR"} for r in p37)


def test_extract_names_the_file_when_it_is_bad(tmp_path):
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"")
    out = _run("extract", str(bad))
    assert out.returncode == 1 and "broken.txt: the file is empty" in out.stderr


def test_evaluate_meets_the_accuracy_bar():
    out = _run("evaluate", str(GOLD), "--doc", str(REPORT))
    assert out.returncode == 0, out.stderr
    scores = dict(kv.split("=") for kv in out.stdout.split())
    assert float(scores["strict_f1"]) >= 0.95 and float(scores["f1"]) >= 0.98
    assert float(scores["unit_acc"]) >= 0.97 and float(scores["qualifier_acc"]) >= 0.97
    assert float(scores["year_acc"]) >= 0.90


def test_parse_prints_paragraphs():
    out = _run("parse", str(REPORT))
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["paragraph"] for r in rows] == list(range(1, 132))
    assert rows[10]["section_title"].startswith("Improved monitoring")


def test_sql_reads_the_database(workspace, instance):
    from pipeline.orchestrate import run_in_process
    from pipeline.settings import Settings

    assert run_in_process(Settings.from_env(), instance=instance, workers=1).published
    out = _run(
        "sql", "select count(*) as n from paragraphs", "--db", str(Settings.from_env().db_path)
    )
    assert out.returncode == 0 and "131" in out.stdout


def test_accuracy_on_a_second_report_in_another_style():
    """A UN-style report written and annotated blind for testing (see tests/data/heldout)."""
    heldout = ROOT / "tests" / "data" / "heldout"
    out = _run(
        "evaluate",
        str(heldout / "un-style-report.jsonl"),
        "--doc",
        str(heldout / "un-style-report.txt"),
    )
    assert out.returncode == 0, out.stderr
    scores = dict(kv.split("=") for kv in out.stdout.split())
    assert float(scores["f1"]) >= 0.98
    assert float(scores["strict_f1"]) >= 0.87


def test_accuracy_on_a_converted_markdown_report():
    """A peacekeeping report in PDF-to-Markdown form, annotated blind (tests/data/heldout)."""
    heldout = ROOT / "tests" / "data" / "heldout"
    parsed = _run("parse", str(heldout / "peacekeeping-report.md"))
    assert [json.loads(line)["paragraph"] for line in parsed.stdout.splitlines()] == list(
        range(1, 42)
    )
    out = _run(
        "evaluate",
        str(heldout / "peacekeeping-report.jsonl"),
        "--doc",
        str(heldout / "peacekeeping-report.md"),
    )
    scores = dict(kv.split("=") for kv in out.stdout.split())
    assert float(scores["f1"]) >= 0.98
    assert float(scores["strict_f1"]) >= 0.90

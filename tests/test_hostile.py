"""Bounded and honest under hostile input (issue 20): limits on every report, checked caches,
settings that cannot destroy, failures that heal, queries that stop. Each case as an adversary
would try it, on a real run."""

from __future__ import annotations

import subprocess
import zlib
from pathlib import Path

import duckdb
import pytest
from workspace import CLI, cli_env

from pipeline.build import artifact_key, artifact_store, process_document
from pipeline.orchestrate import run_in_process
from pipeline.read.errors import EnvironmentProblem
from pipeline.read.ingest import ingest
from pipeline.settings import Settings

pytestmark = pytest.mark.slow  # runs the whole pipeline: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def _artifact_dir(ws: Path, settings: Settings) -> Path:
    key = artifact_key(
        ws / "raw" / REPORT.name, __import__("hashlib").sha256(REPORT.read_bytes()).hexdigest()
    )
    return Path(artifact_store(settings).root) / key.path


def _value(ws: Path, sql: str):
    con = duckdb.connect(str(ws / "published" / "indicators.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("damage", ["edit", "truncate", "delete", "manifest"])
def test_a_damaged_artifact_is_named_and_made_again(workspace, instance, damage):
    settings = Settings.from_env()
    first = run_in_process(settings, instance=instance)
    assert first.published
    metrics = _artifact_dir(workspace, settings) / "metrics.parquet"
    if damage == "edit":  # a valid Parquet file with one value changed
        import pyarrow.parquet as pq

        table = pq.read_table(metrics)
        values = table.column("value").to_pylist()
        values[0] = 999999.0
        pq.write_table(
            table.set_column(
                table.schema.get_field_index("value"), "value", __import__("pyarrow").array(values)
            ),
            metrics,
        )
    elif damage == "truncate":
        metrics.write_bytes(metrics.read_bytes()[:1000])
    elif damage == "manifest":  # planning only asks whether it exists; loading reads it
        manifest = metrics.with_name("manifest.json")
        manifest.write_bytes(manifest.read_bytes()[:40])
    else:
        metrics.unlink()
    (workspace / "published" / "indicators.duckdb").unlink()
    again = run_in_process(settings, instance=instance)
    assert again.published and again.exit_code == 0, again.errors
    if damage != "manifest":  # an unreadable manifest is an unfinished artifact: made again
        assert any("metrics.parquet" in n and "made again from raw/" in n for n in again.notes)
    assert _value(workspace, "select count(*) from metrics where value = 999999") == 0
    assert _value(workspace, "select count(*) from metrics") == first.rows["metrics"]


def test_an_edited_ocr_snapshot_is_not_used(tmp_path):
    from pipeline.read.ocr import read_snapshot, snapshot_path

    source = ROOT / "ocr"
    scan = ROOT / "tests" / "data" / "real" / "UNMOP_S_2002_713.pdf"
    snapshot = snapshot_path(source, scan.read_bytes())
    edited = tmp_path / snapshot.name
    edited.write_text(
        snapshot.read_text(encoding="utf-8").replace("observers", "observars", 1), encoding="utf-8"
    )
    assert read_snapshot(scan, snapshot) is not None
    assert read_snapshot(scan, edited) is None  # its content no longer matches its sha256


def test_a_published_folder_holding_other_files_is_refused(workspace, instance):
    precious = workspace / "published" / "data" / "precious.csv"
    precious.parent.mkdir(parents=True)
    precious.write_text("a,b\n1,2\n")
    (workspace / "published" / "README.md").write_text("mine\n")
    summary = run_in_process(Settings.from_env(), instance=instance)
    assert not summary.published and summary.exit_code == 1
    assert any("not a release of this pipeline" in e for e in summary.errors)
    assert precious.read_text() == "a,b\n1,2\n"
    assert (workspace / "published" / "README.md").read_text() == "mine\n"


def test_a_raw_folder_without_reports_publishes_nothing_unless_asked(workspace, instance):
    (workspace / "raw" / REPORT.name).unlink()
    (workspace / "raw" / "README").write_text("notes\n")
    refused = run_in_process(Settings.from_env(), instance=instance)
    assert not refused.published and "holds no report" in refused.errors[0]
    assert not (workspace / "published" / "datapackage.json").exists()
    allowed = run_in_process(Settings.from_env(allow_empty=True), instance=instance)
    assert allowed.published


def test_a_limit_fails_a_report_alone_and_is_not_remembered(workspace, instance):
    big = workspace / "raw" / "big.txt"
    big.write_text("".join(f"{n}. The Office trained 500 officials.\n" for n in range(1, 40001)))
    limited = run_in_process(Settings.from_env(max_file_mb=1), instance=instance)
    errors = {o.source_file: o.error for o in limited.failed_documents}
    assert "over the limit of 1 MB per file (INDICATORS_MAX_FILE_MB)" in errors["big.txt"]
    assert limited.published  # the other report is published
    again = run_in_process(Settings.from_env(), instance=instance)  # the limit raised
    assert "big.txt" not in {o.source_file for o in again.failed_documents}


def test_a_huge_paragraph_is_refused_by_its_limit(tmp_path):
    path = tmp_path / "numbers.txt"
    path.write_text(
        "1. The Office trained 500 officials.\n"
        + "The Office trained 500 officials in 57 States during the year.\n" * 20000
    )
    with pytest.raises(EnvironmentProblem, match="INDICATORS_MAX_PARAGRAPH_CHARS"):
        process_document(path, Settings.from_env(max_paragraph_chars=100_000))


def test_a_metric_sentence_is_cut_to_its_limit(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(
        "1. " + "The Office trained 500 officials in 57 States during the year; " * 300 + "\n"
    )
    tables = process_document(path, Settings.from_env(max_sentence_chars=200))
    sentences = [m["sentence"] for m in tables.rows["metrics"]]
    assert sentences and max(len(s) for s in sentences) == 200
    assert sentences[0].endswith("…")


def test_one_report_repeating_a_figure_never_blocks_a_release(workspace, instance):
    lines = [
        f"{n}. UNODC supported 11 countries in establishing drug prevention programmes."
        for n in range(1, 6001)
    ]
    (workspace / "raw" / "repeated.txt").write_text("\n".join(lines) + "\n")
    for _ in range(2):
        summary = run_in_process(Settings.from_env(), instance=instance)
        assert summary.published and summary.exit_code == 0, summary.errors


def test_control_characters_never_reach_the_text(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("1. The Office trained \x1b[31m500\x07 officials.\n")
    assert "\x1b" not in ingest(path).text and "\x07" not in ingest(path).text


def test_a_decompression_bomb_pdf_fails_alone_under_a_memory_limit(tmp_path):
    """A 4 MB PDF whose one content stream inflates to 4 GB: its reader dies alone."""
    ws = tmp_path / "ws"
    (ws / "raw").mkdir(parents=True)
    (ws / "raw" / REPORT.name).write_bytes(REPORT.read_bytes())
    _bomb(ws / "raw" / "bomb.pdf", 4 * 2**30)
    env = cli_env(ws, INDICATORS_REPORT_MEMORY_MB="1500")
    result = subprocess.run([CLI, "run"], capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "bomb.pdf" in result.stdout and "the reader stopped" in result.stdout
    assert (ws / "published" / "datapackage.json").exists()


def _bomb(path: Path, size: int) -> None:
    """A one-page PDF whose content stream is `size` bytes of spaces, deflated."""
    squeeze = zlib.compressobj(9)
    chunk = b" " * 2**24
    data = b"".join(squeeze.compress(chunk) for _ in range(size // len(chunk)))
    data += squeeze.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))


def test_a_query_stops_at_its_time_limit(workspace):
    env = cli_env(workspace)
    assert subprocess.run([CLI, "run"], capture_output=True, env=env, timeout=600).returncode == 0
    result = subprocess.run(
        [
            CLI,
            "sql",
            "select sum(hash(a.quote || b.quote || c.quote || d.quote)) "
            "from metrics a, metrics b, metrics c, metrics d",
            "--timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert "stopped after 1 s" in result.stderr and "Traceback" not in result.stderr


def test_a_text_file_named_as_the_database_gets_a_message(workspace):
    bogus = workspace / "not.duckdb"
    bogus.write_text("hello\n")
    result = subprocess.run(
        [CLI, "sql", "select 1", "--db", str(bogus)],
        capture_output=True,
        text=True,
        env=cli_env(workspace),
        timeout=120,
    )
    assert result.returncode == 1 and "not a DuckDB database" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_a_query_cleanly(workspace):
    import signal
    import time

    env = cli_env(workspace)
    assert subprocess.run([CLI, "run"], capture_output=True, env=env, timeout=600).returncode == 0
    query = (
        "select sum(hash(a.quote || b.quote || c.quote || d.quote)) "
        "from metrics a, metrics b, metrics c, metrics d"
    )
    proc = subprocess.Popen(
        [CLI, "sql", query, "--timeout", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "stopped (Ctrl-C)" in err and "Traceback" not in err


@pytest.mark.parametrize("damage", ["truncate", "version"])
def test_release_reads_the_version_from_the_history_not_a_damaged_descriptor(workspace, damage):
    env = cli_env(workspace, INDICATORS_RELEASE_FILE=str(workspace / "release.json"))
    assert subprocess.run([CLI, "run"], capture_output=True, env=env, timeout=600).returncode == 0
    descriptor = workspace / "published" / "datapackage.json"
    if damage == "truncate":
        descriptor.write_bytes(descriptor.read_bytes()[:100])
    else:
        descriptor.write_text(descriptor.read_text().replace('"1.0.0"', '"9.9.9"', 1))
    result = subprocess.run(
        [CLI, "release", "patch", "--no-tag", "--date", "2026-12-04"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "release 1.0.1 dated 2026-12-04" in result.stdout

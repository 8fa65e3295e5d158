"""Crashes, concurrent runs and duplicates: nothing lost, nothing half-published."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.dataset.checks import frictionless_errors
from pipeline.run import Settings, run_lock

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "indicators")
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def _env(ws: Path, **extra: str) -> dict:
    env = dict(os.environ, INDICATORS_RAW=str(ws / "raw"),
               INDICATORS_PUBLISHED=str(ws / "published"),
               INDICATORS_DB=str(ws / "published" / "indicators.duckdb"), DAGSTER_HOME=str(ROOT),
               INDICATORS_DAGSTER_STATE=str(ws / ".dagster"))
    env.pop("INDICATORS_KILL_AT", None)
    env.update(extra)
    return env


def _run(ws: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, "run", *args], cwd=ws, env=_env(ws, **extra),
                          capture_output=True, text=True, timeout=300)


def _documents(ws: Path) -> int:
    con = duckdb.connect(str(ws / "published" / "indicators.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from documents").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """A workspace after one good run (release 1.0.0)."""
    ws = tmp_path_factory.mktemp("released")
    (ws / "raw").mkdir()
    shutil.copy(REPORT, ws / "raw" / REPORT.name)
    result = _run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    return ws


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> Path:
    """A copy of the released workspace with a second report waiting in raw/."""
    copy = tmp_path / "ws"
    shutil.copytree(released, copy, ignore=shutil.ignore_patterns(".lock"))
    text = REPORT.read_text(encoding="utf-8").replace("over 5 million", "over 6 million")
    (copy / "raw" / "second-report.txt").write_text(text, encoding="utf-8")
    return copy


# Killed before the load commits, the database still holds one document; killed while
# writing files, the load has committed (two documents) but the release is the old one.
@pytest.mark.parametrize(("point", "stored"), [("extract", 1), ("load", 1), ("write", 2)])
def test_killed_run_leaves_the_previous_release_and_the_next_run_completes(ws, point, stored):
    before = (ws / "published" / "datapackage.json").read_bytes()
    killed = _run(ws, INDICATORS_KILL_AT=point)
    assert killed.returncode == -9
    assert (ws / "published" / "datapackage.json").read_bytes() == before
    assert frictionless_errors(ws / "published") == []
    assert _documents(ws) == stored
    again = _run(ws)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _documents(ws) == 2
    assert '"version": "1.1.0"' in (ws / "published" / "datapackage.json").read_text()
    assert frictionless_errors(ws / "published") == []
    assert not (ws / "published" / ".staging").exists()


def test_run_killed_while_swapping_files_is_rolled_forward(ws):
    killed = _run(ws, INDICATORS_KILL_AT="swap-data")
    assert killed.returncode == -9
    again = _run(ws)
    assert again.returncode == 0, again.stdout + again.stderr
    assert frictionless_errors(ws / "published") == []
    assert '"version": "1.1.0"' in (ws / "published" / "datapackage.json").read_text()


def test_second_run_at_the_same_time_exits_with_a_clear_message(ws, monkeypatch):
    for key, value in _env(ws).items():
        monkeypatch.setenv(key, value)
    with run_lock(Settings()):
        result = _run(ws, "--no-wait")
    assert result.returncode == 1
    assert "another run holds" in result.stdout + result.stderr
    assert _documents(ws) == 1


def test_same_content_under_two_names_is_reported_once_and_the_published_one_stays(ws):
    shutil.copy(REPORT, ws / "raw" / "a-copy-of-report.txt")  # sorts before the original
    result = _run(ws)
    assert result.returncode == 0, result.stdout
    assert "same content as" in result.stdout
    con = duckdb.connect(str(ws / "published" / "indicators.duckdb"), read_only=True)
    ids = {r[0] for r in con.execute("select document_id from documents").fetchall()}
    con.close()
    assert ids == {"unodc-activities-report-2021", "second-report"}


def test_exit_status_says_when_a_report_could_not_be_read(ws):
    (ws / "raw" / "broken.txt").write_bytes(b"")
    result = _run(ws)
    assert result.returncode == 2
    assert "broken.txt: the file is empty" in result.stdout
    assert _documents(ws) == 2

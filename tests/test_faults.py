"""Crashes, concurrent runs and duplicates: nothing lost, nothing half-published."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from workspace import cli_env, released_workspace

from pipeline.dataset.checks import frictionless_errors
from pipeline.lock import run_lock
from pipeline.settings import Settings

pytestmark = pytest.mark.slow  # real `indicators` processes: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "indicators")
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def _env(ws: Path, **extra: str) -> dict:
    return cli_env(ws, **{"INDICATORS_ARTIFACTS": str(ws / "artifacts"), **extra})


def _run(ws: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, "run", *args],
        cwd=ws,
        env=_env(ws, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _documents(ws: Path) -> int:
    con = duckdb.connect(str(ws / "published" / "indicators.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from documents").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """A workspace after one good run (release 1.0.0)."""
    return released_workspace(tmp_path_factory.mktemp("released"), _run)


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> Path:
    """A copy of the released workspace with a second report waiting in raw/."""
    copy = tmp_path / "ws"
    shutil.copytree(released, copy, ignore=shutil.ignore_patterns(".lock*"))
    _variant(copy, "second-report", 6)
    return copy


def _variant(ws: Path, name: str, millions: int) -> None:
    text = REPORT.read_text(encoding="utf-8").replace("over 5 million", f"over {millions} million")
    (ws / "raw" / f"{name}.txt").write_text(text, encoding="utf-8")


def _version(ws: Path) -> str:
    import json

    return json.loads((ws / "published" / "datapackage.json").read_text())["version"]


# Killed anywhere, in the parent or in a parallel worker (three new reports take the
# multiprocess path), the published release and database stay as they were (the database is
# built aside), the release is valid, and the next run completes.
@pytest.mark.parametrize(
    ("point", "new"),
    [
        ("extract", 1),
        ("artifact", 1),
        ("extract", 3),
        ("artifact", 3),
        ("load", 1),
        ("load", 3),
        ("write", 1),
        ("swap", 1),
    ],
)
def test_killed_run_leaves_the_previous_release_and_the_next_run_completes(ws, point, new):
    for k in range(1, new):
        _variant(ws, f"more-{k}", 20 + k)
    before = (ws / "published" / "datapackage.json").read_bytes()
    killed = _run(ws, "--workers", "2", INDICATORS_KILL_AT=point)
    assert frictionless_errors(ws / "published") == []
    if point == "artifact":
        # Killed just after writing an artifact: when several reports are read that is a
        # worker, and the parent finds every artifact and completes the release (or is killed
        # itself making one that a worker left undone).
        assert killed.returncode in (0, -9), killed.stdout + killed.stderr
    else:
        assert killed.returncode == -9, killed.stdout + killed.stderr
    if killed.returncode == -9:
        assert (ws / "published" / "datapackage.json").read_bytes() == before
        assert _documents(ws) == 1
    again = _run(ws, "--workers", "2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _documents(ws) == 1 + new
    assert _version(ws) == "1.1.0"
    assert frictionless_errors(ws / "published") == []
    assert not (ws / "published" / ".staging").exists()


@pytest.mark.parametrize("point", ["swap-data", "swap-db"])
def test_run_killed_while_swapping_is_rolled_forward(ws, point):
    killed = _run(ws, INDICATORS_KILL_AT=point)
    assert killed.returncode == -9
    again = _run(ws)
    assert again.returncode == 0, again.stdout + again.stderr
    assert frictionless_errors(ws / "published") == []
    assert _version(ws) == "1.1.0"
    assert _documents(ws) == 2


def test_second_run_at_the_same_time_exits_with_a_clear_message(ws, monkeypatch):
    for key, value in _env(ws).items():
        monkeypatch.setenv(key, value)
    with run_lock(Settings.from_env()):
        result = _run(ws, "--wait", "0")
    assert result.returncode == 1
    assert "another run holds" in result.stdout + result.stderr
    assert f"process {os.getpid()}" in result.stdout + result.stderr
    assert _documents(ws) == 1


def test_a_run_waits_for_the_lock_at_most_as_long_as_told(ws, monkeypatch):
    import time

    for key, value in _env(ws).items():
        monkeypatch.setenv(key, value)
    with run_lock(Settings.from_env()):
        started = time.monotonic()
        result = _run(ws, "--wait", "2")
        waited = time.monotonic() - started
    out = result.stdout + result.stderr
    assert result.returncode == 1 and waited < 60
    assert "waiting for the run lock" in out and f"held by process {os.getpid()}" in out
    assert "(at most 2 s)" in out


def test_readers_are_never_blocked_by_a_run(ws):
    """A reader holding the published database open does not stop a run, and sees the last
    release until the new one is swapped in."""
    reader = duckdb.connect(str(ws / "published" / "indicators.duckdb"), read_only=True)
    try:
        result = _run(ws)
        assert result.returncode == 0, result.stdout + result.stderr
        assert reader.execute("select count(*) from documents").fetchall()[0][0] == 1
    finally:
        reader.close()
    assert _documents(ws) == 2
    with run_lock(Settings.from_env(published=ws / "published")):  # a run holding the lock
        out = subprocess.run(
            [CLI, "sql", "select count(*) as n from documents"],
            cwd=ws,
            env=_env(ws),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 0 and "2" in out.stdout, out.stderr


def test_same_content_under_two_names_is_reported_once_and_the_published_one_stays(ws):
    shutil.copy(REPORT, ws / "raw" / "a-copy-of-report.txt")  # sorts before the original
    result = _run(ws)
    assert result.returncode == 0, result.stdout  # published; the copy set aside, and said
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


def test_a_pdf_the_reader_cannot_decode_fails_alone_and_the_good_report_is_published(ws):
    """Issue 12, item 4: a stream filter the reader does not implement."""
    pdfs = (
        sorted(Path("/work/shared/corpus/pdf").glob("*.pdf"))
        if Path("/work/shared/corpus/pdf").is_dir()
        else []
    )
    if not pdfs:
        pytest.skip("no corpus PDF here")
    data = pdfs[0].read_bytes()
    assert b"/FlateDecode" in data
    (ws / "raw" / "bad-filter.pdf").write_bytes(data.replace(b"/FlateDecode", b"/FlateDecodX", 1))
    result = _run(ws)
    # pypdfium2 may still read such a file's other streams; if it cannot, the report fails
    # alone, named, and the run publishes the others with exit status 2.
    assert result.returncode in (0, 2), result.stdout + result.stderr
    if result.returncode == 2:
        assert "bad-filter.pdf" in result.stdout
    assert _documents(ws) == (3 if result.returncode == 0 else 2)

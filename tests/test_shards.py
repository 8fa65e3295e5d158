"""Releases that grow with the change: one content-addressed file per report and table, only
the changed report's files written, old releases kept and queryable until `indicators gc`,
and a run killed while moving files in never leaves a descriptor naming a missing file."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from workspace import CLI, REPORT, ROOT, cli_env

from pipeline.dataset.checks import frictionless_errors
from pipeline.dataset.shards import resource_paths

pytestmark = pytest.mark.slow  # real `indicators` processes: make test, not make check

REAL = ROOT / "tests" / "data" / "real"
SMALL = ["UNMOT_S_1997_56.pdf", "UNMIBH_S_1997_224.pdf"]


def _cli(ws: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, *args], cwd=ws, env=cli_env(ws, **env), capture_output=True, text=True, timeout=600
    )


def _files(published: Path) -> dict[str, tuple[int, int]]:
    """Every data file with its inode and mtime."""
    return {
        p.relative_to(published).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in (published / "data").rglob("*")
        if p.is_file()
    }


def _named(published: Path, descriptor: str = "datapackage.json") -> set[str]:
    package = json.loads((published / descriptor).read_text(encoding="utf-8"))
    return {p for r in package["resources"] for p in resource_paths(r)}


@pytest.fixture
def ws(tmp_path):
    """A workspace released once with three reports (the UNODC report and two real PDFs)."""
    (tmp_path / "raw").mkdir()
    shutil.copy(REPORT, tmp_path / "raw" / REPORT.name)
    for name in SMALL:
        shutil.copy(REAL / name, tmp_path / "raw" / name)
    result = _cli(tmp_path, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path


def _change_one_report(ws: Path) -> None:
    """The UNODC report changed by one more sentence with a figure."""
    path = ws / "raw" / REPORT.name
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\nUNODC trained 321 prosecutors in 2021.\n",
        encoding="utf-8",
    )


def test_one_changed_report_writes_only_its_files_and_the_small_tables(ws):
    published = ws / "published"
    before = _files(published)
    _change_one_report(ws)
    result = _cli(ws, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    after = _files(published)
    new = sorted(set(after) - set(before))
    # Every new file is the changed report's or a table derived from all reports.
    derived = ("series", "series_revisions", "indicators", "series-sdmx", "evaluation")
    for path in new:
        table, name = path.split("/")[1:3]
        assert name.startswith("unodc-activities-report-2021-") or table in derived, path
    assert any(p.startswith("data/metrics/unodc-activities-report-2021-") for p in new)
    # The other reports' files kept their bytes, inode and mtime: nothing rewritten.
    for path, stamp in before.items():
        if "UNMOT_S_1997_56" in path or "UNMIBH_S_1997_224" in path:
            assert after[path] == stamp, path
    named = _named(published)
    assert all((published / p).is_file() for p in named)
    assert frictionless_errors(published) == []
    # What each report's rows were made from is said once, in x-artifacts, not per file.
    package = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    shards = [e for r in package["resources"] for e in r.get("x-shards", [])]
    assert shards and all("artifact" not in e for e in shards)
    assert {e["document_id"] for e in shards} <= set(package["x-artifacts"])


def test_old_releases_stay_queryable_until_collected(ws):
    published = ws / "published"
    for i in range(3):
        path = ws / "raw" / REPORT.name
        path.write_text(
            path.read_text(encoding="utf-8") + f"\n\nUNODC trained {100 + i} judges.\n",
            encoding="utf-8",
        )
        assert _cli(ws, "run").returncode == 0
    kept = sorted(p.name for p in (published / "releases").iterdir())
    assert kept == ["v1.0.0", "v1.0.1", "v1.0.2", "v1.0.3"]
    old = _cli(ws, "sql", "--release", "v1.0.0", "select count(*) from documents")
    assert old.returncode == 0 and "3" in old.stdout, old.stderr
    query = "select size_bytes from documents where source_file like 'unodc%'"
    size = (ws / "raw" / REPORT.name).stat().st_size
    assert f"│ {REPORT.stat().st_size} " in _cli(ws, "sql", "--release", "v1.0.0", query).stdout
    assert f"│ {size} " in _cli(ws, "sql", "--release", "v1.0.3", query).stdout
    current = _named(published)
    collected = _cli(ws, "gc", "--keep", "2")
    assert collected.returncode == 0, collected.stderr
    assert sorted(p.name for p in (published / "releases").iterdir()) == ["v1.0.2", "v1.0.3"]
    assert "removed: 1.0.0, 1.0.1" in collected.stdout
    gone = _cli(ws, "sql", "--release", "v1.0.0", "select 1")
    assert gone.returncode == 1 and "no release 1.0.0 kept" in gone.stderr
    # The kept releases' files are all there; the current release is untouched and valid.
    for descriptor in ("releases/v1.0.2/datapackage.json", "datapackage.json"):
        assert all((published / p).is_file() for p in _named(published, descriptor))
    assert _named(published) == current
    assert frictionless_errors(published) == []
    # Only files some kept release names remain.
    named = _named(published) | _named(published, "releases/v1.0.2/datapackage.json")
    assert set(_files(published)) == named
    # The release history in the state folder keeps only the kept releases' records (each
    # holds a descriptor), and the next release follows the last one.
    from pipeline.dataset.releases import history_dir

    history = history_dir(ws / ".dagster", published)
    versions = [
        json.loads(p.read_text(encoding="utf-8"))["version"] for p in history.glob("0*.json")
    ]
    assert sorted(versions) == ["1.0.2", "1.0.3"]
    _change_one_report(ws)
    after = _cli(ws, "run")
    assert after.returncode == 0 and "version 1.0.4" in after.stdout, after.stdout + after.stderr


@pytest.mark.parametrize("point", ["write", "swap-file", "swap-data", "swap"])
def test_a_run_killed_while_writing_files_never_breaks_the_release(ws, point):
    published = ws / "published"
    _change_one_report(ws)
    killed = _cli(ws, "run", INDICATORS_KILL_AT=point)
    assert killed.returncode != 0
    # Whatever was interrupted, the descriptor names only files that exist and it is valid.
    assert all((published / p).is_file() for p in _named(published))
    assert frictionless_errors(published) == []
    again = _cli(ws, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1.0.1" in json.loads((published / "datapackage.json").read_text())["version"]
    assert not (published / ".staging").exists()
    assert frictionless_errors(published) == []


def test_a_damaged_shard_is_found_and_rewritten_by_the_next_run(ws):
    published = ws / "published"
    shard = next(p for p in _named(published) if p.startswith("data/metrics/UNMOT_S_1997_56-"))
    (published / shard).write_bytes(b"damaged\n")
    os.utime(published / shard, ns=(1, 1))  # even with an old mtime: the size changed
    problems = frictionless_errors(published)
    assert any(shard in p for p in problems)
    repaired = _cli(ws, "run")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert frictionless_errors(published) == []


def test_the_runs_own_check_looks_again_at_the_files_it_moved_in(ws):
    """After the swap, the run's blocking check hashes again the files that run moved in (the
    others it found intact under the run lock just before); a check run outside that run
    (another run id) or without its record looks at every file."""
    from pipeline.dataset.publish import CHECKED, verify_run
    from pipeline.dataset.releases import history_dir
    from pipeline.dataset.staging import published_cache
    from pipeline.settings import Settings

    _change_one_report(ws)
    changed = _cli(ws, "run")
    assert changed.returncode == 0, changed.stdout + changed.stderr
    settings = Settings.from_env(cli_env(ws))
    history, published = history_dir(settings.state_dir, settings.published_dir), ws / "published"
    record = json.loads((history / CHECKED).read_text(encoding="utf-8"))
    written = sorted(record["written"])
    assert any(p.startswith("data/metrics/unodc") for p in written)
    assert not any("UNMOT" in p for p in written)  # unchanged report: taken over

    def check(run: str) -> list[str]:
        return verify_run(published, published_cache(history), history, run)

    assert check(record["run"]) == []
    taken = next(p for p in _named(published) if p.startswith("data/metrics/UNMOT_S_1997_56-"))
    (published / taken).write_bytes(b"damaged\n")
    assert check(record["run"]) == []  # not this run's doing: found by any later run or check
    assert any(taken in p for p in check("another run"))
    (published / written[0]).write_bytes(b"damaged\n")
    assert any(written[0] in p for p in check(record["run"]))
    (history / CHECKED).unlink()
    assert any(taken in p for p in check(record["run"]))

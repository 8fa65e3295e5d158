"""Releases people can cite: `indicators release` dates the next release, which the next run
makes (even with unchanged data); reruns then change nothing."""

import shutil
import subprocess
from pathlib import Path

import pytest
from workspace import CLI, REPORT, cli_env

pytestmark = pytest.mark.slow  # real `indicators` processes: make test, not make check


def _cli(ws: Path, *args: str) -> subprocess.CompletedProcess:
    env = cli_env(ws, INDICATORS_RELEASE_FILE=str(ws / "release.json"))
    return subprocess.run(
        [CLI, *args], cwd=ws, env=env, capture_output=True, text=True, timeout=600
    )


def test_a_planned_release_is_made_dated_and_reruns_keep_it(tmp_path):
    (tmp_path / "raw").mkdir()
    shutil.copy(REPORT, tmp_path / "raw" / REPORT.name)
    assert _cli(tmp_path, "run").returncode == 0
    planned = _cli(
        tmp_path,
        "release",
        "minor",
        "--no-tag",
        "--date",
        "2026-11-29",
        "--note",
        "a citable release",
    )
    assert planned.returncode == 0, planned.stderr
    made = _cli(tmp_path, "run")
    assert made.returncode == 0 and "version 1.1.0, new release" in made.stdout
    log = (tmp_path / "published" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert (
        "## 1.1.0 (2026-11-29)\n\nRelease: made with `indicators release`: a citable release" in log
    )
    before = {
        p.name: p.read_bytes()
        for p in (tmp_path / "published").iterdir()
        if p.is_file() and p.suffix in (".json", ".md", ".html")
    }
    again = _cli(tmp_path, "run")
    assert again.returncode == 0 and "version 1.1.0, unchanged" in again.stdout
    assert before == {
        p.name: p.read_bytes()
        for p in (tmp_path / "published").iterdir()
        if p.is_file() and p.suffix in (".json", ".md", ".html")
    }

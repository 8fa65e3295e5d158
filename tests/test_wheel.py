"""The package as a user installs it: a wheel built from the repository carries its schemas
and rule files, and `indicators extract` runs from it outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # builds a wheel (pip fetches setuptools)


def test_the_installed_wheel_extracts_outside_the_repository(tmp_path):
    wheels, site, source = tmp_path / "wheels", tmp_path / "site", tmp_path / "source"
    # built from a copy: setuptools writes build/ and *.egg-info into the tree it builds
    for name in ("pipeline", "schemas"):
        shutil.copytree(
            ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("*.whl")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = shutil.copy(ROOT / "raw" / "unodc-activities-report-2021.txt", elsewhere)
    code = (
        "import sys, pipeline; from typer.testing import CliRunner; "
        "from pipeline.cli import app; "
        f"r = CliRunner().invoke(app, ['extract', {str(report)!r}]); "
        "print(pipeline.__file__, file=sys.stderr); sys.stdout.write(r.output); "
        "sys.exit(r.exit_code)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INDICATORS_")}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=elsewhere,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.strip().startswith(str(site))  # the wheel's code, not the checkout's
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) > 50 and {"as_of", "holder", "counted"} <= set(rows[0])
    assert not (elsewhere / "published").exists()  # extracting writes nothing

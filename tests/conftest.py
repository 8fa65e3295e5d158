"""Shared fixtures: a throw-away workspace (raw/, published/, database) per test."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workspace import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


@pytest.fixture(scope="session", autouse=True)
def dagster_home_outside_the_repository(tmp_path_factory):
    """Dagster writes telemetry ids and logs into its home: never the repository's (the
    Makefile points DAGSTER_HOME at the project for `make run` and `make dev`)."""
    import os

    home = tmp_path_factory.mktemp("dagster-home")
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = before


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A raw/ folder holding the first report; the pipeline's paths point into tmp_path."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(REPORT, raw / REPORT.name)
    monkeypatch.setenv("INDICATORS_RAW", str(raw))
    monkeypatch.setenv("INDICATORS_PUBLISHED", str(tmp_path / "published"))
    monkeypatch.setenv("INDICATORS_DB", str(tmp_path / "published" / "indicators.duckdb"))
    # Dagster state and release history stay in the test workspace too.
    monkeypatch.setenv("INDICATORS_DAGSTER_STATE", str(tmp_path / ".dagster"))
    return tmp_path


@pytest.fixture
def instance():
    """An ephemeral Dagster instance."""
    import dagster as dg

    with dg.DagsterInstance.ephemeral() as inst:
        yield inst


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server in its own process on localhost; yields its endpoint."""
    pytest.importorskip("moto")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)

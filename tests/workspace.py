"""The settings that point a real `indicators` process (subprocess) into a test workspace."""

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "indicators")
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def dagster_home(ws: Path) -> Path:
    """A Dagster home inside the workspace, with the project's dagster.yaml: Dagster's logs and
    telemetry files go there, never into the repository."""
    home = ws / ".dagster-home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def cli_env(ws: Path, **extra: str) -> dict:
    """The environment of a run in workspace ws: raw/, published/, database and Dagster state
    inside it, no fault injection left over; extra settings on top."""
    env = dict(
        os.environ,
        INDICATORS_RAW=str(ws / "raw"),
        INDICATORS_PUBLISHED=str(ws / "published"),
        INDICATORS_DB=str(ws / "published" / "indicators.duckdb"),
        DAGSTER_HOME=str(dagster_home(ws)),
        INDICATORS_DAGSTER_STATE=str(ws / ".dagster"),
    )
    env.pop("INDICATORS_KILL_AT", None)
    env.update(extra)
    return env


def released_workspace(ws: Path, run: Callable[[Path], object]) -> Path:
    """ws after one good run of the UNODC report (release 1.0.0), made by the test module's
    own way of running the CLI."""
    (ws / "raw").mkdir()
    shutil.copy(REPORT, ws / "raw" / REPORT.name)
    result = run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    return ws

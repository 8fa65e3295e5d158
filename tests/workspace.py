"""The settings that point a real `indicators` process (subprocess) into a test workspace."""

import os
import shutil
import socket
import sys
import time
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


def table_file(published: Path, name: str, fmt: str = "csv") -> Path:
    """The file of a resource that has one (a one-report release), as its descriptor names it."""
    import json

    package = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    res = next(
        r
        for r in package["resources"]
        if r["name"] == (name if fmt == "csv" else f"{name}-parquet")
    )
    paths = res["path"] if isinstance(res["path"], list) else [res["path"]]
    assert len(paths) == 1, paths
    return published / paths[0]


def rehash(published: Path, path: Path) -> None:
    """Record a file's new sha256 (and size) in the descriptor, as a careful forger would."""
    import hashlib
    import json

    descriptor = published / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    rel = path.relative_to(published).as_posix()
    data = path.read_bytes()
    for res in package["resources"]:
        for entry in [res, *res.get("x-shards", [])]:
            if entry.get("path") in (rel, [rel]):
                entry["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
                if "bytes" in entry:
                    entry["bytes"] = len(data)
    descriptor.write_text(json.dumps(package), encoding="utf-8")


def free_port() -> int:
    """A TCP port nothing listens on now, on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    """Wait until a server listens on the port (TimeoutError after `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


def s3_env(monkeypatch) -> None:
    """Credentials for moto's S3 server, never the machine's own."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)

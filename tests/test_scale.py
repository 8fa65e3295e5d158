"""Beyond one machine: the artifact store on a real S3-compatible server (moto's, started
here on localhost), and a partitioned backfill through real Celery workers on a Redis server
started here."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from workspace import dagster_home

pytestmark = pytest.mark.slow  # real `indicators` processes: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "indicators")
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server in its own process on localhost; yields its endpoint."""
    pytest.importorskip("moto")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _s3_env(monkeypatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)


def test_artifacts_on_s3_are_written_once_and_loaded(s3_server, tmp_path, monkeypatch):
    import pyarrow.fs as pafs

    _s3_env(monkeypatch)
    fs = pafs.S3FileSystem(
        endpoint_override=s3_server, scheme="http", region="us-east-1", allow_bucket_creation=True
    )
    fs.create_dir("artifacts-bucket")
    url = (
        f"s3://artifacts-bucket/indicators?endpoint_override={s3_server}&scheme=http"
        "&region=us-east-1"
    )
    (tmp_path / "raw").mkdir()
    shutil.copy(REPORT, tmp_path / "raw" / REPORT.name)
    text = REPORT.read_text(encoding="utf-8")
    (tmp_path / "raw" / "second.txt").write_text(
        text.replace("over 5 million", "over 9 million"), encoding="utf-8"
    )
    env = dict(
        os.environ,
        INDICATORS_RAW=str(tmp_path / "raw"),
        INDICATORS_PUBLISHED=str(tmp_path / "published"),
        INDICATORS_DB=str(tmp_path / "published" / "indicators.duckdb"),
        INDICATORS_DAGSTER_STATE=str(tmp_path / ".dagster"),
        DAGSTER_HOME=str(dagster_home(tmp_path)),
        INDICATORS_ARTIFACTS=url,
    )
    first = subprocess.run(
        [CLI, "run", "--workers", "2"], env=env, capture_output=True, text=True, timeout=600
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 read" in first.stdout
    stored = [
        f.path
        for f in fs.get_file_info(pafs.FileSelector("artifacts-bucket/indicators", recursive=True))
    ]
    assert sum(p.endswith("/manifest.json") for p in stored) == 2
    assert any(p.endswith("/metrics.parquet") for p in stored)
    again = subprocess.run([CLI, "run"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 read, 2 unchanged" in again.stdout and "unchanged)" in again.stdout
    import duckdb

    con = duckdb.connect(str(tmp_path / "published" / "indicators.duckdb"), read_only=True)
    assert con.execute("select count(*) from documents").fetchall()[0][0] == 2
    con.close()


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A server process in its own session (so its children stop with it), logging to `log`."""
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process started by `_start` and everything it started (its process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _wait_for_celery_worker(app, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
        time.sleep(0.5)
    raise TimeoutError("no Celery worker answered")


def test_partitioned_backfill_runs_on_celery_workers_with_redis(tmp_path, monkeypatch):
    """A Redis server and a Celery worker (two processes) on localhost, started here; each
    `document` partition is a run (as a Dagster backfill makes them) whose step the Celery
    executor queues on Redis for the worker; then load and publish run on the worker too."""
    pytest.importorskip("dagster_celery")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    import dagster as dg
    import yaml
    from celery import Celery

    port = _free_port()
    raw = tmp_path / "raw"
    raw.mkdir()
    text = REPORT.read_text(encoding="utf-8")
    keys = [f"report-{k}" for k in range(3)]
    for k, key in enumerate(keys):
        (raw / f"{key}.txt").write_text(
            text.replace("over 5 million", f"over {6 + k} million"), encoding="utf-8"
        )
    env = {
        "INDICATORS_RAW": str(raw),
        "INDICATORS_PUBLISHED": str(tmp_path / "published"),
        "INDICATORS_DB": str(tmp_path / "published" / "indicators.duckdb"),
        "INDICATORS_ARTIFACTS": str(tmp_path / "artifacts"),
        "INDICATORS_DAGSTER_STATE": str(tmp_path / ".dagster"),
        "DAGSTER_HOME": str(dagster_home(tmp_path)),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{port}/1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / ".dagster").mkdir()
    config = str(ROOT / "deploy" / "celery" / "run.yaml")
    bin_dir = Path(sys.executable).parent
    procs = [
        _start(
            [
                redis_server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            dict(os.environ),
            tmp_path / "redis.log",
        )
    ]
    try:
        _wait_for_port(port)
        # The worker as deploy/celery documents it; its PATH finds this venv's `celery`.
        worker_env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        procs.append(
            _start(
                [
                    str(bin_dir / "dagster-celery"),
                    "worker",
                    "start",
                    "-A",
                    "dagster_celery.app",
                    "-y",
                    config,
                    "--",
                    "--concurrency",
                    "2",
                ],
                worker_env,
                tmp_path / "worker.log",
            )
        )
        _wait_for_celery_worker(
            Celery(broker=env["CELERY_BROKER_URL"], backend=env["CELERY_RESULT_BACKEND"])
        )
        run_config = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("documents", keys)
            for key in keys:  # the backfill: one run per partition
                result = dg.execute_job(
                    _celery_job("documents_job"),
                    instance=instance,
                    run_config=run_config,
                    tags={"dagster/partition": key},
                )
                assert result.success, key
            publish = dg.execute_job(
                _celery_job("publish_job"), instance=instance, run_config=run_config
            )
            assert publish.success
            from pipeline.definitions import DOCUMENT

            assert instance.get_materialized_partitions(DOCUMENT) == set(keys)
            executed_by_worker = [
                e
                for e in instance.all_logs(result.run_id)
                if "in celery worker" in (e.message or "")
            ]
            assert executed_by_worker, "the step did not run on the Celery worker"
        manifests = list((tmp_path / "artifacts").rglob("manifest.json"))
        assert len(manifests) == len(keys)
        assert {m.parent.name for m in manifests} == {f"{key}.txt" for key in keys}
        assert (tmp_path / "published" / "datapackage.json").exists()
        import duckdb

        con = duckdb.connect(str(tmp_path / "published" / "indicators.duckdb"), read_only=True)
        assert con.execute("select count(*) from documents").fetchall()[0][0] == len(keys)
        con.close()
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _celery_job(name: str):
    """A job of deploy/celery/definitions.py, reconstructable by the Celery workers."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repo = ReconstructableRepository.for_file(
        str(ROOT / "deploy" / "celery" / "definitions.py"), "defs", working_directory=str(ROOT)
    )
    return repo.get_reconstructable_job(name)

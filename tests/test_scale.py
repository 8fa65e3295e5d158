"""Beyond one machine: the artifact store on a real S3-compatible server (moto's, started
here on localhost), and a partitioned backfill through a real Celery worker on a Redis server,
with Dagster's storage on a PostgreSQL server and the artifacts on S3, all started here."""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from workspace import dagster_home, free_port, s3_env, wait_for_port

pytestmark = pytest.mark.slow  # real `indicators` processes: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "indicators")
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def test_artifacts_on_s3_are_written_once_and_loaded(s3_server, tmp_path, monkeypatch):
    import pyarrow.fs as pafs

    s3_env(monkeypatch)
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


def _stop(proc: subprocess.Popen, how: int = signal.SIGTERM) -> None:
    """Stop a process started by `_start` and everything it started (its process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, how)
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


def _postgres_programs() -> Path | None:
    """The folder of PostgreSQL's server programs: beside `initdb` on PATH, else Debian's
    /usr/lib/postgresql/<version>/bin (Debian's package puts no server program on PATH)."""
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if p.parts[-3].isdigit()]
    return max(found, key=lambda p: int(p.parts[-3])).parent if found else None


def _server_user() -> tuple[list[str], int, int]:
    """How to run PostgreSQL's programs, and the uid and gid that must own its folder: it
    refuses to run as root, so root runs them as the `postgres` user (or `nobody`)."""
    if os.geteuid() != 0:
        return [], os.getuid(), os.getgid()
    runuser = shutil.which("runuser")
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        if runuser:
            return [runuser, "-u", name, "--"], user.pw_uid, user.pw_gid
    pytest.skip(
        "running as root without runuser or a postgres/nobody user: PostgreSQL refuses root"
    )


def _connect_when_up(url: str, server: subprocess.Popen, seconds: float = 60):
    """A connection to the server once it accepts them (it refuses while starting up)."""
    import psycopg2

    deadline = time.monotonic() + seconds
    while True:
        try:
            return psycopg2.connect(url)
        except psycopg2.OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def postgres(tmp_path):
    """A PostgreSQL server made with initdb and started here on a free localhost port, holding
    an empty `dagster` database; yields that database's URL."""
    pytest.importorskip("psycopg2")
    programs = _postgres_programs()
    if programs is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    run_as, uid, gid = _server_user()
    # Not in tmp_path: pytest's folder is private to its user, and the server's user must enter.
    data = Path(tempfile.mkdtemp(prefix="indicators-pg-"))
    os.chown(data, uid, gid)
    try:
        subprocess.run(
            [*run_as, str(programs / "initdb"), "-D", str(data / "db"), "-U", "dagster"]
            + ["--auth=trust", "--encoding=UTF8", "--no-sync"],
            cwd=data,
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = free_port()
        server = _start(
            [*run_as, str(programs / "postgres"), "-D", str(data / "db"), "-p", str(port)]
            + ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}"]
            + ["-c", "fsync=off"],
            dict(os.environ),
            tmp_path / "postgres.log",
        )
        try:
            admin = _connect_when_up(f"postgresql://dagster@127.0.0.1:{port}/postgres", server)
            admin.autocommit = True  # CREATE DATABASE refuses to run in a transaction
            with admin.cursor() as cur:
                cur.execute("create database dagster")
            admin.close()
            yield f"postgresql://dagster@127.0.0.1:{port}/dagster"
        finally:
            _stop(server, signal.SIGINT)  # fast shutdown: sessions still open are ended
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _cluster_home(folder: Path) -> Path:
    """A Dagster home with deploy/celery's dagster.yaml: storage in PostgreSQL."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "celery" / "dagster.yaml", folder / "dagster.yaml")
    return folder


def _step_pids(instance, run_id: str) -> dict[str, int]:
    """The process each step of a run started in, from the run's STEP_START events."""
    return {
        e.dagster_event.step_key: e.dagster_event.pid
        for e in instance.all_logs(run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "STEP_START"
    }


def _runs_in_postgres(url: str) -> dict[str, str]:
    """Every run Dagster's PostgreSQL storage holds, by run id: its status."""
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            cur.execute("select run_id, status from runs")
            return dict(cur.fetchall())
    finally:
        con.close()


def test_partitioned_backfill_on_celery_with_postgres_and_s3(
    tmp_path, monkeypatch, s3_server, postgres
):
    """A Redis server, a Celery worker (two pool processes), a PostgreSQL server and an S3
    server on localhost, started here. Each `document` partition is a run (as a Dagster backfill
    makes them) whose step the Celery executor queues on Redis; then load and publish. The
    worker has its own Dagster home and state folder: runs, events and artifacts can only meet
    in PostgreSQL and S3 (raw/ and published/ stand for the shared volume)."""
    pytest.importorskip("dagster_celery")
    pytest.importorskip("dagster_postgres")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    import dagster as dg
    import pyarrow.fs as pafs
    import yaml
    from celery import Celery

    s3_env(monkeypatch)
    s3 = pafs.S3FileSystem(
        endpoint_override=s3_server, scheme="http", region="us-east-1", allow_bucket_creation=True
    )
    s3.create_dir("cluster-bucket")
    port = free_port()
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
        "INDICATORS_ARTIFACTS": f"s3://cluster-bucket/artifacts?endpoint_override={s3_server}"
        "&scheme=http&region=us-east-1",
        "INDICATORS_DAGSTER_STATE": str(tmp_path / "launcher-state"),
        "DAGSTER_HOME": str(_cluster_home(tmp_path / "launcher-home")),
        # SQLAlchemy 2.1 takes a bare postgresql:// for psycopg 3; dagster-postgres has psycopg2.
        "DAGSTER_POSTGRES_URL": postgres.replace("postgresql://", "postgresql+psycopg2://"),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{port}/1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = str(ROOT / "deploy" / "celery" / "run.yaml")
    bin_dir = Path(sys.executable).parent
    procs = [
        _start(
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
            dict(os.environ),
            tmp_path / "redis.log",
        )
    ]
    try:
        wait_for_port(port)
        # The worker as deploy/celery documents it, as if on another machine: its own Dagster
        # home and state folder; its PATH finds this venv's `celery`.
        worker_env = dict(
            os.environ,
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            DAGSTER_HOME=str(_cluster_home(tmp_path / "worker-home")),
            INDICATORS_DAGSTER_STATE=str(tmp_path / "worker-state"),
        )
        worker = _start(
            [str(bin_dir / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app"]
            + ["-y", config, "--", "--concurrency", "2"],
            worker_env,
            tmp_path / "worker.log",
        )
        procs.append(worker)
        _wait_for_celery_worker(
            Celery(broker=env["CELERY_BROKER_URL"], backend=env["CELERY_RESULT_BACKEND"])
        )
        run_config = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            instance.add_dynamic_partitions("documents", keys)
            results = []
            for key in keys:  # the backfill: one run per partition
                results.append(
                    dg.execute_job(
                        _celery_job("documents_job"),
                        instance=instance,
                        run_config=run_config,
                        tags={"dagster/partition": key},
                    )
                )
                assert results[-1].success, key
            results.append(
                dg.execute_job(_celery_job("publish_job"), instance=instance, run_config=run_config)
            )
            assert results[-1].success
            from pipeline.definitions import DOCUMENT

            assert instance.get_materialized_partitions(DOCUMENT) == set(keys)
            # Every step started in one of the worker's processes (its process group: the
            # worker is alive still), none in this one.
            steps = {}
            for result in results:
                for step, pid in _step_pids(instance, result.run_id).items():
                    assert pid != os.getpid(), step
                    assert os.getpgid(pid) == worker.pid, (step, pid)
                    steps.setdefault(step, []).append(pid)
            assert set(steps) == {
                "document",
                "warehouse",
                "warehouse_keys_hold",
                "warehouse_quarantine_below_threshold",
                "published_dataset",
                "published_dataset_frictionless_valid",
            }
            assert len(steps["document"]) == len(keys)
        runs = _runs_in_postgres(postgres)
        assert {r.run_id: "SUCCESS" for r in results}.items() <= runs.items()
        stored = [
            f.path
            for f in s3.get_file_info(pafs.FileSelector("cluster-bucket/artifacts", recursive=True))
        ]
        manifests = [p for p in stored if p.endswith("/manifest.json")]
        assert {p.split("/")[-2] for p in manifests} == {f"{key}.txt" for key in keys}
        # Nothing of Dagster's or of the artifacts in local files: no SQLite, no local store.
        assert not list(tmp_path.rglob("*.db")) and not list(tmp_path.rglob("manifest.json"))
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


def test_a_large_heap_step_restores_the_collector_even_when_it_fails() -> None:
    """large_heap (pipeline/heap.py) makes collections rare inside, freezes what was alive on
    entry, and leaves the collector as it found it, nested or not, on error too."""
    import gc

    from pipeline.heap import large_heap

    before = gc.get_threshold()
    try:
        with large_heap():
            assert gc.get_threshold() == (50_000, 20, 100)
            assert gc.get_freeze_count() > 0
            frozen = gc.get_freeze_count()
            made_since = [[i] for i in range(1000)]  # noqa: F841  (alive inside)
            with large_heap():  # nested: changes nothing, the outermost restores
                assert gc.get_freeze_count() == frozen
            assert gc.get_threshold() == (50_000, 20, 100)
            raise KeyError("step failed")
    except KeyError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0

"""Dagster wiring: definitions load, partitions make artifacts (one alone, many in parallel),
the sensor sees raw/ change, the dagster command runs the assets and jobs as a user would."""

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from workspace import dagster_home

from pipeline import definitions as d
from pipeline.build import artifact_key, artifact_store
from pipeline.resources import SettingsResource
from pipeline.settings import Settings
from pipeline.versions import ARTIFACT_VERSION

pytestmark = pytest.mark.slow  # runs the whole pipeline: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
KEY = "unodc-activities-report-2021"


def _resources() -> dict:
    """The settings resource from the test's environment (the workspace fixture's)."""
    return {"settings": SettingsResource.of(Settings.from_env())}


def _artifact(workspace: Path, name: str) -> dict | None:
    path = workspace / "raw" / name
    import hashlib

    key = artifact_key(path, hashlib.sha256(path.read_bytes()).hexdigest())
    return artifact_store(Settings.from_env()).manifest(key)


@pytest.fixture
def artifacts(workspace, monkeypatch):
    monkeypatch.setenv("INDICATORS_ARTIFACTS", str(workspace / "artifacts"))
    return workspace / "artifacts"


def test_definitions_load():
    dg.Definitions.validate_loadable(d.defs)
    assert {s.name for s in d.defs.schedules} == {"daily_publish"}
    assert {s.name for s in d.defs.sensors} == {"raw_files_sensor", "run_failure_report"}


def test_one_document_partition_makes_its_artifact(workspace, artifacts, instance):
    instance.add_dynamic_partitions("documents", [KEY])
    result = dg.materialize(
        [d.document], partition_key=KEY, instance=instance, resources=_resources()
    )
    assert result.success
    manifest = _artifact(workspace, f"{KEY}.txt")
    assert manifest["rows"]["paragraphs"] == 131
    assert ARTIFACT_VERSION in manifest["key"]
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_paragraphs"].value == 131 and meta["status"].value == "loaded"
    # An unchanged report is never read again: the same partition reuses its artifact.
    again = dg.materialize(
        [d.document], partition_key=KEY, instance=instance, resources=_resources()
    )
    meta = again.get_asset_materialization_events()[0].materialization.metadata
    assert meta["status"].value == "unchanged"
    # The partition does not touch the published database: that is the load step's.
    assert not (workspace / "published" / "indicators.duckdb").exists()


def test_missing_partition_fails_with_a_clear_message(workspace, artifacts, instance):
    instance.add_dynamic_partitions("documents", ["nope"])
    result = dg.materialize(
        [d.document],
        partition_key="nope",
        instance=instance,
        resources=_resources(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "nope: no such report" in failure.event_specific_data.error.message


def test_a_backfill_chunk_reads_many_reports_in_one_run_each_shown(workspace, artifacts, instance):
    """A backfill runs up to REPORTS_PER_RUN reports per run (100,000 reports are not 100,000
    runs or pods); each report's partition still shows its own outcome."""
    text = (workspace / "raw" / f"{KEY}.txt").read_text(encoding="utf-8")
    (workspace / "raw" / "variant.txt").write_text(text.replace("5 million", "9 million"))
    (workspace / "raw" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n")
    keys = sorted([KEY, "variant", "broken"])
    instance.add_dynamic_partitions("documents", keys)
    assert d.document.backfill_policy.max_partitions_per_run == d.REPORTS_PER_RUN
    result = dg.materialize(
        [d.document],
        instance=instance,
        resources=_resources(),
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        },
    )
    assert not result.success  # one report of the chunk failed, and is named
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "1 of 3 reports failed: broken.pdf" in failure.event_specific_data.error.message
    assert instance.get_materialized_partitions(d.DOCUMENT) == {KEY, "variant"}
    assert _artifact(workspace, "variant.txt")["rows"]["paragraphs"] == 131


def test_a_report_that_raises_fails_alone_named_in_dagster(workspace, artifacts, instance):
    (workspace / "raw" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n")
    instance.add_dynamic_partitions("documents", ["broken"])
    result = dg.materialize(
        [d.document],
        partition_key="broken",
        instance=instance,
        resources=_resources(),
        raise_on_error=False,
    )
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "broken.pdf" in failure.event_specific_data.error.message


def test_many_partitions_read_in_parallel_each_materialised(
    workspace, artifacts, tmp_path, monkeypatch
):
    from pipeline.orchestrate import run_in_process

    text = (workspace / "raw" / f"{KEY}.txt").read_text(encoding="utf-8")
    for k in range(3):
        (workspace / "raw" / f"variant-{k}.txt").write_text(
            text.replace("over 5 million", f"over {6 + k} million"), encoding="utf-8"
        )
    (workspace / "raw" / "broken.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    seen = []
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        summary = run_in_process(
            Settings.from_env(),
            instance=instance,
            workers=2,
            progress=lambda done, total: seen.append((done, total)),
        )
        materialised = instance.get_materialized_partitions(d.DOCUMENT)
    assert summary.published and summary.exit_code == 2  # published, one report failed
    assert materialised == {KEY, "variant-0", "variant-1", "variant-2"}
    assert seen[-1] == (5, 5)
    failed = {o.source_file: o.error for o in summary.failed_documents}
    assert set(failed) == {"broken.pdf"} and failed["broken.pdf"].startswith("broken.pdf: ")
    assert summary.rows["documents"] == 4 and summary.read == 5


def test_sensor_requests_runs_for_new_and_changed_files(workspace, instance):
    first = d.raw_files_sensor(dg.build_sensor_context(instance=instance, resources=_resources()))
    keys = [r.partition_key for r in first.run_requests if r.job_name == "documents_job"]
    assert keys == [KEY]
    assert any(r.job_name == "publish_job" for r in first.run_requests)
    assert first.dynamic_partitions_requests[0].partition_keys == keys
    instance.add_dynamic_partitions("documents", keys)
    quiet = d.raw_files_sensor(
        dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=_resources())
    )
    assert quiet.run_requests == []
    (workspace / "raw" / f"{KEY}.txt").write_text("1. Changed.\n")
    changed = d.raw_files_sensor(
        dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=_resources())
    )
    assert [r.partition_key for r in changed.run_requests if r.partition_key] == keys


def test_blocking_check_stops_publishing_when_too_many_rows_fail(
    workspace, artifacts, instance, monkeypatch
):
    from pipeline.orchestrate import run_in_process

    monkeypatch.setenv("INDICATORS_MAX_FAILURE_SHARE", "-1")
    summary = run_in_process(Settings.from_env(), instance=instance)
    assert not summary.success
    assert any("quarantine_below_threshold" in e for e in summary.errors)
    assert not (workspace / "published" / "datapackage.json").exists()


def test_one_changed_report_is_read_alone_and_others_keep_their_rows(
    workspace, artifacts, instance
):
    from pipeline.orchestrate import run_in_process

    raw = workspace / "raw"
    text = (raw / f"{KEY}.txt").read_text(encoding="utf-8")
    (raw / "other-report.txt").write_text(
        text.replace("over 5 million", "over 9 million"), encoding="utf-8"
    )
    assert run_in_process(Settings.from_env(), instance=instance).read == 2
    db = workspace / "published" / "indicators.duckdb"

    def rows(document_id):
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute(
                "select * from metrics where document_id = ? order by metric_id", [document_id]
            ).fetchall()
        finally:
            con.close()

    before = rows(KEY)
    (raw / "other-report.txt").write_text(
        text.replace("over 5 million", "over 8 million"), encoding="utf-8"
    )
    summary = run_in_process(Settings.from_env(), instance=instance)
    assert summary.read == 1
    assert {o.document_id: o.status for o in summary.outcomes} == {
        KEY: "unchanged",
        "other-report": "loaded",
    }
    assert rows(KEY) == before
    assert min(r[4] for r in rows("other-report") if r[2] == 1) == 8_000_000  # paragraph 1


def test_run_failure_report_goes_to_a_log_file_and_a_webhook(tmp_path, monkeypatch):
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("INDICATORS_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/")
    settings = Settings.from_env(state=tmp_path)
    try:
        d.report_failure("run-1", "publish_job", "boom", settings)
    finally:
        server.shutdown()
    assert received[0]["run_id"] == "run-1" and received[0]["error"] == "boom"
    logged = json.loads((tmp_path / "run-failures.log").read_text().splitlines()[0])
    assert logged["job"] == "publish_job"


def _dagster(ws: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "dagster"
    env = dict(
        os.environ,
        DAGSTER_HOME=str(dagster_home(ws)),
        INDICATORS_DAGSTER_STATE=str(ws / ".dagster"),
        INDICATORS_RAW=str(ws / "raw"),
        INDICATORS_PUBLISHED=str(ws / "published"),
        INDICATORS_DB=str(ws / "published" / "indicators.duckdb"),
        INDICATORS_ARTIFACTS=str(ws / "artifacts"),
    )
    return subprocess.run(
        [str(exe), *args, "-m", "pipeline.definitions"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )


def test_dagster_command_loads_the_definitions(tmp_path):
    result = _dagster(tmp_path, "definitions", "validate")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_dagster_commands_materialise_partitions_and_run_the_jobs(workspace, monkeypatch):
    """As a user would: one partition, then load and publish (both checks in parallel,
    read-only), then the publish job (a no-op)."""
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home(workspace)))
    monkeypatch.setenv("INDICATORS_DAGSTER_STATE", str(workspace / ".dagster"))
    with dg.DagsterInstance.get() as instance:  # as the sensor would, register the report
        instance.add_dynamic_partitions("documents", [KEY])
    one = _dagster(workspace, "asset", "materialize", "--select", "document", "--partition", KEY)
    assert one.returncode == 0, one.stderr[-3000:]
    assert _artifact(workspace, f"{KEY}.txt") is None  # INDICATORS_ARTIFACTS differs here
    both = _dagster(workspace, "asset", "materialize", "--select", "warehouse,published_dataset")
    assert both.returncode == 0, both.stderr[-3000:]
    assert "Conflicting lock" not in both.stderr
    assert (workspace / "published" / "datapackage.json").exists()
    job = _dagster(workspace, "job", "execute", "-j", "publish_job")
    assert job.returncode == 0, job.stderr[-3000:]
    with dg.DagsterInstance.get() as instance:
        assert instance.get_materialized_partitions(d.DOCUMENT) == {KEY}

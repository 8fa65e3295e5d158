"""Dagster wiring: definitions load, a partition runs alone, the sensor sees raw/ change."""

import dagster as dg
import duckdb

from pipeline import definitions as d


def test_definitions_load():
    dg.Definitions.validate_loadable(d.defs)


def test_one_document_partition_runs_alone(workspace, instance):
    instance.add_dynamic_partitions("documents", ["unodc-activities-report-2021"])
    result = dg.materialize([d.document], partition_key="unodc-activities-report-2021",
                            instance=instance)
    assert result.success
    con = duckdb.connect(str(workspace / "published" / "indicators.duckdb"), read_only=True)
    assert con.execute("select count(*) from paragraphs").fetchall()[0][0] == 131


def test_missing_partition_fails_with_a_clear_message(workspace, instance):
    instance.add_dynamic_partitions("documents", ["nope"])
    result = dg.materialize([d.document], partition_key="nope", instance=instance,
                            raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "nope: no such report" in failure.event_specific_data.error.message


def test_sensor_requests_runs_for_new_and_changed_files(workspace, instance):
    first = d.raw_files_sensor(dg.build_sensor_context(instance=instance))
    keys = [r.partition_key for r in first.run_requests if r.job_name == "documents_job"]
    assert keys == ["unodc-activities-report-2021"]
    assert any(r.job_name == "publish_job" for r in first.run_requests)
    assert first.dynamic_partitions_requests[0].partition_keys == keys
    instance.add_dynamic_partitions("documents", keys)
    quiet = d.raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert quiet.run_requests == []
    (workspace / "raw" / "unodc-activities-report-2021.txt").write_text("1. Changed.\n")
    changed = d.raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert [r.partition_key for r in changed.run_requests if r.partition_key] == keys


def test_blocking_check_stops_publishing_when_too_many_rows_fail(workspace, instance,
                                                                 monkeypatch):
    from pipeline.orchestrate import run_in_process

    monkeypatch.setenv("INDICATORS_MAX_FAILURE_SHARE", "-1")
    summary = run_in_process(instance=instance)
    assert not summary.success
    assert any("quarantine_below_threshold" in e for e in summary.errors)
    assert not (workspace / "published" / "datapackage.json").exists()


def test_rerunning_one_partition_changes_only_that_document(workspace, instance):
    raw = workspace / "raw"
    text = (raw / "unodc-activities-report-2021.txt").read_text(encoding="utf-8")
    (raw / "other-report.txt").write_text(text.replace("over 5 million", "over 9 million"),
                                          encoding="utf-8")
    keys = ["other-report", "unodc-activities-report-2021"]
    instance.add_dynamic_partitions("documents", keys)
    for key in keys:
        assert dg.materialize([d.document], partition_key=key, instance=instance).success
    db = workspace / "published" / "indicators.duckdb"

    def rows(document_id):
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute("select * from metrics where document_id = ? order by metric_id",
                                [document_id]).fetchall()
        finally:
            con.close()

    before = rows("unodc-activities-report-2021")
    (raw / "other-report.txt").write_text(text.replace("over 5 million", "over 8 million"),
                                          encoding="utf-8")
    assert dg.materialize([d.document], partition_key="other-report", instance=instance).success
    assert rows("unodc-activities-report-2021") == before
    assert min(r[4] for r in rows("other-report") if r[2] == 1) == 8_000_000  # paragraph 1


def test_dagster_command_loads_the_definitions():
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    exe = Path(sys.executable).parent / "dagster"
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as state:
        env = dict(os.environ, DAGSTER_HOME=str(root), INDICATORS_DAGSTER_STATE=state)
        result = subprocess.run([str(exe), "definitions", "validate", "-m",
                                 "pipeline.definitions"], capture_output=True, text=True,
                                timeout=300, env=env, cwd=root)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

"""Dagster wiring: assets, blocking checks, jobs, sensors and a daily schedule. Thin.

- ``document`` (one partition per report in raw/): the report read into its artifact.
- ``warehouse``: the release's DuckDB database, built aside from every artifact.
- ``published_dataset``: the release (Parquet, CSV, datapackage.json) and the database, swapped in.
- ``read_reports``: many reports' artifacts made in parallel batches (what ``indicators run``
  uses with the multiprocess executor); each report is logged as a ``document`` partition.
"""

import json
import urllib.request
import warnings
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipeline.build import DocumentOutcome, artifact_store, build_artifact, build_artifacts
from pipeline.dataset.schema import load as load_schema
from pipeline.heap import large_heap
from pipeline.lock import run_lock
from pipeline.plan import RawFolderError, current_plan
from pipeline.release import load_release, publish_release, release_database
from pipeline.resources import SettingsResource
from pipeline.settings import Settings

documents = dg.DynamicPartitionsDefinition(name="documents")


def _resource() -> SettingsResource:
    """The settings resource of a code location: built once from the environment when Dagster
    loads the definitions (a run's config may replace any field)."""
    return SettingsResource.of(Settings.from_env())


DOCUMENT = dg.AssetKey("document")


def _preview(rows: list[tuple], header: list[str]) -> dg.MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return dg.MetadataValue.md("\n".join(lines))


def _wait(settings: Settings) -> float | None:
    """Seconds to wait for another run's lock (None: as long as it takes)."""
    return None if settings.lock_wait < 0 else settings.lock_wait


def document_metadata(outcome: DocumentOutcome, path: Path) -> dict:
    """What the Dagster UI shows for one report's partition."""
    return {
        "file": str(path),
        "status": outcome.status,
        "dagster/row_count": outcome.rows.get("metrics", 0),
        **{f"rows_{k}": v for k, v in outcome.rows.items()},
        "quarantined_rows": outcome.failures,
    }


def _report_path(settings: Settings, key: str) -> Path:
    """A partition's file: looked up by name, else (an upper-case suffix) found in raw/."""
    from pipeline.read.ingest import find_report, list_reports

    path = find_report(settings.raw_dir, key) or next(
        (p for p in list_reports(settings.raw_dir, (settings.manifest,)) if p.stem == key), None
    )
    if path is None:
        raise dg.Failure(f"{key}: no such report in {settings.raw_dir}")
    return path


# A backfill of 100,000 reports is not 100,000 runs (or pods): each run reads up to this many.
REPORTS_PER_RUN = 50
# backfill_policy is "beta" in the pinned Dagster: said once here, not on every command's output.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")


@dg.asset(
    partitions_def=documents,
    group_name="indicators",
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=REPORTS_PER_RUN),
)
def document(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.MaterializeResult:
    """Reports read, structured, extracted and validated into their artifacts (Parquet keyed
    by each report's sha256 and the code's version; an existing artifact is reused). One
    report per run, or a backfill's chunk of them, each one's outcome shown on its partition."""
    settings = settings.value()
    store = artifact_store(settings)
    keys = context.partition_keys
    failed = []
    for key in keys:
        path = _report_path(settings, key)
        outcome = build_artifact(path, store, settings)
        if len(keys) == 1 and outcome.status == "failed":
            raise dg.Failure(outcome.error, metadata={"file": str(path), "error": outcome.error})
        if len(keys) == 1:
            return dg.MaterializeResult(metadata=document_metadata(outcome, path))
        # A chunk: each partition's own outcome in the UI, as it comes.
        meta = document_metadata(outcome, path)
        if outcome.status == "failed":
            failed.append(outcome.error)
            meta["error"] = outcome.error or ""
            context.log_event(dg.AssetObservation(DOCUMENT, partition=key, metadata=meta))
        else:
            context.log_event(dg.AssetMaterialization(DOCUMENT, partition=key, metadata=meta))
    if failed:  # the others are materialised above; the run fails naming these
        raise dg.Failure(f"{len(failed)} of {len(keys)} reports failed: " + "; ".join(failed[:5]))
    return dg.MaterializeResult(metadata={"reports": len(keys)})


@dg.op(config_schema={"paths": [str]})
def read_batch(context: dg.OpExecutionContext, settings: SettingsResource) -> None:
    """Make the artifacts of a share of the reports, logging each as its `document` partition."""
    settings = settings.value()
    paths = [Path(p) for p in context.op_config["paths"]]
    names = {p.name: p for p in paths}
    # the extractor makes many short-lived objects: full collections walked every imported
    # module's objects again (about 6 % of extraction time)
    store = artifact_store(settings)
    with large_heap():
        for outcome in build_artifacts([(p, None) for p in paths], store, settings):
            path = names[outcome.source_file]
            if outcome.status == "failed":
                context.log.error(outcome.error)
                context.log_event(
                    dg.AssetObservation(
                        DOCUMENT,
                        partition=outcome.document_id,
                        metadata={"file": str(path), "error": outcome.error or ""},
                    )
                )
                continue
            context.log_event(
                dg.AssetMaterialization(
                    DOCUMENT,
                    partition=outcome.document_id,
                    metadata=document_metadata(outcome, path),
                )
            )


def read_reports_job(batches: int = 2) -> dg.JobDefinition:
    """Read many reports into their artifacts: `batches` steps side by side, each given its
    share of the reports as config (what `indicators run` runs with the multiprocess executor;
    one step per worker, so each worker starts one process)."""

    @dg.job(
        name="read_reports",
        resource_defs={"settings": _resource()},
        description="Read many reports into their artifacts, in parallel batches.",
    )
    def read_reports():
        for i in range(batches):
            read_batch.alias(f"read_batch_{i}")()

    return read_reports


read_reports = read_reports_job()


@dg.asset(deps=[document], group_name="indicators")
def warehouse(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.Output:
    """The release's DuckDB database, built aside from every report's artifact in one
    transaction (keys checked); reports still without one are read first."""
    settings = settings.value()
    store = artifact_store(settings)
    try:
        plan = current_plan(settings, store)
    except RawFolderError as err:
        raise dg.Failure(str(err)) from None
    # Outside the lock: artifacts are write-once.
    for _ in build_artifacts([(p, plan.files[p]) for p in plan.todo], store, settings):
        pass
    with run_lock(settings, _wait(settings), context.log.info), large_heap():
        result = load_release(settings, store, plan, fresh=set(plan.todo))
    errors = [o.error for o in result.outcomes if o.status in ("failed", "duplicate")]
    for error in errors:
        context.log.error(error)
    return dg.Output(
        result,
        metadata={
            "dagster/row_count": result.rows.get("metrics", 0),
            **{f"rows_{k}": v for k, v in result.rows.items()},
            "rebuilt": result.rebuilt,
            "incremental": result.incremental,
            "repaired": dg.MetadataValue.md("\n".join(f"- {r}" for r in result.repaired) or "none"),
            "documents_loaded": sum(o.status == "loaded" for o in result.outcomes),
            "documents_unchanged": sum(o.status == "unchanged" for o in result.outcomes),
            "documents_failed": len(errors),
            "documents_removed": ", ".join(result.removed) or "none",
            "errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none"),
        },
    )


@contextmanager
def _read_only(settings: Settings):
    """The release's database, read-only and locked down like every reader's; closed after."""
    from pipeline.dataset.readers import open_read_only

    con = open_read_only(release_database(settings))
    try:
        yield con
    finally:
        con.close()


@dg.asset_check(asset=warehouse, blocking=True)
def keys_hold(
    context: dg.AssetCheckExecutionContext, settings: SettingsResource
) -> dg.AssetCheckResult:
    """Primary keys are unique and every foreign key points to an existing row."""
    settings = settings.value()
    from pipeline.dataset.checks import broken_foreign_keys, duplicate_keys

    with _read_only(settings) as con:
        dups, broken = duplicate_keys(con), broken_foreign_keys(con)
    return dg.AssetCheckResult(
        passed=not dups and not broken,
        metadata={"duplicate_keys": dups, "broken_foreign_keys": broken},
    )


@dg.asset_check(asset=warehouse, blocking=True)
def quarantine_below_threshold(
    context: dg.AssetCheckExecutionContext, settings: SettingsResource
) -> dg.AssetCheckResult:
    """Rows failing validation are quarantined; above the threshold nothing is published."""
    settings = settings.value()
    from pipeline.dataset.readers import quarantine_examples
    from pipeline.dataset.store import quarantine_share

    with _read_only(settings) as con:
        share, rows = quarantine_share(con), quarantine_examples(con)
    return dg.AssetCheckResult(
        passed=share <= settings.max_failure_share,
        metadata={
            "failure_share": share,
            "threshold": settings.max_failure_share,
            "examples": _preview(rows, ["document", "table", "row", "check"]),
        },
    )


@dg.asset(deps=[warehouse], group_name="indicators")
def published_dataset(context: dg.AssetExecutionContext, settings: SettingsResource) -> dg.Output:
    """Parquet, CSV and datapackage.json in published/, then the database: swapped in."""
    settings = settings.value()
    from pipeline.dataset.publish import record_checked
    from pipeline.dataset.readers import metrics_preview, open_read_only
    from pipeline.dataset.releases import history_dir

    with run_lock(settings, _wait(settings), context.log.info), large_heap():
        result = publish_release(settings)
        history = history_dir(settings.state_dir, settings.published_dir)
        record_checked(history, context.run.run_id, result)
    con = open_read_only(settings.db_path)
    try:
        preview = metrics_preview(con)
    finally:
        con.close()
    return dg.Output(
        result,
        metadata={
            "version": result.version,
            "changed": result.changed,
            "bump": str(result.bump),
            "path": str(result.path),
            "preview": _preview(
                preview, ["paragraph", "quote", "unit", "entity", "qualifier", "year"]
            ),
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(f["name"], f["type"], description=f["description"])
                    for f in load_schema("metrics").fields
                ]
            ),
        },
    )


@dg.asset_check(asset=published_dataset, blocking=True)
def frictionless_valid(
    context: dg.AssetCheckExecutionContext, settings: SettingsResource
) -> dg.AssetCheckResult:
    """The published files are the ones validated before the swap: every release is validated
    in its staging folder (frictionless, Parquet twins, foreign keys, sha256) and only swapped
    in when valid; here the files the run moved in must match their sha256 (every published
    file, when this run did not record what it checked)."""
    settings = settings.value()
    from pipeline.dataset.publish import verify_run
    from pipeline.dataset.releases import history_dir
    from pipeline.dataset.staging import published_cache

    # A file is re-hashed when its stat changed: reading every byte here would make a no-op
    # cost as much as the collection (`indicators validate` reads them all).
    history = history_dir(settings.state_dir, settings.published_dir)
    with large_heap():
        cache = published_cache(history)
        errors = verify_run(settings.published_dir, cache, history, context.run.run_id)
        if not errors:
            cache.save()
    return dg.AssetCheckResult(
        passed=not errors,
        metadata={
            "errors": errors[:20],
            "scope": "validated before the swap (indicators validate); now the sha256 of "
            "the files the run moved in (of every file when it recorded none), re-read when "
            "their size, mtime or inode changed since they were hashed",
        },
    )


documents_job = dg.define_asset_job("documents_job", selection=[document], partitions_def=documents)
publish_job = dg.define_asset_job("publish_job", selection=[warehouse, published_dataset])
daily_publish = dg.ScheduleDefinition(
    name="daily_publish", job=publish_job, cron_schedule="0 3 * * *", execution_timezone="UTC"
)


def _fingerprints(settings: Settings) -> dict[str, str]:
    """Checksum of each report in raw/ by document id (re-hashed only when its size, mtime or
    inode changed); files that vanish meanwhile are skipped."""
    from pipeline.plan import raw_stat_cache
    from pipeline.read.ingest import list_reports

    out = {}
    if not settings.raw_dir.is_dir():
        return out
    cache = raw_stat_cache(settings)
    for p in list_reports(settings.raw_dir, (settings.manifest,)):
        try:
            out[p.stem] = cache.sha256(p)
        except OSError:
            continue
    cache.save()
    return out


@dg.sensor(jobs=[documents_job, publish_job], minimum_interval_seconds=60)
def raw_files_sensor(
    context: dg.SensorEvaluationContext, settings: SettingsResource
) -> dg.SensorResult:
    """New or changed files in raw/ get a document run each, then a publish run."""
    state = json.loads(context.cursor) if context.cursor else {}
    seen, tick = state.get("files", {}), state.get("tick", 0) + 1
    current = _fingerprints(settings.value())
    changed = {k: h for k, h in current.items() if seen.get(k) != h}
    removed = sorted(set(seen) - set(current))
    known = set(context.instance.get_dynamic_partitions("documents"))
    new = sorted(k for k in changed if k not in known)
    # The tick makes run keys unique, so a file that changes back (A, B, A) runs again.
    requests = [
        dg.RunRequest(job_name="documents_job", partition_key=k, run_key=f"{k}:{h}:{tick}")
        for k, h in sorted(changed.items())
    ]
    if changed or removed:
        requests.append(dg.RunRequest(job_name="publish_job", run_key=f"publish:{tick}"))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[documents.build_add_request(new)] if new else [],
        cursor=json.dumps({"files": current, "tick": tick}, sort_keys=True),
    )


def report_failure(run_id: str, job_name: str, message: str, settings: Settings) -> str:
    """Append a failed run to <dagster state>/run-failures.log and, when INDICATORS_WEBHOOK_URL
    is set, POST it there as JSON. Returns the line written."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    line = json.dumps({"time": when, "run_id": run_id, "job": job_name, "error": message})
    log = settings.state_dir / "run-failures.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as f:
        f.write(line + "\n")
    if url := settings.webhook_url:
        request = urllib.request.Request(
            url, data=line.encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
    return line


@dg.run_failure_sensor(name="run_failure_report", monitor_all_code_locations=False)
def run_failure_report(context: dg.RunFailureSensorContext, settings: SettingsResource) -> None:
    """Every failed run of this code location: to a log file and, when set, a webhook."""
    report_failure(
        context.dagster_run.run_id,
        context.dagster_run.job_name,
        context.failure_event.message or "",
        settings.value(),
    )


def definitions(executor=None) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor, run by the given executor (Dagster's
    default when None; deploy/ passes Kubernetes, Celery or Dask ones)."""
    return dg.Definitions(
        assets=[document, warehouse, published_dataset],
        asset_checks=[keys_hold, quarantine_below_threshold, frictionless_valid],
        jobs=[documents_job, publish_job, read_reports],
        schedules=[daily_publish],
        sensors=[raw_files_sensor, run_failure_report],
        resources={"settings": _resource()},
        executor=executor,
    )


defs = definitions()

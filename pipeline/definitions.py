"""Dagster wiring: assets, blocking checks, a sensor on raw/ and a daily schedule. Thin."""


import hashlib
import json
from contextlib import contextmanager

import dagster as dg

from pipeline.dataset.schema import load as load_schema
from pipeline.run import (
    RawFolderError,
    Settings,
    publish_from_db,
    remove_missing,
    run_lock,
    sync_all,
    sync_document,
)

documents = dg.DynamicPartitionsDefinition(name="documents")


def _settings() -> Settings:
    return Settings()


@contextmanager
def _db():
    """The pipeline's DuckDB database, closed when done."""
    from pipeline.dataset.store import connect

    con = connect(_settings().db_path)
    try:
        yield con
    finally:
        con.close()


def _preview(rows: list[tuple], header: list[str]) -> dg.MetadataValue:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    return dg.MetadataValue.md("\n".join(lines))


@dg.asset(partitions_def=documents, group_name="indicators")
def document(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """One report ingested, parsed, extracted, validated and loaded into DuckDB."""
    from pipeline.read.ingest import list_reports

    settings = _settings()
    key = context.partition_key
    path = next((p for p in list_reports(settings.raw_dir) if p.stem == key), None)
    if path is None:
        raise dg.Failure(f"{key}: no such report in {settings.raw_dir}")
    with run_lock(settings), _db() as con:
        outcome = sync_document(con, path, force=True)
    if outcome.status == "failed":
        raise dg.Failure(outcome.error, metadata={"file": str(path)})
    return dg.MaterializeResult(metadata={
        "dagster/row_count": outcome.rows.get("metrics", 0),
        **{f"rows_{k}": v for k, v in outcome.rows.items()},
        "quarantined_rows": outcome.failures,
    })


@dg.asset(deps=[document], group_name="indicators")
def warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Every report in raw/ synced into DuckDB (unchanged ones skipped, removed ones dropped)."""
    from pipeline.dataset.store import counts

    settings = _settings()
    with run_lock(settings), _db() as con:
        try:
            outcomes = sync_all(con, settings.raw_dir, settings.allow_empty)
        except RawFolderError as err:
            raise dg.Failure(str(err)) from None
        # A report that fails now keeps its last good rows; a duplicate keeps none.
        kept = {o.document_id for o in outcomes if o.status != "duplicate"}
        removed = remove_missing(con, kept)
        rows = counts(con)
    errors = [o.error for o in outcomes if o.status in ("failed", "duplicate")]
    for error in errors:
        context.log.error(error)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows["metrics"],
        **{f"rows_{k}": v for k, v in rows.items()},
        "documents_loaded": sum(o.status == "loaded" for o in outcomes),
        "documents_unchanged": sum(o.status == "unchanged" for o in outcomes),
        "documents_failed": len(errors),
        "documents_removed": ", ".join(removed) or "none",
        "errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in errors) or "none"),
        "outcomes": dg.MetadataValue.json([o.__dict__ for o in outcomes]),
    })


@dg.asset_check(asset=warehouse, blocking=True)
def keys_hold(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Primary keys are unique and every foreign key points to an existing row."""
    from pipeline.dataset.checks import broken_foreign_keys, duplicate_keys

    with _db() as con:
        dups, broken = duplicate_keys(con), broken_foreign_keys(con)
    return dg.AssetCheckResult(passed=not dups and not broken,
                               metadata={"duplicate_keys": dups, "broken_foreign_keys": broken})


@dg.asset_check(asset=warehouse, blocking=True)
def quarantine_below_threshold(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Rows failing validation are quarantined; above the threshold nothing is published."""
    from pipeline.run import failure_share

    settings = _settings()
    with _db() as con:
        share = failure_share(con)
        rows = con.execute("SELECT document_id, table_name, row_key, check_name FROM "
                           "validation_failures ORDER BY ALL LIMIT 20").fetchall()
    return dg.AssetCheckResult(
        passed=share <= settings.max_failure_share,
        metadata={"failure_share": share, "threshold": settings.max_failure_share,
                  "examples": _preview(rows, ["document", "table", "row", "check"])})


@dg.asset(deps=[warehouse], group_name="indicators")
def published_dataset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Parquet, CSV and datapackage.json in published/, swapped in atomically."""
    settings = _settings()
    with run_lock(settings), _db() as con:
        result = publish_from_db(con, settings)
        preview = con.execute("SELECT paragraph, quote, unit, entity, qualifier, year "
                              "FROM metrics ORDER BY metric_id LIMIT 10").fetchall()
    return dg.MaterializeResult(metadata={
        "version": result.version, "changed": result.changed, "bump": str(result.bump),
        "path": str(result.path),
        "preview": _preview(preview, ["paragraph", "quote", "unit", "entity", "qualifier",
                                      "year"]),
        "dagster/column_schema": dg.TableSchema(columns=[
            dg.TableColumn(f["name"], f["type"], description=f["description"])
            for f in load_schema("metrics").fields]),
    })


@dg.asset_check(asset=published_dataset, blocking=True)
def frictionless_valid(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """frictionless validate passes and every file matches its sha256."""
    from pipeline.dataset.checks import frictionless_errors
    from pipeline.dataset.publish import verify_hashes

    published = _settings().published_dir
    latest = context.instance.get_latest_materialization_event(published_dataset.key)
    meta = latest.asset_materialization.metadata if latest and latest.asset_materialization \
        else {}
    if "changed" in meta and not meta["changed"].value:
        # An unchanged release was validated when it was made; its files must still match.
        errors = verify_hashes(published)
        return dg.AssetCheckResult(passed=not errors, metadata={
            "errors": errors[:20], "scope": "unchanged release: sha256 of every file"})
    errors = frictionless_errors(published)
    return dg.AssetCheckResult(passed=not errors, metadata={
        "errors": errors[:20], "scope": "frictionless validate and sha256 of every file"})


documents_job = dg.define_asset_job("documents_job", selection=[document],
                                    partitions_def=documents)
publish_job = dg.define_asset_job("publish_job", selection=[warehouse, published_dataset])
daily_publish = dg.ScheduleDefinition(job=publish_job, cron_schedule="0 3 * * *",
                                      execution_timezone="UTC")


def _fingerprints(settings: Settings) -> dict[str, str]:
    """Checksum of each report in raw/ by document id; files that vanish meanwhile are skipped."""
    from pipeline.read.ingest import list_reports

    out = {}
    if not settings.raw_dir.is_dir():
        return out
    for p in list_reports(settings.raw_dir):
        try:
            out[p.stem] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            continue
    return out


@dg.sensor(jobs=[documents_job, publish_job], minimum_interval_seconds=60)
def raw_files_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """New or changed files in raw/ get a document run each, then a publish run."""
    state = json.loads(context.cursor) if context.cursor else {}
    seen, tick = state.get("files", {}), state.get("tick", 0) + 1
    current = _fingerprints(_settings())
    changed = {k: h for k, h in current.items() if seen.get(k) != h}
    removed = sorted(set(seen) - set(current))
    known = set(context.instance.get_dynamic_partitions("documents"))
    new = sorted(k for k in changed if k not in known)
    # The tick makes run keys unique, so a file that changes back (A, B, A) runs again.
    requests = [dg.RunRequest(job_name="documents_job", partition_key=k,
                              run_key=f"{k}:{h}:{tick}") for k, h in sorted(changed.items())]
    if changed or removed:
        requests.append(dg.RunRequest(job_name="publish_job", run_key=f"publish:{tick}"))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[documents.build_add_request(new)] if new else [],
        cursor=json.dumps({"files": current, "tick": tick}, sort_keys=True))


defs = dg.Definitions(
    assets=[document, warehouse, published_dataset],
    asset_checks=[keys_hold, quarantine_below_threshold, frictionless_valid],
    jobs=[documents_job, publish_job],
    schedules=[daily_publish],
    sensors=[raw_files_sensor],
)

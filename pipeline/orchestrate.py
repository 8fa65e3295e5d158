"""Run the Dagster assets in-process and summarise the run (what `indicators run` does)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from pipeline.run import RunLocked, Settings, run_lock


@dataclass
class RunSummary:
    """What a run did: per-document outcomes, row counts, failures and outputs."""

    success: bool
    outcomes: list[dict] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    removed: str = "none"
    version: str | None = None
    changed: bool = False
    errors: list[str] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    def print(self, console: Console, seconds: float) -> None:
        """A closing summary for people."""
        table = Table("document", "status", "metrics", "quarantined", "error", title="Documents")
        for o in self.outcomes:
            table.add_row(o["document_id"], o["status"], str(o["rows"].get("metrics", "")),
                          str(o["failures"]), o["error"] or "")
        console.print(table)
        console.print(f"paragraphs: {self.rows.get('paragraphs', 0)}  metrics: "
                      f"{self.rows.get('metrics', 0)}  quarantined rows: "
                      f"{self.rows.get('validation_failures', 0)}  removed: {self.removed}")
        state = "new release" if self.changed else "unchanged"
        console.print(f"published: {self.settings.published_dir} (version {self.version}, "
                      f"{state})\ndatabase:  {self.settings.db_path}")
        for e in self.errors:
            console.print(f"[red]error:[/red] {e}")
        console.print(f"{'done' if self.success else 'FAILED'} in {seconds:.1f} s")


def run_in_process(wait: bool = True, instance=None) -> RunSummary:
    """Materialise warehouse and published_dataset with their checks, in this process."""
    import dagster as dg

    from pipeline import definitions as d
    from pipeline.ingest import list_reports

    settings = Settings()
    if not wait:
        try:
            with run_lock(settings, wait=False):
                pass
        except RunLocked as err:
            return RunSummary(False, errors=[str(err)], settings=settings)
    instance = instance or dg.DagsterInstance.get()
    keys = [p.stem for p in list_reports(settings.raw_dir)]
    known = set(instance.get_dynamic_partitions("documents"))
    if missing := [k for k in keys if k not in known]:
        instance.add_dynamic_partitions("documents", missing)
    result = dg.materialize(
        [d.document, d.warehouse, d.published_dataset, d.keys_hold,
         d.quarantine_below_threshold, d.frictionless_valid],
        selection=[d.warehouse, d.published_dataset], instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    summary = RunSummary(result.success, settings=settings)
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        name = event.asset_key.path[-1]
        if name == "warehouse":
            summary.outcomes = meta["outcomes"].value
            summary.rows = {k[5:]: v.value for k, v in meta.items() if k.startswith("rows_")}
            summary.removed = meta["documents_removed"].value
            summary.errors += [o["error"] for o in summary.outcomes if o["error"]]
        elif name == "published_dataset":
            summary.version = meta["version"].value
            summary.changed = meta["changed"].value
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            summary.errors.append(f"check {check.check_name} failed: {dict(check.metadata)}")
    for event in result.all_events:
        if event.is_step_failure:
            summary.errors.append(str(event.event_specific_data.error.message).strip())
    return summary

"""Run the Dagster assets in-process and summarise the run (what `indicators run` does)."""

from __future__ import annotations

import json
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
    published: bool = False
    errors: list[str] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    @property
    def failed_documents(self) -> list[dict]:
        """Reports that could not be read (duplicates are not failures)."""
        return [o for o in self.outcomes if o["status"] == "failed"]

    @property
    def exit_code(self) -> int:
        """0: all published; 1: publishing failed or was blocked; 2: published, some failed."""
        if not self.success or not self.published:
            return 1
        return 2 if self.failed_documents else 0

    def print(self, console: Console, seconds: float) -> None:
        """A closing summary for people."""
        table = Table("document", "status", "metrics", "quarantined", "problem",
                      title="Documents")
        for o in self.outcomes:
            table.add_row(o["document_id"], o["status"], str(o["rows"].get("metrics", "")),
                          str(o["failures"]), o["error"] or "")
        console.print(table)
        console.print(f"paragraphs: {self.rows.get('paragraphs', 0)}  metrics: "
                      f"{self.rows.get('metrics', 0)}  quarantined rows: "
                      f"{self.rows.get('validation_failures', 0)}  removed: {self.removed}",
                      soft_wrap=True)
        if self.published:
            state = "new release" if self.changed else "unchanged"
            console.print(f"published: {self.settings.published_dir} (version {self.version}, "
                          f"{state})", soft_wrap=True)
        else:
            kept = f"version {self.version} stays" if self.version else "nothing published yet"
            console.print(f"[red]publishing blocked[/red]: {self.settings.published_dir} "
                          f"({kept})", soft_wrap=True)
        console.print(f"database:  {self.settings.db_path}", soft_wrap=True)
        for e in self.errors:
            console.print(f"[red]error:[/red] {e}", soft_wrap=True)
        verdict = {0: "done", 1: "FAILED", 2: "done, with reports that could not be read"}
        console.print(f"{verdict[self.exit_code]} in {seconds:.1f} s")


def _current_version(settings: Settings) -> str | None:
    path = settings.published_dir / "datapackage.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("version")


def run_in_process(wait: bool = True, instance=None) -> RunSummary:
    """Materialise warehouse and published_dataset with their checks, holding the run lock."""
    settings = Settings()
    try:
        with run_lock(settings, wait=wait):
            return _materialise(settings, instance)
    except RunLocked as err:
        return RunSummary(False, errors=[str(err)], settings=settings,
                          version=_current_version(settings))


def _materialise(settings: Settings, instance) -> RunSummary:
    import dagster as dg

    from pipeline import definitions as d
    from pipeline.read.ingest import list_reports

    instance = instance or dg.DagsterInstance.get()
    keys = sorted({p.stem for p in list_reports(settings.raw_dir)}) \
        if settings.raw_dir.is_dir() else []
    known = set(instance.get_dynamic_partitions("documents"))
    if missing := [k for k in keys if k not in known]:
        instance.add_dynamic_partitions("documents", missing)
    result = dg.materialize(
        [d.document, d.warehouse, d.published_dataset, d.keys_hold,
         d.quarantine_below_threshold, d.frictionless_valid],
        selection=[d.warehouse, d.published_dataset], instance=instance, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
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
            summary.published = True
            summary.version = meta["version"].value
            summary.changed = meta["changed"].value
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            details = {k: getattr(v, "value", v) for k, v in check.metadata.items()
                       if k != "examples"}
            summary.errors.append(f"check {check.check_name} failed: {details}")
    for event in result.all_events:
        if event.is_step_failure:
            error = event.event_specific_data.error
            # A Failure raised on purpose carries our message; anything else, its last line.
            message = (error.message or "").strip().splitlines()
            summary.errors.append(message[-1] if message else error.cls_name)
    if not summary.published:
        summary.version = _current_version(settings)
    return summary

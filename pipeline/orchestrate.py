"""Run the pipeline through Dagster and summarise it (what `indicators run` does).

1. Plan (no lock): list raw/, hash each file, set aside duplicates; the reports whose artifact
   is missing are the work.
2. Read (no lock): one report in-process; many with Dagster's multiprocess executor, in
   batches (one step each), each report logged as its `document` partition.
3. Load and publish (run lock): `warehouse` and `published_dataset` with their blocking checks,
   in-process.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline.build import DocumentOutcome, artifact_store
from pipeline.lock import RunLocked, run_lock
from pipeline.plan import Plan, RawFolderError, hand_over, plan_run
from pipeline.resources import SettingsResource, resource_config
from pipeline.settings import Settings

Progress = Callable[[int, int], None]  # (reports done, reports to read)


@dataclass
class RunSummary:
    """What a run did: per-document outcomes, row counts, failures and outputs."""

    success: bool
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    removed: str = "none"
    version: str | None = None
    changed: bool = False
    bump: str | None = None  # as publish says: major, minor, patch, none (first), repair
    repaired: list[str] = field(default_factory=list)  # what a repair rewrote, and why
    published: bool = False
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # problems found and mended (run goes on)
    # raw/ against the collection's manifest: reports missing or unlisted (warnings), files
    # whose bytes changed (errors: the run publishes what it read, and exits 2)
    collection_warnings: list[str] = field(default_factory=list)
    collection_errors: list[str] = field(default_factory=list)
    settings: Settings | None = None
    read: int = 0  # reports read in this run (the rest had their artifact)
    workers: int = 1

    @property
    def failed_documents(self) -> list[DocumentOutcome]:
        """Reports that could not be read or were set aside (duplicates included)."""
        return [o for o in self.outcomes if o.status in ("failed", "duplicate")]

    @property
    def exit_code(self) -> int:
        """0: all published (a report filed twice under two names is published once, and
        said); 1: publishing failed or was blocked; 2: published, but some reports could not
        be read or differ from the collection's manifest."""
        if not self.success or not self.published:
            return 1
        failed = any(o.status == "failed" for o in self.outcomes)
        return 2 if failed or self.collection_errors else 0

    def print(self, console: Console, seconds: float) -> None:
        """A closing summary for people (every report when few, else only the problems)."""
        self._print_documents(console)
        self._print_outputs(console)
        for colour, label, lines in (
            ("yellow", "note", self.notes),
            ("yellow", "collection", self.collection_warnings),
            ("red", "collection", self.collection_errors),
            ("red", "error", self.errors),
        ):
            for line in lines:
                console.print(f"[{colour}]{label}:[/{colour}] {line}", soft_wrap=True)
        verdict = {
            0: "done",
            1: "FAILED",
            2: "done, with reports that could not be read, were set aside or changed",
        }
        console.print(f"{verdict[self.exit_code]} in {seconds:.1f} s")

    def _print_documents(self, console: Console) -> None:
        """The reports (all when few, else those with a problem), then the counts."""
        shown = self.outcomes if len(self.outcomes) <= 50 else self.failed_documents
        table = Table(
            "document",
            "status",
            "metrics",
            "quarantined",
            "problem",
            title="Documents" if shown is self.outcomes else "Reports with problems",
        )
        for o in shown:
            table.add_row(
                o.document_id,
                o.status,
                str(o.rows.get("metrics", "")),
                str(o.failures),
                o.error or "",
            )
        if shown:
            console.print(table)
        counts = {
            s: sum(o.status == s for o in self.outcomes)
            for s in ("loaded", "unchanged", "failed", "duplicate")
        }
        console.print(
            f"reports: {counts['loaded']} read, {counts['unchanged']} unchanged, "
            f"{counts['failed']} failed, {counts['duplicate']} duplicate "
            f"({self.workers} worker{'s' if self.workers > 1 else ''})",
            soft_wrap=True,
        )
        console.print(
            f"paragraphs: {self.rows.get('paragraphs', 0)}  metrics: "
            f"{self.rows.get('metrics', 0)}  quarantined rows: "
            f"{self.rows.get('validation_failures', 0)}  removed: {self.removed}",
            soft_wrap=True,
        )

    def _print_outputs(self, console: Console) -> None:
        """Where the release and the database are, and what became of the release."""
        if self.published:
            state = (
                "repaired, version kept: " + "; ".join(self.repaired)
                if self.bump == "repair"
                else "new release"
                if self.changed
                else "unchanged"
            )
            console.print(
                f"published: {self.settings.published_dir} (version {self.version}, {state})",
                soft_wrap=True,
            )
        else:
            kept = f"version {self.version} stays" if self.version else "nothing published yet"
            console.print(
                f"[red]publishing blocked[/red]: {self.settings.published_dir} ({kept})",
                soft_wrap=True,
            )
        console.print(f"database:  {self.settings.db_path}", soft_wrap=True)


def _current_version(settings: Settings) -> str | None:
    path = settings.published_dir / "datapackage.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def default_workers() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_in_process(
    settings: Settings,
    wait: float | None = None,
    instance=None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> RunSummary:
    """Read what changed (in parallel when there is much), then load and publish under the
    run lock. wait: seconds to wait for another run's lock (None: forever)."""
    from pipeline.dataset.publish import ForeignFolder, check_folder

    workers = workers or default_workers()
    try:
        check_folder(settings.published_dir, _history(settings))  # before anything is written
        store = artifact_store(settings)
        plan = plan_run(settings, store)
    except (RawFolderError, ForeignFolder) as err:
        return RunSummary(
            False, errors=[str(err)], settings=settings, version=_current_version(settings)
        )
    instance = instance or local_instance(settings)
    _register_partitions(instance, plan)
    errors = read_reports(plan, settings, instance, workers, progress)
    try:
        with run_lock(settings, wait, on_wait):
            hand_over(settings, plan)
            try:
                summary = _load_and_publish(settings, instance)
            finally:
                hand_over(settings, None)
    except RunLocked as err:
        return RunSummary(
            False, errors=[str(err)], settings=settings, version=_current_version(settings)
        )
    todo = {p.name for p in plan.todo}
    for o in summary.outcomes:
        if o.status == "unchanged" and o.source_file in todo:
            o.status = "loaded"
    summary.read, summary.workers = len(todo), workers
    summary.errors = errors + summary.errors
    if plan.collection is not None:
        summary.collection_warnings = plan.collection.warnings()
        summary.collection_errors = plan.collection.errors()
    return summary


def _history(settings: Settings) -> Path:
    """The release history the state folder keeps for the published folder."""
    from pipeline.dataset.releases import history_dir

    return history_dir(settings.state_dir, settings.published_dir)


def local_instance(settings: Settings):
    """Dagster's instance for local runs: its storage in the settings' state folder, telemetry
    off, whatever directory the command runs from (nothing written into the repository)."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    settings.state.mkdir(parents=True, exist_ok=True)
    config = settings.state / "dagster.yaml"
    if not config.exists():  # Dagster warns without one; this one only turns telemetry off
        config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    ref = InstanceRef.from_dir(str(settings.state), config_dir=str(settings.state))
    return dg.DagsterInstance.from_ref(ref)


def _register_partitions(instance, plan: Plan) -> None:
    keys = sorted({p.stem for p in plan.files})
    known = set(instance.get_dynamic_partitions("documents"))
    if missing := [k for k in keys if k not in known]:
        instance.add_dynamic_partitions("documents", missing)


def read_reports(
    plan: Plan, settings: Settings, instance, workers: int, progress: Progress | None = None
) -> list[str]:
    """Make the missing artifacts: one report in-process as its `document` partition, many
    with the multiprocess executor (in-process when the instance is ephemeral). Returns
    errors of the Dagster run itself (a report's own failure is in its outcome)."""
    import dagster as dg

    from pipeline import definitions as d

    total = len(plan.todo)
    if total == 0:
        return []
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    if total == 1:  # no pool for one file
        key = plan.todo[0].stem
        dg.materialize(
            [d.document],
            partition_key=key,
            instance=instance,
            resources={"settings": SettingsResource.of(settings)},
            raise_on_error=False,
            run_config=quiet,
        )
        if progress:
            progress(1, 1)
        return []
    parallel = workers > 1 and not instance.is_ephemeral
    shares = split_work(plan.todo, workers if parallel else 1)
    config = {
        **quiet,
        **resource_config(settings),
        "ops": {
            f"read_batch_{i}": {"config": {"paths": [str(p) for p in share]}}
            for i, share in enumerate(shares)
        },
        "execution": {
            "config": {"multiprocess": {"max_concurrent": workers}}
            if parallel
            else {"in_process": {}}
        },
    }
    job = dg.build_reconstructable_job(
        "pipeline.definitions", "read_reports_job", reconstructable_args=(len(shares),)
    )
    watcher = _Watcher(instance, total, progress) if progress else None
    try:
        result = dg.execute_job(job, instance=instance, run_config=config, raise_on_error=False)
    finally:
        if watcher:
            watcher.stop()
    return [] if result.success else [f"reading reports: Dagster run {result.run_id} failed"]


def split_work(paths: list[Path], n: int) -> list[list[Path]]:
    """n shares of about equal bytes, every share in name order."""
    from pipeline.dataset.shares import balance, file_size

    by_name = sorted(paths, key=lambda p: p.name)  # equal sizes go out in name order
    shares = balance({p: file_size(p) for p in by_name}, min(n, len(paths)))
    return [sorted(s, key=lambda p: p.name) for s in shares]


class _Watcher:
    """Counts the reports done (materialised or failed) from Dagster's event log, on a thread.
    Each poll reads only the events after the last one seen: cheap beside the workers."""

    def __init__(self, instance, total: int, progress: Progress):
        self.instance, self.total, self.progress = instance, total, progress
        self.start = instance.event_log_storage.get_maximum_record_id() or 0
        self.after = {"materializations": self.start, "observations": self.start}
        self.count = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _poll(self) -> int:
        import dagster as dg

        from pipeline.definitions import DOCUMENT

        for kind, fetch in (
            ("materializations", self.instance.fetch_materializations),
            ("observations", self.instance.fetch_observations),
        ):
            flt = dg.AssetRecordsFilter(asset_key=DOCUMENT, after_storage_id=self.after[kind])
            records = fetch(flt, limit=self.total, ascending=True).records
            if records:
                self.count += len(records)
                self.after[kind] = records[-1].storage_id
        return min(self.count, self.total)

    def _loop(self) -> None:
        while not self.done.wait(1.0):
            try:
                self.progress(self._poll(), self.total)
            except Exception:  # noqa: BLE001  (a progress bar must never fail a run)
                pass

    def stop(self) -> None:
        """Stop watching and report the final count, counted afresh (a storage whose ids may
        become visible out of order, like Postgres, could have hidden one from the polls)."""
        self.done.set()
        self.thread.join()
        self.count = 0
        self.after = {"materializations": self.start, "observations": self.start}
        self.progress(self._poll(), self.total)


def _load_and_publish(settings: Settings, instance) -> RunSummary:
    import dagster as dg

    from pipeline import definitions as d

    result = dg.materialize(
        [
            d.document,
            d.warehouse,
            d.published_dataset,
            d.keys_hold,
            d.quarantine_below_threshold,
            d.frictionless_valid,
        ],
        selection=[d.warehouse, d.published_dataset],
        instance=instance,
        raise_on_error=False,
        resources={"settings": SettingsResource.of(settings)},
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )
    summary = RunSummary(result.success, settings=settings)
    done = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    if "warehouse" in done:
        load = result.output_for_node("warehouse")
        summary.outcomes, summary.rows = load.outcomes, load.rows
        summary.removed = ", ".join(load.removed) or "none"
        summary.notes += load.repaired
        summary.notes += [o.error for o in load.outcomes if o.error and o.status == "duplicate"]
        summary.errors += [o.error for o in load.outcomes if o.error and o.status != "duplicate"]
    if "published_dataset" in done:
        release = result.output_for_node("published_dataset")
        summary.published, summary.version = True, release.version
        summary.changed = release.changed
        summary.bump, summary.repaired = release.bump, list(release.repaired)
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            details = {
                k: getattr(v, "value", v) for k, v in check.metadata.items() if k != "examples"
            }
            summary.errors.append(f"check {check.check_name} failed: {details}")
    for event in result.all_events:
        if event.is_step_failure:
            error = event.event_specific_data.error
            while error.cause is not None:  # the exception raised, not Dagster's wrapper
                error = error.cause
            # A Failure raised on purpose carries our message; anything else, its last line.
            message = (error.message or "").strip().splitlines()
            summary.errors.append(message[-1] if message else error.cls_name)
    if not summary.published:
        summary.version = _current_version(settings)
    return summary


def progress_line(done: int, total: int, seconds: float) -> str:
    """done/total, rate and time left, for logs where no terminal shows a bar."""
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate else float("inf")
    return f"{done}/{total} reports, {rate:.1f}/s, {left:.0f} s left"

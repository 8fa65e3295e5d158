"""Commands that run the pipeline and manage its releases: run, release, gc, forget."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import typer

from pipeline.cli.common import command_settings, fail


def run(
    wait: float = typer.Option(
        None,
        help="seconds to wait for another run's lock (default: as long as it takes; 0: not at all)",
    ),
    workers: int = typer.Option(
        None, help="parallel workers for reading reports (default: one per core)"
    ),
    allow_empty: bool = typer.Option(
        False, "--allow-empty", help="publish even when raw/ holds no report (an empty dataset)"
    ),
) -> None:
    """Read every new or changed report in raw/ (in parallel), load and publish.

    Exit status: 0 all published; 1 publishing failed or was blocked (the previous release
    stays); 2 published, but some reports could not be read or were duplicates (listed).
    """
    from rich.console import Console

    console = Console()
    started = time.perf_counter()
    from pipeline.heap import large_heap
    from pipeline.orchestrate import run_in_process

    bar, progress = _reading_bar(console, started)

    def waiting(message: str) -> None:
        console.print(f"[yellow]{message}[/yellow]", soft_wrap=True)

    try:
        with large_heap():  # the whole run: Dagster's steps around the assets too
            summary = run_in_process(
                command_settings(allow_empty=True if allow_empty else None),
                wait=wait,
                workers=workers,
                progress=progress,
                on_wait=waiting,
            )
    finally:
        bar.stop()
    summary.print(console, time.perf_counter() - started)
    raise typer.Exit(summary.exit_code)


def _reading_bar(console, started: float) -> tuple:
    """A bar of the reports read (shown from the first one on) and the callback that moves it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("reading reports"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = None

    def progress(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("read", total=total, rate="")
        seconds = time.perf_counter() - started
        bar.update(task, completed=done, rate=f"{done / seconds:.1f}/s" if seconds else "")

    return bar, progress


def release(
    part: str = typer.Argument(..., help="major, minor or patch"),
    date: str = typer.Option(None, help="release date YYYY-MM-DD (default: today)"),
    note: str = typer.Option("", help="why this release is made"),
    tag: bool = typer.Option(True, help="tag the current commit vX.Y.Z"),
) -> None:
    """Make a citable release: bump the version, record its date in release.json, tag it.

    The next publish writes the changelog entry with that date, so reruns stay identical."""
    from pipeline.dataset import release_date as rel

    settings = command_settings()
    try:
        current = _released_version(settings)
        planned = rel.plan(current, part, date, note)
    except ValueError as err:
        fail(str(err))
    rel.write(planned, settings.release_file)
    typer.echo(
        f"release {planned.version} dated {planned.date} recorded in {settings.release_file}"
    )
    if tag:
        rel.tag(planned.version, settings.release_file.parent)
        typer.echo(f"tagged v{planned.version}")


def _released_version(settings) -> str:
    """The version last released: from the release history the state folder keeps (a
    damaged or edited descriptor cannot change it), else the descriptor, else 0.0.0."""
    from pipeline.dataset.releases import history_dir, last_release

    last = last_release(history_dir(settings.state_dir, settings.published_dir))
    if last is not None:
        return last.version
    descriptor = settings.published_dir / "datapackage.json"
    if not descriptor.exists():
        return "0.0.0"
    try:
        version = json.loads(descriptor.read_text(encoding="utf-8"))["version"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"{descriptor} is damaged and no release history is kept in "
            f"{settings.state_dir}: run `indicators run` first, which repairs it"
        ) from None
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(version)):
        raise ValueError(f"{descriptor} names version {version!r}, not X.Y.Z")
    return version


def gc(
    keep: int = typer.Option(..., help="how many of the newest kept releases to keep"),
    wait: float = typer.Option(None, help="seconds to wait for a running run (default: forever)"),
) -> None:
    """Remove all but the newest --keep releases from published/releases/, then every data
    file no remaining release names (the current release is always kept)."""
    from pipeline.dataset.releases import history_dir, prune_history
    from pipeline.dataset.snapshots import UnknownRelease, collect_garbage
    from pipeline.dataset.staging import published_cache
    from pipeline.lock import RunLocked, run_lock

    settings = command_settings()
    try:
        with run_lock(settings, wait, lambda m: typer.echo(m, err=True)):
            done = collect_garbage(settings.published_dir, keep)
            # the removed files' sha256 are forgotten (a run does not look for gone files)
            history = history_dir(settings.state_dir, settings.published_dir)
            published_cache(history).save(prune=True)
            prune_history(history, set(done.kept))
    except (UnknownRelease, ValueError, RunLocked) as err:
        fail(str(err))
    removed = ", ".join(done.removed_releases) or "none"
    typer.echo(
        f"kept releases: {', '.join(done.kept) or 'none'}; removed: {removed}; "
        f"{done.removed_files} data files removed ({done.freed_bytes / 1e6:.1f} MB)"
    )


def forget(paths: list[Path]) -> None:
    """Forget a remembered failure (or the artifact) of these reports: the next run reads
    them again. A failure of the file itself is remembered until the file or the code changes;
    one the environment caused (a missing program, a limit, a timeout) never is."""
    from pipeline.build import artifact_store
    from pipeline.build import forget as forget_files

    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    for name in forget_files(paths, artifact_store(command_settings())):
        typer.echo(f"forgotten: {name} (read again on the next run)")

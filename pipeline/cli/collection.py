"""Commands on the collection in raw/: fetch its reports, check their OCR snapshots."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import command_settings, fail, printable


def fetch(
    symbols: list[str] = typer.Argument(
        None,
        help="document symbols to fetch and add to the manifest (S/2005/453); with --add, "
        "files in raw/ to add",
    ),
    mission: str = typer.Option(
        "", help="the mission of reports fetched by symbol (their file: MISSION_S_2005_453.pdf)"
    ),
    file: list[str] = typer.Option(None, "--file", help="fetch only these files of the manifest"),
    add: bool = typer.Option(
        False, "--add", help="add files of raw/ the manifest does not list (all, or those named)"
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="list what would be fetched, fetch nothing"
    ),
    source: str = typer.Option(
        None,
        "--from",
        help="where from: a URL with {symbol}, or a folder, file://, http(s):// or s3:// base "
        "(INDICATORS_FETCH_FROM; default: the UN's document system)",
    ),
) -> None:
    """Get the reports of the collection's manifest that raw/ lacks (or new ones by symbol),
    verified (no HTML page, no truncated file, the manifest's sha256) before they enter raw/.

    Exit status: 0 all fetched or present; 1 some could not be fetched (each named, why)."""
    from pipeline.fetch import FetchError, add_files, extra_files, fetch_missing
    from pipeline.manifest import ManifestError

    settings = command_settings(fetch_from=source)
    try:
        if add:
            _add_to_manifest(settings, symbols or extra_files(settings), add_files)
            return
        if dry_run:
            _list_missing(settings, file)
            return
        with _FetchBar() as bar:
            if symbols:
                outcomes = _fetch_symbols(settings, symbols, mission, bar)
            else:
                outcomes = fetch_missing(settings, file, bar.say, bar.progress, bar.done)
    except (FetchError, ManifestError, FileNotFoundError) as err:
        fail(str(err))
    _summarise(outcomes, settings, file)


def _list_missing(settings, names: list[str] | None) -> None:
    """What a fetch would get, one report a line, then how many."""
    from pipeline.fetch import missing_entries

    todo = missing_entries(settings, names)
    for e in todo:
        typer.echo(f"{e.file}\t{e.symbols}\t{e.url}")
    typer.echo(f"{len(todo)} report(s) of {settings.manifest} to fetch")


def _fetch_symbols(settings, symbols: list[str], mission: str, bar: _FetchBar) -> list:
    """Fetch reports by symbol, one after the other, saying each entry the manifest gains."""
    from pipeline.fetch import fetch_symbol

    outcomes = []
    for symbol in symbols:
        outcome, entry = fetch_symbol(settings, symbol, mission, bar.say, bar.progress)
        outcomes.append(outcome)
        bar.done(outcome)
        if entry is not None and outcome.status == "fetched":
            bar.say(f"added to {settings.manifest.name}: {_described(entry)}")
    return outcomes


def _summarise(outcomes: list, settings, names: list[str] | None) -> None:
    """How many reports were fetched, failed or already in raw/; exit 1 when one failed."""
    failed = [o for o in outcomes if o.status == "failed"]
    fetched = sum(o.status == "fetched" for o in outcomes)
    present = sum(o.status == "present" for o in outcomes)
    if not outcomes:
        asked = ", ".join(names) if names else f"every report of {settings.manifest.name}"
        typer.echo(f"nothing to fetch: raw/ holds {asked}")
        return
    typer.echo(
        f"{fetched} fetched, {len(failed)} failed"
        + (f", {present} already in raw/" if present else "")
    )
    if failed:
        raise typer.Exit(1)


def _described(entry) -> str:
    """A manifest entry in one line."""
    when = f"{entry.date_issued} ({entry.date_source})" if entry.date_issued else "no date"
    return (
        f"{entry.file} {entry.symbols} {entry.mission or '(no mission)'} {when} "
        f"{entry.bytes:,} bytes sha256 {entry.sha256[:12]}..."
    )


def _add_to_manifest(settings, names: list[str], add_files) -> None:
    """Add the files named to the manifest, saying each entry (or that none was missing)."""
    if not names:
        typer.echo(f"every file in {settings.raw_dir} is in {settings.manifest.name}")
        return
    for entry in add_files(settings, names):
        typer.echo(f"added to {settings.manifest.name}: {_described(entry)}")


class _FetchBar:
    """A progress bar of the files fetched and the bytes of the current one; messages above."""

    def __enter__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        self.console = Console()
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=self.console,
            transient=True,
        )
        self.task = None  # the bar starts with the first bytes (no empty line when none come)
        return self

    def __exit__(self, *exc) -> None:
        if self.task is not None:
            self.bar.stop()

    def say(self, message: str) -> None:
        self.console.print(printable(message), soft_wrap=True, highlight=False)

    def progress(self, name: str, done: int, total: int | None) -> None:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task("fetching", total=None)
        self.bar.update(self.task, description=name, completed=done, total=total)

    def done(self, outcome) -> None:
        if outcome.status == "fetched":
            self.say(f"fetched {outcome.file} ({outcome.bytes:,} bytes) from {outcome.source}")
        elif outcome.status == "failed":
            self.console.print(f"[red]failed:[/red] {printable(outcome.message)}", soft_wrap=True)
        else:
            self.say(outcome.message)


def ocr(
    paths: list[Path] = typer.Argument(None, help="PDFs or folders (default: raw/)"),
    refresh: bool = typer.Option(
        False, "--refresh", help="OCR the scans again with Tesseract and replace their snapshots"
    ),
    check: bool = typer.Option(
        False, "--check", help="exit 1 when a scan has no intact snapshot (for CI)"
    ),
    cache: Path = typer.Option(
        None, help="the snapshot folder (default: INDICATORS_OCR_CACHE, ocr/)"
    ),
) -> None:
    """Scans and their OCR snapshots: per PDF, the pages without a text layer, whether its
    snapshot is intact and which Tesseract version made it. Never OCRs unless --refresh."""
    import logging

    from pipeline.read.errors import ReportError
    from pipeline.read.scans import refresh_snapshot, scan_status

    logging.basicConfig(level=logging.INFO, format="%(message)s")  # OCR progress on stderr
    settings = command_settings(ocr_cache=cache)
    options = settings.read_options()
    statuses, errors, made = [], [], []
    for path in _pdfs(paths, settings):
        try:
            statuses.append(scan_status(path, settings.ocr_cache, options.max_bytes))
            if refresh and statuses[-1].scan_pages:
                # the old snapshot stays shown when the new OCR fails (Tesseract missing)
                statuses[-1] = refresh_snapshot(path, settings.ocr_cache, options.max_bytes)
                made.append(str(path))
        except ReportError as err:
            errors.append(str(err))
    _print_scans(statuses, settings.ocr_cache, errors)
    if made:
        # artifacts are keyed by the PDF's bytes, not by its snapshot: they must be let go
        typer.echo(f"snapshots made again; to use them: indicators forget {' '.join(made)}")
    if check and (errors or not all(s.ok for s in statuses)):
        raise typer.Exit(1)


def _pdfs(paths: list[Path] | None, settings) -> list[Path]:
    """The PDFs named (folders expanded), or every PDF in raw/ (its manifest left out)."""
    from pipeline.read.ingest import list_reports

    if not paths:
        paths = [settings.raw_dir]
    out = []
    for p in paths:
        if p.is_dir():
            out += list_reports(p, skip=(settings.manifest,))
        elif p.is_file():
            out.append(p)
        else:
            fail(f"no such file or folder: {p}")
    return [p for p in out if p.suffix.lower() == ".pdf"]


def _shown(path: Path) -> str:
    """A path as given from here when it is below the current folder, else in full."""
    path = path.resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _print_scans(statuses: list, cache: Path, errors: list[str]) -> None:
    """The scans as a table (PDFs with a text layer counted, not listed) and a summary."""
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    from pipeline.read.ocr import CACHE_VERSION
    from pipeline.read.scans import NOT_A_SCAN

    console = Console(width=160)
    scans = [s for s in statuses if s.state != NOT_A_SCAN]
    table = Table("file", "pages", "without text", "snapshot (sha256)", "state", "tesseract")
    colour = {"intact": "green", "missing": "yellow", "damaged": "red"}
    for s in scans:
        state = f"[{colour[s.state]}]{s.state}[/]" + (f": {s.problem}" if s.problem else "")
        # the PDF's sha256 names the snapshot; its start is enough to find the file
        short = s.snapshot[:16] + "…"
        table.add_row(s.file, str(s.pages), str(len(s.scan_pages)), short, state, s.tesseract)
    if scans:
        console.print(table)
    for error in errors:
        console.print(f"[red]{printable(error)}[/red]", soft_wrap=True)
    counts = Counter(s.state for s in scans)
    console.print(
        f"{len(statuses)} PDFs, {len(scans)} with pages to OCR "
        f"({sum(len(s.scan_pages) for s in scans)} pages); snapshots "
        f"({CACHE_VERSION}) in {_shown(cache)}: {counts['intact']} intact, "
        f"{counts['missing']} missing, {counts['damaged']} damaged"
        + (f"; {len(errors)} unreadable" if errors else ""),
        soft_wrap=True,
    )

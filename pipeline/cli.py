"""The `indicators` command: thin wrappers over the pipeline's Python functions."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import time
from pathlib import Path

import typer

app = typer.Typer(
    help="Quantitative statements from institutional reports, as open data.",
    no_args_is_help=True,
    add_completion=False,
)

EXTRACT_FIELDS = [
    "metric_id",
    "document_id",
    "paragraph",
    "quote",
    "value",
    "value_max",
    "unit",
    "unit_word",
    "entity",
    "qualifier",
    "year",
    "theme",
    "subtheme",
    "countries",
    "sentence",
    "char_start",
    "char_end",
    "extractor_version",
    "counted",
    "as_of",
    "status",
    "holder",
    "aggregation",
    "scope",
]


def _emit(lines) -> None:
    """Write lines to stdout; a reader that stops early (`| head`) is not an error."""
    try:
        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def _settings(**overrides):
    """The settings of this command: the environment's, then its options (built once)."""
    from pipeline.settings import Settings

    return Settings.from_env(**overrides)


def _printable(text: str) -> str:
    """Control characters shown escaped ('\\x1b'), never sent raw to a terminal."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else repr(ch)[1:-1] for ch in text)


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(1)


@app.command()
def extract(path: Path, format: str = typer.Option("jsonl", help="jsonl or csv")) -> None:
    """Print the metrics of one report (no database, no Dagster)."""
    from pipeline.extract.facts import Report
    from pipeline.extract.metrics import extract as extract_metrics
    from pipeline.extract.structure import parse
    from pipeline.read.ingest import ReportError, ingest

    try:
        document = ingest(path, _settings().read_options())
        metrics = extract_metrics(parse(document), Report.of(document.metadata, document.text))
    except ReportError as err:
        _fail(str(err))
    records = []
    for m in metrics:
        r = m.as_record()
        records.append({k: r[k] for k in EXTRACT_FIELDS})
    if format == "jsonl":
        _emit(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    elif format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=EXTRACT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in records:
            r["countries"] = ";".join(c["iso3"] for c in r["countries"])
            writer.writerow(r)
        _emit([out.getvalue()])
    else:
        _fail(f"unknown format {format!r} (use jsonl or csv)")


@app.command()
def explain(
    sentence: str,
    issued: str = typer.Option(
        None, help="the report's date of issue (YYYY-MM-DD), for dates that leave out the year"
    ),
    subject: str = typer.Option(
        None, help="the acronym of the mission or organisation the report is about"
    ),
) -> None:
    """Print each number of SENTENCE, the rule that kept or dropped it, how its unit, entity,
    qualifier and year were decided, its facts (counted, holder, status, aggregation, scope,
    as_of) and the indicator rule that takes it or why none does (rules in
    pipeline/extract/rules/*.yaml and schemas/indicators.yaml)."""
    from datetime import date

    from pipeline.dataset.series import match_metric, why_not
    from pipeline.extract.explain import explain as explain_text
    from pipeline.extract.explain import lines
    from pipeline.extract.facts import Report

    try:
        day = date.fromisoformat(issued) if issued else None
    except ValueError:
        _fail(f"--issued {issued!r} is not a date (YYYY-MM-DD)")

    def mapped(metric) -> str:
        row = {**metric.as_record(), "metric_id": metric.metric_id}
        found = match_metric(row)
        return ", ".join(f"{m.indicator} (rule {m.rule})" for m in found) or why_not(row)

    report = Report(day, subject)
    _emit(line + "\n" for line in lines(explain_text(sentence, report), mapped))


@app.command()
def parse(path: Path, format: str = typer.Option("jsonl", help="jsonl only")) -> None:
    """Print the numbered paragraphs of one report with their sections and offsets."""
    from pipeline.extract.structure import parse as parse_doc
    from pipeline.extract.structure import section_titles
    from pipeline.read.ingest import ReportError, ingest

    try:
        structure = parse_doc(ingest(path, _settings().read_options()))
    except ReportError as err:
        _fail(str(err))
    sections = section_titles(structure)

    def lines():
        for p in structure.paragraphs:
            sec = sections.get(p.section_id)
            yield (
                json.dumps(
                    {
                        "document_id": structure.document_id,
                        "paragraph": p.number,
                        "section_path": sec.path if sec else None,
                        "section_title": sec.title if sec else None,
                        "text": p.text,
                        "char_start": p.char_start,
                        "char_end": p.char_end,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )

    _emit(lines())


@app.command()
def text(path: Path) -> None:
    """Print a report's text as the pipeline reads it (furniture out, OCR in, normalised):
    every char_start/char_end in the dataset is an offset into this text."""
    from pipeline.read.ingest import ReportError, ingest

    try:
        document = ingest(path, _settings().read_options())
    except ReportError as err:
        _fail(str(err))
    _emit([document.text])


def _open_for_query(db: Path | None, settings):
    """A locked-down connection: the database, or the published release while a run writes."""
    from pipeline.dataset.store import DatabaseBusy, NotADatabase, connect_readonly, connect_release

    try:
        return connect_readonly(db or settings.db_path, settings.sql_memory)
    except (FileNotFoundError, NotADatabase) as err:
        _fail(str(err))
    except DatabaseBusy as err:
        if db is not None:
            _fail(str(err))
        try:
            con = connect_release(settings.published_dir, memory=settings.sql_memory)
        except FileNotFoundError:
            _fail(f"{err}; and there is no published release to query meanwhile")
        typer.secho(
            "note: a run is writing the database; querying the published release "
            f"in {settings.published_dir} instead",
            err=True,
            fg="yellow",
        )
        return con


def _open_release(version: str, settings):
    """A locked-down in-memory database of a kept release's files."""
    from pipeline.dataset.snapshots import UnknownRelease, release_descriptor
    from pipeline.dataset.store import connect_release

    try:
        descriptor = release_descriptor(settings.published_dir, version)
        return connect_release(
            settings.published_dir, memory=settings.sql_memory, descriptor=descriptor
        )
    except (UnknownRelease, FileNotFoundError) as err:
        _fail(str(err))


def _refusal(err: Exception) -> str:
    """Say plainly why a query was refused, then DuckDB's own words."""
    import duckdb

    if isinstance(err, duckdb.PermissionException):
        return (
            "refused: the query interface reads the tables only; it cannot read or write "
            "files, attach databases or install extensions (" + str(err).splitlines()[0] + ")"
        )
    text = str(err)
    if "read-only mode" in text or "configuration has been locked" in text:
        return (
            "refused: the query interface is read-only and its settings are locked ("
            + text.splitlines()[0]
            + ")"
        )
    return text


def _format_rows(header: list[str], rows: list[tuple], format: str):
    """The result as lines of CSV or JSON lines, or as a rich table."""
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return [out.getvalue()]
    if format == "json":
        return [
            json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False, default=str) + "\n"
            for row in rows
        ]
    from rich.console import Console
    from rich.table import Table

    table = Table(*header, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else _printable(str(v)) for v in row))
    out = io.StringIO()
    Console(file=out, width=200).print(table)
    return [out.getvalue()]


@app.command()
def sql(
    query: str,
    db: Path = typer.Option(None, help="DuckDB file (default: the pipeline's)"),
    format: str = typer.Option("table", help="table, csv or json (one object a line)"),
    timeout: float = typer.Option(
        None, help="seconds a query may run (default: INDICATORS_SQL_TIMEOUT, 60)"
    ),
    release: str = typer.Option(
        None, help="query an older release kept in published/releases/ (e.g. v3.0.0)"
    ),
) -> None:
    """Run SQL on the DuckDB database, read-only: no file access, no extensions. A query stops
    at --timeout or on Ctrl-C; DuckDB's memory is limited (INDICATORS_SQL_MEMORY). --release
    loads that release's Parquet files into memory and queries them instead."""
    from pipeline.dataset.store import QueryStopped, run_query

    if format not in ("table", "csv", "json"):
        _fail(f"unknown format {format!r} (use table, csv or json)")
    settings = _settings()
    con = _open_release(release, settings) if release else _open_for_query(db, settings)
    try:
        header, rows = run_query(con, query, timeout or settings.sql_timeout)
    except QueryStopped as err:
        _fail(str(err))
    except Exception as err:  # noqa: BLE001  (DuckDB's errors, said plainly)
        _fail(_refusal(err))
    finally:
        _close_quietly(con)
    _emit(_format_rows(header, rows, format))


def _close_quietly(con) -> None:
    """Close a query's connection; after Ctrl-C DuckDB may still call it busy, and the
    process ends anyway (read-only: nothing to lose)."""
    import duckdb

    try:
        con.close()
    except duckdb.Error:
        pass


@app.command()
def validate(
    published: Path = typer.Option(None, help="published folder"),
    parquet: bool = typer.Option(
        False,
        "--parquet",
        help=(
            "let frictionless read the Parquet files too (slow), instead of comparing "
            "each with its validated CSV twin"
        ),
    ),
) -> None:
    """Validate published/ with frictionless and check every file's sha256."""
    from pipeline.dataset.checks import frictionless_errors
    from pipeline.dataset.publish import descriptor_problem

    folder = published or _settings().published_dir
    if problem := descriptor_problem(folder):
        _fail(problem)
    errors = frictionless_errors(folder, parquet=parquet)
    for e in errors:
        typer.echo(e)
    if errors:
        _fail(f"{len(errors)} problem(s) in {folder}")
    typer.echo(f"{folder / 'datapackage.json'}: valid")


@app.command()
def evaluate(
    gold: Path,
    predicted: Path = typer.Argument(None),
    doc: Path = typer.Option(None, help="extract this report first"),
    paragraphs: str = typer.Option(None, help="score only paragraphs A-B (inclusive)"),
    series: bool = typer.Option(
        False,
        "--series",
        help=(
            "GOLD is a key of indicator figures (a CSV or a folder of them, see "
            "gold/SERIES_KEY.md): score the published series per indicator"
        ),
    ),
    published: Path = typer.Option(None, help="published folder (with --series)"),
) -> None:
    """Score metrics against a gold file: precision, recall, F1, field accuracy, strict F1;
    with --series, score the series against a key: recall, precision and as_of per indicator."""
    if series:
        _evaluate_series(gold, published or _settings().published_dir)
        return
    from pipeline.extract.evaluate import (
        evaluate_document,
        in_range,
        load_records,
        parse_range,
        score,
    )

    span = parse_range(paragraphs) if paragraphs else None
    if doc is not None:
        scores = evaluate_document(gold, doc, span, _settings().read_options())
    elif predicted is not None:
        scores = score(in_range(load_records(gold), span), in_range(load_records(predicted), span))
    else:
        _fail("give PREDICTED or --doc PATH")
    typer.echo(
        " ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in scores.as_dict().items()
        )
    )


def _evaluate_series(key: Path, published: Path) -> None:
    """Print each indicator's score against a key, then the hard and soft totals."""
    from pipeline.dataset.accuracy import read_keys, score, totals
    from pipeline.dataset.store import read_published

    paths = sorted(key.glob("*.csv")) if key.is_dir() else [key]
    if not paths:
        _fail(f"no key (*.csv) in {key}")
    try:
        series, documents = (
            read_published(published, "series"),
            read_published(published, "documents"),
        )
    except FileNotFoundError as err:
        _fail(f"{published}: no published series ({err})")
    scores = score(series, documents, read_keys(paths))
    header = [
        "indicator",
        "kind",
        "key_figures",
        "found",
        "recall",
        "predicted",
        "precision",
        "dated",
        "as_of_right",
    ]
    rows = [s.as_row() for s in [*scores, *totals(scores).values()]]
    _emit(_format_rows(header, [tuple(_cell(r[h]) for h in header) for r in rows], "table"))


def _cell(value):
    return f"{value:.2f}" if isinstance(value, float) else value


@app.command()
def forget(paths: list[Path]) -> None:
    """Forget a remembered failure (or the artifact) of these reports: the next run reads
    them again. A failure of the file itself is remembered until the file or the code changes;
    one the environment caused (a missing program, a limit, a timeout) never is."""
    from pipeline.build import artifact_store
    from pipeline.build import forget as forget_files

    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        _fail(f"no such file: {', '.join(missing)}")
    for name in forget_files(paths, artifact_store(_settings())):
        typer.echo(f"forgotten: {name} (read again on the next run)")


@app.command()
def gc(
    keep: int = typer.Option(..., help="how many of the newest kept releases to keep"),
    wait: float = typer.Option(None, help="seconds to wait for a running run (default: forever)"),
) -> None:
    """Remove all but the newest --keep releases from published/releases/, then every data
    file no remaining release names (the current release is always kept)."""
    from pipeline.dataset.snapshots import UnknownRelease, collect_garbage
    from pipeline.lock import RunLocked, run_lock

    settings = _settings()
    try:
        with run_lock(settings, wait, lambda m: typer.echo(m, err=True)):
            done = collect_garbage(settings.published_dir, keep)
    except (UnknownRelease, ValueError, RunLocked) as err:
        _fail(str(err))
    removed = ", ".join(done.removed_releases) or "none"
    typer.echo(
        f"kept releases: {', '.join(done.kept) or 'none'}; removed: {removed}; "
        f"{done.removed_files} data files removed ({done.freed_bytes / 1e6:.1f} MB)"
    )


@app.command()
def dictionary(write_readme: bool = typer.Option(False, help="update README.md's section")) -> None:
    """Print the data dictionary (generated from schemas/), or write it into the README."""
    from pipeline.dataset.schema import data_dictionary, with_dictionary

    if write_readme:
        readme = Path(__file__).resolve().parent.parent / "README.md"
        readme.write_text(with_dictionary(readme.read_text(encoding="utf-8")), encoding="utf-8")
        typer.echo(f"updated {readme}")
    else:
        typer.echo(data_dictionary())


@app.command()
def audit(
    paths: list[Path],
    format: str = typer.Option("table", help="table, json or csv"),
    strict: bool = typer.Option(
        False,
        help="exit 1 on furniture left in text, numbering "
        "gaps or repeats, offset quarantines or "
        "reports that fail",
    ),
) -> None:
    """How well a batch of reports reads: one row per report, and the totals."""
    import logging

    from pipeline.audit import as_rows, audit_file, report_files, totals

    logging.basicConfig(level=logging.INFO, format="%(message)s")  # OCR progress on stderr
    files = report_files(paths)
    if not files:
        _fail("no reports found in " + ", ".join(map(str, paths)))
    options = _settings().read_options()
    audits = [audit_file(f, options) for f in files]
    total = totals(audits)
    rows = as_rows(audits)
    if format == "json":
        _emit(
            [json.dumps({"documents": rows, "totals": total}, ensure_ascii=False, indent=1) + "\n"]
        )
    elif format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        _emit([out.getvalue()])
    else:
        _print_audit(rows, total)
    bad = (
        total["failed"]
        + total["furniture"]
        + total["offset_quarantined"]
        + total["numbering_gaps"]
        + total["numbering_repeats"]
    )
    if strict and bad:
        _fail(
            f"audit: {total['failed']} failed, {total['furniture']} furniture, "
            f"{total['numbering_gaps']} numbering gaps, {total['numbering_repeats']} repeats, "
            f"{total['offset_quarantined']} offset quarantines"
        )


def _print_audit(rows: list[dict], total: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    columns = [
        "file",
        "status",
        "pages",
        "ocr_pages",
        "paragraphs",
        "numbering_gaps",
        "numbering_repeats",
        "furniture",
        "metrics_per_1000_words",
        "quarantined",
        "warnings",
        "seconds",
    ]
    table = Table(*[c.replace("_", " ") for c in columns], title="Audit")
    for r in rows:
        table.add_row(*("" if r[c] is None else str(r[c]) for c in columns))
    table.add_row(
        *(["total", f"{total['failed']} failed"] + [str(total.get(c, "")) for c in columns[2:]]),
        style="bold",
    )
    console = Console(width=200)
    console.print(table)
    for r in rows:
        if r["error"]:
            console.print(f"[red]{r['error']}[/red]", soft_wrap=True)
        if r["furniture_examples"]:
            console.print(
                f"[yellow]{r['file']}[/yellow]: {r['furniture_examples']}", soft_wrap=True
            )


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
            _fail(f"no such file or folder: {p}")
    return [p for p in out if p.suffix.lower() == ".pdf"]


@app.command()
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
    settings = _settings(ocr_cache=cache)
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
        console.print(f"[red]{_printable(error)}[/red]", soft_wrap=True)
    counts = Counter(s.state for s in scans)
    console.print(
        f"{len(statuses)} PDFs, {len(scans)} with pages to OCR "
        f"({sum(len(s.scan_pages) for s in scans)} pages); snapshots "
        f"({CACHE_VERSION}) in {_shown(cache)}: {counts['intact']} intact, "
        f"{counts['missing']} missing, {counts['damaged']} damaged"
        + (f"; {len(errors)} unreadable" if errors else ""),
        soft_wrap=True,
    )


@app.command()
def release(
    part: str = typer.Argument(..., help="major, minor or patch"),
    date: str = typer.Option(None, help="release date YYYY-MM-DD (default: today)"),
    note: str = typer.Option("", help="why this release is made"),
    tag: bool = typer.Option(True, help="tag the current commit vX.Y.Z"),
) -> None:
    """Make a citable release: bump the version, record its date in release.json, tag it.

    The next publish writes the changelog entry with that date, so reruns stay identical."""
    from pipeline.dataset import release_date as rel

    settings = _settings()
    try:
        current = _released_version(settings)
        planned = rel.plan(current, part, date, note)
    except ValueError as err:
        _fail(str(err))
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


@app.command()
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
    from pipeline.fetch import FetchError, add_files, extra_files, fetch_missing, fetch_symbol
    from pipeline.fetch import missing_entries as missing
    from pipeline.manifest import ManifestError

    settings = _settings(fetch_from=source)
    try:
        if add:
            _add_to_manifest(settings, symbols or extra_files(settings), add_files)
            return
        if dry_run:
            todo = missing(settings, file)
            for e in todo:
                typer.echo(f"{e.file}\t{e.symbols}\t{e.url}")
            typer.echo(f"{len(todo)} report(s) of {settings.manifest} to fetch")
            return
        with _FetchBar() as bar:
            if symbols:
                outcomes = []
                for symbol in symbols:
                    outcome, entry = fetch_symbol(settings, symbol, mission, bar.say, bar.progress)
                    outcomes.append(outcome)
                    bar.done(outcome)
                    if entry is not None and outcome.status == "fetched":
                        bar.say(f"added to {settings.manifest.name}: {_described(entry)}")
            else:
                outcomes = fetch_missing(settings, file, bar.say, bar.progress, bar.done)
    except (FetchError, ManifestError, FileNotFoundError) as err:
        _fail(str(err))
    failed = [o for o in outcomes if o.status == "failed"]
    fetched = sum(o.status == "fetched" for o in outcomes)
    present = sum(o.status == "present" for o in outcomes)
    if not outcomes:
        asked = ", ".join(file) if file else f"every report of {settings.manifest.name}"
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
        self.console.print(_printable(message), soft_wrap=True, highlight=False)

    def progress(self, name: str, done: int, total: int | None) -> None:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task("fetching", total=None)
        self.bar.update(self.task, description=name, completed=done, total=total)

    def done(self, outcome) -> None:
        if outcome.status == "fetched":
            self.say(f"fetched {outcome.file} ({outcome.bytes:,} bytes) from {outcome.source}")
        elif outcome.status == "failed":
            self.console.print(f"[red]failed:[/red] {_printable(outcome.message)}", soft_wrap=True)
        else:
            self.say(outcome.message)


@app.command()
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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console()
    started = time.perf_counter()
    from pipeline.orchestrate import run_in_process

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

    def waiting(message: str) -> None:
        console.print(f"[yellow]{message}[/yellow]", soft_wrap=True)

    try:
        summary = run_in_process(
            _settings(allow_empty=True if allow_empty else None),
            wait=wait,
            workers=workers,
            progress=progress,
            on_wait=waiting,
        )
    finally:
        bar.stop()
    summary.print(console, time.perf_counter() - started)
    raise typer.Exit(summary.exit_code)


if __name__ == "__main__":
    app()

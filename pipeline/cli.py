"""The `indicators` command: thin wrappers over the pipeline's Python functions."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from pathlib import Path

import typer

app = typer.Typer(help="Quantitative statements from institutional reports, as open data.",
                  no_args_is_help=True, add_completion=False)

EXTRACT_FIELDS = ["metric_id", "document_id", "paragraph", "quote", "value", "value_max", "unit",
                  "entity", "qualifier", "year", "theme", "subtheme", "countries", "sentence",
                  "char_start", "char_end", "extractor_version"]


def _emit(lines) -> None:
    """Write lines to stdout; a reader that stops early (`| head`) is not an error."""
    try:
        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(1)


@app.command()
def extract(path: Path, format: str = typer.Option("jsonl", help="jsonl or csv")) -> None:
    """Print the metrics of one report (no database, no Dagster)."""
    from pipeline.extract.metrics import extract as extract_metrics
    from pipeline.extract.structure import parse
    from pipeline.read.ingest import ReportError, ingest

    try:
        metrics = extract_metrics(parse(ingest(path)))
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
def parse(path: Path, format: str = typer.Option("jsonl", help="jsonl only")) -> None:
    """Print the numbered paragraphs of one report with their sections and offsets."""
    from pipeline.extract.structure import parse as parse_doc
    from pipeline.extract.structure import section_titles
    from pipeline.read.ingest import ReportError, ingest

    try:
        structure = parse_doc(ingest(path))
    except ReportError as err:
        _fail(str(err))
    sections = section_titles(structure)
    def lines():
        for p in structure.paragraphs:
            sec = sections.get(p.section_id)
            yield json.dumps({
                "document_id": structure.document_id, "paragraph": p.number,
                "section_path": sec.path if sec else None,
                "section_title": sec.title if sec else None,
                "text": p.text, "char_start": p.char_start, "char_end": p.char_end},
                ensure_ascii=False) + "\n"

    _emit(lines())


@app.command()
def sql(query: str, db: Path = typer.Option(None, help="DuckDB file (default: the pipeline's)"),
        ) -> None:
    """Run SQL on the DuckDB database and print the result as a table."""
    import duckdb
    from rich.console import Console
    from rich.table import Table

    from pipeline.run import Settings

    path = db or Settings().db_path
    if not Path(path).exists():
        _fail(f"{path}: no database yet; run 'make run' first")
    try:
        con = duckdb.connect(str(path), read_only=True)
        cur = con.execute(query)
        header = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if header else []
    except duckdb.Error as err:
        _fail(str(err))
    table = Table(*header, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(width=200).print(table)


@app.command()
def validate(published: Path = typer.Option(None, help="published folder")) -> None:
    """Validate published/ with frictionless and check every file's sha256."""
    from pipeline.dataset.checks import frictionless_errors
    from pipeline.run import Settings

    folder = published or Settings().published_dir
    errors = frictionless_errors(folder)
    for e in errors:
        typer.echo(e)
    if errors:
        _fail(f"{len(errors)} problem(s) in {folder}")
    typer.echo(f"{folder / 'datapackage.json'}: valid")


@app.command()
def evaluate(gold: Path, predicted: Path = typer.Argument(None),
             doc: Path = typer.Option(None, help="extract this report first"),
             paragraphs: str = typer.Option(None, help="score only paragraphs A-B (inclusive)"),
             ) -> None:
    """Score metrics against a gold file: precision, recall, F1, field accuracy, strict F1."""
    from pipeline.extract.evaluate import (evaluate_document, in_range, load_records,
                                           parse_range, score)

    span = parse_range(paragraphs) if paragraphs else None
    if doc is not None:
        scores = evaluate_document(gold, doc, span)
    elif predicted is not None:
        scores = score(in_range(load_records(gold), span),
                       in_range(load_records(predicted), span))
    else:
        _fail("give PREDICTED or --doc PATH")
    typer.echo(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in scores.as_dict().items()))


@app.command()
def dictionary(write_readme: bool = typer.Option(False, help="update README.md's section")
               ) -> None:
    """Print the data dictionary (generated from schemas/), or write it into the README."""
    from pipeline.dataset.schema import data_dictionary, with_dictionary

    if write_readme:
        readme = Path(__file__).resolve().parent.parent / "README.md"
        readme.write_text(with_dictionary(readme.read_text(encoding="utf-8")), encoding="utf-8")
        typer.echo(f"updated {readme}")
    else:
        typer.echo(data_dictionary())


@app.command()
def run(wait: bool = typer.Option(True, help="wait for another run's lock instead of exiting"),
        ) -> None:
    """Process every report in raw/ and publish (Dagster, in-process).

    Exit status: 0 all published; 1 publishing failed or was blocked (the previous release
    stays); 2 published, but some reports could not be read (listed in the summary).
    """
    from rich.console import Console

    from pipeline.orchestrate import run_in_process

    console = Console()
    started = time.perf_counter()
    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("DAGSTER_HOME", str(root))
    # dagster.yaml keeps Dagster's state here, whatever directory the command runs from
    os.environ.setdefault("INDICATORS_DAGSTER_STATE", str(root / ".dagster"))
    with console.status("Running the pipeline (ingest, parse, extract, validate, store, "
                        "publish)..."):
        summary = run_in_process(wait=wait)
    summary.print(console, time.perf_counter() - started)
    raise typer.Exit(summary.exit_code)


if __name__ == "__main__":
    app()

"""Commands that measure: metrics and series scored against gold keys, how well reports read."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer

from pipeline.cli.common import command_settings, emit, fail, format_rows


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
        _evaluate_series(gold, published or command_settings().published_dir)
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
        scores = evaluate_document(gold, doc, span, command_settings().read_options())
    elif predicted is not None:
        scores = score(in_range(load_records(gold), span), in_range(load_records(predicted), span))
    else:
        fail("give PREDICTED or --doc PATH")
    typer.echo(
        " ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in scores.as_dict().items()
        )
    )


def _evaluate_series(key: Path, published: Path) -> None:
    """Print each indicator's score against a key, then the hard and soft totals."""
    from pipeline.dataset.accuracy import read_keys, score, totals
    from pipeline.dataset.readers import read_published

    paths = sorted(key.glob("*.csv")) if key.is_dir() else [key]
    if not paths:
        fail(f"no key (*.csv) in {key}")
    try:
        series, documents = (
            read_published(published, "series"),
            read_published(published, "documents"),
        )
    except FileNotFoundError as err:
        fail(f"{published}: no published series ({err})")
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
    emit(format_rows(header, [tuple(_cell(r[h]) for h in header) for r in rows], "table"))


def _cell(value):
    return f"{value:.2f}" if isinstance(value, float) else value


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
        fail("no reports found in " + ", ".join(map(str, paths)))
    options = command_settings().read_options()
    audits = [audit_file(f, options) for f in files]
    total = totals(audits)
    rows = as_rows(audits)
    if format == "json":
        emit(
            [json.dumps({"documents": rows, "totals": total}, ensure_ascii=False, indent=1) + "\n"]
        )
    elif format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        emit([out.getvalue()])
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
        fail(
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

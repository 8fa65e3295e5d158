"""Commands on one report or sentence: what the pipeline reads and extracts from it,
with no database and no Dagster."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer

from pipeline.cli.common import command_settings, emit, fail

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


def extract(path: Path, format: str = typer.Option("jsonl", help="jsonl or csv")) -> None:
    """Print the metrics of one report (no database, no Dagster)."""
    from pipeline.extract.facts import Report
    from pipeline.extract.metrics import extract as extract_metrics
    from pipeline.extract.structure import parse
    from pipeline.read.ingest import ReportError, ingest

    try:
        document = ingest(path, command_settings().read_options())
        metrics = extract_metrics(parse(document), Report.of(document.metadata, document.text))
    except ReportError as err:
        fail(str(err))
    records = []
    for m in metrics:
        r = m.as_record()
        records.append({k: r[k] for k in EXTRACT_FIELDS})
    if format == "jsonl":
        emit(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    elif format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=EXTRACT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in records:
            r["countries"] = ";".join(c["iso3"] for c in r["countries"])
            writer.writerow(r)
        emit([out.getvalue()])
    else:
        fail(f"unknown format {format!r} (use jsonl or csv)")


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
        fail(f"--issued {issued!r} is not a date (YYYY-MM-DD)")

    def mapped(metric) -> str:
        row = {**metric.as_record(), "metric_id": metric.metric_id}
        found = match_metric(row)
        return ", ".join(f"{m.indicator} (rule {m.rule})" for m in found) or why_not(row)

    report = Report(day, subject)
    emit(line + "\n" for line in lines(explain_text(sentence, report), mapped))


def parse(path: Path, format: str = typer.Option("jsonl", help="jsonl only")) -> None:
    """Print the numbered paragraphs of one report with their sections and offsets."""
    from pipeline.extract.structure import parse as parse_doc
    from pipeline.extract.structure import section_titles
    from pipeline.read.ingest import ReportError, ingest

    try:
        structure = parse_doc(ingest(path, command_settings().read_options()))
    except ReportError as err:
        fail(str(err))
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

    emit(lines())


def text(path: Path) -> None:
    """Print a report's text as the pipeline reads it (furniture out, OCR in, normalised):
    every char_start/char_end in the dataset is an offset into this text."""
    from pipeline.read.ingest import ReportError, ingest

    try:
        document = ingest(path, command_settings().read_options())
    except ReportError as err:
        fail(str(err))
    emit([document.text])

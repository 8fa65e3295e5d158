"""The `indicators` command: thin wrappers over the pipeline's Python functions.

Each module holds the commands of one concern; all of them are top-level commands of `app`
(`indicators sql`), registered here in the order `indicators --help` lists them.
"""

from __future__ import annotations

import typer

from pipeline.cli import collection, quality, query, releases, report

app = typer.Typer(
    help="Quantitative statements from institutional reports, as open data.",
    no_args_is_help=True,
    add_completion=False,
)

COMMANDS = [
    report.extract,
    report.explain,
    report.parse,
    report.text,
    query.sql,
    query.validate,
    quality.evaluate,
    releases.forget,
    releases.gc,
    query.dictionary,
    quality.audit,
    collection.ocr,
    releases.release,
    collection.fetch,
    releases.run,
]
for command in COMMANDS:
    app.command()(command)

__all__ = ["app"]

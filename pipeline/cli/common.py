"""What every command shares: its settings, its output (safe for `| head` and terminals), its
errors."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable
from typing import NoReturn

import typer


def emit(lines: Iterable[str]) -> None:
    """Write lines to stdout; a reader that stops early (`| head`) is not an error."""
    try:
        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def command_settings(**overrides):
    """The settings of this command: the environment's, then its options (built once)."""
    from pipeline.settings import Settings

    return Settings.from_env(**overrides)


def printable(text: str) -> str:
    """Control characters shown escaped ('\\x1b'), never sent raw to a terminal."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else repr(ch)[1:-1] for ch in text)


def fail(message: str) -> NoReturn:
    """Say what went wrong on stderr, in red, and exit 1."""
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(1)


def format_rows(header: list[str], rows: list[tuple], format: str) -> list[str]:
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
        table.add_row(*("" if v is None else printable(str(v)) for v in row))
    out = io.StringIO()
    Console(file=out, width=200).print(table)
    return [out.getvalue()]

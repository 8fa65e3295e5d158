"""Commands on the published data: query it read-only, validate it, print its dictionary."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import command_settings, emit, fail, format_rows


def _open_for_query(db: Path | None, settings):
    """A locked-down connection: the database, or the published release while a run writes."""
    from pipeline.dataset.readers import (
        DatabaseBusy,
        NotADatabase,
        connect_readonly,
        connect_release,
    )

    try:
        return connect_readonly(db or settings.db_path, settings.sql_memory)
    except (FileNotFoundError, NotADatabase) as err:
        fail(str(err))
    except DatabaseBusy as err:
        if db is not None:
            fail(str(err))
        try:
            con = connect_release(settings.published_dir, memory=settings.sql_memory)
        except FileNotFoundError:
            fail(f"{err}; and there is no published release to query meanwhile")
        typer.secho(
            "note: a run is writing the database; querying the published release "
            f"in {settings.published_dir} instead",
            err=True,
            fg="yellow",
        )
        return con


def _open_release(version: str, settings):
    """A locked-down in-memory database of a kept release's files."""
    from pipeline.dataset.readers import connect_release
    from pipeline.dataset.snapshots import UnknownRelease, release_descriptor

    try:
        descriptor = release_descriptor(settings.published_dir, version)
        return connect_release(
            settings.published_dir, memory=settings.sql_memory, descriptor=descriptor
        )
    except (UnknownRelease, FileNotFoundError) as err:
        fail(str(err))


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
    from pipeline.dataset.readers import QueryStopped, run_query

    if format not in ("table", "csv", "json"):
        fail(f"unknown format {format!r} (use table, csv or json)")
    settings = command_settings()
    con = _open_release(release, settings) if release else _open_for_query(db, settings)
    try:
        header, rows = run_query(con, query, timeout or settings.sql_timeout)
    except QueryStopped as err:
        fail(str(err))
    except Exception as err:  # noqa: BLE001  (DuckDB's errors, said plainly)
        fail(_refusal(err))
    finally:
        _close_quietly(con)
    emit(format_rows(header, rows, format))


def _close_quietly(con) -> None:
    """Close a query's connection; after Ctrl-C DuckDB may still call it busy, and the
    process ends anyway (read-only: nothing to lose)."""
    import duckdb

    try:
        con.close()
    except duckdb.Error:
        pass


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

    folder = published or command_settings().published_dir
    if problem := descriptor_problem(folder):
        fail(problem)
    errors = frictionless_errors(folder, parquet=parquet)
    for e in errors:
        typer.echo(e)
    if errors:
        fail(f"{len(errors)} problem(s) in {folder}")
    typer.echo(f"{folder / 'datapackage.json'}: valid")


def dictionary(write_readme: bool = typer.Option(False, help="update README.md's section")) -> None:
    """Print the data dictionary (generated from schemas/), or write it into the README."""
    from pipeline.dataset.schema import data_dictionary, with_dictionary

    if write_readme:
        readme = Path(__file__).resolve().parents[2] / "README.md"  # two folders up: the checkout
        readme.write_text(with_dictionary(readme.read_text(encoding="utf-8")), encoding="utf-8")
        typer.echo(f"updated {readme}")
    else:
        typer.echo(data_dictionary())

"""Readers: connections that may only query, never write, touch files or load extensions."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.dataset.schema import TABLES
from pipeline.dataset.store import VIEWS

# What a reader may do: query the tables. No file access (COPY TO, read_text, read_csv,
# ATTACH, EXPORT), no extension installs or loads, and settings locked so none of it can be
# switched back on from SQL.
LOCKDOWN = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


class DatabaseBusy(RuntimeError):
    """A run is writing the database, so it cannot be opened for reading now."""


class NotADatabase(RuntimeError):
    """The file named as the database is not a DuckDB database."""


class QueryStopped(RuntimeError):
    """A query was interrupted: by its time limit or by Ctrl-C."""


def run_query(
    con: duckdb.DuckDBPyConnection, query: str, timeout: float
) -> tuple[list[str], list[tuple]]:
    """Run a query in a worker thread so that a time limit or Ctrl-C interrupts it (DuckDB's
    interrupt), cleanly: the connection is left usable, nothing half-printed."""
    import threading
    import time

    result: dict = {}

    def work() -> None:
        try:
            cur = con.execute(query)
            header = [d[0] for d in cur.description] if cur.description else []
            result["value"] = (header, cur.fetchall() if header else [])
        except BaseException as err:  # noqa: BLE001  (handed to the caller's thread)
            result["error"] = err

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    deadline, why = time.monotonic() + timeout, None
    try:
        while thread.is_alive():
            left = deadline - time.monotonic()
            if left <= 0:
                why = f"stopped after {timeout:g} s (the time limit; give --timeout SECONDS)"
                break
            thread.join(min(left, 0.2))
    except KeyboardInterrupt:
        why = "stopped (Ctrl-C)"
    if why:
        while thread.is_alive():  # the connection is closed only once the query has let go
            try:
                con.interrupt()
                thread.join(0.2)
            except (KeyboardInterrupt, duckdb.Error):
                continue
        raise QueryStopped(why)
    if isinstance(result.get("error"), duckdb.InterruptException):
        raise QueryStopped("stopped (interrupted)")
    if "error" in result:
        raise result["error"]
    return result["value"]


def connect_readonly(path: Path, memory: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database for queries only: read-only tables, no files, no extensions, at most
    `memory` of memory. Raises FileNotFoundError when there is no database, DatabaseBusy while
    a run writes it, NotADatabase when the file is something else."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no database yet; run 'indicators run' first")
    config = dict(LOCKDOWN, **({"memory_limit": memory} if memory else {}))
    try:
        return duckdb.connect(str(path), read_only=True, config=config)
    except duckdb.IOException as err:
        if "lock" in str(err).lower():
            raise DatabaseBusy(f"{path}: a run is writing the database ({err})") from None
        if "not a valid DuckDB database" in str(err) or "database file" in str(err):
            raise NotADatabase(
                f"{path}: not a DuckDB database (INDICATORS_DB or --db names another kind of file)"
            ) from None
        raise
    except duckdb.ConnectionException as err:
        # This process already holds the file open read-write (e.g. an in-process Dagster run).
        raise DatabaseBusy(f"{path}: already open for writing in this process ({err})") from None


def connect_release(
    published: Path,
    tables: list[str] | None = None,
    memory: str | None = None,
    descriptor: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """A release's Parquet files (all the shards its descriptor lists) as an in-memory
    database with the same views, locked down like connect_readonly: readers use it while a
    run holds the database, and to query an older release (descriptor: its datapackage.json,
    whose paths are relative to the published folder)."""
    import json

    from pipeline.dataset.series import DERIVED
    from pipeline.dataset.shards import resource_paths

    published = Path(published)
    descriptor = Path(descriptor) if descriptor else published / "datapackage.json"
    try:
        package = json.loads(descriptor.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FileNotFoundError(f"{descriptor}: no published release to read ({err})") from None
    files = {
        str(r.get("name", "")).removesuffix("-parquet"): resource_paths(r)
        for r in package.get("resources", [])
        if isinstance(r, dict) and r.get("format") == "parquet"
    }
    con = duckdb.connect(
        ":memory:", config={k: v for k, v in LOCKDOWN.items() if k.startswith("auto")}
    )
    for table in tables or [*TABLES, *(n for n in DERIVED if n in files)]:
        paths = [published / p for p in files.get(table, [])]
        if not paths or not all(p.is_file() for p in paths):
            con.close()
            raise FileNotFoundError(f"{descriptor}: the files of {table} are not all there")
        con.execute(
            f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet(?)', [[str(p) for p in paths]]
        )
    for name, sql in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    # Loaded: from here on the connection may not touch files, and may not undo that.
    if memory:
        con.execute(f"SET memory_limit = '{memory}'")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """The database for reading (never blocks, and is never blocked by, a run); locked down
    like connect_readonly (no files, no extensions), so every reader is held to the same."""
    return duckdb.connect(str(path), read_only=True, config=dict(LOCKDOWN))


def read_published(published: Path, table: str) -> list[dict]:
    """Rows of a published table, read from the Parquet file(s) its descriptor lists."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    descriptor = Path(published) / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    for resource in package.get("resources", []):
        paths = resource.get("path")
        paths = paths if isinstance(paths, list) else [paths]
        if resource.get("name") in (table, f"{table}-parquet") and all(
            str(p).endswith(".parquet") for p in paths
        ):
            return pa.concat_tables([pq.read_table(Path(published) / p) for p in paths]).to_pylist()
    raise FileNotFoundError(f"no Parquet resource {table!r} in {descriptor}")


def gold_predictions(con: duckdb.DuckDBPyConnection, document_id: str) -> list[dict]:
    """The stored metrics of one document in the fields the gold sets score."""
    cur = con.execute(
        "SELECT paragraph, value, value_max, unit, entity, qualifier, year "
        "FROM metrics WHERE document_id = ? ORDER BY char_start",
        [document_id],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def quarantine_examples(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple]:
    """A few quarantined rows: document, table, row key, check."""
    return con.execute(
        "SELECT document_id, table_name, row_key, check_name FROM "
        "validation_failures ORDER BY ALL LIMIT ?",
        [limit],
    ).fetchall()


def metrics_preview(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[tuple]:
    """The first metrics, for a look in the Dagster UI."""
    return con.execute(
        "SELECT paragraph, quote, unit, entity, qualifier, year FROM metrics "
        "ORDER BY metric_id LIMIT ?",
        [limit],
    ).fetchall()

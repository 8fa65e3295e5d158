"""Store: the DuckDB database; each document's rows are replaced in one transaction."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.dataset.faults import checkpoint
from pipeline.dataset.schema import TABLES, all_schemas, arrow_schema, ddl, duckdb_type, load
from pipeline.dataset.series import (
    DERIVED,
    drop_observations,
    fill_observations,
    store_derived,
)
from pipeline.dataset.validate import ValidatedTables

VIEWS = {
    "metrics_detailed": """
        SELECT m.*, d.title AS document_title, d.source_file, s.path AS section_path,
               s.title AS section_title,
               (SELECT string_agg(c.iso3, ';' ORDER BY c.iso3) FROM metric_countries c
                 WHERE c.metric_id = m.metric_id) AS countries
        FROM metrics m
        JOIN documents d USING (document_id)
        LEFT JOIN sections s ON s.document_id = m.document_id AND s.section_id = m.section_id
    """,
    "metrics_by_country": """
        SELECT c.iso3, c.m49, c.name AS country_name_as_printed, m.*
        FROM metric_countries c JOIN metrics m USING (metric_id)
    """,
    "document_summary": """
        SELECT d.document_id, d.title, d.reporting_year, d.paragraphs, d.metrics,
               (SELECT count(*) FROM validation_failures f
                 WHERE f.document_id = d.document_id) AS validation_failures
        FROM documents d
    """,
}


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database, creating tables and views when it is new."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables (from schemas/) and the views if missing."""
    for schema in all_schemas():
        con.execute(ddl(schema))
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    if df.empty:
        return
    schema = load(table)
    con.register("incoming", df)
    select = ", ".join(f'CAST("{f["name"]}" AS {duckdb_type(f)})' for f in schema.fields)
    con.execute(f'INSERT INTO "{table}" SELECT {select} FROM incoming')
    con.unregister("incoming")


def _delete_children(con: duckdb.DuckDBPyConnection, document_id: str) -> None:
    con.execute(
        "DELETE FROM metric_countries WHERE metric_id IN "
        "(SELECT metric_id FROM metrics WHERE document_id = ?)",
        [document_id],
    )
    for table in reversed(TABLES):
        if table not in ("documents", "metric_countries"):
            con.execute(f'DELETE FROM "{table}" WHERE document_id = ?', [document_id])


def load_document(con: duckdb.DuckDBPyConnection, validated: ValidatedTables) -> None:
    """Replace one document's rows in every table, all or nothing."""
    did = validated.document_id
    con.execute("BEGIN TRANSACTION")
    try:
        _delete_children(con, did)
        docs = validated.frames.get("documents", pd.DataFrame())
        exists = con.execute(
            "SELECT count(*) FROM documents WHERE document_id = ?", [did]
        ).fetchall()[0][0]
        if exists and not docs.empty:
            # Updated in place: DuckDB refuses to delete a parent row in the same transaction
            # as its children.
            cols = [c for c in docs.columns if c != "document_id"]
            schema = {f["name"]: f for f in load("documents").fields}
            con.register("incoming", docs)
            sets = ", ".join(f'"{c}" = CAST(i."{c}" AS {duckdb_type(schema[c])})' for c in cols)
            con.execute(
                f"UPDATE documents SET {sets} FROM incoming i "
                "WHERE documents.document_id = i.document_id"
            )
            con.unregister("incoming")
        else:
            _insert(con, "documents", docs)
        for table in TABLES[1:]:
            frame = (
                validated.failures
                if table == "validation_failures"
                else validated.frames.get(table, pd.DataFrame())
            )
            _insert(con, table, frame)
            checkpoint("load")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def remove_documents(con: duckdb.DuckDBPyConnection, document_ids: list[str]) -> None:
    """Delete documents no longer in raw/: children first, then (separately) the parents."""
    for did in document_ids:
        con.execute("BEGIN TRANSACTION")
        _delete_children(con, did)
        # Forget the checksum with the children: if the parent's own delete never happens,
        # the next run reloads the file instead of taking the empty row as up to date.
        con.execute("UPDATE documents SET sha256 = repeat('0', 64) WHERE document_id = ?", [did])
        con.execute("COMMIT")
        con.execute("DELETE FROM documents WHERE document_id = ?", [did])


def stored_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every document id with rows anywhere, quarantined rows included."""
    rows = con.execute(
        "SELECT document_id FROM documents UNION SELECT document_id FROM validation_failures"
    ).fetchall()
    return {r[0] for r in rows}


def stored_documents(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    """document_id -> (sha256, extractor_version) of what is in the database."""
    rows = con.execute("SELECT document_id, sha256, extractor_version FROM documents").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def read_table(con: duckdb.DuckDBPyConnection, table: str):
    """A whole table as a pyarrow Table, in primary-key order (deterministic)."""
    schema = load(table)
    order = schema.primary_key or schema.columns
    cols = ", ".join(f'"{c}"' for c in schema.columns)
    keys = ", ".join(f'"{c}" NULLS FIRST' for c in order)
    result = con.sql(f'SELECT {cols} FROM "{table}" ORDER BY {keys}').to_arrow_table()
    return result.cast(arrow_schema(schema))


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every table."""
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in TABLES}


# Loading: the whole database built from per-document artifacts, aside from the one readers use.


# Parquet files read by one INSERT: read_parquet over 10,000 files (union_by_name reads every
# file's schema first) held 3.4 GiB at once; in groups of 500 a full build stays under 1 GiB.
FILES_PER_INSERT = 500


def _insert_inputs(con: duckdb.DuckDBPyConnection, inputs: dict[str, list[str] | object]) -> None:
    """Insert each table's Parquet files (read_parquet) or Arrow table, parents first."""
    for table in TABLES:
        source = inputs.get(table)
        if source is None or (isinstance(source, list) and not source):
            continue
        select = ", ".join(f'CAST("{f["name"]}" AS {duckdb_type(f)})' for f in load(table).fields)
        if isinstance(source, list):
            for start in range(0, len(source), FILES_PER_INSERT):
                con.execute(
                    f'INSERT INTO "{table}" SELECT {select} '
                    "FROM read_parquet(?, union_by_name = true)",
                    [source[start : start + FILES_PER_INSERT]],
                )
        else:
            con.register("incoming", source)
            con.execute(f'INSERT INTO "{table}" SELECT {select} FROM incoming')
            con.unregister("incoming")
        checkpoint("load")


def _discard(path: Path) -> None:
    """Remove a database file and its write-ahead log, if there."""
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


def _writer(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection that builds a release's database. No memory_limit of its own: 512 MB made
    the full build of 10,000 reports fail with DuckDB's out-of-memory error (before its files
    were read FILES_PER_INSERT at a time; its key indexes are held in memory during the
    one-transaction load)."""
    return duckdb.connect(str(path))


def build_database(
    path: Path, inputs: dict[str, list[str] | object], keys: list[str]
) -> dict[str, int]:
    """Create a new database at path from each table's Parquet files (read_parquet) or Arrow
    table, in one transaction; primary and foreign keys are checked as rows go in. keys: the
    artifacts it is built from, kept in the database. Returns the row count of every table."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _discard(path)
    _discard(path.with_name(path.name + ".part"))  # left by an update that was killed
    con = _writer(path)
    try:
        ensure_schema(con)
        con.execute("BEGIN TRANSACTION")
        _insert_inputs(con, inputs)
        fill_observations(con)
        store_derived(con)  # series and indicators, from the tables just loaded
        con.execute("CREATE TABLE artifact_keys (key VARCHAR PRIMARY KEY)")
        if keys:
            con.execute("INSERT INTO artifact_keys SELECT unnest(?::VARCHAR[])", [keys])
        comment_schema(con)
        con.execute(
            "COMMENT ON TABLE artifact_keys IS 'The per-report artifacts (version/"
            "sha256/file) this database was built from.'"
        )
        con.execute(
            "COMMENT ON COLUMN artifact_keys.key IS 'An artifact, as "
            "extractor version/sha256/source file.'"
        )
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        return counts(con)
    finally:
        con.close()


def update_database(
    base: Path,
    path: Path,
    inputs: dict[str, list[str] | object],
    gone: list[str],
    keys: dict[str, list[str]],
) -> dict[str, int]:
    """Make the database at path as a copy of base (never written) with the rows of the
    documents `gone` deleted and the new artifacts' rows (inputs) inserted, the derived tables
    refilled and artifact_keys updated (keys: "removed" and "added"). Built under a temporary
    name and renamed to path when complete, so a crash leaves no half-made database at path.
    Returns the row count of every table."""
    path, part = Path(path), Path(path).with_name(Path(path).name + ".part")
    _discard(path)
    _discard(part)
    shutil.copyfile(base, part)
    con = _writer(part)
    try:
        # Children first, then (another transaction) the parents: DuckDB refuses a parent
        # delete in the same transaction as its children's.
        con.execute("BEGIN TRANSACTION")
        _delete_children_of(con, gone)
        drop_observations(con, gone)
        for name in DERIVED:  # they point at documents too; refilled below
            con.execute(f'DELETE FROM "{name}"')
        con.execute("COMMIT")
        checkpoint("load-incremental")
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "DELETE FROM documents WHERE document_id IN (SELECT unnest(?::VARCHAR[]))", [gone]
        )
        con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")
        _insert_inputs(con, inputs)
        fill_observations(con, _new_documents(inputs, con))
        store_derived(con)
        con.execute(
            "DELETE FROM artifact_keys WHERE key IN (SELECT unnest(?::VARCHAR[]))",
            [keys["removed"]],
        )
        if keys["added"]:
            con.execute("INSERT INTO artifact_keys SELECT unnest(?::VARCHAR[])", [keys["added"]])
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        rows = counts(con)
    finally:
        con.close()
    os.replace(part, path)
    return rows


def _delete_children_of(con: duckdb.DuckDBPyConnection, document_ids: list[str]) -> None:
    """Delete every child row of the given documents (all at once: one scan per table)."""
    ids = "(SELECT unnest(?::VARCHAR[]))"
    con.execute(
        "DELETE FROM metric_countries WHERE metric_id IN "
        f"(SELECT metric_id FROM metrics WHERE document_id IN {ids})",
        [document_ids],
    )
    for table in reversed(TABLES):
        if table not in ("documents", "metric_countries"):
            con.execute(f'DELETE FROM "{table}" WHERE document_id IN {ids}', [document_ids])


def _new_documents(
    inputs: dict[str, list[str] | object], con: duckdb.DuckDBPyConnection
) -> list[str]:
    """The document ids of the rows just inserted from inputs' metrics."""
    source = inputs.get("metrics")
    if source is None or (isinstance(source, list) and not source):
        return []
    if isinstance(source, list):
        rows = con.execute(
            "SELECT DISTINCT document_id FROM read_parquet(?, union_by_name = true)", [source]
        ).fetchall()
        return [r[0] for r in rows]
    return sorted(set(source.column("document_id").to_pylist()))


def artifact_keys(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The artifacts a database was built from (None for one built otherwise)."""
    try:
        return [r[0] for r in con.execute("SELECT key FROM artifact_keys ORDER BY key").fetchall()]
    except duckdb.CatalogException:
        return None


def document_keys(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(document_id, sha256, extractor_version) of every document, in id order."""
    return con.execute(
        "SELECT document_id, sha256, extractor_version FROM documents ORDER BY document_id"
    ).fetchall()


def sources(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(document_id, title, source_file, sha256, symbols) of every document, in id order."""
    return con.execute(
        "SELECT document_id, title, source_file, sha256, symbols FROM documents "
        "ORDER BY document_id"
    ).fetchall()


def quarantine_share(con: duckdb.DuckDBPyConnection) -> float:
    """Quarantined rows as a share of all rows, quarantined ones included."""
    failed = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT document_id, table_name, "
        "row_key FROM validation_failures)"
    ).fetchall()[0][0]
    stored = sum(n for t, n in counts(con).items() if t != "validation_failures")
    return failed / max(failed + stored, 1)


def comment_statements(names: list[str] | None = None) -> list[str]:
    """COMMENT ON every table (default: those of TABLES) and column, from schemas/."""

    def quote(text: str) -> str:
        return "'" + " ".join(text.split()).replace("'", "''") + "'"

    out = []
    for schema in [load(n) for n in names] if names is not None else all_schemas():
        out.append(
            f'COMMENT ON TABLE "{schema.name}" IS {quote(schema.descriptor.get("description", ""))}'
        )
        out += [
            f'COMMENT ON COLUMN "{schema.name}"."{f["name"]}" IS {quote(f.get("description", ""))}'
            for f in schema.fields
        ]
    return out


def comment_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Describe every table in the database that has a schema, and its columns."""
    present = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal ORDER BY table_name"
        ).fetchall()
    ]
    from pipeline.dataset.schema import SCHEMA_DIR

    for statement in comment_statements(
        [n for n in present if (SCHEMA_DIR / f"{n}.json").exists()]
    ):
        con.execute(statement)

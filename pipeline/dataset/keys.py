"""Primary and foreign keys of a published package, checked by DuckDB over key columns.

`key_errors` checks every file (what `indicators validate` does). `changed_key_errors` checks a
release against the one it replaces, in proportion to the change. It rests on one rule every
shard keeps, and that it checks on every new shard: a report's shard holds only that report's
rows (its `document_id`, and `metric_id`s that start with `<document_id>:`). Every per-report
key contains one of those two columns, so:

- a key cannot repeat across two reports' shards: repeats are looked for within a shard;
- a foreign key into a per-report table finds its row in the same report's shard, so a changed
  report's rows are checked against its own shards only;
- a row of a whole (derived) table that the last release held too, pointing into a report whose
  shards did not change, was checked then and still holds: only the other rows are checked,
  against the shards of the reports they point into.

The last release was checked the same way when it was published (or fully, by its first run).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.dataset.shards import resource_paths, shard_entries

Locate = Callable[[str], Path]  # a path of the descriptor -> the file to read
OWNERS = ("document_id", "metric_id")  # the columns that tell a row's report


def repeated_keys(con, table: str, key: list[str]) -> int:
    """How many values of a key repeat in a table (or view); none without a key."""
    if not key:
        return 0
    keys = ", ".join(f'"{c}"' for c in key)
    return con.execute(
        f'SELECT count(*) FROM (SELECT {keys} FROM "{table}" GROUP BY {keys} HAVING count(*) > 1)'
    ).fetchone()[0]


def dangling_rows(con, table: str, fields: list[str], target: str, ref_fields: list[str]) -> int:
    """Rows of a table whose foreign key matches no row of its target; a key whose fields are
    all empty points nowhere (as Table Schema reads it) and is no error."""
    cond = " AND ".join(f'c."{a}" = p."{b}"' for a, b in zip(fields, ref_fields, strict=True))
    some = " OR ".join(f'c."{a}" IS NOT NULL' for a in fields)
    return con.execute(
        f'SELECT count(*) FROM "{table}" c WHERE ({some}) AND NOT EXISTS '
        f'(SELECT 1 FROM "{target}" p WHERE {cond})'
    ).fetchone()[0]


def _listed(items: object) -> list[str]:
    return [items] if isinstance(items, str) else list(items or [])


def _parquet_tables(package: dict) -> dict[str, dict]:
    """The Parquet resources by table name."""
    return {
        str(r.get("name", "")).removesuffix("-parquet"): r
        for r in package.get("resources", [])
        if isinstance(r, dict) and r.get("format") == "parquet"
    }


def _csv_schemas(package: dict) -> dict[str, dict]:
    """Each table's Table Schema, from its CSV resource (the Parquet ones declare no foreign
    keys: frictionless reads only their first file)."""
    return {
        r["name"]: r.get("schema") or {}
        for r in package.get("resources", [])
        if isinstance(r, dict) and r.get("format") == "csv" and "name" in r
    }


def _foreign_keys(schema: dict) -> list[tuple[list[str], str | None, list[str]]]:
    """(fields, target table or None for itself, target fields) of each foreign key."""
    out = []
    for fk in schema.get("foreignKeys", []):
        ref = fk.get("reference", {})
        out.append((_listed(fk.get("fields")), ref.get("resource"), _listed(ref.get("fields"))))
    return out


def _connect():
    import duckdb

    return duckdb.connect(config={"memory_limit": "512MB", "threads": 2})


def _view(con, name: str, files: list[Path], columns: list[str], filename: bool = False) -> None:
    """A view over Parquet files (filename: with each row's file as a column); an empty one of
    the table's columns over no file."""
    if files:
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        extra = ", filename = true" if filename else ""
        sql = f"SELECT * FROM read_parquet([{listed}]{extra})"
    else:
        names = [*columns, "filename"] if filename else columns
        sql = "SELECT " + ", ".join(f'NULL::VARCHAR AS "{c}"' for c in names) + " WHERE false"
    con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')


def _columns(schema: dict) -> list[str]:
    return [f["name"] for f in schema.get("fields", []) if isinstance(f, dict) and "name" in f]


# Files read by one statement when a table's key columns are loaded: a view over all 10,000
# files of a table was read again by every key query, and held 964 MB in the first release's
# check at 10,000 reports (the database build reads its files the same way: store.py).
FILES_PER_READ = 500


def _key_columns(name: str, schemas: dict) -> list[str]:
    """The columns of a table that some key reads: its primary key, its foreign keys' fields,
    and the fields other tables' foreign keys point to."""
    schema = schemas.get(name, {})
    wanted = _listed(schema.get("primaryKey"))
    for fields, _, _ in _foreign_keys(schema):
        wanted += fields
    for other, their in schemas.items():
        for _, target, ref_fields in _foreign_keys(their):
            if (target or other) == name:
                wanted += ref_fields
    present = _columns(schema)
    return [c for c in dict.fromkeys(wanted) if not present or c in present]


def _load(con, name: str, files: list[Path], columns: list[str], filename: bool = False) -> None:
    """A temporary table of some columns of Parquet files (filename: with each row's file),
    read FILES_PER_READ files at a time; an empty one over no file."""
    names = ", ".join([f'"{c}"' for c in columns] + (["filename"] if filename else []))
    if not files:
        empty = [*columns, "filename"] if filename else columns
        nulls = ", ".join(f'NULL::VARCHAR AS "{c}"' for c in empty)
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT {nulls} WHERE false')
        return
    listed = [str(f) for f in files]
    for start in range(0, len(listed), FILES_PER_READ):
        verb = (
            f'CREATE OR REPLACE TEMP TABLE "{name}" AS' if start == 0 else f'INSERT INTO "{name}"'
        )
        con.execute(
            f"{verb} SELECT {names} FROM read_parquet(?, filename = {str(filename).lower()})",
            [listed[start : start + FILES_PER_READ]],
        )


def key_errors(package: dict, locate: Locate) -> list[str]:
    """Primary keys repeated across a table's files and foreign keys pointing to no row,
    over every file of the package: only the key columns are loaded, a few hundred files at a
    time. Rows whose foreign key fields are all empty point nowhere."""
    import duckdb

    tables, schemas = _parquet_tables(package), _csv_schemas(package)
    con = _connect()
    try:
        for name, res in tables.items():
            if columns := _key_columns(name, schemas):  # else no key reads it
                _load(con, name, [locate(p) for p in resource_paths(res)], columns)
        views = {name: name for name in tables}
        return [e for name in tables if name in schemas for e in _table(con, name, schemas, views)]
    except duckdb.Error as err:
        return [f"keys cannot be checked: {err}"]
    finally:
        con.close()


def _table(
    con,
    name: str,
    schemas: dict,
    views: dict[str, str],
    dangling: Callable[[list[str], str, list[str]], int | None] | None = None,
) -> list[str]:
    """One table's primary key repeats and broken foreign keys: the rows of its view checked
    against the views of the tables it points to (views: table name -> view). dangling: how
    to count a foreign key's broken rows instead, when it says (not None)."""
    schema, errors = schemas[name], []
    pk = _listed(schema.get("primaryKey"))
    if pk and (n := repeated_keys(con, views[name], pk)):
        errors.append(f"{name}: {n} primary key value(s) ({', '.join(pk)}) repeated")
    for fields, target, ref_fields in _foreign_keys(schema):
        target = target or name
        if target not in views:
            errors.append(f"{name}: foreign key to {target!r}, which is not in the package")
            continue
        n = dangling(fields, target, ref_fields) if dangling else None
        if n is None:
            n = dangling_rows(con, views[name], fields, views[target], ref_fields)
        if n:
            errors.append(f"{name}: {n} row(s) whose {', '.join(fields)} match no row of {target}")
    return errors


def _shards(res: dict) -> dict[str, str]:
    """A sharded resource's files by report."""
    return {str(e.get("document_id")): e["path"] for e in shard_entries(res)}


def _sharded(tables: dict[str, dict]) -> dict[str, dict[str, str]]:
    return {n: _shards(r) for n, r in tables.items() if isinstance(r.get("x-shards"), list)}


def changed_reports(package: dict, previous: dict) -> tuple[set[str], set[str]]:
    """(reports with a file the last release did not have, reports the last release had and
    this one has not), over the per-report Parquet files."""
    now, then = _sharded(_parquet_tables(package)), _sharded(_parquet_tables(previous))
    reports = {r for files in now.values() for r in files}
    before = {r for files in then.values() for r in files}
    changed = {
        r
        for r in reports
        if any(files.get(r) != then.get(t, {}).get(r) for t, files in now.items())
    }
    return changed, before - reports


def _comparable(package: dict, previous: dict | None) -> bool:
    """Whether a release can be checked against the last one: same schemas and layout."""
    return previous is not None and all(
        package.get(k) == previous.get(k) for k in ("x-schemas-sha256", "x-publish-format")
    )


def _owner(fields: list[str], ref_fields: list[str]) -> tuple[str, str] | None:
    """(the field that tells the report a foreign key points into, that report's column)."""
    for column in OWNERS:
        if column in ref_fields:
            return fields[ref_fields.index(column)], column
    return None


def _by_report(schemas: dict, sharded: dict) -> bool:
    """Whether every per-report table's keys tell their report (else: check everything)."""
    for name in sharded:
        pk = _listed(schemas.get(name, {}).get("primaryKey"))
        if pk and not set(pk) & set(OWNERS):
            return False
    return all(
        _owner(fields, ref_fields) is not None
        for schema in schemas.values()
        for fields, target, ref_fields in _foreign_keys(schema)
        if target in sharded
    )


def _insert(con, table: str, rows: list[list[str]]) -> None:
    if rows:  # DuckDB refuses executemany with no rows
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)


def _report_rows(con, name: str, columns: list[str]) -> int:
    """Rows of a changed report's shard that belong to another report."""
    tests = []
    if "document_id" in columns:
        tests.append("t.document_id IS DISTINCT FROM s.report")
    if "metric_id" in columns:
        tests.append("NOT starts_with(t.metric_id, s.report || ':')")
    if not tests:
        return 0
    return con.execute(
        f'SELECT count(*) FROM "{name}" t JOIN shard_files s ON t.filename = s.filename '
        f"WHERE {' OR '.join(tests)}"
    ).fetchone()[0]


def _repeated_reports(sharded: dict[str, dict[str, str]], tables: dict) -> list[str]:
    """Resources that list one report's file twice."""
    errors = []
    for name in sharded:
        ids = [str(e.get("document_id")) for e in shard_entries(tables[name])]
        if len(ids) != len(set(ids)):
            errors.append(f"{name}: a report has more than one file")
    return errors


def changed_key_errors(
    package: dict, previous: dict | None, locate: Locate, locate_previous: Locate
) -> list[str]:
    """The keys of a release checked against the last one (previous, whose files
    locate_previous finds): the shards of the reports that changed, and the rows of whole
    tables that are new or point into a changed or removed report. Everything is checked
    when the schemas or the layout changed, or there is no last release."""
    import duckdb

    tables, schemas = _parquet_tables(package), _csv_schemas(package)
    sharded = _sharded(tables)
    if not _comparable(package, previous) or not _by_report(schemas, sharded):
        return key_errors(package, locate)
    changed, gone = changed_reports(package, previous)
    con = _connect()
    try:
        for name in (n for n in tables if n not in sharded):
            _view(con, name, [locate(p) for p in resource_paths(tables[name])], [])
        errors = _repeated_reports(sharded, tables)
        errors += _changed_shards(con, schemas, sharded, changed, locate)
        con.execute("CREATE TEMP TABLE touched (report VARCHAR)")
        _insert(con, "touched", [[r] for r in sorted(changed | gone)])
        old = _parquet_tables(previous)
        for name in (n for n in tables if n not in sharded and n in schemas):
            errors += _whole(con, name, tables, schemas, sharded, old, locate, locate_previous)
        return errors
    except duckdb.Error as err:
        return [f"keys cannot be checked: {err}"]
    finally:
        con.close()


def _changed_shards(con, schemas: dict, sharded: dict, changed: set[str], locate: Locate):
    """Each changed report's shards: their rows its own, keys unique, foreign keys found in
    the report's own shards (or in a whole table)."""
    con.execute("CREATE TEMP TABLE shard_files (filename VARCHAR, report VARCHAR)")
    views = {}
    for name, files in sharded.items():
        # the changed reports looked up, not every report's file sorted (10,000 per table)
        paths = {r: str(locate(files[r])) for r in sorted(changed) if r in files}
        _insert(con, "shard_files", [[f, r] for r, f in paths.items()])
        present = _columns(schemas.get(name, {}))
        columns = list(
            dict.fromkeys(_key_columns(name, schemas) + [c for c in OWNERS if c in present])
        )
        _load(con, f"{name}__changed", list(paths.values()), columns, filename=True)
        views[name] = f"{name}__changed"
    errors = []
    for name in sharded:
        if name not in schemas:
            continue
        if n := _report_rows(con, views[name], _columns(schemas[name])):
            errors.append(f"{name}: {n} row(s) in another report's file")
        errors += _table(con, name, schemas, {**{t: t for t in schemas}, **views})
    return errors


def _whole(con, name, tables, schemas, sharded, old, locate, locate_previous) -> list[str]:
    """A whole table: its primary key over every row, its foreign keys into whole tables over
    every row, into per-report tables over the rows that are new or point into a changed or
    removed report (against those reports' shards)."""
    suspects: list[str] = []  # made once, when a foreign key into a per-report table needs it

    def into_shards(fields: list[str], target: str, ref_fields: list[str]) -> int | None:
        if target not in sharded:
            return None
        if not suspects:
            suspects.append(_suspects(con, name, schemas, old.get(name), locate_previous))
        return _dangling_into(con, suspects[0], fields, target, ref_fields, sharded[target], locate)

    return _table(con, name, schemas, {t: t for t in tables}, into_shards)


def _report_of(field: str, column: str) -> str:
    """SQL for the report a foreign key points into (a metric's id starts with its report's)."""
    if column == "document_id":
        return f'c."{field}"'
    return f"regexp_replace(c.\"{field}\", ':[^:]*$', '')"


def _suspects(con, name: str, schemas: dict, previous: dict | None, locate_previous) -> str:
    """A temporary table of a whole table's rows that the last release did not hold, and of
    those that point into a changed or removed report by any foreign key."""
    schema = schemas[name]
    cols = ", ".join(f'"{c}"' for c in _columns(schema))
    touched = [
        f"{_report_of(*owner)} IN (SELECT report FROM touched)"
        for fields, _, ref_fields in _foreign_keys(schema)
        if (owner := _owner(fields, ref_fields)) is not None
    ]
    files = [locate_previous(p) for p in resource_paths(previous or {})]
    if files and all(f.is_file() for f in files):
        _view(con, f"{name}__old", files, [])
        new = f'SELECT {cols} FROM "{name}" EXCEPT SELECT {cols} FROM "{name}__old"'
    else:
        new = f'SELECT {cols} FROM "{name}"'
    where = " OR ".join(touched) or "false"
    table = f"{name}__suspects"
    con.execute(  # in brackets: EXCEPT binds as tightly as UNION
        f'CREATE OR REPLACE TEMP TABLE "{table}" AS '
        f'SELECT {cols} FROM "{name}" c WHERE {where} UNION ({new})'
    )
    return table


def _dangling_into(con, rows: str, fields, target: str, ref_fields, shards, locate) -> int:
    """Rows whose foreign key matches no row of the target's shards of the reports they point
    into (read those shards only)."""
    field, column = _owner(fields, ref_fields)
    reports = con.execute(f'SELECT DISTINCT {_report_of(field, column)} FROM "{rows}" c').fetchall()
    files = [locate(shards[r]) for (r,) in reports if r in shards]
    _load(con, f"{target}__ref", files, ref_fields)
    return dangling_rows(con, rows, fields, f"{target}__ref", ref_fields)

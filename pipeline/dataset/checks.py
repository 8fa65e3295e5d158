"""Checks on the stored and published data, used by Dagster's blocking asset checks and tests."""

from __future__ import annotations

from pathlib import Path

from pipeline.dataset.schema import all_schemas


def duplicate_keys(con) -> dict[str, int]:
    """Tables whose primary key repeats, with the number of repeated keys."""
    out = {}
    for s in all_schemas():
        if not s.primary_key:
            continue
        keys = ", ".join(f'"{c}"' for c in s.primary_key)
        n = con.execute(f'SELECT count(*) FROM (SELECT {keys} FROM "{s.name}" GROUP BY {keys} '
                        "HAVING count(*) > 1)").fetchall()[0][0]
        if n:
            out[s.name] = n
    return out


def broken_foreign_keys(con) -> dict[str, int]:
    """Foreign keys (as declared in schemas/) with rows pointing to nothing."""
    out = {}
    for s in all_schemas():
        for fk in s.foreign_keys:
            ref = fk["reference"]
            pairs = zip(fk["fields"], ref["fields"], strict=True)
            cond = " AND ".join(f'c."{a}" = p."{b}"' for a, b in pairs)
            n = con.execute(
                f'SELECT count(*) FROM "{s.name}" c WHERE NOT EXISTS '
                f'(SELECT 1 FROM "{ref["resource"]}" p WHERE {cond})').fetchall()[0][0]
            if n:
                out[f"{s.name}({', '.join(fk['fields'])})"] = n
    return out


def parquet_twin_errors(published: Path, package: dict) -> list[str]:
    """Each Parquet resource holds exactly its CSV twin's rows, with the declared column types.

    frictionless reads Parquet row by row through pandas, about 20 times slower than CSV; a
    Parquet file that writes back to the very bytes of a valid CSV twin is valid too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.dataset.publish import csv_bytes
    from pipeline.dataset.schema import arrow_schema, load

    errors = []
    csv_paths = {r["name"]: r["path"] for r in package["resources"] if r.get("format") == "csv"}
    for res in package["resources"]:
        if res.get("format") != "parquet":
            continue
        name = res["name"].removesuffix("-parquet")
        try:
            table = pq.read_table(Path(published) / res["path"])
            expected = arrow_schema(load(name))
        except (OSError, KeyError, pa.ArrowException) as err:
            errors.append(f"{res.get('path', res['name'])}: cannot be compared ({err})")
            continue
        if [(f.name, f.type) for f in table.schema] != [(f.name, f.type) for f in expected]:
            errors.append(f"{res['name']}: columns or types differ from its Table Schema")
        elif name not in csv_paths:
            errors.append(f"{res['name']}: no CSV twin to compare with")
        elif csv_bytes(table) != (Path(published) / csv_paths[name]).read_bytes():
            errors.append(f"{res['name']}: rows differ from {csv_paths[name]}")
    return errors


def frictionless_errors(published: Path, parquet: bool = False) -> list[str]:
    """Errors from frictionless validate, from the Parquet twin comparison and from our own
    sha256 check of every file. parquet: also let frictionless read the Parquet files itself
    (slow: minutes for a thousand reports)."""
    from frictionless import Package

    from pipeline.dataset.publish import verify_hashes
    from pipeline.dataset.releases import read_descriptor

    package, problem = read_descriptor(published)
    if package is None:
        return [problem]
    if parquet:
        checked = package
    else:
        checked = dict(package, resources=[r for r in package["resources"]
                                           if r.get("format") != "parquet"])
    report = Package(checked, basepath=str(Path(published))).validate()
    errors = [f"{task.name}: {e.message}" for task in report.tasks for e in task.errors]
    errors += [f"package: {e.message}" for e in report.errors]
    if not parquet:
        errors += parquet_twin_errors(published, package)
    return errors + verify_hashes(published)

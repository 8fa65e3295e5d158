"""Checks on the stored and published data, used by Dagster's blocking asset checks and tests."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.dataset.schema import all_schemas
from pipeline.dataset.shares import balance, file_size


def duplicate_keys(con) -> dict[str, int]:
    """Tables whose primary key repeats, with the number of repeated keys."""
    out = {}
    for s in all_schemas():
        if not s.primary_key:
            continue
        keys = ", ".join(f'"{c}"' for c in s.primary_key)
        n = con.execute(
            f'SELECT count(*) FROM (SELECT {keys} FROM "{s.name}" GROUP BY {keys} '
            "HAVING count(*) > 1)"
        ).fetchall()[0][0]
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
                f'(SELECT 1 FROM "{ref["resource"]}" p WHERE {cond})'
            ).fetchall()[0][0]
            if n:
                out[f"{s.name}({', '.join(fk['fields'])})"] = n
    return out


def _declared_types(resource: dict) -> list[tuple[str, object]] | None:
    """(name, Arrow type) of each field a resource's own schema declares, or None if unknown."""
    import pyarrow as pa

    from pipeline.dataset.schema import ARROW_TYPES

    try:
        return [
            (f["name"], getattr(pa, ARROW_TYPES[f["type"]])()) for f in resource["schema"]["fields"]
        ]
    except (KeyError, TypeError):
        return None


def _comparable(schema: dict) -> dict:
    """A Table Schema without what differs between a CSV resource and its Parquet twin."""
    out = {k: v for k, v in schema.items() if k not in ("missingValues", "foreignKeys")}
    out["foreignKeys"] = [
        dict(
            fk,
            reference=dict(
                fk.get("reference", {}),
                resource=str(fk.get("reference", {}).get("resource", "")).removesuffix("-parquet"),
            ),
        )
        for fk in schema.get("foreignKeys", [])
    ]
    return out


def parquet_twins(published: Path, package: dict) -> tuple[list[str], dict]:
    """Each Parquet resource declares its CSV twin's schema and holds exactly its rows, with
    the declared column types; returns the problems and the tables that passed (by the CSV
    resource's name, with only the columns foreign keys use).

    frictionless reads Parquet row by row through pandas, about 20 times slower than CSV; a
    Parquet file that writes back to the very bytes of a valid CSV twin is valid too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.dataset.publish import csv_bytes

    errors, tables = [], {}
    resources = [r for r in package.get("resources", []) if isinstance(r, dict)]
    key_columns = {
        c
        for r in resources
        for fk in (r.get("schema") or {}).get("foreignKeys", [])
        for c in [*fk.get("fields", []), *fk.get("reference", {}).get("fields", [])]
    }
    csvs = {r.get("name"): r for r in resources if r.get("format") == "csv"}
    for res in resources:
        if res.get("format") != "parquet":
            continue
        label = res.get("name") or res.get("path") or "a Parquet resource"
        twin = csvs.get(str(res.get("name", "")).removesuffix("-parquet"))
        expected = _declared_types(res)
        if twin is None:
            errors.append(f"{label}: no CSV twin to compare with")
            continue
        if expected is None or _comparable(res.get("schema", {})) != _comparable(
            twin.get("schema", {})
        ):
            errors.append(f"{label}: its schema is not the one {twin['name']} declares")
            continue
        try:
            table = pq.read_table(Path(published) / res["path"])
            csv_data = (Path(published) / twin["path"]).read_bytes()
        except (OSError, KeyError, TypeError, pa.ArrowException) as err:
            errors.append(f"{label}: cannot be compared with its CSV twin ({err})")
            continue
        if [(f.name, f.type) for f in table.schema] != expected:
            errors.append(f"{label}: columns or types differ from its Table Schema")
        elif csv_bytes(table) != csv_data:
            errors.append(f"{label}: rows differ from {twin['path']}")
        else:  # only the key columns are kept, for the foreign keys
            keys = [c for c in table.column_names if c in key_columns]
            tables[twin["name"]] = table.select(keys)
        del table
    return errors, tables


def foreign_key_errors(package: dict, tables: dict) -> list[str]:
    """Rows whose foreign key (as the CSV resources declare them) points to no row, found by
    an anti-join of the Arrow tables (frictionless would read the referenced file once more
    for every resource pointing to it). Rows whose key fields are all empty point nowhere.
    tables: the twins that passed; a resource whose twin did not is left to that error."""
    from functools import reduce

    import pyarrow as pa
    import pyarrow.compute as pc

    names = {r.get("name") for r in package.get("resources", []) if isinstance(r, dict)}
    errors = []
    for res in package.get("resources", []):
        if not isinstance(res, dict) or res.get("format") != "csv":
            continue
        for fk in (res.get("schema") or {}).get("foreignKeys", []):
            ref = fk.get("reference", {})
            target = ref.get("resource") or res.get("name")  # "" refers to itself
            if target not in names:
                errors.append(
                    f"{res.get('name')}: foreign key to {target!r}, which is not in the package"
                )
                continue
            child, parent = tables.get(res.get("name")), tables.get(target)
            if child is None or parent is None:
                continue  # a twin that did not pass is already reported
            fields, ref_fields = fk.get("fields", []), ref.get("fields", [])
            try:
                keys = child.select(fields)
                empty = reduce(pc.and_kleene, [pc.is_null(keys[f]) for f in fields])
                keys = keys.filter(pc.invert(empty))
                targets = parent.select(ref_fields).rename_columns(fields).cast(keys.schema)
                broken = keys.join(
                    targets.group_by(fields).aggregate([]), fields, join_type="left anti"
                ).num_rows
            except (KeyError, TypeError, ValueError, pa.ArrowException) as err:
                errors.append(f"{res.get('name')}: foreign key {fields} cannot be checked ({err})")
                continue
            if broken:
                errors.append(
                    f"{res.get('name')}: {broken} row(s) whose {', '.join(fields)} "
                    f"match no row of {target}"
                )
    return errors


def _frictionless(descriptor: dict, basepath: str, names: list[str]) -> list[str]:
    """frictionless validate on some resources of a package (the others serve as lookups)."""
    from frictionless import Package

    package = Package(descriptor, basepath=basepath)
    errors = []
    for name in names:
        report = package.validate(name=name)
        errors += [f"{task.name}: {e.message}" for task in report.tasks for e in task.errors]
        errors += [f"package: {e.message}" for e in report.errors]
    return errors


def _costs(package: dict, basepath: Path) -> dict[str, float]:
    """About what frictionless spends on each resource: its cells (bytes times fields), plus
    a third of each resource its foreign keys look rows up in."""
    own = {
        r.get("name", "?"): _size(basepath, r) * max(1, len(r.get("schema", {}).get("fields", [])))
        for r in package["resources"]
    }
    costs = {}
    for r in package["resources"]:
        refs = {
            fk.get("reference", {}).get("resource")
            for fk in r.get("schema", {}).get("foreignKeys", [])
        }
        costs[r.get("name", "?")] = (
            own[r.get("name", "?")] + sum(own.get(ref, 0) for ref in refs) / 3
        )
    return costs


def _size(basepath: Path, resource: dict) -> int:
    return file_size(basepath / resource["path"]) if isinstance(resource.get("path"), str) else 0


def _without_foreign_keys(resource: dict) -> dict:
    schema = {k: v for k, v in resource.get("schema", {}).items() if k != "foreignKeys"}
    return dict(resource, schema=schema) if "schema" in resource else resource


# Below this many bytes of data, starting processes costs more than it saves.
PARALLEL_BYTES = 20_000_000


def frictionless_errors(
    published: Path, parquet: bool = False, workers: int | None = None
) -> list[str]:
    """Errors from frictionless validate, from the Parquet twin comparison, from the foreign
    keys checked on those twins, and from our own sha256 check of every file. parquet: let
    frictionless read the Parquet files and check every foreign key itself (slow: minutes for
    a thousand reports). workers: processes validating resources side by side (default: one
    per core for a large package, else one)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from pipeline.dataset.publish import verify_hashes
    from pipeline.dataset.releases import read_descriptor

    package, problem = read_descriptor(published)
    if package is None:
        return [problem]
    full = package
    if not parquet:  # the CSV files; their foreign keys are checked on the Parquet twins
        twins = {
            str(r.get("name", "")).removesuffix("-parquet")
            for r in package.get("resources", [])
            if r.get("format") == "parquet"
        }
        package = dict(
            package,
            resources=[
                _without_foreign_keys(r) if r.get("name") in twins else r
                for r in package.get("resources", [])
                if r.get("format") != "parquet"
            ],
        )
    basepath = Path(published)
    if workers is None:
        size = sum(_size(basepath, r) for r in package["resources"])
        cores = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1
        )
        workers = min(2, cores) if size > PARALLEL_BYTES else 1
    if multiprocessing.current_process().daemon:
        workers = 1  # a daemonic process (a Celery or pool worker) may not start processes
    shares = balance(_costs(package, basepath), workers)

    def ours() -> list[str]:
        if parquet:
            return []
        errors, tables = parquet_twins(published, full)
        return errors + foreign_key_errors(full, tables)

    if len(shares) <= 1:
        errors = _frictionless(package, str(basepath), [n for g in shares for n in g]) + ours()
    else:  # spawn, not fork: the caller may hold threads and open databases
        with ProcessPoolExecutor(
            len(shares), mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            parts = pool.map(
                _frictionless, [package] * len(shares), [str(basepath)] * len(shares), shares
            )
            mine = ours()  # meanwhile, here
            errors = [e for part in parts for e in part] + mine
    # frictionless repeats a descriptor's own problem for every resource it validates
    return list(dict.fromkeys(errors + verify_hashes(published)))

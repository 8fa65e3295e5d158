"""Checks on the stored and published data, used by Dagster's blocking asset checks and tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.dataset.keys import changed_key_errors, dangling_rows, key_errors, repeated_keys
from pipeline.dataset.schema import all_schemas
from pipeline.dataset.shards import file_problems, resource_paths, shard_entries
from pipeline.dataset.shares import balance, file_size

Locate = Callable[[str], Path]  # a path of the descriptor -> the file to read


def duplicate_keys(con) -> dict[str, int]:
    """Tables whose primary key repeats, with the number of repeated keys."""
    counts = {s.name: repeated_keys(con, s.name, s.primary_key) for s in all_schemas()}
    return {name: n for name, n in counts.items() if n}


def broken_foreign_keys(con) -> dict[str, int]:
    """Foreign keys (as declared in schemas/) with rows pointing to nothing."""
    out = {}
    for s in all_schemas():
        for fk in s.foreign_keys:
            ref = fk["reference"]
            n = dangling_rows(con, s.name, fk["fields"], ref["resource"], ref["fields"])
            if n:
                out[f"{s.name}({', '.join(fk['fields'])})"] = n
    return out


def _declared_types(resource: dict) -> list[tuple[str, object]] | None:
    """(name, Arrow type) of each field a resource's own schema declares, or None if unknown."""
    from pipeline.dataset.schema import arrow_type

    try:
        return [(f["name"], arrow_type(f)) for f in resource["schema"]["fields"]]
    except (KeyError, TypeError):
        return None


def _comparable(schema: dict) -> dict:
    """A Table Schema without what differs between a CSV resource and its Parquet twin (the
    missing values, the foreign keys only the CSV resource declares, and how a list column is
    declared: see package._parquet_field)."""
    out = {k: v for k, v in schema.items() if k not in ("missingValues", "foreignKeys", "fields")}
    list_keys = ("type", "delimiter", "itemType", "x-list")
    out["fields"] = [
        {k: v for k, v in f.items() if k not in list_keys}
        if f.get("type") in ("list", "any")
        else f
        for f in schema.get("fields", [])
        if isinstance(f, dict)
    ]
    return out


def _twin_pairs(package: dict) -> Iterator[tuple[str, dict, dict | None, str, str | None]]:
    """(label, Parquet resource, its CSV twin, Parquet file, the twin's file) for every file
    of every Parquet resource; shards are paired by their report."""
    resources = [r for r in package.get("resources", []) if isinstance(r, dict)]
    csvs = {r.get("name"): r for r in resources if r.get("format") == "csv"}
    for res in resources:
        if res.get("format") != "parquet":
            continue
        twin = csvs.get(str(res.get("name", "")).removesuffix("-parquet"))
        twin_files = {e.get("document_id"): e["path"] for e in shard_entries(twin or {})}
        for entry in shard_entries(res):
            label = f"{res.get('name') or 'a Parquet resource'} ({entry['path']})"
            yield label, res, twin, entry["path"], twin_files.get(entry.get("document_id"))


def parquet_twins(package: dict, locate: Locate, only: set[str] | None = None) -> list[str]:
    """Each Parquet file declares its CSV twin's schema and holds exactly its rows, with the
    declared column types. only: check just these files (a release's new ones).

    frictionless reads Parquet row by row through pandas, about 20 times slower than CSV; a
    Parquet file that writes back to the very bytes of a valid CSV twin is valid too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.dataset.formats import csv_bytes

    errors = []
    for label, res, twin, path, twin_path in _twin_pairs(package):
        if only is not None and path not in only and twin_path not in only:
            continue
        expected = _declared_types(twin) if twin is not None else None
        if twin is None or twin_path is None:
            errors.append(f"{label}: no CSV twin to compare with")
            continue
        if expected is None or _comparable(res.get("schema", {})) != _comparable(
            twin.get("schema", {})
        ):
            errors.append(f"{label}: its schema is not the one {twin['name']} declares")
            continue
        try:
            table = pq.read_table(locate(path))
            csv_data = locate(twin_path).read_bytes()
        except (OSError, KeyError, TypeError, pa.ArrowException) as err:
            errors.append(f"{label}: cannot be compared with its CSV twin ({err})")
            continue
        if [(f.name, f.type) for f in table.schema] != expected:
            errors.append(f"{label}: columns or types differ from its Table Schema")
        elif csv_bytes(table) != csv_data:
            errors.append(f"{label}: rows differ from {twin_path}")
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
    """A resource's bytes: all its files (shards)."""
    return sum(file_size(basepath / p) for p in resource_paths(resource))


def _without_foreign_keys(resource: dict) -> dict:
    schema = {k: v for k, v in resource.get("schema", {}).items() if k != "foreignKeys"}
    return dict(resource, schema=schema) if "schema" in resource else resource


# Below this many bytes of data, starting processes costs more than it saves.
PARALLEL_BYTES = 20_000_000


def _csv_package(package: dict) -> dict:
    """The package frictionless reads by default: the CSV resources, without the foreign
    keys the Parquet twins' key check covers."""
    twins = {
        str(r.get("name", "")).removesuffix("-parquet")
        for r in package.get("resources", [])
        if r.get("format") == "parquet"
    }
    return dict(
        package,
        resources=[
            _without_foreign_keys(r) if r.get("name") in twins else r
            for r in package.get("resources", [])
            if r.get("format") != "parquet"
        ],
    )


def _workers(package: dict, basepath: Path, workers: int | None) -> int:
    """Processes to validate with: two for a large package on two cores or more, else one;
    one in a daemonic process (a Celery or pool worker may not start processes)."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return 1
    if workers is not None:
        return workers
    size = sum(_size(basepath, r) for r in package["resources"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2, cores or 1) if size > PARALLEL_BYTES else 1


def frictionless_errors(
    published: Path, parquet: bool = False, workers: int | None = None
) -> list[str]:
    """Errors from frictionless validate, from the Parquet twin comparison, from the keys
    checked by DuckDB over the Parquet files, and from our own sha256 check of every file.
    parquet: let frictionless read the Parquet files and check every foreign key itself
    (slow: minutes for a thousand reports). workers: processes validating resources side by
    side (default: two for a large package, else one)."""

    from pipeline.dataset.publish import verify_hashes
    from pipeline.dataset.releases import read_descriptor

    full, problem = read_descriptor(published)
    if full is None:
        return [problem]
    package = full if parquet else _csv_package(full)
    basepath = Path(published)

    def ours() -> list[str]:
        if parquet:
            return []
        return parquet_twins(full, basepath.joinpath) + key_errors(full, basepath.joinpath)

    errors = _side_by_side(package, basepath, ours, workers)
    # frictionless repeats a descriptor's own problem for every resource it validates
    return list(dict.fromkeys(errors + verify_hashes(published)))


def _side_by_side(
    package: dict, basepath: Path, ours: Callable[[], list[str]], workers: int | None = None
) -> list[str]:
    """frictionless on every resource of a package, in two processes for a large one (shares
    of about equal cost), while this process runs our own checks (ours)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if not package.get("resources"):
        return ours()
    shares = balance(_costs(package, basepath), _workers(package, basepath, workers))
    if len(shares) <= 1:
        return _frictionless(package, str(basepath), [n for g in shares for n in g]) + ours()
    # spawn, not fork: the caller may hold threads and open databases
    with ProcessPoolExecutor(len(shares), mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = pool.map(
            _frictionless, [package] * len(shares), [str(basepath)] * len(shares), shares
        )
        mine = ours()  # meanwhile, here
        return [e for part in parts for e in part] + mine


def _new_files(staging: Path) -> set[str]:
    """The data files a staged release adds, relative to the published folder."""
    data = staging / "data"
    return {p.relative_to(staging).as_posix() for p in data.rglob("*") if p.is_file()}


def _staged_hashes(
    package: dict, locate: Callable[[str], str], new: set[str], intact: frozenset[str]
) -> list[str]:
    """New files whose sha256 is not the descriptor's; files the descriptor names that exist
    nowhere (the files taken over were checked when they were published; intact: those this
    run has just found with their bytes, not looked at again)."""
    from pipeline.dataset.statcache import file_sha256

    return file_problems(
        package,
        locate,
        lambda rel, f: file_sha256(f) if rel in new else None,
        skip=intact,
    )


def _new_csv_resources(package: dict, new: set[str]) -> dict:
    """A package of each CSV table's new files (one multipart resource per table), without
    foreign keys: those are checked over every file by key_errors, and the sha256 of each
    file by _staged_hashes. Without the package's list of sources and x- properties either:
    they grow with the collection (megabytes at 10,000 reports) and frictionless would check
    all of them against its JSON schema for every change; `indicators validate` checks the
    whole descriptor."""
    resources = []
    for res in package.get("resources", []):
        if not isinstance(res, dict) or res.get("format") != "csv" or res.get("type") != "table":
            continue
        paths = [e["path"] for e in shard_entries(res) if e["path"] in new]
        if not paths:
            continue
        one = {k: v for k, v in res.items() if k not in ("x-shards", "path", "hash", "bytes")}
        resources.append(
            _without_foreign_keys(dict(one, path=paths[0] if len(paths) == 1 else paths))
        )
    kept = {k: v for k, v in package.items() if k not in _GROWING and not k.startswith("x-")}
    return kept | {"resources": resources}


# Package properties whose size grows with the collection.
_GROWING = ("resources", "sources")


def release_errors(
    staging: Path,
    published: Path,
    intact: frozenset[str] = frozenset(),
    previous: dict | None = None,
) -> list[str]:
    """A staged release's problems, checked in proportion to the change: frictionless on the
    new CSV files, each new Parquet file against its CSV twin, the sha256 of each new file;
    then primary and foreign keys of what changed since the published release (keys.py).
    previous: the published descriptor, when the caller has it decoded already."""
    from pipeline.dataset.releases import read_descriptor

    package, problem = read_descriptor(staging)
    if package is None:
        return [problem]
    new = _new_files(staging)

    def locate(path: str) -> Path:
        return staging / path if path in new else Path(published) / path

    errors = [problem] if problem else []

    def where(path: str) -> str:  # a string: 100,000 Path objects cost more than the stats
        return os.path.join(staging if path in new else published, path)

    errors += _staged_hashes(package, where, new, intact)
    if errors:
        return errors
    if previous is None:
        previous, _ = read_descriptor(published)

    def ours() -> list[str]:
        return parquet_twins(package, locate, only=new) + changed_key_errors(
            package, previous, locate, Path(published).joinpath
        )

    # A first release is all new files: frictionless on them in two processes, as validate
    # does, while this one compares the Parquet twins and checks the keys.
    errors += _side_by_side(_new_csv_resources(package, new), Path(staging), ours)
    return list(dict.fromkeys(errors))

"""Staging: a release's files, made one report at a time and written aside.

A report's shards are taken over from the last release when they were made from the same
artifact and are intact in published/; the others are made from the release's database and
written to published/.staging/, as are the derived tables, until the release is validated.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.dataset import sdmx
from pipeline.dataset.faults import checkpoint
from pipeline.dataset.formats import csv_bytes, parquet_bytes
from pipeline.dataset.package import (
    PUBLISH_FORMAT,
    extra_resource,
    schemas_sha256,
    sdmx_resources,
    table_resource,
)
from pipeline.dataset.schema import TABLES, arrow_schema, load
from pipeline.dataset.series import DERIVED
from pipeline.dataset.shards import Shard, file_path, report_tables, sha256, shard_entries
from pipeline.dataset.statcache import StatCache
from pipeline.dataset.swap import STAGING


@dataclass
class ReleaseTables:
    """What a release is made of: its database, read one report at a time, and the tables
    derived from all reports (small: one row per indicator, subject and date)."""

    con: object  # a read-only DuckDB connection to the release's database
    artifacts: dict[str, str]  # document_id -> what its rows were made from ("" if unknown)
    derived: dict[str, pa.Table]
    counts: dict[str, int]
    extractors: list[str]


def published_cache(history: Path | None) -> StatCache:
    """The stat cache of the published files, kept with the release history."""
    return StatCache(Path(history) / "published-sha256.json" if history is not None else None)


class Staging:
    """A release's new files, written aside in published/.staging until it is validated."""

    def __init__(self, published: Path, cache: StatCache):
        self.published, self.cache = published, cache
        self._base = os.path.abspath(published)  # joined with each file's path: a string
        self.root = published / STAGING
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        self.new: dict[str, str] = {}  # files staged: path -> sha256 hex
        self.intact: set[str] = set()  # files of published/ found with the bytes expected

    def has(self, path: str, digest: str) -> bool:
        """Whether published/ already holds this file with these bytes (sha256 hex)."""
        target = self._base + "/" + path  # a string: no Path (nor join) per file
        try:
            found = self.cache.sha256(target) == digest
        except OSError:  # missing, or not a file
            return False
        if found:
            self.intact.add(path)
        return found

    def put(self, path: str, data: bytes) -> dict:
        """Stage a data file unless published/ holds it already; its entry for the descriptor."""
        digest = sha256(data)
        if not self.has(path, digest):
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            # known here, so the run's own check after the swap need not hash it again
            self.cache.remember(self._base + "/" + path, target.stat(), digest)
            self.new[path] = digest
            checkpoint("write")
        return {"path": path, "hash": f"sha256:{digest}", "bytes": len(data)}

    def discard(self) -> None:
        """Remove what was staged."""
        shutil.rmtree(self.root, ignore_errors=True)


Previous = tuple[dict[str, str], dict[str, dict[str, dict]]]


def previous_shards(old: dict | None, schemas: dict) -> Previous:
    """The last release's artifact of each report and its shards by resource and report,
    when its files can be taken over (same schemas, same file format)."""
    if (
        not old
        or old.get("x-publish-format") != PUBLISH_FORMAT
        or old.get("x-schemas-sha256") != schemas_sha256(schemas)
    ):
        return {}, {}
    shards = {
        res.get("name"): {e.get("document_id"): e for e in shard_entries(res)}
        for res in old.get("resources", [])
        if isinstance(res, dict) and isinstance(res.get("x-shards"), list)
    }
    artifacts = old.get("x-artifacts")
    return (artifacts if isinstance(artifacts, dict) else {}), shards


def _taken_over(doc: str, artifact: str, old: list[dict | None], staging: Staging, prev) -> bool:
    """Whether a report's shards of a table can be taken over from the last release: made
    from the same artifact, and every file intact in published/."""
    if not artifact or prev[0].get(doc) != artifact:
        return False
    if (old[0] is None) != (old[1] is None):
        return False
    return all(
        e is None or staging.has(e["path"], str(e.get("hash", "")).removeprefix("sha256:"))
        for e in old
    )


def _without(entry: dict, key: str) -> dict:
    """A copy of a descriptor entry without one property."""
    return {k: v for k, v in entry.items() if k != key}


def _table_resources(name: str, release: ReleaseTables, staging: Staging, prev) -> list[dict]:
    """The Parquet and CSV resources of a per-report table: the shards of unchanged reports
    taken over, the others written from the database."""
    formats = {"parquet": f"{name}-parquet", "csv": name}
    files: dict[str, list[dict]] = {"parquet": [], "csv": []}
    todo = []
    for doc, artifact in release.artifacts.items():
        old = [prev[1].get(formats[f], {}).get(doc) for f in files]
        if _taken_over(doc, artifact, old, staging, prev):
            for fmt, entry in zip(files, old, strict=True):
                if entry is not None:
                    # earlier releases named the artifact in every file's entry too
                    files[fmt].append(_without(entry, "artifact") if "artifact" in entry else entry)
        else:
            todo.append(doc)
    for doc, table in report_tables(release.con, name, todo):
        for fmt, data in (("parquet", parquet_bytes(table)), ("csv", csv_bytes(table))):
            put = staging.put(file_path(name, fmt, data, doc), data)
            shard = Shard(put["path"], put["hash"], put["bytes"], table.num_rows, doc)
            files[fmt].append(shard.entry())
    resources = []
    for fmt in ("parquet", "csv"):
        entries = sorted(files[fmt], key=lambda e: e["document_id"])
        if not entries:  # no report has rows here: one empty file keeps the table described
            empty = arrow_schema(load(name)).empty_table()
            data = parquet_bytes(empty) if fmt == "parquet" else csv_bytes(empty)
            resources.append(
                table_resource(name, fmt, staging.put(file_path(name, fmt, data), data))
            )
        else:
            resources.append(table_resource(name, fmt, entries))
    return resources


def _whole_resources(
    release: ReleaseTables, staging: Staging, extra: dict[str, pa.Table] | None
) -> list[dict]:
    """The derived tables, the SDMX files and the evaluations: each one file."""
    resources = []
    for name in (n for n in DERIVED if n in release.derived):
        table = release.derived[name]
        for fmt, data in (("parquet", parquet_bytes(table)), ("csv", csv_bytes(table))):
            resources.append(
                table_resource(name, fmt, staging.put(file_path(name, fmt, data), data))
            )
    if "series" in release.derived:
        data = sdmx.sdmx_csv(release.derived["series"].to_pylist())
        dsd = sdmx.structure_xml(
            release.derived["series"].to_pylist(),
            release.derived["indicators"].to_pylist() if "indicators" in release.derived else [],
        )
        data_path = staging.put(file_path("series-sdmx", "csv", data), data)["path"]
        dsd_path = staging.put(file_path("series-dsd", "xml", dsd), dsd)["path"]
        resources += sdmx_resources(data_path, data, dsd_path, dsd)
    for name, table in (extra or {}).items():
        data = csv_bytes(table)
        path = staging.put(file_path(name, "csv", data), data)["path"]
        resources.append(extra_resource(name, path, data, table))
    return resources


def release_resources(
    release: ReleaseTables, staging: Staging, prev: Previous, extra: dict[str, pa.Table] | None
) -> list[dict]:
    """Every resource of the release; new files are staged as they are made."""
    resources = []
    for name in TABLES:
        resources += _table_resources(name, release, staging, prev)
    return resources + _whole_resources(release, staging, extra)

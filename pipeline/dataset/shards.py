"""Shards: each report's rows of a table published as a file of its own, named by its content.

A release that re-reads one report writes that report's files and the descriptor; every other
file keeps its name and bytes, so git, rsync and a CDN store nothing new for them. A file's
name holds the first 16 hex digits of its sha256: a name never changes meaning, so the files
an older descriptor names stay valid until garbage collection removes them.

Layout: data/<table>/<document_id>-<sha16>.<csv|parquet> for the tables of each report;
data/<table>/<table>-<sha16>.<ext> for a table published whole (series, indicators, ...).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.dataset.schema import arrow_schema, load

BATCH_ROWS = 20_000  # rows fetched at a time: memory stays bounded by a report, not a table
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def file_path(table: str, ext: str, data: bytes, document_id: str | None = None) -> str:
    """The content-addressed path of a published file, relative to published/."""
    stem = _UNSAFE.sub("_", document_id) if document_id is not None else table
    return f"data/{table}/{stem}-{sha256(data)[:16]}.{ext}"


@dataclass(frozen=True)
class Shard:
    """One published file of a sharded resource: one report's rows of one table."""

    path: str
    hash: str  # "sha256:<hex>"
    bytes: int
    rows: int
    document_id: str

    def entry(self) -> dict:
        """As the descriptor lists it under the resource's x-shards (what the rows were made
        from is the package's x-artifacts, once per report: per file it was a third of a 48 MB
        descriptor at 10,000 reports)."""
        return {
            "path": self.path,
            "document_id": self.document_id,
            "rows": self.rows,
            "bytes": self.bytes,
            "hash": self.hash,
        }


def shard_entries(resource: dict) -> list[dict]:
    """Every file of a resource with its hash: x-shards, or the one path of a whole file."""
    if isinstance(resource.get("x-shards"), list):
        return [e for e in resource["x-shards"] if isinstance(e, dict) and "path" in e]
    path = resource.get("path")
    if isinstance(path, str):
        return [{"path": path, "hash": resource.get("hash")}]
    if isinstance(path, list):
        return [{"path": p, "hash": None} for p in path if isinstance(p, str)]
    return []


def file_problems(
    package: dict,
    locate: Callable[[str], str | Path],
    digest: Callable[[str, str | Path], str | None],
    skip: Collection[str] = (),
) -> list[str]:
    """Files a descriptor names that are missing, or whose sha256 differs from it. digest:
    the sha256 of a file (descriptor path, file), or None to leave it unchecked; skip: paths
    known intact."""
    problems = []
    for res in package.get("resources", []):
        for entry in shard_entries(res) if isinstance(res, dict) else []:
            rel = str(entry["path"])
            if rel in skip:
                continue
            path = locate(rel)
            try:
                sha = digest(rel, path)
            except OSError:  # missing, or not a file
                problems.append(f"{rel}: missing")
                continue
            if sha is None and not os.path.isfile(path):
                problems.append(f"{rel}: missing")
            elif sha and "sha256:" + sha != entry.get("hash"):
                problems.append(f"{rel}: sha256 differs from datapackage.json")
    return problems


def resource_paths(resource: dict) -> list[str]:
    """The files of a resource (Data Package v2: a path or a list of paths)."""
    path = resource.get("path")
    if isinstance(path, str):
        return [path]
    return [p for p in path if isinstance(p, str)] if isinstance(path, list) else []


def _select(table: str) -> str:
    """SQL giving each row of a per-report table with its report's id as __doc, in shard order."""
    schema = load(table)
    cols = ", ".join(f't."{c}"' for c in schema.columns)
    order = ", ".join(f't."{c}" NULLS FIRST' for c in (schema.primary_key or schema.columns))
    if "document_id" in schema.columns:
        source, doc = f'"{table}" t', "t.document_id"
    else:  # metric_countries: its report is its metric's
        source, doc = f'"{table}" t JOIN metrics m ON m.metric_id = t.metric_id', "m.document_id"
    return (
        f"SELECT {doc} AS __doc, {cols} FROM {source} "
        f"WHERE {doc} IN (SELECT unnest(?::VARCHAR[])) ORDER BY __doc, {order}"
    )


def report_tables(con, table: str, document_ids: list[str]) -> Iterator[tuple[str, pa.Table]]:
    """(document_id, its rows of the table) for each listed report with rows, in id order;
    one report's rows in memory at a time."""
    target = arrow_schema(load(table))
    reader = con.sql(_select(table), params=[sorted(document_ids)]).to_arrow_reader(BATCH_ROWS)
    current, pieces = None, []
    for batch in reader:
        docs = batch.column(0).to_pylist()
        start = 0
        for i in range(1, len(docs) + 1):
            if i < len(docs) and docs[i] == docs[start]:
                continue
            if docs[start] != current and pieces:
                yield current, _table(pieces, target)
                pieces = []
            current = docs[start]
            pieces.append(batch.slice(start, i - start).drop_columns(["__doc"]))
            start = i
    if pieces:
        yield current, _table(pieces, target)


def _table(batches: list[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches(batches).cast(schema)

"""Artifacts: each report's validated tables as Parquet, immutable, keyed by content.

A key is ``<version>/<sha256>/<source file>``: the same bytes read by the same code under the
same name always give the same rows, so an artifact is written once and never changed. The
store is a local folder or any pyarrow / fsspec filesystem URL (``s3://bucket/prefix?
endpoint_override=...``). A manifest written last marks an artifact complete, so a killed
writer leaves nothing that a reader would take as done.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
FAILURE = "failure.json"


def open_filesystem(url: str) -> tuple[pafs.FileSystem, str]:
    """A pyarrow filesystem and root path for a folder or URL (pyarrow first, then fsspec)."""
    if "://" not in url:
        return pafs.LocalFileSystem(), str(Path(url).resolve())
    try:
        return pafs.FileSystem.from_uri(url)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        import fsspec

        fs, root = fsspec.core.url_to_fs(url)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), root


@dataclass(frozen=True)
class ArtifactKey:
    """What an artifact is a function of: the file's bytes, its name, the code's version."""

    sha256: str
    source_file: str
    version: str

    @property
    def path(self) -> str:
        """The artifact's folder, relative to the store's root."""
        return f"{self.version}/{self.sha256}/{self.source_file}"


class ArtifactStore:
    """Write-once Parquet artifacts in a folder or object store."""

    def __init__(self, url: str):
        self.url = url
        self.fs, self.root = open_filesystem(url)
        self.local = isinstance(self.fs, pafs.LocalFileSystem)

    def _path(self, key: ArtifactKey, name: str) -> str:
        return f"{self.root.rstrip('/')}/{key.path}/{name}"

    def _write(self, path: str, data: bytes) -> None:
        """Write a file atomically: a temp name renamed locally; one PUT on object stores."""
        folder = path.rsplit("/", 1)[0]
        self.fs.create_dir(folder, recursive=True)
        if not self.local:  # an object appears whole or not at all
            with self.fs.open_output_stream(path) as out:
                out.write(data)
            return
        tmp = f"{folder}/.{uuid.uuid4().hex}.tmp"
        with self.fs.open_output_stream(tmp) as out:
            out.write(data)
        self.fs.move(tmp, path)

    def _read_json(self, key: ArtifactKey, name: str) -> dict | None:
        # a run reads every report's manifest: a local file is opened directly and decoded
        # by msgspec (pyarrow's stream and the json module cost more than the read itself)
        path = self._path(key, name)
        try:
            with open(path, "rb") if self.local else self.fs.open_input_stream(path) as f:
                value = msgspec.json.decode(f.read())
        except (OSError, ValueError, msgspec.DecodeError):
            return None
        return value if isinstance(value, dict) else None

    def complete(self, key: ArtifactKey) -> bool:
        """Whether the artifact's manifest exists (it is written last), without reading it:
        planning asks this of every report; a damaged manifest is found when the artifact
        is loaded (release._verified) and the report read again."""
        path = self._path(key, MANIFEST)
        if self.local:
            return os.path.isfile(path)
        return self.fs.get_file_info(path).type == pafs.FileType.File

    def manifest(self, key: ArtifactKey) -> dict | None:
        """The manifest of a complete artifact (tables and row counts), or None."""
        return self._read_json(key, MANIFEST)

    def failure(self, key: ArtifactKey) -> str | None:
        """Why this report could not be read by this version, when it was tried and failed."""
        record = self._read_json(key, FAILURE)
        return record["error"] if record else None

    def write(self, key: ArtifactKey, tables: dict[str, pa.Table], info: dict) -> dict:
        """Store the tables (empty ones left out), then the manifest that marks them complete
        and records each file's sha256 (checked before the artifact is loaded)."""
        rows, hashes = {}, {}
        for name, table in tables.items():
            if table.num_rows:
                sink = pa.BufferOutputStream()
                pq.write_table(table, sink, compression="zstd")
                data = sink.getvalue().to_pybytes()
                self._write(self._path(key, f"{name}.parquet"), data)
                hashes[name] = hashlib.sha256(data).hexdigest()
            rows[name] = table.num_rows
        manifest = dict(info, rows=rows, key=key.path, sha256=hashes)
        self._write(self._path(key, MANIFEST), json.dumps(manifest, sort_keys=True).encode())
        return manifest

    def problems(self, key: ArtifactKey, manifest: dict) -> list[str]:
        """What is wrong with a complete artifact's files: missing, unreadable, or not the
        bytes its manifest recorded (edited or damaged). Empty when it can be trusted."""
        recorded = manifest.get("sha256")
        if recorded is None:
            return [f"{key.path}: its manifest records no checksums"]
        out = []
        for name, count in manifest["rows"].items():
            if not count:
                continue
            path = self._path(key, f"{name}.parquet")
            try:
                with self.fs.open_input_stream(path) as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except (FileNotFoundError, OSError) as err:
                out.append(f"{path}: cannot be read ({type(err).__name__})")
                continue
            if digest != recorded.get(name):
                out.append(
                    f"{path}: does not match the sha256 its manifest recorded (edited or damaged)"
                )
        return out

    def discard(self, key: ArtifactKey) -> None:
        """Take an artifact out of use (its manifest goes first), so that it is made again."""
        for name in (MANIFEST, FAILURE):
            try:
                self.fs.delete_file(self._path(key, name))
            except (FileNotFoundError, OSError):
                pass

    def write_failure(self, key: ArtifactKey, error: str) -> None:
        """Record that this version cannot read these bytes (not retried until either changes)."""
        self._write(self._path(key, FAILURE), json.dumps({"error": error}).encode())

    def table_files(
        self, keys: list[ArtifactKey], table: str, manifests: dict[ArtifactKey, dict]
    ) -> list[str]:
        """The Parquet files of one table across the given artifacts."""
        return [self._path(k, f"{table}.parquet") for k in keys if manifests[k]["rows"].get(table)]

    def read_table(self, files: list[str]) -> pa.Table | None:
        """One table's rows from many artifacts (for stores DuckDB cannot read directly)."""
        if not files:
            return None
        import pyarrow.dataset as ds

        return ds.dataset(files, filesystem=self.fs, format="parquet").to_table()

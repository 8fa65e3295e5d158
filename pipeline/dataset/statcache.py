"""A stat cache: a file's sha256 is computed again only when its size, mtime or inode changed.

Planning hashes every raw file and a release checks every published file; at 10,000 reports
reading them all on each run costs more than the run's own work. git, rsync and make trust
(size, mtime, inode) the same way; an edit that keeps all three (rare, and deliberate) is
caught by `indicators validate`, which always reads every byte.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def signature(stat: os.stat_result) -> list[int]:
    """What a file's bytes are trusted by: (size, mtime in ns, inode)."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


# The caches this process read or wrote, by file, with the file's signature then: a run's
# steps (planning, publishing, the blocking check) each open the same cache, 90,000 entries
# at 10,000 reports. Entries are facts (this stat had this sha256; this file held these
# rows), so sharing one dict between them is safe.
_LOADED: dict[str, tuple[list[int], dict[str, list]]] = {}


def write_entries(path: Path, entries: dict) -> None:
    """Write a cache file atomically (a killed run leaves the old one or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # unsorted: a cache is private state, and sorting 100,000 keys costs more than writing
    tmp.write_bytes(msgspec.json.encode(entries))
    os.replace(tmp, path)
    _LOADED[os.path.abspath(path)] = (signature(os.stat(path)), entries)


def read_entries(path: Path) -> dict:
    """A cache file's entries (empty when it is missing or damaged: a cache only saves
    work), decoded once per process while the file stays the same."""
    key = os.path.abspath(path)
    try:
        stat_now = signature(os.stat(path))
        if (known := _LOADED.get(key)) is not None and known[0] == stat_now:
            return known[1]
        # msgspec: at 100,000 files the json module's parse is most of a no-op
        loaded = msgspec.json.decode(Path(path).read_bytes())
    except (OSError, ValueError, msgspec.DecodeError):
        return {}  # a damaged cache only costs one full hashing
    entries = loaded if isinstance(loaded, dict) else {}
    _LOADED[key] = (stat_now, entries)
    return entries


def _key(path: str | Path) -> str:
    """A file's key: its absolute path (not resolve(): a realpath per file costs more than the
    stat); a path that is absolute already is taken as it is (callers join an absolute
    folder with a descriptor's relative path: abspath on each of 100,000 would cost as much
    as their stats)."""
    text = os.fspath(path)
    return text if text.startswith("/") else os.path.abspath(text)


class StatCache:
    """sha256 of files by path, trusted while their (size, mtime, inode) stay the same."""

    def __init__(self, path: Path | None):
        self.path = Path(path) if path is not None else None
        self.entries: dict[str, list] = {}
        self.changed = False
        if self.path is not None and self.path.is_file():
            self.entries = read_entries(self.path)

    def sha256(self, path: str | Path) -> str:
        """The file's sha256, from the cache when its stat is the one recorded."""
        key = _key(path)
        st = os.stat(path)
        stat_now = [st.st_size, st.st_mtime_ns, st.st_ino]  # signature(), inlined: 90,000 calls
        cached = self.entries.get(key)
        if isinstance(cached, list) and len(cached) == 2 and cached[0] == stat_now:
            return cached[1]
        digest = file_sha256(path)
        self.entries[key] = [stat_now, digest]
        self.changed = True
        return digest

    def remember(self, path: str, stat: os.stat_result, digest: str) -> None:
        """Record a file's sha256 known from its bytes (a staged file, under the path it is
        moved to: a rename keeps its size, mtime and inode)."""
        self.entries[_key(path)] = [signature(stat), digest]
        self.changed = True

    def save(self, prune: bool = False) -> None:
        """Write the cache (atomically) when it learnt something. prune: drop the entries of
        files that are gone (a stat per entry: done by `indicators gc`, which removes files,
        not by every run)."""
        if self.path is None or not (self.changed or prune):
            return
        kept = (
            {k: v for k, v in self.entries.items() if os.path.exists(k)} if prune else self.entries
        )
        write_entries(self.path, kept)
        self.changed = False

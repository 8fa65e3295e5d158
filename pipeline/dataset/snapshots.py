"""Snapshots: every release's descriptor is kept, and the files it names, until collected.

Each release writes its descriptor twice: published/datapackage.json (the current release, the
commit point) and published/releases/v<version>/datapackage.json (kept). Data files are named by
their content and never rewritten, so an old descriptor stays valid as long as the files it
names are there. `indicators gc --keep N` removes all but the newest N kept releases and then
every data file no remaining descriptor names (the current release's files are never removed).
Plain files rather than Iceberg, Delta Lake or DuckLake: the release is already a list of
immutable files with their hashes (the Frictionless descriptor), which is what those table
formats add; a reader needs nothing but a JSON parser, and git or rsync mirror it as it is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.dataset.releases import SEMVER
from pipeline.dataset.shards import resource_paths

RELEASES = "releases"


class UnknownRelease(LookupError):
    """No kept release has that version."""


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def kept_releases(published: Path) -> list[str]:
    """The versions of the releases kept in published/releases/, oldest first."""
    folder = Path(published) / RELEASES
    if not folder.is_dir():
        return []
    versions = [
        p.name[1:]
        for p in folder.iterdir()
        if p.name.startswith("v")
        and SEMVER.match(p.name[1:])
        and (p / "datapackage.json").is_file()
    ]
    return sorted(versions, key=_semver)


def release_descriptor(published: Path, version: str) -> Path:
    """The kept descriptor of a release ('v1.2.0' or '1.2.0')."""
    version = version.removeprefix("v")
    path = Path(published) / RELEASES / f"v{version}" / "datapackage.json"
    if not path.is_file():
        known = ", ".join(kept_releases(published)) or "none"
        raise UnknownRelease(f"no release {version} kept in {published} (kept: {known})")
    return path


def _named_files(descriptor: Path) -> set[str]:
    """The data files a descriptor names (relative to the published folder)."""
    try:
        package = json.loads(descriptor.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {
        p for r in package.get("resources", []) if isinstance(r, dict) for p in resource_paths(r)
    }


@dataclass
class Collected:
    """What garbage collection removed and kept."""

    kept: list[str]
    removed_releases: list[str] = field(default_factory=list)
    removed_files: int = 0
    freed_bytes: int = 0


def collect_garbage(published: Path, keep: int) -> Collected:
    """Remove all but the newest `keep` kept releases, then every data file that neither they
    nor the current release name. Run it under the run lock (a run writes new files)."""
    if keep < 1:
        raise ValueError("keep at least one release (--keep 1 keeps the newest)")
    published = Path(published)
    current = published / "datapackage.json"
    if not _named_files(current):
        raise UnknownRelease(
            f"{current}: missing or unreadable; nothing is collected until a run repairs it "
            "(its files could not be told from garbage)"
        )
    versions = kept_releases(published)
    result = Collected(kept=versions[-keep:], removed_releases=versions[:-keep])
    for version in result.removed_releases:
        folder = published / RELEASES / f"v{version}"
        (folder / "datapackage.json").unlink()
        folder.rmdir()
    named = _named_files(current)
    for version in result.kept:
        named |= _named_files(release_descriptor(published, version))
    data = published / "data"
    for path in sorted(data.rglob("*")) if data.is_dir() else []:
        if path.is_file() and path.relative_to(published).as_posix() not in named:
            result.freed_bytes += path.stat().st_size
            path.unlink()
            result.removed_files += 1
    for folder in sorted((p for p in data.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            os.rmdir(folder)
    return result

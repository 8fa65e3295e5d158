"""Release history: every release's exact descriptor and changelog, kept by the pipeline.

Where: in the pipeline's own state folder (beside Dagster's state and the artifacts), one
small JSON file per release and its descriptor's exact bytes beside it (NNNNNN.*.descriptor: kept
out of the JSON, where 50 MB at 10,000 reports had to be escaped and parsed as one string),
under a folder named after the published folder it describes.
Not in published/: that is what users download, copy, edit and may damage. Not in the DuckDB
database: it is rebuilt from the artifacts by every release and published beside the data.
The history and published/ back each other up: a damaged or deleted descriptor or changelog
is rewritten from the history, and a lost history is learnt again from published/ (when both
are lost at once, nothing can tell the old versions, and that is said).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import msgspec

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
# "## 1.2.0", or dated by `indicators release`: "## 1.2.0 (2026-05-04)".
_HEADING = re.compile(r"^## (\S+)(?: \(\d{4}-\d{2}-\d{2}\))?\s*$", re.M)


class ReleaseError(RuntimeError):
    """The release history cannot be told; the message says what to do."""


@dataclass(frozen=True)
class Release:
    """One release as it was published: version and the exact text of its two files."""

    version: str
    state: str | None
    descriptor: str
    changelog: str

    @cached_property  # read by several steps of a publish; 50 MB at 10,000 reports
    def package(self) -> dict | None:
        """The descriptor as a dict (None when it was learnt from a damaged file); shared,
        so read it, never change it."""
        try:
            value = decode_json(self.descriptor.encode("utf-8"))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def decode_json(data: bytes) -> object:
    """JSON text as Python values: msgspec (twice as fast on a 57 MB descriptor), else the
    json module, which also reads NaN and Infinity and says what is wrong."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return json.loads(data.decode("utf-8"))


class _Head(msgspec.Struct):
    """The few properties of a descriptor some steps need, the rest skipped unread."""

    name: object = None
    state: object = msgspec.field(default=None, name="x-state")


def descriptor_head(published: Path) -> _Head | None:
    """published/datapackage.json's name and state, or None when it is missing or damaged
    (a descriptor grows with the collection: building all of it to read two fields would
    cost a run more than their use)."""
    try:
        return msgspec.json.decode((Path(published) / "datapackage.json").read_bytes(), type=_Head)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def read_descriptor(published: Path) -> tuple[dict | None, str | None]:
    """published/datapackage.json as a dict, or None and what is wrong with it."""
    path = Path(published) / "datapackage.json"
    if not path.is_file():
        return None, f"{path}: missing"
    try:
        package = decode_json(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as err:
        return None, f"{path}: not readable JSON (damaged or truncated: {err})"
    if not isinstance(package, dict):
        return None, f"{path}: not a JSON object"
    version = package.get("version")
    if not isinstance(version, str) or not SEMVER.match(version):
        return package, (
            f"{path}: version {version!r} is not a release version (MAJOR.MINOR.PATCH)"
        )
    return package, None


def changelog_version(text: str) -> str | None:
    """The newest version a changelog's headings name, if it is MAJOR.MINOR.PATCH."""
    match = _HEADING.search(text or "")
    return match.group(1) if match and SEMVER.match(match.group(1)) else None


def history_dir(state_dir: Path, published: Path) -> Path:
    """The history folder of one published folder, inside the pipeline's state folder."""
    resolved = str(Path(published).resolve())
    return Path(state_dir) / "releases" / hashlib.sha256(resolved.encode()).hexdigest()[:16]


def _records(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("[0-9]*.json")) if Path(folder).is_dir() else []


def _sidecars(record_path: Path) -> list[Path]:
    """The descriptor files of one record's number (the one it names, and any left over)."""
    return sorted(record_path.parent.glob(f"{record_path.stem}.*.descriptor"))


def _read_record(path: Path) -> Release:
    """One record; its descriptor from the file it names (or inline, as records written
    before had it), which must have the size recorded."""
    data = msgspec.json.decode(path.read_bytes())
    descriptor = data.get("descriptor")
    if descriptor is None:
        name = data["descriptor_file"]
        if not isinstance(name, str) or "/" in name or not name.startswith(path.stem + "."):
            raise ValueError(f"{path}: names no descriptor of its own")
        raw = (path.parent / name).read_bytes()
        if len(raw) != data["descriptor_bytes"]:
            raise ValueError(f"{path.parent / name}: not the size recorded")
        descriptor = raw.decode("utf-8")
    return Release(data["version"], data["state"], descriptor, data["changelog"])


def last_release(folder: Path) -> Release | None:
    """The newest release recorded in the history folder (a damaged record is skipped)."""
    for path in reversed(_records(folder)):
        try:
            return _read_record(path)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, msgspec.DecodeError):
            continue
    return None


class _Version(msgspec.Struct):
    version: str


def _last_version(records: list[Path]) -> str | None:
    """The version of the newest readable record, its other fields skipped unread."""
    for path in reversed(records):
        try:
            return msgspec.json.decode(path.read_bytes(), type=_Version).version
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            continue
    return None


def record(folder: Path, release: Release, bump: str, published: Path | None = None) -> None:
    """Store a release, atomically; a repair or a state-only update replaces the newest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if published is not None:
        (folder / "PUBLISHED").write_text(str(Path(published).resolve()) + "\n", encoding="utf-8")
    records = _records(folder)
    if records and _last_version(records) == release.version:
        path = records[-1]
    else:
        seq = int(records[-1].stem) + 1 if records else 1
        path = folder / f"{seq:06d}.json"
    # The descriptor under a new name first, then the record that names it: a run killed
    # between the two leaves the record it replaces, and that record's descriptor, whole.
    descriptor = release.descriptor.encode("utf-8")
    name = f"{path.stem}.{uuid.uuid4().hex[:12]}.descriptor"
    tmp = folder / f".{path.stem}.descriptor.tmp"  # one name: a killed run's is overwritten
    tmp.write_bytes(descriptor)
    os.replace(tmp, folder / name)
    fields = {k: v for k, v in asdict(release).items() if k != "descriptor"}
    entry = dict(fields, descriptor_file=name, descriptor_bytes=len(descriptor), bump=bump)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.encode(entry))
    os.replace(tmp, path)
    for old in _sidecars(path):
        if old.name != name:
            old.unlink(missing_ok=True)


def prune_history(folder: Path, keep: set[str]) -> int:
    """Remove the history records of releases not in keep, the newest record always kept
    (each record keeps its release's descriptor: 50 MB at 10,000 reports). Returns how many
    were removed."""
    records = _records(folder)
    removed = 0
    for path in records[:-1]:
        version = _last_version([path])
        if version is not None and version not in keep:
            path.unlink()
            for sidecar in _sidecars(path):
                sidecar.unlink(missing_ok=True)
            removed += 1
    return removed


def from_files(published: Path) -> Release | None:
    """The current release as published/ tells it, when no history is kept (new database).
    None when nothing was ever published; ReleaseError when the version cannot be told."""
    published = Path(published)
    log_path = published / "CHANGELOG.md"
    changelog = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
    package, problem = read_descriptor(published)
    # The changelog first: an edited "version" is the likelier damage (the descriptor is
    # what users open), and a truncated changelog still starts with its newest heading.
    version = changelog_version(changelog) or (
        package.get("version") if package and not problem else None
    )
    if version is None:
        if package is None and not changelog:
            return None  # never published
        raise ReleaseError(
            f"{problem or 'CHANGELOG.md names no release'}; and the database keeps no release "
            'history to repair it from. Set "version" in datapackage.json back to the last '
            "released MAJOR.MINOR.PATCH (see CHANGELOG.md), or remove published/ to start "
            "again at 1.0.0."
        )
    if changelog_version(changelog) != version:
        changelog = (
            f"# Changelog\n\n## {version}\n\n"
            "Release notes before this release were lost (CHANGELOG.md was missing or "
            "damaged when the release history was rebuilt).\n"
        )
    descriptor = (
        (published / "datapackage.json").read_text(encoding="utf-8", errors="replace")
        if package is not None
        else ""
    )
    return Release(version, (package or {}).get("x-state"), descriptor, changelog)

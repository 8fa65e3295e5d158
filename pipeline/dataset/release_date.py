"""The next release as data: its version and date in release.json, written by `indicators
release`, read by publish so that reruns give the same bytes (no clock in the output)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

PARTS = ("major", "minor", "patch")


@dataclass(frozen=True)
class PlannedRelease:
    """A version with its release date (ISO) and a note saying why it was made."""

    version: str
    date: str
    note: str = ""
    after: str = ""  # the version it follows: the plan applies to that release's folder only


def bump(version: str, part: str) -> str:
    """The version after bumping one semver part."""
    major, minor, patch = (int(x) for x in version.split("."))
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if part == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ValueError(f"unknown part {part!r} (use {', '.join(PARTS)})")


def plan(current: str, part: str, on: str | None = None, note: str = "") -> PlannedRelease:
    """The release after `current`: bumped version, dated `on` (default: today)."""
    day = on or date.today().isoformat()
    date.fromisoformat(day)  # refuse a malformed date early
    return PlannedRelease(bump(current, part), day, note, current)


def read(path: Path) -> PlannedRelease | None:
    """The recorded release, if any."""
    if not Path(path).exists():
        return None
    return PlannedRelease(**json.loads(Path(path).read_text(encoding="utf-8")))


def write(release: PlannedRelease, path: Path) -> None:
    """Record the release (sorted keys, so the file's bytes depend on its content only)."""
    Path(path).write_text(
        json.dumps(asdict(release), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def heading(version: str, release: PlannedRelease | None) -> str:
    """The changelog heading of a version: dated when the release file names it."""
    if release and release.version == version:
        return f"## {version} ({release.date})"
    return f"## {version}"


def tag(version: str, cwd: Path) -> None:
    """Tag the current commit vX.Y.Z (annotated), refusing to move an existing tag."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ValueError(f"not a version: {version}")
    subprocess.run(
        ["git", "tag", "-a", f"v{version}", "-m", f"Release {version}"], cwd=cwd, check=True
    )

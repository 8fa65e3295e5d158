"""Publish: a release's new files written aside and validated, then moved in; the descriptor
commits.

Each report's rows are files of their own, named by their content (dataset/shards.py): a
release writes the files of the reports that changed and the small derived tables, and takes
every other file over from the last release, so its cost grows with the change, not with the
collection. Files an older release names stay until `indicators gc` (dataset/snapshots.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from pipeline.dataset import release_date
from pipeline.dataset.faults import checkpoint
from pipeline.dataset.formats import csv_bytes, parquet_bytes
from pipeline.dataset.package import (
    PACKAGE,
    PUBLISH_FORMAT,
    Contents,
    bump_for,
    changelog_entry,
    dumps,
    next_version,
    package_descriptor,
    with_entry,
)
from pipeline.dataset.releases import (
    Release,
    descriptor_head,
    from_files,
    last_release,
    read_descriptor,
    record,
)
from pipeline.dataset.schema import all_schemas, load
from pipeline.dataset.series import DERIVED
from pipeline.dataset.shards import file_problems
from pipeline.dataset.staging import (
    ReleaseTables,
    Staging,
    previous_shards,
    published_cache,
    release_resources,
)
from pipeline.dataset.statcache import StatCache, read_entries, signature, write_entries
from pipeline.dataset.swap import mark_complete, recover, swap

if TYPE_CHECKING:  # the page's module imports altair: only when publishing
    from pipeline.dataset.site import RowsMemo

__all__ = [
    "PUBLISH_FORMAT",
    "PublishResult",
    "ReleaseTables",
    "csv_bytes",
    "parquet_bytes",
    "publish",
    "recover",
    "unchanged",
    "verify_hashes",
]


@dataclass
class PublishResult:
    """What a publish did."""

    version: str
    changed: bool
    bump: str | None  # major | minor | patch | none (first) | repair | None (nothing done)
    path: Path
    repaired: list[str] = field(default_factory=list)  # what a repair rewrote, and why
    written: dict[str, str] = field(default_factory=dict)  # data files moved in: path -> sha256


def _history(history: Path | None, published: Path) -> Release | None:
    """The newest release: from the history folder, else learnt from published/ (recorded)."""
    last = last_release(history) if history is not None else None
    if last is None:
        last = from_files(published)
        if last is not None and history is not None:
            record(history, last, "learnt", published)
    return last


def _descriptor_difference(published: Path, release: Release) -> str | None:
    """How published/datapackage.json differs from the release's; 'x-state' when only the
    recorded state does (no repair needed), None when identical."""
    path = published / "datapackage.json"
    if path.is_file() and path.read_bytes() == release.descriptor.encode("utf-8"):
        return None
    package, problem = read_descriptor(published)
    if package is None:
        return f"datapackage.json: {problem.split(': ', 1)[1]}"
    expected = json.loads(release.descriptor)
    keys = sorted(k for k in set(package) | set(expected) if package.get(k) != expected.get(k))
    if keys == ["x-state"]:
        return "x-state"
    if package.get("version") != release.version:
        return (
            f"datapackage.json: version {package.get('version')!r} differed from release "
            f"{release.version}"
        )
    return (
        f"datapackage.json: {', '.join(keys) or 'layout'} differed from release {release.version}"
    )


def _differences(published: Path, release: Release, staging: Staging) -> list[str]:
    """What in published/ differs from the release it should hold."""
    problems = []
    if (diff := _descriptor_difference(published, release)) is not None:
        problems.append(diff)
    log = published / "CHANGELOG.md"
    if not log.is_file():
        problems.append("CHANGELOG.md: missing")
    elif log.read_bytes() != release.changelog.encode("utf-8"):
        problems.append(f"CHANGELOG.md: differed from release {release.version}")
    return problems + [f"{p}: missing or differed from the release" for p in staging.new]


def _pages_differ(
    staging: Staging,
    release: Release,
    url: str,
    memo: RowsMemo | None = None,
    package: dict | None = None,
) -> list[str]:
    """The landing page and README that differ from what the release makes of its data (a
    page changed with the code, not the data, is republished within the same version)."""
    from pipeline.dataset.site import build_site

    (staging.root / "datapackage.json").write_text(release.descriptor, encoding="utf-8")
    (staging.root / "CHANGELOG.md").write_text(release.changelog, encoding="utf-8")
    pages = build_site(staging.root, url, staging.published, memo, package)
    return [
        f"{name}: differed from the release's page"
        for name, data in pages.items()
        if not (staging.published / name).is_file()
        or (staging.published / name).read_bytes() != data
    ]


def _published_package(published: Path, last: Release | None) -> dict | None:
    """The published descriptor as a dict when it is the last release's (already decoded:
    comparing 50 MB of bytes costs a tenth of decoding them), else None (read it)."""
    if last is None or last.package is None:
        return None
    try:
        text = (Path(published) / "datapackage.json").read_bytes()
    except OSError:
        return None
    return last.package if text == last.descriptor.encode("utf-8") else None


class ReleaseInvalid(RuntimeError):
    """The new release failed validation before it was swapped in: nothing was published."""


# (staging folder, published folder, files taken over that this run found intact, the
# published descriptor when known decoded) -> problems
Check = Callable[[Path, Path, frozenset[str], dict | None], list[str]]


def _finish(
    staging: Staging,
    release: Release,
    check: Check | None,
    url: str = "",
    memo: RowsMemo | None = None,
    previous: dict | None = None,
    package: dict | None = None,
) -> None:
    """Stage the descriptor, its copy kept for snapshots, the changelog and the pages, then
    validate the staged release; an invalid one is removed. url: the address the release is
    published at, cited on its landing page. previous: the published descriptor, if known;
    package: the release's descriptor as made (the pages need not decode it again)."""
    root = staging.root
    (root / "CHANGELOG.md").write_text(release.changelog, encoding="utf-8")
    descriptor = release.descriptor.encode("utf-8")  # once: 50 MB at 10,000 reports
    (root / "datapackage.json").write_bytes(descriptor)
    kept = root / "releases" / f"v{release.version}"
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "datapackage.json").write_bytes(descriptor)
    from pipeline.dataset.site import build_site  # altair: imported only when publishing

    pages = build_site(root, url, staging.published, memo, package)
    for name, data in pages.items():  # index.html, README.md
        (root / name).write_bytes(data)
    intact = frozenset(staging.intact)
    if check is not None and (errors := check(root, staging.published, intact, previous)):
        staging.discard()
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ReleaseInvalid(
            f"release {release.version} fails validation, so it is not "
            f"published and the previous release stays: "
            f"{'; '.join(errors[:5])}{more}"
        )


def _seal_and_swap(published: Path, staging: Path) -> None:
    """Seal a staged release, then swap it in."""
    mark_complete(staging)
    checkpoint("swap")
    swap(published, staging)


def _newer(version: str, than: str) -> bool:
    """Whether one semver version comes after another (a malformed one never does)."""
    try:
        return tuple(map(int, version.split("."))) > tuple(map(int, than.split(".")))
    except ValueError:
        return False


def _new_release(
    last: Release | None, contents: Contents, release: ReleaseTables, planned
) -> tuple[str, str, str]:
    """Version, bump and changelog of a release with new data."""
    old = last.package if last else None
    if last is None:
        bump, version, history = "none", "1.0.0", "# Changelog\n"
    else:
        # A history learnt from a damaged descriptor cannot tell what changed: a patch.
        bump = bump_for(old, contents.sources, contents.schemas) if old is not None else "patch"
        version, history = next_version(last.version, bump), last.changelog
    entry = changelog_entry(
        version,
        bump,
        old if last is None else (old or {}),
        contents.sources,
        release.counts,
        release.extractors,
        planned,
    )
    return version, bump, with_entry(history, entry)


def _versioning(
    last: Release | None, contents: Contents, release: ReleaseTables, planned
) -> tuple[str, str, str, bool]:
    """Version, bump, changelog, and whether the data are those of the last release."""
    old = last.package if last else None
    same = last is not None and (
        old.get("resources") == contents.resources and old.get("sources") == contents.sources
        if old is not None
        else False
    )
    # The plan follows a given release (another published folder, a test's, ignores it).
    if (
        last is not None
        and planned is not None
        and planned.after == last.version
        and _newer(planned.version, last.version)
    ):
        # `indicators release` asked for this version: it is made now, dated, even when the
        # data are those of the last release.
        entry = changelog_entry(
            planned.version,
            "release",
            old or {},
            contents.sources,
            release.counts,
            release.extractors,
            planned,
        )
        return planned.version, "release", with_entry(last.changelog, entry), False
    if same:
        return last.version, "repair", last.changelog, True
    return (*_new_release(last, contents, release, planned), False)


class ForeignFolder(RuntimeError):
    """The published folder holds files that are not a release of this pipeline."""


def check_folder(published: Path, history: Path | None = None) -> None:
    """Refuse a published folder that is neither absent, empty nor a release of this pipeline
    (its datapackage.json names this package, or the release history kept in the state folder
    knows it): publishing would overwrite someone's files."""
    published = Path(published)
    if not published.exists():
        return
    if not published.is_dir():
        raise ForeignFolder(f"{published}: the published folder is a file, not a folder")
    # the run's own files: lock, staging, the database (and the one built aside)
    entries = [
        e.name
        for e in published.iterdir()
        if not e.name.startswith(".") and ".duckdb" not in e.name
    ]
    if not entries:
        return
    head = descriptor_head(published)
    name = head.name if head is not None else None
    ours = name == PACKAGE["name"] or (history is not None and last_release(history) is not None)
    if not ours:
        shown = ", ".join(sorted(entries)[:5]) + (", ..." if len(entries) > 5 else "")
        raise ForeignFolder(
            f"{published}: not empty and not a release of this pipeline ({shown}); "
            "refusing to publish over it (INDICATORS_PUBLISHED names an empty or new folder, "
            "or one this pipeline published)"
        )


def publish(
    release: ReleaseTables,
    sources: list[dict],
    published: Path,
    extra_resources: dict[str, pa.Table] | None = None,
    state: str | None = None,
    history: Path | None = None,
    check: Check | None = None,
    planned: release_date.PlannedRelease | None = None,
    url: str = "",
) -> PublishResult:
    """Stage the release's new files and descriptor, validate them and move them in. With the
    same data as the last release, only repair what differs from it (version and changelog
    kept). history: the folder keeping the release history (releases.history_dir); without
    it, the history is read from published/ alone. check: validates the staged release (a
    list of problems); with any, ReleaseInvalid is raised and nothing is moved in. planned:
    the release `indicators release` recorded (release.json), if any. url: the address the
    release is published at, cited on its landing page."""
    published = Path(published)
    published.mkdir(parents=True, exist_ok=True)
    recover(published)
    cache = published_cache(history)
    schemas = {s.name: s.descriptor for s in [*all_schemas(), *map(load, DERIVED)]}
    last = _history(history, published)
    staging = Staging(published, cache)
    resources = release_resources(
        release, staging, previous_shards(last.package if last else None, schemas), extra_resources
    )
    contents = Contents(sources, schemas, state, resources, release.artifacts)
    version, bump, changelog, same = _versioning(last, contents, release, planned)
    descriptor = package_descriptor(version, contents)
    new = Release(version, state, dumps(descriptor), changelog)
    from pipeline.dataset.site import RowsMemo  # the page's module: only when publishing

    memo = RowsMemo(Path(history) / "site-rows.json" if history is not None else None)
    problems = (
        _differences(published, new, staging) + _pages_differ(staging, new, url, memo, descriptor)
        if same
        else []
    )
    if same and set(problems) <= {"x-state"}:
        staging.discard()
        if problems:  # same data from a new state: record it, no release
            tmp = published / "datapackage.json.tmp"
            tmp.write_text(new.descriptor, encoding="utf-8")
            os.replace(tmp, published / "datapackage.json")
        if history is not None and new != last:
            record(history, new, "state", published)
        cache.save()
        memo.save()
        return PublishResult(version, False, None, published)
    _finish(staging, new, check, url, memo, _published_package(published, last), descriptor)
    # Recorded before the swap: if the swap is interrupted, the next run finds the files
    # differing from the recorded release and rewrites them.
    if history is not None:
        record(history, new, bump, published)
    _seal_and_swap(published, staging.root)
    cache.save()
    memo.save()
    return PublishResult(
        version,
        True,
        bump,
        published,
        repaired=[p for p in problems if p != "x-state"],
        written=staging.new,
    )


def unchanged(published: Path, state: str, history: Path | None = None) -> PublishResult | None:
    """The current release when it was made from this state and every file is as released;
    None when publish() has something to do (never raises on damaged files)."""
    published = Path(published)
    recover(published)
    head = descriptor_head(published)  # most runs have a new state: known without the rest
    if head is None or head.state != state:
        return None
    package, problem = read_descriptor(published)
    if problem or package.get("x-state") != state:
        return None
    if history is not None:
        last = last_release(history)
        log = published / "CHANGELOG.md"
        if (
            last is None
            or last.state != state
            or not log.is_file()
            or log.read_bytes() != last.changelog.encode("utf-8")
            or (published / "datapackage.json").read_bytes() != last.descriptor.encode("utf-8")
        ):
            return None
    cache = published_cache(history)
    if verify_hashes(published, cache, package):
        return None
    cache.save()
    return PublishResult(package["version"], False, None, published)


def released_version(published: Path) -> str | None:
    """The version published/datapackage.json states, or None (never raises)."""
    package, problem = read_descriptor(published)
    return None if package is None or problem else package["version"]


def descriptor_problem(published: Path) -> str | None:
    """Why published/datapackage.json cannot be validated at all, if it cannot."""
    return read_descriptor(published)[1]


def verify_hashes(
    published: Path, cache: StatCache | None = None, package: dict | None = None
) -> list[str]:
    """Problems with files whose sha256 differs from the descriptor (frictionless skips
    Parquet). cache: trust a file's recorded sha256 while its stat is unchanged (a run's
    no-op check); without it every byte is read. package: the descriptor, when the caller
    has just read it."""
    problem = None
    if package is None:
        package, problem = read_descriptor(published)
    if package is None:
        return [problem]
    cache = cache or StatCache(None)
    base = os.path.abspath(published)  # strings: 100,000 Path objects cost more than the stats
    problems = file_problems(package, lambda p: os.path.join(base, p), lambda _, f: cache.sha256(f))
    return ([problem] if problem else []) + problems


# What a run found or made of published/, kept with the release history for its own check.
CHECKED = "checked.json"


def _descriptor_stat(published: Path) -> list[int] | None:
    try:
        return signature(os.stat(Path(published) / "datapackage.json"))
    except OSError:
        return None


def record_checked(history: Path | None, run: str, result: PublishResult) -> None:
    """Record that a run left published/ checked: the files it took over were found with
    their bytes and those it wrote were validated before it moved them in (result.written),
    or (nothing to publish) it found every file as released."""
    if history is not None:
        entry = {"run": run, "descriptor": _descriptor_stat(result.path), "written": result.written}
        write_entries(Path(history) / CHECKED, entry)


def verify_run(published: Path, cache: StatCache, history: Path | None, run: str) -> list[str]:
    """Problems with the published files after a run. When this run recorded published/ as
    checked and the descriptor is still the one it left, only the files it moved in are
    looked at again (the swap moved nothing else; the others were found intact under the run
    lock moments before); otherwise every file is (verify_hashes)."""
    entry = read_entries(Path(history) / CHECKED) if history is not None else {}
    written = entry.get("written")
    if (
        not run
        or entry.get("run") != run
        or entry.get("descriptor") != _descriptor_stat(published)
        or not isinstance(written, dict)
    ):
        return verify_hashes(published, cache)
    moved_in = [{"path": p, "hash": f"sha256:{digest}"} for p, digest in sorted(written.items())]
    base = os.path.abspath(published)
    return file_problems(
        {"resources": [{"x-shards": moved_in}]},
        lambda p: os.path.join(base, p),
        lambda _, f: cache.sha256(f),
    )

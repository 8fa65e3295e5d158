"""Plan: which reports a run publishes, which it sets aside, and which it must still read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.build import DocumentOutcome, artifact_key
from pipeline.dataset.artifacts import ArtifactStore
from pipeline.dataset.statcache import StatCache, signature
from pipeline.manifest import CollectionCheck, check_raw
from pipeline.read.ingest import SUPPORTED_SUFFIXES, document_id_for, scan_raw
from pipeline.settings import Settings


class RawFolderError(RuntimeError):
    """raw/ is missing, or empty while documents are published."""


@dataclass
class Plan:
    """The reports of a run: the files to publish with their sha256, the ones set aside, and
    those whose artifact does not exist yet."""

    files: dict[Path, str | None]
    aside: list[DocumentOutcome]
    todo: list[Path]
    collection: CollectionCheck | None = None  # raw/ against the collection's manifest
    # The published database's stat when the plan was made: a release published since (by
    # another run) makes the plan stale.
    published_at: list[int] | None = None


def _database_signature(settings: Settings) -> list[int] | None:
    """The published database's stat (a release replaces the file), None when there is none."""
    try:
        return signature(os.stat(settings.db_path))
    except OSError:
        return None


def published_digests(settings: Settings) -> dict[str, str]:
    """document_id -> sha256 in the database as published (empty when there is none)."""
    from pipeline.dataset.readers import open_read_only
    from pipeline.dataset.store import document_keys

    if not settings.db_path.exists():
        return {}
    con = open_read_only(settings.db_path)
    try:
        return {did: sha for did, sha, _ in document_keys(con)}
    finally:
        con.close()


def raw_stat_cache(settings: Settings) -> StatCache:
    """The stat cache of raw/'s files, kept in the pipeline's state folder."""
    return StatCache(Path(settings.state_dir) / "raw-sha256.json")


def _set_aside(
    paths: list[Path], published: dict[str, str], cache: StatCache
) -> tuple[dict[Path, str | None], list[DocumentOutcome]]:
    """The files to publish with their sha256, and outcomes for duplicates and id clashes."""
    by_stem: dict[str, list[Path]] = {}
    for p in paths:
        by_stem.setdefault(document_id_for(p), []).append(p)
    kept, aside = [], []
    for stem, group in by_stem.items():
        if len(group) > 1:  # "x.txt" and "x.md" would both be document "x"
            names = ", ".join(p.name for p in group)
            aside += [
                DocumentOutcome(
                    stem,
                    p.name,
                    "failed",
                    f"{p.name}: files {names} share the document id {stem!r}; rename one",
                )
                for p in group
            ]
        else:
            kept.append(group[0])
    digests: dict[Path, str | None] = {}
    for p in kept:
        try:
            digests[p] = cache.sha256(p)
        except OSError:
            digests[p] = None  # build_artifact reports it
    # Among files with the same content, keep the one already published, else the first name.
    groups: dict[str, list[Path]] = {}
    for p in kept:
        groups.setdefault(digests[p] or f"unreadable:{p.name}", []).append(p)
    chosen = []
    for digest, group in groups.items():
        group.sort(key=lambda p: (published.get(p.stem) != digest, p.name))
        chosen.append(group[0])
        aside += [
            DocumentOutcome(
                p.stem,
                p.name,
                "duplicate",
                f"{p.name}: same content as {group[0].name}; not published twice",
            )
            for p in group[1:]
        ]
    return {p: digests[p] for p in sorted(chosen)}, aside


def plan_run(settings: Settings, store: ArtifactStore) -> Plan:
    """What a run has to do: reports to publish, set aside, and still to read."""
    raw_dir = Path(settings.raw_dir)
    if not raw_dir.is_dir():
        raise RawFolderError(f"{raw_dir}: the raw folder does not exist")
    # links outside raw/, folders, FIFOs: named, not read; the manifest is no report
    paths, refused = scan_raw(raw_dir, (settings.manifest,))
    published_at = _database_signature(settings)  # before its digests: a later release is newer
    published = published_digests(settings)
    readable = [p for p in paths if p.suffix.lower() in SUPPORTED_SUFFIXES]
    if not readable and not settings.allow_empty:
        what = (
            "is empty" if not paths else f"holds no report ({', '.join(p.name for p in paths[:3])})"
        )
        raise RawFolderError(
            f"{raw_dir} {what}: refusing to publish a release without reports (a missing "
            "mount, a wrong INDICATORS_RAW?); `indicators run --allow-empty` (or "
            "INDICATORS_ALLOW_EMPTY=1) publishes an empty dataset"
            + (" and unpublishes every document" if published else "")
        )
    cache = raw_stat_cache(settings)
    files, aside = _set_aside(paths, published, cache)
    present = _present(paths, files, cache)
    cache.save()
    aside += [
        DocumentOutcome(document_id_for(Path(e.path)), Path(e.path).name, "failed", str(e))
        for e in refused
    ]
    todo = [
        p
        for p, d in files.items()
        if d is None
        or (not store.complete(artifact_key(p, d)) and store.failure(artifact_key(p, d)) is None)
    ]
    return Plan(files, aside, todo, check_raw(settings.manifest, present), published_at)


# A plan handed from a run's reading step to its load step in the same process, by raw folder
# and database: planning lists and stats every report (half a second at 10,000 reports).
_HANDED: dict[tuple[str, str], Plan] = {}


def _handoff_key(settings: Settings) -> tuple[str, str]:
    """Whose plan: the raw folder and the database it was made for."""
    return os.path.abspath(settings.raw_dir), os.path.abspath(settings.db_path)


def hand_over(settings: Settings, plan: Plan | None) -> None:
    """Offer this plan to the load step of the same run (None withdraws it)."""
    if plan is None:
        _HANDED.pop(_handoff_key(settings), None)
    else:
        _HANDED[_handoff_key(settings)] = plan


def current_plan(settings: Settings, store: ArtifactStore) -> Plan:
    """The plan handed over by this run's reading step while no release was published since
    it was made (files changed in raw/ meanwhile are the next run's); else a new one."""
    handed = _HANDED.pop(_handoff_key(settings), None)
    if handed is not None and handed.published_at == _database_signature(settings):
        return handed
    return plan_run(settings, store)


def _present(paths: list[Path], files: dict[Path, str | None], cache: StatCache) -> dict[str, str]:
    """name -> sha256 of every readable file in raw/ (duplicates set aside included)."""
    out = {}
    for p in paths:
        try:
            out[p.name] = files.get(p) or cache.sha256(p)
        except OSError:
            continue  # unreadable: its report says so
    return out

"""Release: the database built aside from every artifact, then published and swapped in.

The published database and folder are never touched until the new release is validated; the
descriptor is the commit point (see dataset/publish.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.build import DocumentOutcome, artifact_key, build_artifacts
from pipeline.dataset.artifacts import ArtifactKey, ArtifactStore
from pipeline.dataset.faults import checkpoint
from pipeline.plan import Plan, published_digests
from pipeline.settings import Settings
from pipeline.versions import DERIVED_KEY

log = logging.getLogger(__name__)


@dataclass
class LoadResult:
    """What the load step did: per-report outcomes, rows, documents removed."""

    outcomes: list[DocumentOutcome]
    rows: dict[str, int]
    removed: list[str]
    rebuilt: bool
    repaired: list[str] = field(default_factory=list)  # artifacts found damaged and remade
    incremental: bool = False  # the database made by updating a copy of the published one


def next_database(settings: Settings) -> Path:
    """Where the next release's database is built, beside the published one."""
    db = Path(settings.db_path)
    return db.with_name(db.name + ".next")


def release_database(settings: Settings) -> Path:
    """The database of the release being made (built aside) or else the published one."""
    nxt = next_database(settings)
    return nxt if nxt.exists() else Path(settings.db_path)


def _built_from(path: Path) -> list[str] | None:
    from pipeline.dataset.readers import open_read_only
    from pipeline.dataset.store import artifact_keys

    if not path.exists():
        return None
    con = open_read_only(path)
    try:
        return artifact_keys(con)
    finally:
        con.close()


def _loaded_keys(plan: Plan, outcomes: list[DocumentOutcome]) -> list[str]:
    """The artifacts of the reports that go into the release."""
    return sorted(
        artifact_key(p, d).path
        for (p, d), o in zip(plan.files.items(), outcomes, strict=True)
        if o.status in ("loaded", "unchanged")
    )


# Above this share of the reports changed, building anew costs less than copying and deleting.
INCREMENTAL_SHARE = 0.5


def _document_id(key_path: str) -> str:
    """The document an artifact holds the rows of (its source file's stem)."""
    # by string (Path(...).stem on every key of 10,000 reports cost a tenth of a second)
    stem, dot, _ = _split(key_path)[1].rpartition(".")
    return stem if dot and stem else _split(key_path)[1]


def incremental_plan(base: list[str] | None, keys: list[str]) -> dict[str, list[str]] | None:
    """The artifacts to remove from and add to the published database (built from base) to
    make one built from keys, or None when it must be built anew: no usable published
    database, another codelist or schema (DERIVED_KEY; the schemas are in every artifact's
    version), a report's id in both a kept and a changed artifact, or too much changed."""
    if not base or DERIVED_KEY not in base or not keys:
        return None
    old, new = set(base) - {DERIVED_KEY}, set(keys)
    removed, added = sorted(old - new), sorted(new - old)
    kept = {_document_id(k) for k in old & new}
    gone = {_document_id(k) for k in [*removed, *added]}
    if kept & gone or len(gone) > INCREMENTAL_SHARE * len(new):
        return None
    return {"removed": removed, "added": added, "gone": sorted(gone)}


def load_release(
    settings: Settings, store: ArtifactStore, plan: Plan, fresh: set[Path] = frozenset()
) -> LoadResult:
    """Make the release's database (making any artifact still missing, one after another):
    a copy of the published one with only the changed reports' rows replaced when it can be,
    else built from every report's artifact. The published database is not touched: the new
    one is made aside and swapped in when the release is published. fresh: reports read
    earlier in this run."""
    from pipeline.dataset.readers import open_read_only
    from pipeline.dataset.store import counts

    by_name = {o.source_file: o for o in build_artifacts(list(plan.files.items()), store, settings)}
    outcomes = [by_name[p.name] for p in plan.files]
    outcomes = [
        DocumentOutcome(**{**o.__dict__, "status": "loaded"})
        if o.status == "unchanged" and p in fresh
        else o
        for o, p in zip(outcomes, plan.files, strict=True)
    ]
    keys = _loaded_keys(plan, outcomes)
    built_from = sorted([*keys, DERIVED_KEY])  # a new codelist rebuilds the database too
    db = Path(settings.db_path)
    old_ids = set(published_digests(settings))
    nxt = next_database(settings)
    repaired: list[str] = []
    base = _built_from(db)
    incremental = False
    if base == built_from and not nxt.exists():
        rebuilt = False
        con = open_read_only(db)
        try:
            rows = counts(con)
        finally:
            con.close()
    else:
        # A leftover .next (a run killed before publishing) is made again, never trusted.
        diff = incremental_plan(base, keys)
        only = None if diff is None else set(diff["added"])
        outcomes, repaired = _verified(store, settings, plan, outcomes, only)
        keys = _loaded_keys(plan, outcomes)
        diff = incremental_plan(base, keys)
        rows = _make_next(store, db, nxt, keys, diff)
        rebuilt, incremental = True, diff is not None
        log.info(
            "release database %s: %s",
            nxt,
            f"the published one updated ({len(diff['gone'])} reports replaced or removed)"
            if diff
            else f"built anew from {len(keys)} artifacts",
        )
    kept_ids = {o.document_id for o in outcomes if o.status in ("loaded", "unchanged")}
    outcomes = sorted(outcomes + plan.aside, key=lambda o: (o.document_id, o.source_file))
    return LoadResult(
        outcomes, rows, sorted(old_ids - kept_ids), rebuilt, repaired, incremental=incremental
    )


def _make_next(
    store: ArtifactStore, db: Path, nxt: Path, keys: list[str], diff: dict | None
) -> dict[str, int]:
    """Build the next database: the published one updated by diff, or anew from every key."""
    from pipeline.dataset.store import build_database, update_database

    if diff is None:
        return build_database(nxt, _inputs(store, keys), sorted([*keys, DERIVED_KEY]))
    return update_database(db, nxt, _inputs(store, diff["added"]), diff["gone"], diff)


def _verified(
    store: ArtifactStore,
    settings: Settings,
    plan: Plan,
    outcomes: list[DocumentOutcome],
    only: set[str] | None = None,
) -> tuple[list[DocumentOutcome], list[str]]:
    """The outcomes once every artifact about to be loaded (only: those of these keys; the
    others' rows are already in the published database) has been checked against the sha256
    its manifest recorded: a damaged or edited one is named, discarded and made again from
    raw/ (never loaded); what could not be made again fails its report."""
    out, repaired = [], []
    for (path, digest), outcome in zip(plan.files.items(), outcomes, strict=True):
        key = artifact_key(path, digest)
        if outcome.status not in ("loaded", "unchanged") or (
            only is not None and key.path not in only
        ):
            out.append(outcome)
            continue
        problems = store.problems(key, store.manifest(key) or {"rows": {}})
        if not problems:
            out.append(outcome)
            continue
        store.discard(key)
        again = next(build_artifacts([(path, digest)], store, settings))
        if again.status == "failed" or store.problems(key, store.manifest(key) or {}):
            again = DocumentOutcome(
                outcome.document_id,
                path.name,
                "failed",
                f"{'; '.join(problems)}; made again from raw/, it failed: {again.error}",
            )
        else:
            again = DocumentOutcome(**{**again.__dict__, "status": "loaded"})
            repaired.append(f"{'; '.join(problems)}: made again from raw/{path.name}")
        out.append(again)
    return out, repaired


def _inputs(store: ArtifactStore, key_paths: list[str]) -> dict[str, object]:
    """Each table's Parquet files (a local store) or rows read through pyarrow (any other)."""
    from pipeline.dataset.schema import TABLES

    keys = [ArtifactKey(*_split(k)) for k in key_paths]
    manifests = {k: store.manifest(k) for k in keys}
    files = {t: store.table_files(keys, t, manifests) for t in TABLES}
    if store.local:
        return files
    return {t: store.read_table(f) for t, f in files.items()}


def _split(key_path: str) -> tuple[str, str, str]:
    version, sha, source = key_path.split("/", 2)
    return sha, source, version


def swap_database(settings: Settings) -> bool:
    """Put the database built aside in place of the published one (one rename)."""
    nxt = next_database(settings)
    if not nxt.exists():
        return False
    checkpoint("swap-db")
    os.replace(nxt, settings.db_path)
    return True


def official_urls(manifest: Path | None) -> dict[str, str]:
    """Each report's official URL by file name, from the collection's manifest (the first of a
    joint report's URLs); none when there is no manifest."""
    from pipeline.manifest import SEPARATOR, ManifestError, read_manifest

    if manifest is None or not Path(manifest).is_file():
        return {}
    try:
        entries = read_manifest(Path(manifest))
    except (ManifestError, OSError):
        return {}  # the run reports a bad manifest; the sources fall back on the symbols
    return {e.file: e.url.split(SEPARATOR)[0].strip() for e in entries if e.url.strip()}


def sources(con, manifest: Path | None = None) -> list[dict]:
    """The datapackage sources: each report with its official URL as path (from the manifest,
    else built from its first symbol; none for a report without either), so that they resolve
    for someone who has only published/; its file in raw/ and its sha256 kept."""
    from pipeline.dataset.ods import ods_url
    from pipeline.dataset.schema import list_items
    from pipeline.dataset.store import sources as stored_sources

    urls = official_urls(manifest)
    out = []
    for did, title, src, sha, symbols in stored_sources(con):
        url = urls.get(src) or next((ods_url(s) for s in list_items(symbols)), None)
        entry = {"title": f"{title or did} ({src})"}
        if url:
            entry["path"] = url
        out.append(dict(entry, version=f"sha256:{sha}", **{"x-file": f"raw/{src}"}))
    return out


def state_key(con, settings: Settings) -> str:
    """What the published files are a function of: documents, schemas, gold files, the
    derived tables' code and a planned release."""
    from pipeline.dataset import release_date
    from pipeline.dataset.publish import PUBLISH_FORMAT
    from pipeline.dataset.schema import all_schemas
    from pipeline.dataset.store import document_keys

    docs = [list(k) for k in document_keys(con)]
    gold = [
        (g.relative_to(settings.gold).as_posix(), hashlib.sha256(g.read_bytes()).hexdigest())
        for g in [
            *sorted(settings.gold.glob("*.jsonl")),
            *sorted(settings.gold.glob("series/*.csv")),
        ]
    ]
    # A release planned with `indicators release` is part of the state: it makes a release.
    planned = release_date.read(settings.release_file)
    state = {
        "documents": docs,
        "schemas": [s.descriptor for s in all_schemas()],
        "gold": gold,
        "format": PUBLISH_FORMAT,
        "derived": DERIVED_KEY,
        "release": [planned.version, planned.date, planned.note] if planned else None,
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


@dataclass
class ReleaseInputs:
    """What publishing takes from the release's database: the tables (read one report at a
    time), the sources, the evaluations, the state the release is made from and the release
    history folder."""

    tables: object  # publish.ReleaseTables
    sources: list[dict]
    extra_resources: dict[str, pa.Table]
    state: str
    history: Path


def _artifacts(con) -> dict[str, str]:
    """document_id -> the artifact its rows were made from, for every report with rows
    (a report whose rows all failed validation has none: "")."""
    from pipeline.dataset.store import stored_documents, stored_ids

    known = {did: f"{version}/{sha}" for did, (sha, version) in stored_documents(con).items()}
    return {did: known.get(did, "") for did in sorted(stored_ids(con))}


def release_inputs(con, settings: Settings):
    """What publishing needs from the database, or the current release (a PublishResult)
    when it was made from the same state and its files are intact."""
    from pipeline.dataset.publish import ReleaseTables, unchanged
    from pipeline.dataset.releases import history_dir
    from pipeline.dataset.series import DERIVED
    from pipeline.dataset.store import counts, document_keys, quarantine_share, read_table

    share = quarantine_share(con)
    if share > settings.max_failure_share:
        raise RuntimeError(
            f"{share:.1%} of rows failed validation (limit {settings.max_failure_share:.0%}): "
            "publishing blocked, the previous release stays; see validation_failures"
        )
    state = state_key(con, settings)
    history = history_dir(settings.state_dir, settings.published_dir)
    if (current := unchanged(settings.published_dir, state, history)) is not None:
        return current
    from pipeline.dataset.accuracy import evaluation_table, indicator_accuracy

    extra = {
        "evaluation": evaluation_table(con, settings.gold),
        "indicator_accuracy": indicator_accuracy(con, settings.gold),
    }
    tables = ReleaseTables(
        con,
        _artifacts(con),
        {name: read_table(con, name) for name in DERIVED},
        counts(con),
        sorted({v for _, _, v in document_keys(con) if v}),
    )
    return ReleaseInputs(
        tables,
        sources(con, settings.manifest),
        {k: v for k, v in extra.items() if v is not None},
        state,
        history,
    )


def publish_release(settings: Settings):
    """Publish from the release's database, then swap that database in."""
    from pipeline.dataset import release_date
    from pipeline.dataset.checks import release_errors
    from pipeline.dataset.publish import check_folder, publish
    from pipeline.dataset.readers import open_read_only
    from pipeline.dataset.releases import history_dir

    check_folder(settings.published_dir, history_dir(settings.state_dir, settings.published_dir))
    con = open_read_only(release_database(settings))
    try:
        inputs = release_inputs(con, settings)
        if isinstance(inputs, ReleaseInputs):
            inputs = publish(
                inputs.tables,
                inputs.sources,
                settings.published_dir,
                inputs.extra_resources,
                inputs.state,
                inputs.history,
                check=release_errors,
                planned=release_date.read(settings.release_file),
                url=settings.published_url,
            )
    finally:
        con.close()
    swap_database(settings)
    return inputs

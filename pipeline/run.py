"""Run: the stages end to end, shared by Dagster and the CLI.

Per report (in parallel, no lock): read, structure, extract, validate, and write the validated
tables as an immutable artifact keyed by the report's sha256 and the code's version. Per
release (under the run lock): build the database aside from all artifacts, publish, swap in.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.dataset.artifacts import ArtifactKey, ArtifactStore
from pipeline.dataset.faults import checkpoint
from pipeline.dataset.tables import DocumentTables
from pipeline.extract.metrics import EXTRACTOR_VERSION, extract
from pipeline.extract.structure import parse
from pipeline.read.ingest import ReportError, document_id_for, ingest, scan_raw
from pipeline.rows import document_row, to_rows  # noqa: F401  (re-exported)

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "tests" / "data" / "gold"
_PACKAGE = Path(__file__).resolve().parent


def __getattr__(name: str):
    # Settings is a Dagster resource; imported on first use so that `indicators sql` and
    # friends, which need no orchestration, do not pay for importing Dagster.
    if name == "Settings":
        from pipeline.resources import Settings

        return Settings
    raise AttributeError(name)


def _artifact_version() -> str:
    """The extractor's version plus everything else an artifact's rows depend on."""
    h = hashlib.sha256(EXTRACTOR_VERSION.encode())
    for path in sorted([_PACKAGE / "rows.py", _PACKAGE / "dataset" / "validate.py",
                        _PACKAGE / "dataset" / "schema.py", *(ROOT / "schemas").glob("*")]):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return f"{EXTRACTOR_VERSION.split('+')[0]}-{h.hexdigest()[:16]}"


ARTIFACT_VERSION = _artifact_version()


def _derived_key() -> str:
    """What the derived tables (series, indicators) and their exports depend on besides the
    artifacts: the codelist and the code mapping metrics to it and writing them out."""
    h = hashlib.sha256()
    for path in (_PACKAGE / "dataset" / "series.py", _PACKAGE / "dataset" / "sdmx.py",
                 _PACKAGE / "dataset" / "site.py", ROOT / "schemas" / "indicators.yaml"):
        h.update(path.name.encode() + path.read_bytes())
    return f"derived/{h.hexdigest()[:16]}"


DERIVED_KEY = _derived_key()


@dataclass
class DocumentOutcome:
    """What happened to one report in a run."""

    document_id: str
    source_file: str
    status: str  # loaded (read in this run) | unchanged | failed | duplicate
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    failures: int = 0


def process_document(path: Path) -> DocumentTables:
    """Ingest, structure and extract one report; raises ReportError on bad input."""
    doc = ingest(path)
    structure = parse(doc)
    metrics = extract(structure)
    return DocumentTables(doc.document_id, doc.sha256, to_rows(doc, structure, metrics),
                          doc.text)


def artifact_store(settings) -> ArtifactStore:
    """The artifact store the settings name."""
    return ArtifactStore(str(settings.artifacts_url))


def artifact_key(path: Path, digest: str) -> ArtifactKey:
    """The key of a report's artifact."""
    return ArtifactKey(digest, path.name, ARTIFACT_VERSION)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outcome(path: Path, manifest: dict, status: str) -> DocumentOutcome:
    rows = {k: v for k, v in manifest["rows"].items() if k != "validation_failures"}
    return DocumentOutcome(manifest["document_id"], path.name, status, rows=rows,
                           failures=manifest["failed_rows"])


def _failed(path: Path, err: Exception) -> str:
    return str(err) if isinstance(err, ReportError) else \
        f"{path.name}: {type(err).__name__}: {err}"


# Reports validated together: pandera's cost is mostly per call, so a batch of reports costs
# about as much as one; the batch's texts and rows stay in memory until it is written.
BATCH_REPORTS = 32


def build_artifact(path: Path, store: ArtifactStore, digest: str | None = None
                   ) -> DocumentOutcome:
    """Read, structure, extract and validate one report into its artifact, unless the artifact
    (or a recorded failure) already exists. Any exception fails this report alone."""
    return next(build_artifacts([(path, digest)], store))


def build_artifacts(reports: list[tuple[Path, str | None]], store: ArtifactStore,
                    batch: int = BATCH_REPORTS) -> Iterator[DocumentOutcome]:
    """build_artifact for many reports, validated in batches; yields each report's outcome
    when it is known (an existing artifact at once, a new one when its batch is written)."""
    pending: list[tuple[Path, str, ArtifactKey, DocumentTables]] = []
    for path, digest in reports:
        did = document_id_for(path)
        try:
            digest = digest or _digest(path)
        except OSError as err:
            yield DocumentOutcome(did, path.name, "failed",
                                  f"{path.name}: cannot be read ({err.strerror})")
            continue
        key = artifact_key(path, digest)
        if (manifest := store.manifest(key)) is not None:
            yield _outcome(path, manifest, "unchanged")
            continue
        if (error := store.failure(key)) is not None:
            yield DocumentOutcome(did, path.name, "failed", error)
            continue
        try:
            tables = process_document(path)
            checkpoint("extract")
        except OSError as err:  # the file vanished or cannot be read now: try again next run
            yield DocumentOutcome(did, path.name, "failed", f"{path.name}: {err}")
            continue
        except Exception as err:  # noqa: BLE001  (one bad report must not stop the others)
            message = _failed(path, err)
            store.write_failure(key, message)
            yield DocumentOutcome(did, path.name, "failed", message)
            continue
        if any(t.document_id == tables.document_id for *_, t in pending):
            yield from _write_batch(pending, store)  # a batch holds each document once
            pending = []
        pending.append((path, digest, key, tables))
        if len(pending) >= batch:
            yield from _write_batch(pending, store)
            pending = []
    yield from _write_batch(pending, store)


def _write_batch(pending: list[tuple[Path, str, ArtifactKey, DocumentTables]],
                 store: ArtifactStore) -> Iterator[DocumentOutcome]:
    """Validate a batch of reports together and write each one's artifact."""
    from pipeline.dataset.validate import validate_batch

    if not pending:
        return
    try:
        validated = validate_batch([t for *_, t in pending]).arrow()
    except Exception as err:  # noqa: BLE001  (one bad report must not stop the others)
        if len(pending) == 1:
            path, _, key, _ = pending[0]
            message = _failed(path, err)
            store.write_failure(key, message)
            yield DocumentOutcome(document_id_for(path), path.name, "failed", message)
            return
        validated = None
    if validated is None:  # find the report at fault: validate each alone
        for item in pending:
            yield from _write_batch([item], store)
        return
    for path, digest, key, tables in pending:
        frames, failed_rows = validated[tables.document_id]
        manifest = store.write(key, frames, {"document_id": tables.document_id,
                                             "source_file": path.name, "sha256": digest,
                                             "failed_rows": failed_rows})
        checkpoint("artifact")
        yield _outcome(path, manifest, "loaded")


class RawFolderError(RuntimeError):
    """raw/ is missing, or empty while documents are published."""


@dataclass
class Plan:
    """The reports of a run: the files to publish with their sha256, the ones set aside, and
    those whose artifact does not exist yet."""

    files: dict[Path, str | None]
    aside: list[DocumentOutcome]
    todo: list[Path]


def _published_digests(settings) -> dict[str, str]:
    """document_id -> sha256 in the database as published (empty when there is none)."""
    from pipeline.dataset.store import document_keys, open_read_only

    if not settings.db_path.exists():
        return {}
    con = open_read_only(settings.db_path)
    try:
        return {did: sha for did, sha, _ in document_keys(con)}
    finally:
        con.close()


def _set_aside(paths: list[Path], published: dict[str, str]
               ) -> tuple[dict[Path, str | None], list[DocumentOutcome]]:
    """The files to publish with their sha256, and outcomes for duplicates and id clashes."""
    by_stem: dict[str, list[Path]] = {}
    for p in paths:
        by_stem.setdefault(document_id_for(p), []).append(p)
    kept, aside = [], []
    for stem, group in by_stem.items():
        if len(group) > 1:  # "x.txt" and "x.md" would both be document "x"
            names = ", ".join(p.name for p in group)
            aside += [DocumentOutcome(stem, p.name, "failed",
                                      f"{p.name}: files {names} share the document id {stem!r}; "
                                      "rename one") for p in group]
        else:
            kept.append(group[0])
    digests: dict[Path, str | None] = {}
    for p in kept:
        try:
            digests[p] = _digest(p)
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
        aside += [DocumentOutcome(p.stem, p.name, "duplicate",
                                  f"{p.name}: same content as {group[0].name}; "
                                  "not published twice") for p in group[1:]]
    return {p: digests[p] for p in sorted(chosen)}, aside


def plan_run(settings, store: ArtifactStore) -> Plan:
    """What a run has to do: reports to publish, set aside, and still to read."""
    raw_dir = Path(settings.raw_dir)
    if not raw_dir.is_dir():
        raise RawFolderError(f"{raw_dir}: the raw folder does not exist")
    paths, refused = scan_raw(raw_dir)  # links outside raw/, folders, FIFOs: named, not read
    published = _published_digests(settings)
    if not paths and published and not settings.allow_empty:
        raise RawFolderError(
            f"{raw_dir} is empty: refusing to unpublish every document (a missing mount?); "
            "set INDICATORS_ALLOW_EMPTY=1 to really empty the dataset")
    files, aside = _set_aside(paths, published)
    aside += [DocumentOutcome(document_id_for(Path(e.path)), Path(e.path).name, "failed", str(e))
              for e in refused]
    todo = [p for p, d in files.items() if d is None or (
        store.manifest(artifact_key(p, d)) is None and store.failure(artifact_key(p, d)) is None)]
    return Plan(files, aside, todo)


@dataclass
class LoadResult:
    """What the load step did: per-report outcomes, rows, documents removed."""

    outcomes: list[DocumentOutcome]
    rows: dict[str, int]
    removed: list[str]
    rebuilt: bool


def next_database(settings) -> Path:
    """Where the next release's database is built, beside the published one."""
    db = Path(settings.db_path)
    return db.with_name(db.name + ".next")


def release_database(settings) -> Path:
    """The database of the release being made (built aside) or else the published one."""
    nxt = next_database(settings)
    return nxt if nxt.exists() else Path(settings.db_path)


def _built_from(path: Path) -> list[str] | None:
    from pipeline.dataset.store import artifact_keys, open_read_only

    if not path.exists():
        return None
    con = open_read_only(path)
    try:
        return artifact_keys(con)
    finally:
        con.close()


def load_release(settings, store: ArtifactStore, plan: Plan,
                 fresh: set[Path] = frozenset()) -> LoadResult:
    """Build the release's database from every report's artifact (making any still missing,
    one after another). The published database is not touched: the new one is built aside and
    swapped in when the release is published. fresh: reports read earlier in this run."""
    from pipeline.dataset.store import build_database, counts, open_read_only

    by_name = {o.source_file: o for o in build_artifacts(list(plan.files.items()), store)}
    outcomes = [by_name[p.name] for p in plan.files]
    outcomes = [DocumentOutcome(**{**o.__dict__, "status": "loaded"})
                if o.status == "unchanged" and p in fresh else o
                for o, p in zip(outcomes, plan.files, strict=True)]
    keys = sorted(artifact_key(p, d).path for (p, d), o in zip(plan.files.items(), outcomes,
                                                                 strict=True)
                  if o.status in ("loaded", "unchanged"))
    built_from = sorted([*keys, DERIVED_KEY])  # a new codelist rebuilds the database too
    db = Path(settings.db_path)
    old_ids = set(_published_digests(settings))
    nxt = next_database(settings)
    if _built_from(db) == built_from and not nxt.exists():
        rebuilt = False
        con = open_read_only(db)
        try:
            rows = counts(con)
        finally:
            con.close()
    else:
        rows = build_database(nxt, _inputs(store, keys), built_from)
        rebuilt = True
    kept_ids = {o.document_id for o in outcomes if o.status in ("loaded", "unchanged")}
    outcomes = sorted(outcomes + plan.aside, key=lambda o: (o.document_id, o.source_file))
    return LoadResult(outcomes, rows, sorted(old_ids - kept_ids), rebuilt)


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


def swap_database(settings) -> bool:
    """Put the database built aside in place of the published one (one rename)."""
    nxt = next_database(settings)
    if not nxt.exists():
        return False
    checkpoint("swap-db")
    os.replace(nxt, settings.db_path)
    return True


class RunLocked(RuntimeError):
    """Another run holds the lock."""


_HELD: dict[Path, int] = {}  # locks this process holds, with their depth


def lock_holder(settings) -> str:
    """The PID written beside the lock by the run holding it, if any."""
    try:
        return (Path(settings.published_dir) / ".lock.pid").read_text().strip() or "unknown"
    except OSError:
        return "unknown"


@contextmanager
def run_lock(settings, wait: float | None = None,
             on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """One load-and-publish at a time per published folder (CLI, sensor runs, schedule);
    re-entrant. wait: seconds to wait for another run (None: forever, 0: not at all)."""
    from filelock import FileLock, Timeout

    published = Path(settings.published_dir)
    published.mkdir(parents=True, exist_ok=True)
    path = (published / ".lock").resolve()
    if _HELD.get(path):
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = lock_holder(settings)
        if on_wait is not None and wait != 0:
            limit = "" if wait is None else f" (at most {wait:g} s)"
            on_wait(f"waiting for the run lock {path}, held by process {holder}{limit}")
        try:
            lock.acquire(timeout=-1 if wait is None else wait)
        except Timeout:
            raise RunLocked(f"another run holds {path} (process {holder}); "
                            "try again later or give --wait SECONDS") from None
    (published / ".lock.pid").write_text(f"{os.getpid()}\n")
    _HELD[path] = 1
    try:
        yield
    finally:
        _HELD.pop(path, None)
        (published / ".lock.pid").unlink(missing_ok=True)
        lock.release()


def sources(con) -> list[dict]:
    """The datapackage sources: each report with its file and sha256."""
    from pipeline.dataset.store import sources as stored_sources

    return [{"title": f"{title or did} ({src})", "path": f"raw/{src}",
             "version": f"sha256:{sha}"} for did, title, src, sha in stored_sources(con)]


def evaluation_table(con) -> pa.Table | None:
    """Measured accuracy of the stored metrics of every document that has a gold file."""
    from pipeline.dataset.store import document_keys, gold_predictions
    from pipeline.extract.evaluate import load_records, normalise, score

    rows = []
    stored = {did for did, _, _ in document_keys(con)}
    for gold in sorted(GOLD_DIR.glob("*.jsonl")):
        if gold.stem not in stored:
            continue
        predicted = [normalise(r) for r in gold_predictions(con, gold.stem)]
        for measure, value in score(load_records(gold), predicted).as_dict().items():
            rows.append({"document_id": gold.stem, "measure": measure, "value": float(value)})
    return pa.Table.from_pylist(rows) if rows else None


def state_key(con) -> str:
    """What the published files are a function of: documents, rules, schemas, gold files."""
    from pipeline.dataset.publish import PUBLISH_FORMAT
    from pipeline.dataset.schema import all_schemas
    from pipeline.dataset.store import document_keys

    docs = [list(k) for k in document_keys(con)]
    gold = [(g.name, hashlib.sha256(g.read_bytes()).hexdigest())
            for g in sorted(GOLD_DIR.glob("*.jsonl"))]
    from pipeline.dataset import release_date

    # A release planned with `indicators release` is part of the state: it makes a release.
    planned = release_date.read()
    state = {"documents": docs, "schemas": [s.descriptor for s in all_schemas()],
             "gold": gold, "format": PUBLISH_FORMAT, "derived": DERIVED_KEY,
             "release": [planned.version, planned.date, planned.note] if planned else None}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def failure_share(con) -> float:
    """Quarantined rows as a share of all rows, quarantined ones included."""
    from pipeline.dataset.store import quarantine_share

    return quarantine_share(con)


def unchanged_release(published: Path, state: str, history: Path | None = None):
    """The current release when it was made from the same state and its files are intact."""
    from pipeline.dataset.publish import unchanged

    return unchanged(published, state, history)


def release_inputs(con, settings):
    """What publishing needs from the database (publish()'s arguments, as a dict), or the
    current release when it was made from the same state and is intact."""
    from pipeline.dataset.releases import history_dir
    from pipeline.dataset.schema import TABLES
    from pipeline.dataset.series import DERIVED
    from pipeline.dataset.store import read_table

    share = failure_share(con)
    if share > settings.max_failure_share:
        raise RuntimeError(
            f"{share:.1%} of rows failed validation (limit {settings.max_failure_share:.0%}): "
            "publishing blocked, the previous release stays; see validation_failures")
    state = state_key(con)
    history = history_dir(settings.state_dir, settings.published_dir)
    if (unchanged := unchanged_release(settings.published_dir, state, history)) is not None:
        return unchanged
    evaluation = evaluation_table(con)
    return {"tables": {name: read_table(con, name) for name in [*TABLES, *DERIVED]},
            "sources": sources(con), "published": settings.published_dir,
            "extra_resources": {"evaluation": evaluation} if evaluation is not None else {},
            "state": state, "history": history}


def _publish(inputs):
    """publish() with release_inputs' arguments; the tables are handed over, not kept, so
    that publish frees them once written, before the release is validated."""
    from pipeline.dataset.checks import frictionless_errors
    from pipeline.dataset.publish import publish

    if not isinstance(inputs, dict):
        return inputs
    return publish(inputs.pop("tables"), **inputs, check=frictionless_errors)


def publish_release(settings):
    """Publish from the release's database, then swap that database in."""
    from pipeline.dataset.store import open_read_only

    con = open_read_only(release_database(settings))
    try:
        inputs = release_inputs(con, settings)
    finally:
        con.close()  # DuckDB's memory goes before the release is written and validated
    result = _publish(inputs)
    swap_database(settings)
    return result


def progress_line(done: int, total: int, seconds: float) -> str:
    """done/total, rate and time left, for logs where no terminal shows a bar."""
    rate = done / seconds if seconds > 0 else 0.0
    left = (total - done) / rate if rate else float("inf")
    return f"{done}/{total} reports, {rate:.1f}/s, {left:.0f} s left"

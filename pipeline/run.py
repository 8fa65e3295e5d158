"""Run: the stages end to end for every report in raw/, shared by Dagster and the CLI."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.extract import EXTRACTOR_VERSION
from pipeline.faults import checkpoint
from pipeline.ingest import ReportError, document_id_for, list_reports

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "tests" / "data" / "gold"


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes; overridable with environment variables."""

    raw_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "INDICATORS_RAW", ROOT / "raw")))
    published_dir: Path = field(default_factory=lambda: Path(os.environ.get(
        "INDICATORS_PUBLISHED", ROOT / "published")))
    db_path: Path = field(default_factory=lambda: Path(os.environ.get(
        "INDICATORS_DB", ROOT / "published" / "indicators.duckdb")))
    max_failure_share: float = field(default_factory=lambda: float(os.environ.get(
        "INDICATORS_MAX_FAILURE_SHARE", "0.05")))


@dataclass
class DocumentOutcome:
    """What happened to one report in a run."""

    document_id: str
    source_file: str
    status: str  # loaded | unchanged | failed
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    failures: int = 0


class RunLocked(RuntimeError):
    """Another run holds the lock."""


@contextmanager
def run_lock(settings: Settings, wait: bool = True):
    """One run at a time per published folder (CLI, sensor runs, schedule)."""
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.published_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise RunLocked(f"another run holds {settings.published_dir / '.lock'}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sync_document(con, path: Path, force: bool = False) -> DocumentOutcome:
    """Process one report into the database unless it is unchanged; errors are reported."""
    import hashlib

    from pipeline.process import process_document
    from pipeline.store import load_document, stored_documents
    from pipeline.validate import validate_document

    did = document_id_for(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        return DocumentOutcome(did, path.name, "failed", f"{path.name}: cannot be read ({err})")
    if not force and stored_documents(con).get(did) == (digest, EXTRACTOR_VERSION):
        return DocumentOutcome(did, path.name, "unchanged")
    try:
        tables = process_document(path)
    except ReportError as err:
        return DocumentOutcome(did, path.name, "failed", str(err))
    checkpoint("extract")
    validated = validate_document(tables)
    load_document(con, validated)
    rows = {name: len(df) for name, df in validated.frames.items()}
    return DocumentOutcome(did, path.name, "loaded", rows=rows, failures=validated.failed_rows)


def sync_all(con, raw_dir: Path) -> list[DocumentOutcome]:
    """Sync every report in raw/; a file with the same content as an earlier one is skipped."""
    import hashlib

    outcomes, seen = [], {}
    for path in list_reports(raw_dir):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            outcomes.append(DocumentOutcome(
                document_id_for(path), path.name, "duplicate",
                f"{path.name}: same content as {seen[digest]}; not published twice"))
            continue
        seen[digest] = path.name
        outcomes.append(sync_document(con, path))
    return outcomes


def remove_missing(con, raw_dir: Path, keep: set[str] | None = None) -> list[str]:
    """Drop documents whose file has left raw/; returns their ids."""
    from pipeline.store import remove_documents, stored_documents

    present = keep if keep is not None else {document_id_for(p) for p in list_reports(raw_dir)}
    gone = sorted(set(stored_documents(con)) - present)
    remove_documents(con, gone)
    return gone


def sources(con) -> list[dict]:
    """The datapackage sources: each report with its file and sha256."""
    rows = con.execute("SELECT document_id, title, source_file, sha256 FROM documents "
                       "ORDER BY document_id").fetchall()
    return [{"title": f"{title or did} ({src})", "path": f"raw/{src}",
             "version": f"sha256:{sha}"} for did, title, src, sha in rows]


def evaluation_table(con) -> pa.Table | None:
    """Measured accuracy of the stored metrics of every document that has a gold file."""
    from pipeline.evaluate import load_records, normalise, score

    rows = []
    stored = {r[0] for r in con.execute("SELECT document_id FROM documents").fetchall()}
    for gold in sorted(GOLD_DIR.glob("*.jsonl")):
        if gold.stem not in stored:
            continue
        cur = con.execute("SELECT paragraph, value, value_max, unit, entity, qualifier, year "
                          "FROM metrics WHERE document_id = ? ORDER BY char_start", [gold.stem])
        names = [d[0] for d in cur.description]
        predicted = [normalise(dict(zip(names, r, strict=True))) for r in cur.fetchall()]
        for measure, value in score(load_records(gold), predicted).as_dict().items():
            rows.append({"document_id": gold.stem, "measure": measure, "value": float(value)})
    return pa.Table.from_pylist(rows) if rows else None


def state_key(con) -> str:
    """What the published files are a function of: documents, rules, schemas, gold files."""
    import hashlib
    import json

    from pipeline.publish import PUBLISH_FORMAT
    from pipeline.schema import all_schemas

    docs = con.execute("SELECT document_id, sha256, extractor_version FROM documents "
                       "ORDER BY document_id").fetchall()
    gold = [(g.name, hashlib.sha256(g.read_bytes()).hexdigest())
            for g in sorted(GOLD_DIR.glob("*.jsonl"))]
    state = {"documents": docs, "schemas": [s.descriptor for s in all_schemas()],
             "gold": gold, "format": PUBLISH_FORMAT}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def failure_share(con) -> float:
    """Quarantined rows as a share of all metric rows."""
    failed = con.execute("SELECT count(DISTINCT table_name || coalesce(row_key, '')) "
                         "FROM validation_failures").fetchall()[0][0]
    metrics = con.execute("SELECT count(*) FROM metrics").fetchall()[0][0]
    return failed / max(failed + metrics, 1)


def unchanged_release(published: Path, state: str):
    """The current release when it was made from the same state and its files are intact."""
    import json

    from pipeline.publish import PublishResult, recover, verify_hashes

    descriptor = published / "datapackage.json"
    if not descriptor.exists():
        return None
    recover(published)
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    if package.get("x-state") != state or verify_hashes(published):
        return None
    return PublishResult(package["version"], False, None, published)


def publish_from_db(con, settings: Settings):
    """Publish every table from the database into the published folder."""
    from pipeline.publish import publish
    from pipeline.schema import TABLES
    from pipeline.store import read_table

    share = failure_share(con)
    if share > settings.max_failure_share:
        raise RuntimeError(
            f"{share:.1%} of rows failed validation (limit {settings.max_failure_share:.0%}): "
            "publishing blocked, the previous release stays; see validation_failures")
    state = state_key(con)
    if (unchanged := unchanged_release(settings.published_dir, state)) is not None:
        return unchanged
    tables = {name: read_table(con, name) for name in TABLES}
    evaluation = evaluation_table(con)
    extra = {"evaluation": evaluation} if evaluation is not None else {}
    return publish(tables, sources(con), settings.published_dir, extra, state)

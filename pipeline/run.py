"""Run: the stages end to end for every report in raw/, shared by Dagster and the CLI."""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipeline.dataset.faults import checkpoint
from pipeline.dataset.tables import DocumentTables
from pipeline.extract.metrics import EXTRACTOR_VERSION, Metric, extract
from pipeline.extract.structure import Structure, parse
from pipeline.read.ingest import Document, ReportError, document_id_for, ingest, list_reports

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
        "INDICATORS_DB", Path(os.environ.get("INDICATORS_PUBLISHED", ROOT / "published"))
        / "indicators.duckdb")))
    max_failure_share: float = field(default_factory=lambda: float(os.environ.get(
        "INDICATORS_MAX_FAILURE_SHARE", "0.05")))
    allow_empty: bool = field(default_factory=lambda: os.environ.get(
        "INDICATORS_ALLOW_EMPTY", "") == "1")


@dataclass
class DocumentOutcome:
    """What happened to one report in a run."""

    document_id: str
    source_file: str
    status: str  # loaded | unchanged | failed
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    failures: int = 0


def _join(values) -> str | None:
    return "; ".join(values) or None


def document_row(doc: Document, structure: Structure, metrics: list[Metric]) -> dict:
    """The documents row: header metadata, checksum and counts."""
    md = doc.metadata
    return {
        "document_id": doc.document_id, "title": md.title, "symbols": _join(md.symbols),
        "date_issued": md.date_issued, "original_language": md.original_language,
        "bodies": _join(md.bodies), "sessions": _join(md.sessions),
        "agenda_items": _join(md.agenda_items), "reporting_year": md.reporting_year,
        "source_file": doc.source_file, "format": doc.format, "sha256": doc.sha256,
        "size_bytes": doc.size_bytes, "paragraphs": len(structure.paragraphs),
        "footnotes": len(structure.footnotes), "metrics": len(metrics),
        "warnings": _join(structure.warnings), "extractor_version": EXTRACTOR_VERSION,
    }


def to_rows(doc: Document, structure: Structure, metrics: list[Metric]) -> dict[str, list[dict]]:
    """Rows for every table from one parsed and extracted document."""
    did = doc.document_id
    metric_rows, country_rows = [], []
    for m in metrics:
        record = m.as_record()
        countries = record.pop("countries")
        metric_rows.append(record)
        country_rows.extend({"metric_id": m.metric_id, **c} for c in countries)
    return {
        "documents": [document_row(doc, structure, metrics)],
        "sections": [{"document_id": did, "section_id": s.section_id, "level": s.level,
                      "number": s.number, "title": s.title, "parent_id": s.parent_id,
                      "path": s.path, "char_start": s.char_start} for s in structure.sections],
        "paragraphs": [{"document_id": did, "paragraph": p.number, "section_id": p.section_id,
                        "text": p.text, "char_start": p.char_start, "char_end": p.char_end}
                       for p in structure.paragraphs],
        "footnotes": [{"document_id": did, "footnote": f.marker, "paragraph": f.paragraph,
                       "text": f.text, "char_start": f.char_start, "char_end": f.char_end}
                      for f in structure.footnotes],
        "tables": [{"document_id": did, "table_index": t.table_index, "paragraph": t.paragraph,
                    "n_rows": len(t.rows), "n_columns": max((len(r) for r in t.rows), default=0),
                    "cells": json.dumps(t.rows, ensure_ascii=False), "char_start": t.char_start,
                    "char_end": t.char_end} for t in structure.tables],
        "metrics": metric_rows,
        "metric_countries": country_rows,
    }


def process_document(path: Path) -> DocumentTables:
    """Ingest, structure and extract one report; raises ReportError on bad input."""
    doc = ingest(path)
    structure = parse(doc)
    metrics = extract(structure)
    return DocumentTables(doc.document_id, doc.sha256, to_rows(doc, structure, metrics),
                          doc.text)


class RunLocked(RuntimeError):
    """Another run holds the lock."""


_HELD: dict[Path, int] = {}  # locks this process holds, with their depth


@contextmanager
def run_lock(settings: Settings, wait: bool = True):
    """One run at a time per published folder (CLI, sensor runs, schedule); re-entrant."""
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    path = (settings.published_dir / ".lock").resolve()
    if _HELD.get(path):
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise RunLocked(f"another run holds {path}; try again later") from None
        _HELD[path] = 1
        try:
            yield
        finally:
            _HELD.pop(path, None)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync_document(con, path: Path, force: bool = False,
                  digest: str | None = None) -> DocumentOutcome:
    """Process one report into the database unless it is unchanged; errors are reported.
    digest is the file's sha256 when the caller has already read it."""
    from pipeline.dataset.store import load_document, stored_documents
    from pipeline.dataset.validate import validate_document

    did = document_id_for(path)
    try:
        digest = digest or _digest(path)
    except OSError as err:
        return DocumentOutcome(did, path.name, "failed",
                               f"{path.name}: cannot be read ({err.strerror})")
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


def _pick_files(con, paths: list[Path]
                ) -> tuple[dict[Path, str | None], list[DocumentOutcome]]:
    """The files to process with their sha256, and outcomes for those set aside
    (duplicates, id clashes)."""
    from pipeline.dataset.store import stored_documents

    stored = stored_documents(con)
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
            digests[p] = None  # sync_document reports it
    # Among files with the same content, keep the one already published, else the first name.
    groups: dict[str, list[Path]] = {}
    for p in kept:
        groups.setdefault(digests[p] or f"unreadable:{p.name}", []).append(p)
    chosen = []
    for digest, group in groups.items():
        group.sort(key=lambda p: (stored.get(p.stem, ("",))[0] != digest, p.name))
        chosen.append(group[0])
        aside += [DocumentOutcome(p.stem, p.name, "duplicate",
                                  f"{p.name}: same content as {group[0].name}; "
                                  "not published twice") for p in group[1:]]
    return {p: digests[p] for p in sorted(chosen)}, aside


class RawFolderError(RuntimeError):
    """raw/ is missing, or empty while documents are published."""


def sync_all(con, raw_dir: Path, allow_empty: bool = False) -> list[DocumentOutcome]:
    """Sync every report in raw/, setting aside duplicates and id clashes."""
    from pipeline.dataset.store import stored_documents

    if not Path(raw_dir).is_dir():
        raise RawFolderError(f"{raw_dir}: the raw folder does not exist")
    paths = list_reports(raw_dir)
    if not paths and stored_documents(con) and not allow_empty:
        raise RawFolderError(
            f"{raw_dir} is empty: refusing to unpublish every document (a missing mount?); "
            "set INDICATORS_ALLOW_EMPTY=1 to really empty the dataset")
    chosen, aside = _pick_files(con, paths)
    outcomes = [sync_document(con, p, digest=digest) for p, digest in chosen.items()]
    return sorted(outcomes + aside, key=lambda o: (o.document_id, o.source_file))


def remove_missing(con, keep: set[str]) -> list[str]:
    """Drop every stored document, and every quarantined row, whose id is not in keep."""
    from pipeline.dataset.store import remove_documents, stored_ids

    gone = sorted(stored_ids(con) - keep)
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
    from pipeline.extract.evaluate import load_records, normalise, score

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

    from pipeline.dataset.publish import PUBLISH_FORMAT
    from pipeline.dataset.schema import all_schemas

    docs = con.execute("SELECT document_id, sha256, extractor_version FROM documents "
                       "ORDER BY document_id").fetchall()
    gold = [(g.name, hashlib.sha256(g.read_bytes()).hexdigest())
            for g in sorted(GOLD_DIR.glob("*.jsonl"))]
    state = {"documents": docs, "schemas": [s.descriptor for s in all_schemas()],
             "gold": gold, "format": PUBLISH_FORMAT}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def failure_share(con) -> float:
    """Quarantined rows as a share of all rows, quarantined ones included."""
    from pipeline.dataset.schema import TABLES

    failed = con.execute("SELECT count(*) FROM (SELECT DISTINCT document_id, table_name, "
                         "row_key FROM validation_failures)").fetchall()[0][0]
    stored = sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
                 for t in TABLES if t != "validation_failures")
    return failed / max(failed + stored, 1)


def unchanged_release(published: Path, state: str):
    """The current release when it was made from the same state and its files are intact."""
    import json

    from pipeline.dataset.publish import PublishResult, recover, verify_hashes

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
    from pipeline.dataset.publish import publish
    from pipeline.dataset.schema import TABLES
    from pipeline.dataset.store import read_table

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

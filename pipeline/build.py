"""Build: one report read, structured, extracted and validated into its artifact.

Artifacts are immutable Parquet keyed by the report's sha256 and the code's version
(pipeline/versions.py); one bad report fails alone and is recorded, unless the failure came
from the environment (a missing program, a limit, a timeout): that one is tried again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.dataset.artifacts import ArtifactKey, ArtifactStore
from pipeline.dataset.faults import checkpoint
from pipeline.dataset.tables import DocumentTables
from pipeline.extract.facts import Report
from pipeline.extract.metrics import extract
from pipeline.extract.structure import parse
from pipeline.read.errors import EnvironmentProblem
from pipeline.read.ingest import ReportError, document_id_for, ingest
from pipeline.read.isolated import IsolatedReader
from pipeline.rows import to_rows
from pipeline.settings import Settings
from pipeline.versions import ARTIFACT_VERSION


@dataclass
class DocumentOutcome:
    """What happened to one report in a run."""

    document_id: str
    source_file: str
    status: str  # loaded (read in this run) | unchanged | failed | duplicate
    error: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    failures: int = 0


def process_document(
    path: Path, settings: Settings, reader: IsolatedReader | None = None
) -> DocumentTables:
    """Ingest, structure and extract one report within the settings' limits; raises
    ReportError on bad input (EnvironmentProblem when a limit refuses it). reader: the child
    process that reads PDFs (untrusted input: a crash there fails this report only)."""
    if reader is not None and path.suffix.lower() == ".pdf":
        doc = reader.read(path, settings.read_options())
    else:
        doc = ingest(path, settings.read_options())
    structure = parse(doc)
    longest = max(structure.paragraphs, key=lambda p: len(p.text), default=None)
    if longest is not None and len(longest.text) > settings.max_paragraph_chars:
        raise EnvironmentProblem(
            path,
            f"paragraph {longest.number} has {len(longest.text):,} characters, over the limit "
            f"of {settings.max_paragraph_chars:,} (INDICATORS_MAX_PARAGRAPH_CHARS)",
        )
    metrics = extract(structure, Report.of(doc.metadata, doc.text))
    for m in metrics:  # a metric's sentence is context, not a copy of a huge paragraph
        if len(m.sentence) > settings.max_sentence_chars:
            m.sentence = m.sentence[: settings.max_sentence_chars - 1] + "…"
    return DocumentTables(doc.document_id, doc.sha256, to_rows(doc, structure, metrics), doc.text)


def artifact_store(settings: Settings) -> ArtifactStore:
    """The artifact store the settings name."""
    return ArtifactStore(str(settings.artifacts_url))


def artifact_key(path: Path, digest: str) -> ArtifactKey:
    """The key of a report's artifact."""
    return ArtifactKey(digest, path.name, ARTIFACT_VERSION)


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outcome(path: Path, manifest: dict, status: str) -> DocumentOutcome:
    rows = {k: v for k, v in manifest["rows"].items() if k != "validation_failures"}
    return DocumentOutcome(
        manifest["document_id"], path.name, status, rows=rows, failures=manifest["failed_rows"]
    )


def _failed(path: Path, err: Exception) -> str:
    return str(err) if isinstance(err, ReportError) else f"{path.name}: {type(err).__name__}: {err}"


# A failure of the file itself is remembered; this says how to make the pipeline try again.
FORGET_HINT = " (remembered for these bytes and this code; `indicators forget FILE` tries again)"

# Reports validated together: pandera's cost is mostly per call, so a batch of reports costs
# about as much as one; the batch's texts and rows stay in memory until it is written.
BATCH_REPORTS = 32


def build_artifact(
    path: Path, store: ArtifactStore, settings: Settings, digest: str | None = None
) -> DocumentOutcome:
    """Read, structure, extract and validate one report into its artifact, unless the artifact
    (or a recorded failure) already exists. Any exception fails this report alone."""
    return next(build_artifacts([(path, digest)], store, settings))


def build_artifacts(
    reports: list[tuple[Path, str | None]],
    store: ArtifactStore,
    settings: Settings,
    batch: int = BATCH_REPORTS,
) -> Iterator[DocumentOutcome]:
    """build_artifact for many reports, validated in batches; yields each report's outcome
    when it is known (an existing artifact at once, a new one when its batch is written)."""
    with IsolatedReader(settings.report_memory_mb, settings.report_seconds) as reader:
        yield from _build(reports, store, settings, batch, reader)


def _build(
    reports: list[tuple[Path, str | None]],
    store: ArtifactStore,
    settings: Settings,
    batch: int,
    reader: IsolatedReader,
) -> Iterator[DocumentOutcome]:
    """build_artifacts' loop, PDFs read by the given child process."""
    pending: list[tuple[Path, str, ArtifactKey, DocumentTables]] = []
    for path, digest in reports:
        did = document_id_for(path)
        try:
            digest = digest or file_digest(path)
        except OSError as err:
            yield DocumentOutcome(
                did, path.name, "failed", f"{path.name}: cannot be read ({err.strerror})"
            )
            continue
        key = artifact_key(path, digest)
        if (manifest := store.manifest(key)) is not None:
            yield _outcome(path, manifest, "unchanged")
            continue
        if (error := store.failure(key)) is not None:
            yield DocumentOutcome(did, path.name, "failed", error)
            continue
        try:
            tables = process_document(path, settings, reader)
            checkpoint("extract")
        except OSError as err:  # the file vanished or cannot be read now: try again next run
            yield DocumentOutcome(did, path.name, "failed", f"{path.name}: {err}")
            continue
        except Exception as err:  # noqa: BLE001  (one bad report must not stop the others)
            message = _failed(path, err)
            if getattr(err, "lasting", True):  # else the environment's fault: tried next run
                message += FORGET_HINT
                store.write_failure(key, message)
            yield DocumentOutcome(did, path.name, "failed", message)
            continue
        if tables.sha256 != digest:  # the file changed since it was planned: not its artifact
            yield DocumentOutcome(
                did,
                path.name,
                "failed",
                f"{path.name}: changed while the run read it; read next run",
            )
            continue
        if any(t.document_id == tables.document_id for *_, t in pending):
            yield from _write_batch(pending, store)  # a batch holds each document once
            pending = []
        pending.append((path, digest, key, tables))
        if len(pending) >= batch:
            yield from _write_batch(pending, store)
            pending = []
    yield from _write_batch(pending, store)


def _write_batch(
    pending: list[tuple[Path, str, ArtifactKey, DocumentTables]], store: ArtifactStore
) -> Iterator[DocumentOutcome]:
    """Validate a batch of reports together and write each one's artifact."""
    from pipeline.dataset.validate import validate_batch

    if not pending:
        return
    try:
        validated = validate_batch([t for *_, t in pending]).arrow()
    except Exception as err:  # noqa: BLE001  (one bad report must not stop the others)
        if len(pending) == 1:
            path, _, key, _ = pending[0]
            message = _failed(path, err) + FORGET_HINT
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
        manifest = store.write(
            key,
            frames,
            {
                "document_id": tables.document_id,
                "source_file": path.name,
                "sha256": digest,
                "failed_rows": failed_rows,
            },
        )
        checkpoint("artifact")
        yield _outcome(path, manifest, "loaded")


def forget(paths: list[Path], store: ArtifactStore) -> list[str]:
    """Forget what this code made of these files (a remembered failure, or an artifact), so
    that the next run reads them again. Returns the files forgotten."""
    done = []
    for path in paths:
        store.discard(artifact_key(path, file_digest(path)))
        done.append(path.name)
    return done

"""Publish: Parquet, CSV and datapackage.json, written aside and swapped in when complete."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dataset.faults import checkpoint
from pipeline.dataset.schema import TABLES, all_schemas, load

PACKAGE = {
    "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
    "name": "un-report-indicators",
    "title": "Quantitative statements in United Nations reports",
    "description": (
        "Every number stated in the running text of the reports below, with its unit, what it "
        "counts, its qualifier ('over', 'almost'), the year it refers to, the countries and "
        "theme it concerns, and the exact place in the report it was read from (paragraph, "
        "sentence and character offsets). Read automatically by rules; see the evaluation "
        "resource for measured accuracy."),
    "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                  "path": "https://creativecommons.org/licenses/by/4.0/"}],
    "contributors": [{"title": "Report indicators pipeline maintainers",
                      "roles": ["author", "maintainer"]}],
    "keywords": ["United Nations", "indicators", "reports", "open data"],
}
FIRST_VERSION = "1.0.0"
EXTRA_DESCRIPTIONS = {"evaluation": {
    "": ("Measured accuracy of the metrics of each report that has a hand-made gold set, "
         "scored as tests/data/gold/GUIDELINES.md defines: precision, recall and f1 on the "
         "numbers; unit, qualifier and year accuracy and entity agreement on matched metrics; "
         "strict_f1 counts a metric only when unit, qualifier and entity are right too."),
    "document_id": "The report scored.",
    "measure": "The measure: gold, predicted, matched (counts) or a share from 0 to 1.",
    "value": "The measure's value.",
}}
# Bump when the way files are written changes, so an unchanged state is republished.
PUBLISH_FORMAT = 1


@dataclass
class PublishResult:
    """What a publish did."""

    version: str
    changed: bool
    bump: str | None
    path: Path


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as zstd Parquet; same table and library versions give the same bytes."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", write_statistics=True)
    return sink.getvalue()


def _csv_value(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def csv_bytes(table: pa.Table) -> bytes:
    """A table as UTF-8 CSV with a header row, empty cells for nulls, '\\n' line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_csv_value(v) for v in row.values()])
    return out.getvalue().encode("utf-8")


def _resource(name: str, fmt: str, data: bytes) -> dict:
    schema = load(name)
    desc = dict(schema.frictionless())
    suffix = "" if fmt == "csv" else "-parquet"
    fks = []
    for fk in desc.pop("foreignKeys", []):
        ref = dict(fk["reference"], resource=fk["reference"]["resource"] + suffix)
        fks.append(dict(fk, reference=ref))
    if fks:
        desc["foreignKeys"] = fks
    if fmt == "parquet":
        # frictionless reads Parquet via pandas, where a null integer arrives as NaN.
        desc["missingValues"] = ["", "nan"]
    res = {
        "name": name + suffix, "type": "table", "path": f"data/{name}.{fmt}", "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        "title": f"{name} ({fmt.upper()})", "description": schema.descriptor["description"],
        "hash": f"sha256:{_sha256(data)}",
    }
    # frictionless reads Parquet through pyarrow and fails on "bytes" there (DESIGN.md).
    if fmt == "csv":
        res.update({"encoding": "utf-8", "bytes": len(data)})
    res["schema"] = desc
    return res


def _bump(old: dict | None, new_sources: list[dict], new_schemas: dict) -> str:
    """Semver part to bump: major for schema changes, minor when documents come or go, else
    patch (the same documents read again, e.g. by improved rules)."""
    if old is None:
        return "none"
    if old.get("x-schemas-sha256") != _sha256(json.dumps(new_schemas, sort_keys=True).encode()):
        return "major"
    old_docs = {s["title"] for s in old.get("sources", [])}
    if {s["title"] for s in new_sources} != old_docs:  # documents added or removed
        return "minor"
    return "patch"


def _next_version(version: str, bump: str) -> str:
    major, minor, patch = (int(x) for x in version.split("."))
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    if bump == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return version


def recover(published: Path) -> None:
    """Finish or undo an interrupted publish: roll forward if the staging copy is complete."""
    staging = published / ".staging"
    if (staging / "COMPLETE").exists():
        _swap(published, staging)
    elif staging.exists():
        shutil.rmtree(staging)
    old = published / ".old"
    if old.exists():
        shutil.rmtree(old)


def _swap(published: Path, staging: Path) -> None:
    """Move the staged files into place; each step is a rename, and recover() can redo it."""
    old = published / ".old"
    old.mkdir(exist_ok=True)
    if (staging / "data").exists():
        if (published / "data").exists():
            os.replace(published / "data", old / "data")
        checkpoint("swap-data")
        os.replace(staging / "data", published / "data")
    for name in ("CHANGELOG.md", "datapackage.json"):  # the descriptor last: it commits
        if (staging / name).exists():
            os.replace(staging / name, published / name)
    shutil.rmtree(staging)
    shutil.rmtree(old, ignore_errors=True)


def _changelog_entry(version: str, bump: str, old: dict | None, sources: list[dict],
                     counts: dict[str, int], extractors: list[str]) -> str:
    old_docs = {s["title"] for s in (old or {}).get("sources", [])}
    new_docs = {s["title"] for s in sources}
    lines = [f"## {version}", ""]
    if old is None:
        lines.append("First release.")
    else:
        lines.append({"major": "Major: the tables' schemas changed.",
                      "minor": "Minor: documents were added or removed.",
                      "patch": "Patch: the same documents read again (improved rules or a "
                               "changed file)."}.get(bump, f"Change: {bump}."))
    for title in sorted(new_docs - old_docs):
        lines.append(f"- Added document: {title}")
    for title in sorted(old_docs - new_docs):
        lines.append(f"- Removed document: {title} (no longer in raw/)")
    if old:
        changed = [s["title"] for s in sources if s["title"] in old_docs and s not in
                   old.get("sources", [])]
        lines.extend(f"- Re-read document: {t}" for t in sorted(changed))
    if extractors:
        lines.append(f"- Extractor version: {', '.join(extractors)}")
    lines.append(f"- Rows: {counts.get('documents', 0)} documents, "
                 f"{counts.get('paragraphs', 0)} paragraphs, {counts.get('metrics', 0)} metrics, "
                 f"{counts.get('validation_failures', 0)} quarantined validation failures.")
    return "\n".join(lines) + "\n"


def _package(version: str, sources: list[dict], schemas: dict, state: str | None,
             resources: list[dict]) -> dict:
    """The datapackage.json descriptor; the key order is fixed so the bytes are stable."""
    return dict(PACKAGE, version=version, sources=sources,
                **{"x-schemas-sha256": _sha256(json.dumps(schemas, sort_keys=True).encode()),
                   "x-state": state},
                resources=resources)


def publish(tables: dict[str, pa.Table], sources: list[dict], published: Path,
            extra_resources: dict[str, pa.Table] | None = None,
            state: str | None = None) -> PublishResult:
    """Write the package into a staging folder, then swap it in; no-op when nothing changed."""
    published = Path(published)
    published.mkdir(parents=True, exist_ok=True)
    recover(published)
    files: dict[str, bytes] = {}
    resources = []
    for name in TABLES:
        pbytes, cbytes = parquet_bytes(tables[name]), csv_bytes(tables[name])
        files[f"data/{name}.parquet"], files[f"data/{name}.csv"] = pbytes, cbytes
        resources.append(_resource(name, "parquet", pbytes))
        resources.append(_resource(name, "csv", cbytes))
    for name, table in (extra_resources or {}).items():
        cbytes = csv_bytes(table)
        files[f"data/{name}.csv"] = cbytes
        resources.append({"name": name, "type": "table", "path": f"data/{name}.csv",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "bytes": len(cbytes), "hash": f"sha256:{_sha256(cbytes)}",
                          "description": EXTRA_DESCRIPTIONS.get(name, {}).get("", ""),
                          "schema": {"fields": [
                              {"name": f.name, "type": "number" if pa.types.is_floating(f.type)
                               else "string",
                               "description": EXTRA_DESCRIPTIONS.get(name, {}).get(f.name, "")}
                              for f in table.schema]}})
    schemas = {s.name: s.descriptor for s in all_schemas()}
    old_path = published / "datapackage.json"
    old = json.loads(old_path.read_text(encoding="utf-8")) if old_path.exists() else None
    same_data = old and old.get("resources") == resources and old.get("sources") == sources
    if same_data and not verify_hashes(published):
        if old.get("x-state") != state:  # same data from a new state: record it, no release
            tmp = old_path.with_suffix(".json.tmp")
            package = _package(old["version"], sources, schemas, state, resources)
            tmp.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
            os.replace(tmp, old_path)
        return PublishResult(old["version"], False, None, published)
    # Same data but damaged files: rewrite them as they were, with no new release.
    bump = "repair" if same_data else _bump(old, sources, schemas)
    version = _next_version(old["version"], bump) if old else FIRST_VERSION
    counts = {name: tables[name].num_rows for name in TABLES}
    package = _package(version, sources, schemas, state, resources)
    staging = published / ".staging"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "data").mkdir(parents=True)
    for rel, data in files.items():
        (staging / rel).write_bytes(data)
        checkpoint("write")
    log_path = published / "CHANGELOG.md"
    history = log_path.read_text(encoding="utf-8") if log_path.exists() else "# Changelog\n"
    head, _, rest = history.partition("\n")
    extractors = sorted({v for v in tables["documents"].column("extractor_version").to_pylist()
                         if v})
    entry = _changelog_entry(version, bump, old, sources, counts, extractors)
    text = history if bump == "repair" else f"{head}\n\n{entry}{rest}".rstrip("\n") + "\n"
    (staging / "CHANGELOG.md").write_text(text, encoding="utf-8")
    (staging / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (staging / "COMPLETE").touch()
    checkpoint("swap")
    _swap(published, staging)
    return PublishResult(version, True, bump, published)


def verify_hashes(published: Path) -> list[str]:
    """Problems with files whose sha256 differs from the descriptor (frictionless skips Parquet)."""
    package = json.loads((Path(published) / "datapackage.json").read_text(encoding="utf-8"))
    problems = []
    for res in package["resources"]:
        path = Path(published) / res["path"]
        if not path.exists():
            problems.append(f"{res['path']}: missing")
            continue
        digest = "sha256:" + _sha256(path.read_bytes())
        if digest != res.get("hash"):
            problems.append(f"{res['path']}: sha256 differs from datapackage.json")
    return problems

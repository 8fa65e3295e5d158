"""Publish: Parquet, CSV and datapackage.json, written aside and swapped in when complete."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dataset import release_date, sdmx
from pipeline.dataset.faults import checkpoint
from pipeline.dataset.releases import (
    Release,
    from_files,
    last_release,
    read_descriptor,
    record,
)
from pipeline.dataset.schema import TABLES, all_schemas, load
from pipeline.dataset.series import DERIVED
from pipeline.dataset.swap import STAGING, mark_complete, recover, swap

__all__ = ["PublishResult", "publish", "recover", "unchanged", "verify_hashes"]

PACKAGE = {
    "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
    "name": "un-report-indicators",
    "title": "Quantitative statements in United Nations reports",
    "description": (
        "Every number stated in the running text of the reports below, with its unit, what it "
        "counts, its qualifier ('over', 'almost'), the year it refers to, the countries and "
        "theme it concerns, and the exact place in the report it was read from (paragraph, "
        "sentence and character offsets). Read automatically by rules; see the evaluation "
        "resource for measured accuracy."
    ),
    "licenses": [
        {
            "name": "CC-BY-4.0",
            "title": "Creative Commons Attribution 4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
        }
    ],
    "contributors": [
        {"title": "Report indicators pipeline maintainers", "roles": ["author", "maintainer"]}
    ],
    "keywords": ["United Nations", "indicators", "reports", "open data"],
}
FIRST_VERSION = "1.0.0"
EXTRA_DESCRIPTIONS = {
    "evaluation": {
        "": (
            "Measured accuracy of the metrics of each report that has a hand-made gold set, "
            "scored as tests/data/gold/GUIDELINES.md defines: precision, recall and f1 on the "
            "numbers; unit, qualifier and year accuracy and entity agreement on matched metrics; "
            "strict_f1 counts a metric only when unit, qualifier and entity are right too."
        ),
        "document_id": "The report scored.",
        "measure": "The measure: gold, predicted, matched (counts) or a share from 0 to 1.",
        "value": "The measure's value.",
    },
    "indicator_accuracy": {
        "": (
            "Measured accuracy of each indicator's series against hand-read keys of indicator "
            "figures (gold/series: every strength, budget and unpaid-contributions figure of 24 "
            "reports of 7 missions, and as many casualty and displacement figures as the readers "
            "found), read by people who never saw the pipeline's output. Scored as "
            "gold/SERIES_KEY.md defines: recall (key figures the series holds), precision (series "
            "values from the key's reports that the key has; hard indicators only) and as_of_right "
            "(found values whose period is the key's date)."
        ),
        "indicator": "The series code scored.",
        "key_indicator": "The key's name for the indicator (gold/SERIES_KEY.md).",
        "kind": "hard (the key lists every figure: precision is measured) or soft (recall only).",
        "measure": "key_figures, found, recall, predicted, correct, precision, dated, dated_right "
        "or as_of_right.",
        "value": "The measure's value (a count, or a share from 0 to 1).",
    },
}
# Bump when the way files are written changes, so an unchanged state is republished.
PUBLISH_FORMAT = 1


@dataclass
class PublishResult:
    """What a publish did."""

    version: str
    changed: bool
    bump: str | None  # major | minor | patch | none (first) | repair | None (nothing done)
    path: Path
    repaired: list[str] = field(default_factory=list)  # what a repair rewrote, and why


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as zstd Parquet; same table and library versions give the same bytes."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", write_statistics=True)
    return sink.getvalue()


def _float_text(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _csv_column(column: pa.ChunkedArray) -> list:
    """A column's cells as the CSV writes them. Strings, integers and dates go as they are
    (the writer prints None as an empty cell and str() of the rest); floats and booleans as
    the Table Schema reads them back."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
        column = column.cast(kind)
    values = column.to_pylist()
    if pa.types.is_floating(kind):
        return [_float_text(v) for v in values]
    if pa.types.is_boolean(kind):
        return ["" if v is None else "true" if v else "false" for v in values]
    if (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_date(kind)
    ):
        return values
    # Anything else (timestamps, lists...) as ISO text or str(), as the Table Schema reads it.
    return [
        "" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values
    ]


def csv_bytes(table: pa.Table) -> bytes:
    """A table as UTF-8 CSV with a header row, empty cells for nulls, '\\n' line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    writer.writerows(zip(*(_csv_column(c) for c in table.columns), strict=True))
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
        "name": name + suffix,
        "type": "table",
        "path": f"data/{name}.{fmt}",
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        "title": f"{name} ({fmt.upper()})",
        "description": schema.descriptor["description"],
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
    """The version after a bump; 'none' and 'repair' keep it."""
    return release_date.bump(version, bump) if bump in release_date.PARTS else version


def _changelog_entry(
    version: str,
    bump: str,
    old: dict | None,
    sources: list[dict],
    counts: dict[str, int],
    extractors: list[str],
    planned: release_date.PlannedRelease | None,
) -> str:
    old_docs = {s["title"] for s in (old or {}).get("sources", [])}
    new_docs = {s["title"] for s in sources}
    lines = [release_date.heading(version, planned), ""]
    if old is None:
        lines.append("First release.")
    else:
        lines.append(
            {
                "major": "Major: the tables' schemas changed.",
                "minor": "Minor: documents were added or removed.",
                "patch": "Patch: the same documents read again (improved rules or a changed file).",
                "release": "Release: made with `indicators release`"
                + (f": {planned.note}" if planned and planned.note else "."),
            }.get(bump, f"Change: {bump}.")
        )
    for title in sorted(new_docs - old_docs):
        lines.append(f"- Added document: {title}")
    for title in sorted(old_docs - new_docs):
        lines.append(f"- Removed document: {title} (no longer in raw/)")
    if old:
        changed = [
            s["title"]
            for s in sources
            if s["title"] in old_docs and s not in old.get("sources", [])
        ]
        lines.extend(f"- Re-read document: {t}" for t in sorted(changed))
    if extractors:
        lines.append(f"- Extractor version: {', '.join(extractors)}")
    lines.append(
        f"- Rows: {counts.get('documents', 0)} documents, "
        f"{counts.get('paragraphs', 0)} paragraphs, {counts.get('metrics', 0)} metrics, "
        f"{counts.get('validation_failures', 0)} quarantined validation failures."
    )
    return "\n".join(lines) + "\n"


def _package(
    version: str, sources: list[dict], schemas: dict, state: str | None, resources: list[dict]
) -> dict:
    """The datapackage.json descriptor; the key order is fixed so the bytes are stable."""
    return dict(
        PACKAGE,
        version=version,
        sources=sources,
        **{
            "x-schemas-sha256": _sha256(json.dumps(schemas, sort_keys=True).encode()),
            "x-state": state,
        },
        resources=resources,
    )


def _dumps(package: dict) -> str:
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def _files(
    tables: dict[str, pa.Table], extra_resources: dict[str, pa.Table] | None
) -> tuple[dict[str, bytes], list[dict]]:
    """Every data file's bytes by relative path, and the resources describing them."""
    files: dict[str, bytes] = {}
    resources = []
    for name in [*TABLES, *(n for n in DERIVED if n in tables)]:
        pbytes, cbytes = parquet_bytes(tables[name]), csv_bytes(tables[name])
        files[f"data/{name}.parquet"], files[f"data/{name}.csv"] = pbytes, cbytes
        resources.append(_resource(name, "parquet", pbytes))
        resources.append(_resource(name, "csv", cbytes))
    if "series" in tables:
        _sdmx_files(tables["series"], files, resources)
    for name, table in (extra_resources or {}).items():
        cbytes = csv_bytes(table)
        files[f"data/{name}.csv"] = cbytes
        resources.append(
            {
                "name": name,
                "type": "table",
                "path": f"data/{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(cbytes),
                "hash": f"sha256:{_sha256(cbytes)}",
                "description": EXTRA_DESCRIPTIONS.get(name, {}).get("", ""),
                "schema": {
                    "fields": [
                        {
                            "name": f.name,
                            "type": "number" if pa.types.is_floating(f.type) else "string",
                            "description": EXTRA_DESCRIPTIONS.get(name, {}).get(f.name, ""),
                        }
                        for f in table.schema
                    ]
                },
            }
        )
    return files, resources


def _sdmx_files(series: pa.Table, files: dict[str, bytes], resources: list[dict]) -> None:
    """The series as SDMX-CSV 2.0 and its data structure definition (SDMX-ML 2.1)."""
    data, dsd = sdmx.sdmx_csv(series.to_pylist()), sdmx.structure_xml()
    files["data/series.sdmx.csv"], files["data/series.dsd.xml"] = data, dsd
    resources.append(
        {
            "name": "series-sdmx",
            "type": "table",
            "path": "data/series.sdmx.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": len(data),
            "hash": f"sha256:{_sha256(data)}",
            "title": "series (SDMX-CSV 2.0)",
            "description": (
                "The series table as SDMX-CSV 2.0: dimensions INDICATOR, SUBJECT, "
                "REF_AREA, TIME_PERIOD; attributes UNIT_MEASURE, OBS_QUALIFIER and the "
                "sources; structure in series.dsd.xml."
            ),
        }
    )
    resources.append(
        {
            "name": "series-dsd",
            "type": "file",
            "path": "data/series.dsd.xml",
            "format": "xml",
            "mediatype": "application/xml",
            "bytes": len(dsd),
            "hash": f"sha256:{_sha256(dsd)}",
            "title": "series data structure definition (SDMX-ML 2.1)",
            "description": "The SDMX data structure definition of series.sdmx.csv.",
        }
    )


def _history(history: Path | None, published: Path) -> Release | None:
    """The newest release: from the history folder, else learnt from published/ (recorded)."""
    last = last_release(history) if history is not None else None
    if last is None:
        last = from_files(published)
        if last is not None and history is not None:
            record(history, last, "learnt", published)
    return last


def _damaged_data(published: Path, resources: list[dict]) -> list[str]:
    """Data files missing or not matching the release's sha256."""
    problems = []
    for res in resources:
        path = published / res["path"]
        if not path.is_file():
            problems.append(f"{res['path']}: missing")
        elif "sha256:" + _sha256(path.read_bytes()) != res["hash"]:
            problems.append(f"{res['path']}: content differed from the release")
    return problems


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


def _differences(published: Path, release: Release, resources: list[dict]) -> list[str]:
    """What in published/ differs from the release it should hold."""
    problems = []
    if (diff := _descriptor_difference(published, release)) is not None:
        problems.append(diff)
    log = published / "CHANGELOG.md"
    if not log.is_file():
        problems.append("CHANGELOG.md: missing")
    elif log.read_bytes() != release.changelog.encode("utf-8"):
        problems.append(f"CHANGELOG.md: differed from release {release.version}")
    return problems + _damaged_data(published, resources)


def _with_entry(history: str, entry: str) -> str:
    """The changelog with a new entry on top, under its title line."""
    head, _, rest = history.partition("\n")
    return f"{head}\n\n{entry}{rest}".rstrip("\n") + "\n"


class ReleaseInvalid(RuntimeError):
    """The new release failed validation before it was swapped in: nothing was published."""


Check = Callable[[Path], list[str]]


def _stage(
    published: Path, files: dict[str, bytes], release: Release, check: Check | None, url: str = ""
) -> Path:
    """Write the whole release aside and validate it there; an invalid one is removed.
    url: the address the release is published at, cited on its landing page."""
    staging = published / STAGING
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "data").mkdir(parents=True)
    for rel, data in files.items():
        (staging / rel).write_bytes(data)
        checkpoint("write")
    (staging / "CHANGELOG.md").write_text(release.changelog, encoding="utf-8")
    (staging / "datapackage.json").write_text(release.descriptor, encoding="utf-8")
    from pipeline.dataset.site import build_site

    for name, data in build_site(staging, url).items():  # index.html and README.md
        (staging / name).write_bytes(data)
    files.clear()  # written: their bytes need not stay in memory while the check reads them
    if check is not None and (errors := check(staging)):
        shutil.rmtree(staging, ignore_errors=True)
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ReleaseInvalid(
            f"release {release.version} fails validation, so it is not "
            f"published and the previous release stays: "
            f"{'; '.join(errors[:5])}{more}"
        )
    return staging


def _seal_and_swap(published: Path, staging: Path) -> None:
    """Seal a staged release, then swap it in."""
    mark_complete(staging)
    checkpoint("swap")
    swap(published, staging)


def _extractors(tables: dict[str, pa.Table]) -> list[str]:
    """The extractor versions that made the documents' rows."""
    return sorted({v for v in tables["documents"].column("extractor_version").to_pylist() if v})


def _newer(version: str, than: str) -> bool:
    """Whether one semver version comes after another (a malformed one never does)."""
    try:
        return tuple(map(int, version.split("."))) > tuple(map(int, than.split(".")))
    except ValueError:
        return False


def _new_release(
    last: Release | None,
    tables: dict[str, pa.Table],
    sources: list[dict],
    schemas: dict,
    planned: release_date.PlannedRelease | None,
) -> tuple[str, str, str]:
    """Version, bump and changelog of a release with new data."""
    old = last.package if last else None
    if last is None:
        bump, version, history = "none", FIRST_VERSION, "# Changelog\n"
    else:
        # A history learnt from a damaged descriptor cannot tell what changed: a patch.
        bump = _bump(old, sources, schemas) if old is not None else "patch"
        version, history = _next_version(last.version, bump), last.changelog
    counts = {name: tables[name].num_rows for name in TABLES}
    extractors = _extractors(tables)
    entry = _changelog_entry(
        version, bump, old if last is None else (old or {}), sources, counts, extractors, planned
    )
    return version, bump, _with_entry(history, entry)


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
    try:
        name = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))["name"]
    except (OSError, ValueError, KeyError, TypeError):
        name = None
    ours = name == PACKAGE["name"] or (history is not None and last_release(history) is not None)
    if not ours:
        shown = ", ".join(sorted(entries)[:5]) + (", ..." if len(entries) > 5 else "")
        raise ForeignFolder(
            f"{published}: not empty and not a release of this pipeline ({shown}); "
            "refusing to publish over it (INDICATORS_PUBLISHED names an empty or new folder, "
            "or one this pipeline published)"
        )


def publish(
    tables: dict[str, pa.Table],
    sources: list[dict],
    published: Path,
    extra_resources: dict[str, pa.Table] | None = None,
    state: str | None = None,
    history: Path | None = None,
    check: Check | None = None,
    planned: release_date.PlannedRelease | None = None,
    url: str = "",
) -> PublishResult:
    """Write the package aside and swap it in. With the same data as the last release,
    only repair what differs from it (version and changelog kept); with new data, release.
    history: the folder keeping the release history (releases.history_dir); without it, the
    history is read from published/ alone. check: validates the staged release folder (a list
    of problems); with any, ReleaseInvalid is raised and nothing is swapped in. planned: the
    release `indicators release` recorded (release.json), if any. url: the address the release
    is published at, cited on its landing page."""
    published = Path(published)
    published.mkdir(parents=True, exist_ok=True)
    recover(published)
    files, resources = _files(tables, extra_resources)
    schemas = {s.name: s.descriptor for s in [*all_schemas(), *map(load, DERIVED)]}
    last = _history(history, published)
    old = last.package if last else None
    same = last is not None and (
        old.get("resources") == resources and old.get("sources") == sources
        if old is not None
        else not _damaged_data(published, resources)
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
        same = False
        version, bump = planned.version, "release"
        changelog = _with_entry(
            last.changelog,
            _changelog_entry(
                version,
                bump,
                old or {},
                sources,
                {n: tables[n].num_rows for n in TABLES},
                _extractors(tables),
                planned,
            ),
        )
    elif same:
        version, bump, changelog = last.version, "repair", last.changelog
    else:
        version, bump, changelog = _new_release(last, tables, sources, schemas, planned)
    release = Release(
        version, state, _dumps(_package(version, sources, schemas, state, resources)), changelog
    )
    # The tables are written (as files): dropped here, so that a caller who handed them over
    # without keeping them frees their memory before the release is validated.
    del tables
    problems = _differences(published, release, resources) if same else []
    if same and set(problems) <= {"x-state"}:
        if problems:  # same data from a new state: record it, no release
            tmp = published / "datapackage.json.tmp"
            tmp.write_text(release.descriptor, encoding="utf-8")
            os.replace(tmp, published / "datapackage.json")
        if history is not None and release != last:
            record(history, release, "state", published)
        return PublishResult(version, False, None, published)
    staging = _stage(published, files, release, check, url)
    # Recorded before the swap: if the swap is interrupted, the next run finds the files
    # differing from the recorded release and rewrites them.
    if history is not None:
        record(history, release, bump, published)
    _seal_and_swap(published, staging)
    return PublishResult(
        version, True, bump, published, repaired=[p for p in problems if p != "x-state"]
    )


def unchanged(published: Path, state: str, history: Path | None = None) -> PublishResult | None:
    """The current release when it was made from this state and every file is as released;
    None when publish() has something to do (never raises on damaged files)."""
    published = Path(published)
    recover(published)
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
    if verify_hashes(published):
        return None
    return PublishResult(package["version"], False, None, published)


def released_version(published: Path) -> str | None:
    """The version published/datapackage.json states, or None (never raises)."""
    package, problem = read_descriptor(published)
    return None if package is None or problem else package["version"]


def descriptor_problem(published: Path) -> str | None:
    """Why published/datapackage.json cannot be validated at all, if it cannot."""
    return read_descriptor(published)[1]


def verify_hashes(published: Path) -> list[str]:
    """Problems with files whose sha256 differs from the descriptor (frictionless skips Parquet)."""
    package, problem = read_descriptor(published)
    if package is None:
        return [problem]
    problems = [problem] if problem else []
    for res in package.get("resources", []):
        path = Path(published) / res["path"]
        if not path.exists():
            problems.append(f"{res['path']}: missing")
            continue
        digest = "sha256:" + _sha256(path.read_bytes())
        if digest != res.get("hash"):
            problems.append(f"{res['path']}: sha256 differs from datapackage.json")
    return problems

"""The descriptor: datapackage.json's resources, version bump and changelog entries."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import msgspec
import pyarrow as pa

from pipeline.dataset import release_date, sdmx
from pipeline.dataset.schema import load
from pipeline.dataset.shards import sha256

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


def _foreign_keys(desc: dict, suffix: str) -> dict:
    """A Table Schema whose foreign keys point at the resources of the same format."""
    fks = [
        dict(fk, reference=dict(fk["reference"], resource=fk["reference"]["resource"] + suffix))
        for fk in desc.pop("foreignKeys", [])
    ]
    if fks:
        desc["foreignKeys"] = fks
    return desc


def _parquet_field(field: dict) -> dict:
    """A field as a Parquet resource declares it: a list column as "any" with its item type
    under x-list (frictionless 5.21 reads Parquet through pandas, whose NumPy arrays its list
    type refuses); the CSV twin declares the list type and is validated as such."""
    if field.get("type") != "list":
        return field
    kept = {k: v for k, v in field.items() if k not in ("type", "delimiter", "itemType")}
    return dict(kept, type="any", **{"x-list": {"itemType": field.get("itemType", "string")}})


def table_resource(name: str, fmt: str, files: dict | list[dict]) -> dict:
    """The resource of a table of schemas/: one file (a dict: path, hash, bytes), or a list
    of shards (listed under x-shards with each file's report, rows, size and sha256)."""
    schema = load(name)
    suffix = "" if fmt == "csv" else "-parquet"
    desc = _foreign_keys(dict(schema.frictionless()), suffix)
    if fmt == "parquet":
        # frictionless reads Parquet via pandas, where a null integer arrives as NaN.
        desc["missingValues"] = ["", "nan"]
        # frictionless reads only the first file of a multipart Parquet resource, so its
        # foreign keys would fail; the CSV twin (same rows, checked) declares them.
        desc.pop("foreignKeys", None)
        desc["fields"] = [_parquet_field(f) for f in desc["fields"]]
    res = {
        "name": name + suffix,
        "type": "table",
        "path": files["path"] if isinstance(files, dict) else [f["path"] for f in files],
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        "title": f"{name} ({fmt.upper()})",
        "description": schema.descriptor["description"],
    }
    if isinstance(files, dict):
        res["hash"] = files["hash"]
        if fmt == "csv":  # frictionless reads Parquet through pyarrow and fails on "bytes"
            res["bytes"] = files["bytes"]
    if fmt == "csv":
        res["encoding"] = "utf-8"
    if isinstance(files, list):
        res["x-shards"] = files
    res["schema"] = desc
    return res


def extra_resource(name: str, path: str, data: bytes, table: pa.Table) -> dict:
    """The resource of a CSV file that has no schema in schemas/ (the evaluations)."""
    return {
        "name": name,
        "type": "table",
        "path": path,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": f"sha256:{sha256(data)}",
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


def sdmx_resources(data_path: str, data: bytes, dsd_path: str, dsd: bytes) -> list[dict]:
    """The resources of the SDMX-CSV file and its data structure definition."""
    return [
        {
            "name": "series-sdmx",
            "type": "table",
            "path": data_path,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": len(data),
            "hash": f"sha256:{sha256(data)}",
            "title": "series (SDMX-CSV 2.0)",
            "description": (
                "The series table as SDMX-CSV 2.0: dimensions INDICATOR, SUBJECT, "
                "REF_AREA, TIME_PERIOD; attributes UNIT_MEASURE, OBS_QUALIFIER and the "
                "sources; structure in the series-dsd resource."
            ),
            "schema": sdmx.table_schema(),
        },
        {
            "name": "series-dsd",
            "type": "file",
            "path": dsd_path,
            "format": "xml",
            "mediatype": "application/xml",
            "bytes": len(dsd),
            "hash": f"sha256:{sha256(dsd)}",
            "title": "series data structure definition (SDMX-ML 2.1)",
            "description": (
                "The SDMX-ML 2.1 structure message of the series-sdmx resource: its data "
                "structure definition, the concepts, and the codelists of the indicators "
                "(CL_INDICATOR), reference areas (CL_AREA) and units (CL_UNIT)."
            ),
        },
    ]


def bump_for(old: dict | None, new_sources: list[dict], new_schemas: dict) -> str:
    """Semver part to bump: major for schema or file layout changes, minor when documents come
    or go, else patch (the same documents read again, e.g. by improved rules)."""
    if old is None:
        return "none"
    if old.get("x-schemas-sha256") != schemas_sha256(new_schemas):
        return "major"
    if old.get("x-publish-format", 1) != PUBLISH_FORMAT:  # files moved: links break
        return "major"
    old_docs = {s["title"] for s in old.get("sources", [])}
    if {s["title"] for s in new_sources} != old_docs:  # documents added or removed
        return "minor"
    return "patch"


def next_version(version: str, bump: str) -> str:
    """The version after a bump; 'none' and 'repair' keep it."""
    return release_date.bump(version, bump) if bump in release_date.PARTS else version


def changelog_entry(
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
                "major": "Major: the tables' schemas or the files' layout changed.",
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
        before = {_canonical(s) for s in old.get("sources", [])}  # a set: 10,000 reports
        changed = [
            s["title"] for s in sources if s["title"] in old_docs and _canonical(s) not in before
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


# Bump when the way files are written changes, so an unchanged state is republished and no
# shard of the old format is taken over.
PUBLISH_FORMAT = 2


@dataclass(frozen=True)
class Contents:
    """What a descriptor describes besides its version: sources, schemas, state, resources
    and the artifact each report's shards were made from."""

    sources: list[dict]
    schemas: dict
    state: str | None
    resources: list[dict]
    artifacts: dict[str, str]


def package_descriptor(version: str, contents: Contents) -> dict:
    """The datapackage.json descriptor; the key order is fixed so the bytes are stable."""
    return dict(
        PACKAGE,
        version=version,
        sources=contents.sources,
        **{
            "x-schemas-sha256": schemas_sha256(contents.schemas),
            "x-publish-format": PUBLISH_FORMAT,
            "x-state": contents.state,
            "x-artifacts": dict(sorted(contents.artifacts.items())),
        },
        resources=contents.resources,
    )


def schemas_sha256(schemas: dict) -> str:
    """The fingerprint of the tables' schemas a release was written with."""
    return sha256(json.dumps(schemas, sort_keys=True).encode())


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _written_otherwise(value: object) -> bool:
    """Whether a float in it is one msgspec writes otherwise than json: with an exponent
    (json: 1e+16, msgspec: 1e16) or below 1e-4 (json: 1e-05, msgspec: 0.00001). The lists
    of files (x-shards, path: strings and integers, 90,000 entries at 10,000 reports) are
    not walked."""
    if isinstance(value, float):
        return not math.isfinite(value) or (value != 0 and not 1e-4 <= abs(value) < 1e16)
    if isinstance(value, dict):
        return any(_written_otherwise(v) for k, v in value.items() if k not in ("x-shards", "path"))
    if isinstance(value, (list, tuple)):
        return any(_written_otherwise(v) for v in value)
    return False


def dumps(package: dict) -> str:
    """The descriptor's text: indented by two spaces, keys in the order given, as
    json.dumps(indent=2, ensure_ascii=False) writes it; msgspec writes the same bytes five
    times faster (the descriptor lists every file: 57 MB at 10,000 reports), except some
    floats, for which json writes it."""
    if _written_otherwise(package):
        return json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    return msgspec.json.format(msgspec.json.encode(package), indent=2).decode("utf-8") + "\n"


def with_entry(history: str, entry: str) -> str:
    """The changelog with a new entry on top, under its title line."""
    head, _, rest = history.partition("\n")
    return f"{head}\n\n{entry}{rest}".rstrip("\n") + "\n"

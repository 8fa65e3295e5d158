"""One schema per table (schemas/*.json) and everything derived from it: pandera, DDL, docs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# schemas/ beside the package in a checkout; inside it (pipeline/schemas) in an installed wheel.
_PACKAGE = Path(__file__).resolve().parents[1]
SCHEMA_DIR = next(
    (
        d
        for d in (_PACKAGE.parent / "schemas", _PACKAGE / "schemas")
        if (d / "fields.json").is_file()
    ),
    _PACKAGE.parent / "schemas",
)

# Load order: parents before children, so keys referenced exist when a child is loaded.
TABLES = [
    "documents",
    "sections",
    "paragraphs",
    "footnotes",
    "tables",
    "metrics",
    "metric_countries",
    "validation_failures",
]

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
}
ARROW_TYPES = {
    "string": "string",
    "integer": "int64",
    "number": "float64",
    "boolean": "bool_",
    "date": "date32",
}
# A list field (Table Schema v2 "list") is a list of its itemType in Parquet and DuckDB, and
# its items joined by this delimiter in CSV, the text the Table Schema reads back.
LIST_DELIMITER = "; "


def list_items(value) -> list[str]:
    """A list field's items as text, whether read from Parquet or DuckDB (a list or an array)
    or from CSV (the delimited text); none for an empty cell."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(LIST_DELIMITER.strip()) if v.strip()]
    return [str(v) for v in value]


def duckdb_type(field: dict) -> str:
    """The DuckDB column type of a field (a list field: an array of its item type)."""
    if field["type"] == "list":
        return DUCKDB_TYPES[field.get("itemType", "string")] + "[]"
    return DUCKDB_TYPES[field["type"]]


def arrow_type(field: dict):
    """The pyarrow type of a field (a list field: list<item type>)."""
    import pyarrow as pa

    if field["type"] == "list":
        return pa.list_(getattr(pa, ARROW_TYPES[field.get("itemType", "string")])())
    return getattr(pa, ARROW_TYPES[field["type"]])()


@dataclass(frozen=True)
class TableSchema:
    """A Frictionless Table Schema read from schemas/<name>.json."""

    name: str
    descriptor: dict

    @property
    def fields(self) -> list[dict]:
        """The field descriptors, in column order."""
        return self.descriptor["fields"]

    @property
    def columns(self) -> list[str]:
        """Column names in order."""
        return [f["name"] for f in self.fields]

    @property
    def primary_key(self) -> list[str]:
        """Primary key columns (may be empty)."""
        return list(self.descriptor.get("primaryKey", []))

    @property
    def foreign_keys(self) -> list[dict]:
        """Foreign key descriptors."""
        return list(self.descriptor.get("foreignKeys", []))

    def frictionless(self) -> dict:
        """The Table Schema for the resource in datapackage.json."""
        return {k: v for k, v in self.descriptor.items() if k not in ("name", "description")}


@cache
def shared_fields() -> dict[str, dict]:
    """Fields defined once for every table (schemas/fields.json), as PUDL's FIELD_METADATA."""
    path = SCHEMA_DIR / "fields.json"
    return json.loads(path.read_text(encoding="utf-8"))["fields"]


def merge_field(field: dict) -> dict:
    """A table's field over its shared definition: the table's keys and constraints win."""
    base = shared_fields().get(field["name"])
    if base is None:
        return field
    merged = {"name": field["name"], **base, **{k: v for k, v in field.items() if k != "name"}}
    constraints = {**base.get("constraints", {}), **field.get("constraints", {})}
    if constraints:
        merged["constraints"] = constraints
    else:
        merged.pop("constraints", None)
    return merged


@cache
def load(name: str) -> TableSchema:
    """Read one table's schema, its fields merged with the shared definitions."""
    path = SCHEMA_DIR / f"{name}.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["fields"] = [merge_field(f) for f in descriptor["fields"]]
    return TableSchema(name, descriptor)


def all_schemas() -> list[TableSchema]:
    """Every table's schema in load order."""
    return [load(name) for name in TABLES]


def ddl(schema: TableSchema) -> str:
    """CREATE TABLE for DuckDB, with the primary key and the foreign keys to documents."""
    cols = []
    for f in schema.fields:
        col = f'"{f["name"]}" {duckdb_type(f)}'
        if f.get("constraints", {}).get("required"):
            col += " NOT NULL"
        cols.append(col)
    if schema.primary_key:
        cols.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in schema.primary_key) + ")")
    # DuckDB checks foreign keys eagerly inside a transaction, so a child row deleted and
    # re-inserted with its parent in one transaction is refused. Only the key to documents,
    # whose rows are updated in place, is declared here; the others are checked by
    # check_foreign_keys() and by frictionless on the published package.
    for fk in schema.foreign_keys:
        if fk["reference"]["resource"] == "documents":
            cols.append(
                f"FOREIGN KEY ({', '.join(fk['fields'])}) REFERENCES documents "
                f"({', '.join(fk['reference']['fields'])})"
            )
    return f'CREATE TABLE IF NOT EXISTS "{schema.name}" (\n  ' + ",\n  ".join(cols) + "\n)"


def arrow_schema(schema: TableSchema):
    """The pyarrow schema of a table, each column's description (and the table's) as metadata
    so that a Parquet file documents itself."""
    import pyarrow as pa

    def described(descriptor: dict) -> dict[bytes, bytes] | None:
        text = descriptor.get("description")
        return {b"description": text.encode("utf-8")} if text else None

    return pa.schema(
        [
            pa.field(
                f["name"],
                arrow_type(f),
                nullable=not f.get("constraints", {}).get("required", False),
                metadata=described(f),
            )
            for f in schema.fields
        ],
        metadata=described(schema.descriptor),
    )


def _list_check(pa, item_type: str):
    """A pandera check that each cell is a list of items of the item type, none empty or
    holding the delimiter (so that the CSV text reads back as the same list)."""
    from numbers import Integral

    item_class = Integral if item_type == "integer" else str

    def item_ok(v) -> bool:
        if isinstance(v, bool) or not isinstance(v, item_class):
            return False
        return item_class is Integral or (v != "" and LIST_DELIMITER not in v)

    def ok(cell) -> bool:
        if cell is None or (isinstance(cell, float) and cell != cell):
            return True
        return (
            not isinstance(cell, str | bytes | dict)
            and hasattr(cell, "__iter__")
            and all(item_ok(v) for v in cell)
        )

    return pa.Check(ok, element_wise=True, name=f"list_of_{item_type}")


def pandera_schema(schema: TableSchema, extra_checks: list | None = None):
    """The pandera DataFrameSchema that validates a table, built from its Table Schema."""
    import pandera.pandas as pa

    dtypes = {
        "string": "string",
        "integer": "Int64",
        "number": "Float64",
        "boolean": "boolean",
        "date": "string",
        "list": "object",
    }
    columns = {}
    for f in schema.fields:
        c = f.get("constraints", {})
        checks = []
        if "enum" in c:
            checks.append(pa.Check.isin(c["enum"]))
        if "minimum" in c:
            checks.append(pa.Check.ge(c["minimum"]))
        if "maximum" in c:
            checks.append(pa.Check.le(c["maximum"]))
        if "pattern" in c:
            checks.append(pa.Check.str_matches(c["pattern"]))
        if f["type"] == "date":
            checks.append(pa.Check.str_matches(r"^\d{4}-\d{2}-\d{2}$"))
        if f["type"] == "list":
            checks.append(_list_check(pa, f.get("itemType", "string")))
        columns[f["name"]] = pa.Column(
            dtypes[f["type"]],
            checks=checks,
            nullable=not c.get("required", False),
            unique=bool(c.get("unique")),
            coerce=True,
            description=f.get("description"),
        )
    return pa.DataFrameSchema(
        columns,
        checks=extra_checks or [],
        strict=True,
        ordered=True,
        name=schema.name,
        unique=schema.primary_key or None,
        report_duplicates="all",
    )


def data_dictionary() -> str:
    """The data dictionary in Markdown, generated from the schemas."""
    out = []
    # The per-report tables, then the tables derived across reports (indicators, series).
    derived = [
        load(name) for name in ("indicators", "series") if (SCHEMA_DIR / f"{name}.json").exists()
    ]
    for s in [*all_schemas(), *derived]:
        key = ", ".join(s.primary_key) or "(none)"
        out.append(
            f"### `{s.name}`\n\n{s.descriptor.get('description', '')}\n\nPrimary key: `{key}`\n"
        )
        out.append("| column | type | required | description |\n| --- | --- | --- | --- |")
        for f in s.fields:
            req = "yes" if f.get("constraints", {}).get("required") else ""
            desc = f["description"].replace("|", "\\|")
            kind = f"list of {f.get('itemType', 'string')}" if f["type"] == "list" else f["type"]
            out.append(f"| `{f['name']}` | {kind} | {req} | {desc} |")
        out.append("")
    return "\n".join(out)


DICTIONARY_MARKERS = ("<!-- dictionary:start -->", "<!-- dictionary:end -->")


def with_dictionary(readme: str) -> str:
    """The README text with its data dictionary section regenerated."""
    start, end = DICTIONARY_MARKERS
    head, _, rest = readme.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{data_dictionary()}{end}{tail}"

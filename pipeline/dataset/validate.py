"""Validate: check each table against its schema; failing rows go to quarantine, not away."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from pipeline.dataset.schema import TABLES, TableSchema, arrow_schema, load, pandera_schema
from pipeline.dataset.tables import DocumentTables

FAILURE_COLUMNS = [
    "document_id",
    "table_name",
    "row_key",
    "column_name",
    "check_name",
    "failure_case",
]


@dataclass
class ValidatedTables:
    """Rows that passed, as DataFrames in schema column order, and the quarantined failures."""

    document_id: str
    frames: dict[str, pd.DataFrame]
    failures: pd.DataFrame

    @property
    def failed_rows(self) -> int:
        """Number of distinct rows quarantined."""
        if self.failures.empty:
            return 0
        return len(self.failures.drop_duplicates(["table_name", "row_key"]))


def cross_field_checks(table: str, sources: dict[str, str]) -> list:
    """Checks that span columns or need the source text; named so failures say why.
    sources: each document's text by document_id (rows of many documents are checked at once)."""
    import pandera.pandas as pa

    lengths = {did: len(text) for did, text in sources.items()}

    # Empty offsets fail these checks row by row (never raise: an exception would fail the
    # whole table, every document of a batch with it).
    def offsets(df: pd.DataFrame) -> pd.Series:
        n = df["document_id"].map(lengths)
        inside = (df["char_start"] < df["char_end"]) & (df["char_end"] <= n)
        return inside.astype("boolean").fillna(False).astype(bool)

    def quote_matches(df: pd.DataFrame) -> pd.Series:
        spans = zip(df["document_id"], df["char_start"], df["char_end"], df["quote"], strict=True)
        return pd.Series(
            [
                d in sources and pd.notna(s) and pd.notna(e) and sources[d][int(s) : int(e)] == q
                for d, s, e, q in spans
            ],
            index=df.index,
        )

    def range_ordered(df: pd.DataFrame) -> pd.Series:
        return df["value_max"].isna() | (df["value_max"] >= df["value"])

    def sane_value(df: pd.DataFrame) -> pd.Series:
        pct = df["unit"] == "percent"
        return (df["value"] >= 0) & (~pct | (df["value"] <= 10_000))

    checks = {
        "paragraphs": [pa.Check(offsets, name="offsets_inside_document")],
        "footnotes": [pa.Check(offsets, name="offsets_inside_document")],
        "metrics": [
            pa.Check(offsets, name="offsets_inside_document"),
            pa.Check(quote_matches, name="quote_is_source_text"),
            pa.Check(range_ordered, name="value_max_not_below_value"),
            pa.Check(sane_value, name="value_in_sane_range"),
        ],
    }
    return checks.get(table, [])


def frame(schema: TableSchema, rows: list[dict]) -> pd.DataFrame:
    """A DataFrame with exactly the schema's columns, in order, as the rows give them (object
    columns: pandera coerces them; inferring types here would make one document's empty cell
    turn another's integers into floats, and its row keys into '1.0')."""
    return pd.DataFrame(rows, columns=schema.columns, dtype=object)


def _row_key(schema: TableSchema, df: pd.DataFrame, index) -> str | None:
    if index is None or index not in df.index or not schema.primary_key:
        return None
    return "|".join(str(df.at[index, c]) for c in schema.primary_key)


class MixedBatch(Exception):
    """A table of several documents failed as a whole: validate each document alone."""


def validate_table(
    schema: TableSchema, df: pd.DataFrame, sources: dict[str, str], owners: pd.Series
) -> tuple[pd.DataFrame, list[dict]]:
    """Validate one table (rows of one or many documents) lazily; return the passing rows and
    one failure record per problem. owners: each row's document_id, on the same index."""
    from pandera.errors import SchemaErrors

    if df.empty:
        return df, []
    try:
        valid = pandera_schema(schema, cross_field_checks(schema.name, sources)).validate(
            df, lazy=True
        )
        return valid, []
    except SchemaErrors as err:
        cases = err.failure_cases
    failures, bad = [], set()
    for case in cases.itertuples(index=False):
        index = None if pd.isna(case.index) else case.index
        if index is None and case.schema_context == "DataFrameSchema":
            if owners.nunique() > 1:  # not knowing whose rows are at fault, ask each alone
                raise MixedBatch(schema.name)
            bad.update(df.index)  # the table as a whole is malformed: quarantine all of it
        elif index is not None:
            bad.add(index)
        wide = case.schema_context == "DataFrameSchema"
        # A table-wide failure concerns every document with rows in it.
        documents = [owners[index]] if index in owners.index else sorted(set(owners))
        failures += [
            {
                "document_id": document_id,
                "table_name": schema.name,
                "row_key": _row_key(schema, df, index),
                "column_name": None if wide or pd.isna(case.column) else str(case.column),
                "check_name": str(case.check),
                "failure_case": None
                if wide or pd.isna(case.failure_case)
                else str(case.failure_case),
            }
            for document_id in documents
        ]
    kept = df.drop(index=[i for i in bad if i in df.index])
    kept = pandera_schema(schema).validate(kept) if not kept.empty else kept
    return kept, failures


def _orphans(schema: TableSchema, df: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Rows whose foreign key points to a row that is missing (e.g. quarantined)."""
    orphan = pd.Series(False, index=df.index)
    for fk in schema.foreign_keys:
        parent = frames.get(fk["reference"]["resource"])
        if parent is None:
            continue
        keys = set(map(tuple, parent[fk["reference"]["fields"]].astype(str).to_numpy()))
        mine = map(tuple, df[fk["fields"]].astype(str).to_numpy())
        orphan |= pd.Series([k not in keys for k in mine], index=df.index)
    return orphan


@dataclass
class ValidatedBatch:
    """Many documents validated together: every table's passing rows, each row's document,
    and the quarantined failures."""

    document_ids: list[str]
    frames: dict[str, pd.DataFrame]
    owners: dict[str, pd.Series]  # table -> each row's document_id, on the frame's index
    failures: pd.DataFrame

    def document(self, document_id: str) -> ValidatedTables:
        """One document's share, as DataFrames."""
        mine = {
            name: df[(self.owners[name] == document_id).to_numpy()].reset_index(drop=True)
            for name, df in self.frames.items()
        }
        fails = self.failures[self.failures["document_id"] == document_id]
        return ValidatedTables(document_id, mine, fails.reset_index(drop=True))

    def arrow(self) -> dict[str, tuple[dict[str, pa.Table], int]]:
        """Each document's tables (quarantine included) as typed Arrow, with its number of
        quarantined rows: each table converted once, then split by document."""
        out: dict[str, tuple[dict[str, pa.Table], int]] = {d: ({}, 0) for d in self.document_ids}
        failures = self.failures
        parts = {**self.frames, "validation_failures": failures}
        owners = {**self.owners, "validation_failures": failures["document_id"]}
        for name in TABLES:
            schema = arrow_schema(load(name))
            df = parts.get(name)
            table = (
                schema.empty_table()
                if df is None or df.empty
                else pa.Table.from_pandas(df, schema=schema, preserve_index=False)
            )
            rows = owners[name].groupby(owners[name].to_numpy()).indices if len(table) else {}
            for d in self.document_ids:
                out[d][0][name] = table.take(rows[d]) if d in rows else schema.empty_table()
        distinct = failures.drop_duplicates(["document_id", "table_name", "row_key"])
        counts = distinct["document_id"].value_counts()
        return {d: (tables, int(counts.get(d, 0))) for d, (tables, _) in out.items()}


def validate_batch(batch: list[DocumentTables]) -> ValidatedBatch:
    """Validate every table of many documents at once (pandera's cost is mostly per call, so
    a batch costs little more than one document); cascade quarantine along foreign keys."""
    ids = [t.document_id for t in batch]
    if len(set(ids)) < len(ids):
        raise ValueError(
            "a batch holds each document once: "
            f"{sorted({i for i in ids if ids.count(i) > 1})} repeat"
        )
    try:
        return _validate_together(batch)
    except MixedBatch:
        return _merge([_validate_together([t]) for t in batch])


def _merge(parts: list[ValidatedBatch]) -> ValidatedBatch:
    """Batches validated apart, as one."""
    frames, owners = {}, {}
    for name in parts[0].frames:
        kept = [p for p in parts if not p.frames[name].empty] or parts[:1]
        frames[name] = pd.concat([p.frames[name] for p in kept], ignore_index=True)
        owners[name] = pd.concat([p.owners[name] for p in kept], ignore_index=True)
    failures = pd.concat([p.failures for p in parts], ignore_index=True)
    return ValidatedBatch([d for p in parts for d in p.document_ids], frames, owners, failures)


def _validate_together(batch: list[DocumentTables]) -> ValidatedBatch:
    """validate_batch, all documents in one pandera call per table."""
    sources = {t.document_id: t.source_text for t in batch}
    frames: dict[str, pd.DataFrame] = {}
    owners: dict[str, pd.Series] = {}
    failures: list[dict] = []
    for name in TABLES:
        if name == "validation_failures":
            continue
        schema = load(name)
        df = frame(schema, [row for t in batch for row in t.rows.get(name, [])])
        owner = pd.Series(
            [t.document_id for t in batch for _ in t.rows.get(name, [])],
            index=df.index,
            dtype=object,
        )
        valid, fails = validate_table(schema, df, sources, owner)
        failures.extend(fails)
        if not valid.empty:
            orphan = _orphans(schema, valid, frames)
            failures += [
                {
                    "document_id": owner[i],
                    "table_name": name,
                    "row_key": _row_key(schema, valid, i),
                    "column_name": None,
                    "check_name": "foreign_key_to_quarantined_row",
                    "failure_case": None,
                }
                for i in valid.index[orphan]
            ]
            valid = valid[~orphan]
        frames[name] = valid.reset_index(drop=True)
        owners[name] = owner[valid.index].reset_index(drop=True)
    docs = frames.get("documents")
    if docs is not None and not docs.empty:  # the counts say what is published
        for table in ("paragraphs", "footnotes", "metrics"):
            counts = owners[table].value_counts() if table in owners else pd.Series()
            docs[table] = pd.array(
                docs["document_id"].map(counts).fillna(0).astype(int), dtype="Int64"
            )
    # A check across columns reports each column of a failing row: keep one line per row.
    fail_df = pd.DataFrame(failures, columns=FAILURE_COLUMNS).drop_duplicates(ignore_index=True)
    return ValidatedBatch([t.document_id for t in batch], frames, owners, fail_df)


def validate_document(tables: DocumentTables) -> ValidatedTables:
    """Validate every table of one document."""
    return validate_batch([tables]).document(tables.document_id)

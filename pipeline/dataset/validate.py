"""Validate: check each table against its schema; failing rows go to quarantine, not away."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.dataset.schema import TABLES, TableSchema, load, pandera_schema
from pipeline.dataset.tables import DocumentTables

FAILURE_COLUMNS = ["document_id", "table_name", "row_key", "column_name", "check_name",
                   "failure_case"]


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


def cross_field_checks(table: str, source: str) -> list:
    """Checks that span columns or need the source text; named so failures say why."""
    import pandera.pandas as pa

    n = len(source)

    def offsets(df: pd.DataFrame) -> pd.Series:
        return (df["char_start"] < df["char_end"]) & (df["char_end"] <= n)

    def quote_matches(df: pd.DataFrame) -> pd.Series:
        spans = zip(df["char_start"], df["char_end"], df["quote"], strict=True)
        return pd.Series([source[s:e] == q for s, e, q in spans], index=df.index)

    def range_ordered(df: pd.DataFrame) -> pd.Series:
        return df["value_max"].isna() | (df["value_max"] >= df["value"])

    def sane_value(df: pd.DataFrame) -> pd.Series:
        pct = df["unit"] == "percent"
        return (df["value"] >= 0) & (~pct | (df["value"] <= 10_000))

    checks = {
        "paragraphs": [pa.Check(offsets, name="offsets_inside_document")],
        "footnotes": [pa.Check(offsets, name="offsets_inside_document")],
        "metrics": [pa.Check(offsets, name="offsets_inside_document"),
                    pa.Check(quote_matches, name="quote_is_source_text"),
                    pa.Check(range_ordered, name="value_max_not_below_value"),
                    pa.Check(sane_value, name="value_in_sane_range")],
    }
    return checks.get(table, [])


def frame(schema: TableSchema, rows: list[dict]) -> pd.DataFrame:
    """A DataFrame with exactly the schema's columns, in order."""
    return pd.DataFrame(rows, columns=schema.columns)


def _row_key(schema: TableSchema, df: pd.DataFrame, index) -> str | None:
    if index is None or index not in df.index or not schema.primary_key:
        return None
    return "|".join(str(df.at[index, c]) for c in schema.primary_key)


def validate_table(schema: TableSchema, df: pd.DataFrame, source: str,
                   document_id: str) -> tuple[pd.DataFrame, list[dict]]:
    """Validate one table lazily; return the passing rows and one failure record per problem."""
    from pandera.errors import SchemaErrors

    if df.empty:
        return df, []
    try:
        valid = pandera_schema(schema, cross_field_checks(schema.name, source)).validate(
            df, lazy=True)
        return valid, []
    except SchemaErrors as err:
        cases = err.failure_cases
    failures, bad = [], set()
    for case in cases.itertuples(index=False):
        index = None if pd.isna(case.index) else case.index
        if index is None and case.schema_context == "DataFrameSchema":
            bad.update(df.index)  # the table as a whole is malformed: quarantine all of it
        elif index is not None:
            bad.add(index)
        wide = case.schema_context == "DataFrameSchema"
        failures.append({
            "document_id": document_id, "table_name": schema.name,
            "row_key": _row_key(schema, df, index),
            "column_name": None if wide or pd.isna(case.column) else str(case.column),
            "check_name": str(case.check),
            "failure_case": None if wide or pd.isna(case.failure_case)
            else str(case.failure_case)})
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


def validate_document(tables: DocumentTables) -> ValidatedTables:
    """Validate every table of one document; cascade quarantine along foreign keys."""
    frames: dict[str, pd.DataFrame] = {}
    failures: list[dict] = []
    for name in TABLES:
        if name == "validation_failures":
            continue
        schema = load(name)
        df = frame(schema, tables.rows.get(name, []))
        valid, fails = validate_table(schema, df, tables.source_text, tables.document_id)
        failures.extend(fails)
        if not valid.empty:
            orphan = _orphans(schema, valid, frames)
            for index in valid.index[orphan]:
                failures.append({"document_id": tables.document_id, "table_name": name,
                                 "row_key": _row_key(schema, valid, index), "column_name": None,
                                 "check_name": "foreign_key_to_quarantined_row",
                                 "failure_case": None})
            valid = valid[~orphan]
        frames[name] = valid.reset_index(drop=True)
    docs = frames.get("documents")
    if docs is not None and not docs.empty:  # the counts say what is published
        for table, column in (("paragraphs", "paragraphs"), ("footnotes", "footnotes"),
                              ("metrics", "metrics")):
            docs[column] = pd.array([len(frames.get(table, []))] * len(docs), dtype="Int64")
    # A check across columns reports each column of a failing row: keep one line per row.
    fail_df = pd.DataFrame(failures, columns=FAILURE_COLUMNS).drop_duplicates(
        ignore_index=True)
    return ValidatedTables(tables.document_id, frames, fail_df)

"""Formats: a table's bytes as Parquet and as CSV, the same bytes for the same rows."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.dataset.schema import LIST_DELIMITER


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
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        # As the Table Schema's list type reads it: items joined by the delimiter; an empty
        # list, like a null, is an empty cell.
        return ["" if not v else LIST_DELIMITER.join(str(x) for x in v) for v in values]
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

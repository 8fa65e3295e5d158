"""One schema, four uses: they must agree."""

from pathlib import Path

import duckdb
import pytest

from pipeline.dataset.schema import (
    LIST_DELIMITER,
    TABLES,
    all_schemas,
    ddl,
    load,
    pandera_schema,
    with_dictionary,
)

ROOT = Path(__file__).resolve().parent.parent


def test_every_table_has_a_schema_with_described_fields():
    assert [s.name for s in all_schemas()] == TABLES
    for s in all_schemas():
        assert s.descriptor.get("description")
        assert all(f.get("description") for f in s.fields), s.name


def test_readme_data_dictionary_is_generated_from_the_schemas():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == with_dictionary(readme), "run: indicators dictionary --write-readme"


def test_duckdb_tables_follow_the_schemas():
    con = duckdb.connect()
    for s in all_schemas():
        con.execute(ddl(s))
        cols = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                [s.name],
            ).fetchall()
        ]
        assert cols == s.columns


def test_pandera_schema_enforces_schema_constraints():
    import pandas as pd
    from pandera.errors import SchemaErrors

    schema = load("metric_countries")
    bad = pd.DataFrame([{"metric_id": "m", "iso3": "bolivia", "m49": "68", "name": "Bolivia"}])
    with pytest.raises(SchemaErrors) as err:
        pandera_schema(schema).validate(bad, lazy=True)
    assert set(err.value.failure_cases["column"]) == {"iso3", "m49"}


LIST_FIELDS = {"symbols", "bodies", "sessions", "agenda_items", "ocr_pages", "warnings"}


def _document(document_id: str, **values) -> dict:
    """A valid documents row with the given values."""
    row = {c: None for c in load("documents").columns}
    row.update(
        document_id=document_id,
        source_file=f"{document_id}.pdf",
        format="pdf",
        family="generic",
        sha256="0" * 64,
        size_bytes=3,
        paragraphs=1,
        footnotes=0,
        metrics=0,
        extractor_version="x",
    )
    return dict(row, **values)


def test_list_fields_are_declared_as_table_schema_lists():
    lists = {f["name"]: f for f in load("documents").fields if f["type"] == "list"}
    assert set(lists) == LIST_FIELDS
    assert {f["delimiter"] for f in lists.values()} == {LIST_DELIMITER}
    assert lists["ocr_pages"]["itemType"] == "integer" and lists["symbols"]["itemType"] == "string"
    # No other field still holds several values as delimited text.
    for s in all_schemas():
        for f in s.fields:
            if f["type"] == "string":
                assert "separated by" not in f["description"], (s.name, f["name"])


def test_list_fields_round_trip_through_parquet_duckdb_and_csv(tmp_path):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from frictionless import Resource, Schema

    from pipeline.dataset import store
    from pipeline.dataset.formats import csv_bytes, parquet_bytes
    from pipeline.dataset.validate import frame

    schema = load("documents")
    rows = [
        _document("d1", symbols=["A/51/695", "S/1996/998"], ocr_pages=[1, 2], warnings=["w"]),
        _document("d2"),
    ]
    df = pandera_schema(schema).validate(frame(schema, rows), lazy=True)
    con = duckdb.connect()
    store.ensure_schema(con)
    store._insert(con, "documents", df)
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'documents'"
        ).fetchall()
    )
    assert types["symbols"] == "VARCHAR[]" and types["ocr_pages"] == "BIGINT[]"
    got = con.execute("SELECT symbols, ocr_pages FROM documents ORDER BY document_id").fetchall()
    assert got == [(["A/51/695", "S/1996/998"], [1, 2]), (None, None)]

    table = store.read_table(con, "documents")
    back = pq.read_table(io.BytesIO(parquet_bytes(table)))
    assert back.schema.field("symbols").type == pa.list_(pa.string())
    assert back.schema.field("ocr_pages").type == pa.list_(pa.int64())
    assert back.column("symbols").to_pylist() == [["A/51/695", "S/1996/998"], None]

    text = csv_bytes(back).decode()
    assert "d1,,A/51/695; S/1996/998," in text and ",1; 2," in text
    (tmp_path / "documents.csv").write_bytes(csv_bytes(back))
    resource = Resource(
        "documents.csv",
        basepath=str(tmp_path),
        schema=Schema.from_descriptor(schema.frictionless()),
    )
    read = resource.read_rows()
    assert read[0]["symbols"] == ["A/51/695", "S/1996/998"] and read[0]["ocr_pages"] == [1, 2]
    assert read[1]["symbols"] is None


def test_pandera_refuses_delimited_text_in_a_list_field():
    from pandera.errors import SchemaErrors

    from pipeline.dataset.validate import frame

    schema = load("documents")
    for bad in ("A/1; S/2", ["A/1; S/2"], [""], [1]):
        with pytest.raises(SchemaErrors) as err:
            pandera_schema(schema).validate(frame(schema, [_document("d", symbols=bad)]), lazy=True)
        assert set(err.value.failure_cases["check"]) == {"list_of_string"}


def test_parquet_fields_carry_their_descriptions():
    import io

    import pyarrow.parquet as pq

    from pipeline.dataset.formats import parquet_bytes
    from pipeline.dataset.schema import arrow_schema

    for s in [*all_schemas(), load("series"), load("indicators")]:
        data = parquet_bytes(arrow_schema(s).empty_table())
        assert data == parquet_bytes(arrow_schema(s).empty_table())  # deterministic bytes
        read = pq.read_schema(io.BytesIO(data))
        assert read.metadata[b"description"].decode() == s.descriptor["description"]
        for f in s.fields:
            assert read.field(f["name"]).metadata[b"description"].decode() == f["description"]

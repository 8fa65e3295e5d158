"""One schema, four uses: they must agree."""

from pathlib import Path

import duckdb
import pytest

from pipeline.dataset.schema import TABLES, all_schemas, ddl, load, pandera_schema, with_dictionary

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

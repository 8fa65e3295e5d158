"""Keys checked in proportion to the change, on the repository's own published release: a
changed report's files are checked against its own files, the whole tables' new rows and those
pointing into a changed or removed report against those reports' files; the published release,
checked against itself, is clean both ways."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from workspace import ROOT

from pipeline.dataset.keys import changed_key_errors, changed_reports, key_errors
from pipeline.dataset.publish import parquet_bytes
from pipeline.dataset.shards import shard_entries

PUBLISHED = ROOT / "published"


def _package() -> dict:
    return json.loads((PUBLISHED / "datapackage.json").read_text(encoding="utf-8"))


def _locate(overrides: dict[str, Path]):
    return lambda path: overrides.get(path, PUBLISHED / path)


def _resource(package: dict, name: str) -> dict:
    return next(r for r in package["resources"] if r["name"] == name)


def _shard(package: dict, table: str, doc: str) -> dict:
    return next(
        e for e in shard_entries(_resource(package, f"{table}-parquet")) if e["document_id"] == doc
    )


def _replace(package: dict, table: str, doc: str, rows: pa.Table, tmp: Path, over: dict) -> None:
    """Point a report's Parquet file of a table at a new file holding rows."""
    res = _resource(package, f"{table}-parquet")
    entry = _shard(package, table, doc)
    new = f"data/{table}/{doc}-changed.parquet"
    (tmp / Path(new).name).write_bytes(parquet_bytes(rows))
    over[new] = tmp / Path(new).name
    res["path"] = [new if p == entry["path"] else p for p in res["path"]]
    entry["path"] = new


def _series_reports(package: dict) -> list[str]:
    """Reports the series table points into, most pointed at first."""
    series = pq.read_table(PUBLISHED / _resource(package, "series-parquet")["path"])
    counts = pc.value_counts(series.column("document_id")).to_pylist()
    return [c["values"] for c in sorted(counts, key=lambda c: -c["counts"])]


def _with_anothers_row(tmp: Path) -> tuple[dict, dict, str]:
    """The published package with one report's metrics file holding a row of another report:
    (package, overridden paths, that report)."""
    package, over = _package(), {}
    one, other = _series_reports(package)[:2]
    mine = pq.read_table(PUBLISHED / _shard(package, "metrics", one)["path"])
    theirs = pq.read_table(PUBLISHED / _shard(package, "metrics", other)["path"])
    _replace(package, "metrics", one, pa.concat_tables([mine, theirs.slice(0, 1)]), tmp, over)
    return package, over, one


def test_the_published_release_is_clean_checked_whole_and_against_itself():
    package = _package()
    assert changed_reports(package, package) == (set(), set())
    assert changed_key_errors(package, package, _locate({}), _locate({})) == []
    assert key_errors(package, _locate({})) == []


def test_a_changed_report_holding_another_reports_row_is_caught(tmp_path):
    previous, (package, over, one) = _package(), _with_anothers_row(tmp_path)
    assert changed_reports(package, previous) == ({one}, set())
    errors = changed_key_errors(package, previous, _locate(over), _locate({}))
    assert "metrics: 1 row(s) in another report's file" in errors
    # checked whole (no last release), the same row is a repeated key
    assert "metrics: 1 primary key value(s) (metric_id) repeated" in key_errors(
        package, _locate(over)
    )


def test_a_key_repeated_in_a_changed_report_is_caught(tmp_path):
    previous, package, over = _package(), _package(), {}
    one = _series_reports(package)[0]
    mine = pq.read_table(PUBLISHED / _shard(package, "metrics", one)["path"])
    _replace(package, "metrics", one, pa.concat_tables([mine, mine.slice(3, 1)]), tmp_path, over)
    errors = changed_key_errors(package, previous, _locate(over), _locate({}))
    assert errors == ["metrics: 1 primary key value(s) (metric_id) repeated"]


def test_whole_tables_pointing_into_a_removed_report_are_caught():
    """The series file is the last release's own, unchanged: its rows pointing into the
    report removed are checked again, and found dangling."""
    previous, package = _package(), _package()
    gone = _series_reports(package)[0]
    for res in package["resources"]:
        if isinstance(res.get("x-shards"), list):
            dropped = {e["path"] for e in res["x-shards"] if e["document_id"] == gone}
            res["x-shards"] = [e for e in res["x-shards"] if e["document_id"] != gone]
            res["path"] = [p for p in res["path"] if p not in dropped]
    assert changed_reports(package, previous) == (set(), {gone})
    errors = changed_key_errors(package, previous, _locate({}), _locate({}))
    assert any(
        e.startswith("series: ") and "document_id match no row of documents" in e for e in errors
    )
    assert any(
        e.startswith("series: ") and "metric_id match no row of metrics" in e for e in errors
    )
    assert not any(e.startswith(("metrics", "paragraphs")) for e in errors), errors


def test_a_new_whole_row_pointing_to_a_missing_metric_of_an_unchanged_report_is_caught(tmp_path):
    previous, package, over = _package(), _package(), {}
    res = _resource(package, "series-parquet")
    series = pq.read_table(PUBLISHED / res["path"])
    ids = series.column("metric_id").to_pylist()
    doc = series.column("document_id")[0].as_py()
    ids[0] = f"{doc}:999999-999999"
    series = series.set_column(
        series.schema.get_field_index("metric_id"), "metric_id", pa.array(ids)
    )
    (tmp_path / "series.parquet").write_bytes(parquet_bytes(series))
    over["data/series/series-changed.parquet"] = tmp_path / "series.parquet"
    res["path"] = "data/series/series-changed.parquet"
    assert changed_reports(package, previous) == (set(), set())
    errors = changed_key_errors(package, previous, _locate(over), _locate({}))
    assert errors == ["series: 1 row(s) whose metric_id match no row of metrics"]


def test_another_schema_is_checked_whole(tmp_path):
    previous, (package, over, _) = _package(), _with_anothers_row(tmp_path)
    previous["x-schemas-sha256"] = "another"
    errors = changed_key_errors(package, previous, _locate(over), _locate({}))
    assert errors == key_errors(package, _locate(over))
    assert "metrics: 1 primary key value(s) (metric_id) repeated" in errors


def test_checked_whole_a_few_files_at_a_time_the_keys_still_hold_or_break(tmp_path, monkeypatch):
    """key_errors loads each table's key columns FILES_PER_READ files at a time: one at a
    time, the published release is clean, a repeat across two reports' files is found, and so
    is a series row pointing into a report whose files are gone."""
    import pipeline.dataset.keys as keys

    monkeypatch.setattr(keys, "FILES_PER_READ", 1)
    assert key_errors(_package(), _locate({})) == []
    package, over, _ = _with_anothers_row(tmp_path)
    assert key_errors(package, _locate(over)) == [
        "metrics: 1 primary key value(s) (metric_id) repeated"
    ]
    package = _package()
    gone = _series_reports(package)[0]
    for res in package["resources"]:
        if isinstance(res.get("x-shards"), list):
            dropped = {e["path"] for e in res["x-shards"] if e["document_id"] == gone}
            res["path"] = [p for p in res["path"] if p not in dropped]
    errors = key_errors(package, _locate({}))
    assert "series: " in " ".join(errors) and any("match no row of metrics" in e for e in errors)


def test_every_report_changed_is_checked_a_few_files_at_a_time(tmp_path, monkeypatch):
    """Against a last release whose every file differs, each changed report's shards are
    loaded FILES_PER_READ at a time (one here): the clean release stays clean, and a report
    holding another report's row is still caught."""
    import pipeline.dataset.keys as keys

    monkeypatch.setattr(keys, "FILES_PER_READ", 1)
    previous = _package()
    for res in previous["resources"]:
        for entry in res.get("x-shards", []):
            entry["path"] += ".before"
    package = _package()
    assert changed_key_errors(package, previous, _locate({}), _locate({})) == []
    package, over, _ = _with_anothers_row(tmp_path)
    errors = changed_key_errors(package, previous, _locate(over), _locate({}))
    assert "metrics: 1 row(s) in another report's file" in errors

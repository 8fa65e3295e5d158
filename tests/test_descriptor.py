"""The descriptor's bytes: msgspec writes them (57 MB at 10,000 reports, five times faster),
and they must stay the ones json.dumps(indent=2, ensure_ascii=False) writes, so that a release
made before the switch and one made after it are byte-identical."""

import json

from workspace import ROOT

from pipeline.dataset.package import dumps


def test_the_published_descriptor_is_written_as_the_json_module_writes_it():
    text = (ROOT / "published" / "datapackage.json").read_text(encoding="utf-8")
    package = json.loads(text)
    assert dumps(package) == text
    assert dumps(package) == json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def test_unusual_values_are_written_alike():
    value = {"b": [], "a": {}, "t": 'é ’ \u2028 </script> \\ "', "n": [0, -1.5, 2e-07, None, True]}
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_floats_json_writes_otherwise_are_written_by_json():
    for number in (
        1e16,
        1e-05,
        -2.5e-07,
        1.5e300,
        0.00012,
        123.5,
        0.1,
        1e-4,
        9.999e15,
        -0.0,
        float("inf"),
    ):
        value = {"x": number, "list": [number], "s": "1e5"}
        assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_entries_taken_over_from_an_older_descriptor_lose_their_artifact(tmp_path):
    """Earlier releases named each file's artifact in its x-shards entry (x-artifacts says it
    once per report): a file taken over keeps its bytes, and its entry loses that field."""
    import shutil

    import duckdb

    from pipeline.dataset.schema import ddl, load
    from pipeline.dataset.staging import ReleaseTables, Staging, _table_resources
    from pipeline.dataset.statcache import StatCache

    package = json.loads((ROOT / "published" / "datapackage.json").read_text(encoding="utf-8"))
    entries = {
        r["name"]: r["x-shards"][0]
        for r in package["resources"]
        if r["name"] in ("documents", "documents-parquet")
    }
    doc = entries["documents"]["document_id"]
    published = tmp_path / "published"
    for entry in entries.values():
        (published / entry["path"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "published" / entry["path"], published / entry["path"])
    artifact = package["x-artifacts"][doc]
    old = {name: {doc: dict(entry, artifact=artifact)} for name, entry in entries.items()}
    con = duckdb.connect()  # the release's database: no report of it is read again
    con.execute(ddl(load("documents")))
    try:
        release = ReleaseTables(con, {doc: artifact}, {}, {}, [])
        staging = Staging(published, StatCache(None))
        resources = _table_resources("documents", release, staging, ({doc: artifact}, old))
    finally:
        con.close()
    assert staging.new == {}  # taken over, not written again
    shards = [e for r in resources for e in r["x-shards"]]
    assert sorted(shards, key=str) == sorted(entries.values(), key=str)
    assert all("artifact" not in e for e in shards)

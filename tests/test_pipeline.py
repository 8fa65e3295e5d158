"""End to end: real files, real DuckDB, real Dagster (in-process), real frictionless."""

import csv
import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from workspace import rehash, table_file

from pipeline.dataset.checks import frictionless_errors
from pipeline.dataset.publish import recover
from pipeline.orchestrate import run_in_process
from pipeline.settings import Settings

pytestmark = pytest.mark.slow  # runs the whole pipeline: make test, not make check

ROOT = Path(__file__).resolve().parent.parent


def _count(ws: Path, sql: str) -> int:
    con = duckdb.connect(str(ws / "published" / "indicators.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_run_publishes_a_valid_package(workspace, instance):
    summary = run_in_process(Settings.from_env(), instance=instance)
    assert summary.success, summary.errors
    assert summary.rows["paragraphs"] == 131
    assert summary.rows["metrics"] > 100
    assert _count(workspace, "select count(*) from paragraphs") == 131
    assert _count(workspace, "select max(paragraph) from paragraphs") == 131
    assert frictionless_errors(workspace / "published") == []
    # frictionless reading the Parquet files itself agrees with the twin comparison.
    assert frictionless_errors(workspace / "published", parquet=True) == []
    for table in ("metrics", "paragraphs", "documents", "tables", "metric_countries"):
        assert table_file(workspace / "published", table, "parquet").exists()
        assert table_file(workspace / "published", table, "csv").exists()


def test_bad_files_are_reported_and_the_good_one_is_published(workspace, instance):
    raw = workspace / "raw"
    (raw / "empty.txt").write_bytes(b"")
    (raw / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (raw / "latin1.txt").write_bytes("1. Le café coûte 5 francs.".encode("latin-1"))
    (raw / "prose.txt").write_text("A report with no numbered paragraphs at all.\n")
    summary = run_in_process(Settings.from_env(), instance=instance)
    errors = {o.document_id: o.error for o in summary.outcomes if o.status == "failed"}
    assert "empty.txt: the file is empty" in errors["empty"]
    assert "binary.txt: binary file" in errors["binary"]
    assert "latin1.txt: not UTF-8" in errors["latin1"]
    assert "prose.txt: no numbered paragraphs" in errors["prose"]
    assert summary.success
    assert _count(workspace, "select count(*) from documents") == 1
    assert frictionless_errors(workspace / "published") == []


def test_second_run_changes_nothing(workspace, instance):
    first = run_in_process(Settings.from_env(), instance=instance)
    data = workspace / "published" / "data"
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    second = run_in_process(Settings.from_env(), instance=instance)
    assert [o.status for o in second.outcomes] == ["unchanged"]
    assert second.rows == first.rows
    assert not second.changed and second.version == first.version == "1.0.0"
    after = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    assert before == after


def test_committed_published_folder_is_reproduced_exactly(workspace, instance, monkeypatch):
    """The committed published/ is what the pipeline makes from the committed raw/."""
    monkeypatch.setenv("INDICATORS_RAW", str(ROOT / "raw"))
    fresh = run_in_process(Settings.from_env(), instance=instance)
    assert fresh.success, fresh.errors
    data = workspace / "published" / "data"
    committed = ROOT / "published" / "data"
    names = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(committed, data, names, shallow=False)
    assert mismatch == [] and errors == []
    # Starting from the committed release, as a fresh clone does (no release history kept
    # yet: it is learnt from published/), a rerun is a no-op that rewrites nothing.
    shutil.rmtree(workspace / ".dagster" / "releases", ignore_errors=True)
    shutil.rmtree(workspace / "published" / "data")
    for name in ("datapackage.json", "CHANGELOG.md", "index.html", "README.md"):
        shutil.copy(ROOT / "published" / name, workspace / "published" / name)
    shutil.copytree(committed, data)
    shutil.rmtree(workspace / "published" / "releases")
    shutil.copytree(ROOT / "published" / "releases", workspace / "published" / "releases")
    again = run_in_process(Settings.from_env(), instance=instance)
    assert not again.changed
    for name in ("datapackage.json", "CHANGELOG.md", "index.html", "README.md"):
        assert (workspace / "published" / name).read_bytes() == (
            ROOT / "published" / name
        ).read_bytes()


def test_new_and_removed_documents_bump_the_version_and_the_changelog(workspace, instance):
    raw = workspace / "raw"
    run_in_process(Settings.from_env(), instance=instance)
    text = (raw / "unodc-activities-report-2021.txt").read_text(encoding="utf-8")
    (raw / "second-report.txt").write_text(
        text.replace("over 5 million", "over 7 million"), encoding="utf-8"
    )
    added = run_in_process(Settings.from_env(), instance=instance)
    assert added.version == "1.1.0"
    (raw / "second-report.txt").unlink()
    removed = run_in_process(Settings.from_env(), instance=instance)
    assert removed.removed == "second-report"
    assert removed.version == "1.2.0"
    log = (workspace / "published" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Removed document" in log and "## 1.1.0" in log
    assert _count(workspace, "select count(*) from documents") == 1


def test_interrupted_publish_is_rolled_back_or_forward(workspace, instance):
    run_in_process(Settings.from_env(), instance=instance)
    published = workspace / "published"
    good = (published / "datapackage.json").read_bytes()
    staging = published / ".staging"
    (staging / "data").mkdir(parents=True)
    (staging / "datapackage.json").write_text("half written")
    recover(published)  # no COMPLETE marker: the half-written release is dropped
    assert not staging.exists()
    assert (published / "datapackage.json").read_bytes() == good
    assert frictionless_errors(published) == []


def test_frictionless_command_validates_the_committed_package():
    exe = Path(sys.executable).parent / "frictionless"
    result = subprocess.run(
        [str(exe), "validate", "published/datapackage.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:]


def test_damaged_published_file_is_repaired_without_a_new_release(workspace, instance):
    first = run_in_process(Settings.from_env(), instance=instance)
    data = table_file(workspace / "published", "metrics")
    good = data.read_bytes()
    data.write_bytes(good.replace(b"lives", b"LIVES"))
    again = run_in_process(Settings.from_env(), instance=instance)
    assert again.success, again.errors
    assert data.read_bytes() == good
    assert again.version == first.version
    assert frictionless_errors(workspace / "published") == []


def test_semver_bump_follows_what_changed():
    from pipeline.dataset.package import bump_for as _bump
    from pipeline.dataset.package import next_version as _next_version

    schemas = {"metrics": {"fields": []}}
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(schemas, sort_keys=True).encode()).hexdigest()
    old = {"x-schemas-sha256": digest, "x-publish-format": 2, "sources": [{"title": "a"}]}
    assert _bump(old, [{"title": "a"}], schemas) == "patch"
    assert _bump(old, [{"title": "a"}, {"title": "b"}], schemas) == "minor"
    assert _bump(old, [], schemas) == "minor"
    assert _bump(old, [{"title": "a"}], {"metrics": {"fields": [{"name": "x"}]}}) == "major"
    assert [_next_version("1.4.2", b) for b in ("patch", "minor", "major")] == [
        "1.4.3",
        "1.5.0",
        "2.0.0",
    ]


def test_file_names_that_cannot_be_ids_and_clashing_ids_are_reported(workspace, instance):
    raw = workspace / "raw"
    text = (raw / "unodc-activities-report-2021.txt").read_text(encoding="utf-8")
    (raw / "UNODC report 2022.txt").write_text(text.replace("5 million", "6 million"))
    (raw / "twin.txt").write_text(text.replace("5 million", "7 million"))
    (raw / "twin.md").write_text(text.replace("5 million", "8 million"))
    summary = run_in_process(Settings.from_env(), instance=instance)
    errors = {o.source_file: o.error for o in summary.failed_documents}
    assert "rename the file" in errors["UNODC report 2022.txt"]
    assert "share the document id 'twin'" in errors["twin.txt"]
    assert "share the document id 'twin'" in errors["twin.md"]
    assert summary.published and summary.exit_code == 2
    assert _count(workspace, "select count(*) from documents") == 1


def test_empty_raw_folder_does_not_unpublish_everything(workspace, instance):
    first = run_in_process(Settings.from_env(), instance=instance)
    (workspace / "raw" / "unodc-activities-report-2021.txt").unlink()
    summary = run_in_process(Settings.from_env(), instance=instance)
    assert not summary.published and summary.exit_code == 1
    assert any(
        "refusing to publish a release without reports" in e and "unpublishes every document" in e
        for e in summary.errors
    )
    assert summary.version == first.version
    assert _count(workspace, "select count(*) from documents") == 1


def test_document_counts_are_what_is_published():
    from pipeline.build import process_document
    from pipeline.dataset.validate import validate_document

    tables = process_document(
        ROOT / "raw" / "unodc-activities-report-2021.txt", Settings.from_env()
    )
    tables.rows["metrics"][0]["unit"] = "not a unit"
    validated = validate_document(tables)
    assert validated.frames["documents"].at[0, "metrics"] == len(validated.frames["metrics"])
    assert len(validated.frames["metrics"]) == len(tables.rows["metrics"]) - 1


def test_a_batch_validates_each_report_as_it_would_alone():
    """Reports validated together give each report exactly the rows and quarantine it gets
    alone (artifacts must not depend on how a run batched its reports)."""
    from pipeline.build import process_document
    from pipeline.dataset.validate import validate_batch

    real = [
        ROOT / "tests" / "data" / "real" / f
        for f in ("MINUSTAH_S_2012_534.pdf", "ONUSAL_S_1994_375.pdf", "UNMIBH_S_1997_224.pdf")
    ]
    batch = [
        process_document(p, Settings.from_env())
        for p in [ROOT / "raw" / "unodc-activities-report-2021.txt", *real]
    ]
    batch[0].rows["metrics"][0]["unit"] = "not a unit"  # quarantined, with its countries
    batch[1].rows["metrics"][1]["quote"] = "not in the text"
    batch[2].rows["paragraphs"][0]["char_end"] = 10**9
    batch[3].rows["metrics"][0]["char_start"] = "abc"  # not even a number
    batch[0].rows["metrics"][2]["char_end"] = None
    alone = [validate_batch([t]).arrow()[t.document_id] for t in batch]
    together = list(validate_batch(batch).arrow().values())
    for t, (frames, failed), (frames2, failed2) in zip(batch, alone, together, strict=True):
        assert failed == failed2, t.document_id
        for name, table in frames.items():
            assert table.equals(frames2[name]), (t.document_id, name)
        assert set(frames2["validation_failures"].column("document_id").to_pylist()) <= {
            t.document_id
        }
    assert [failed > 0 for _, failed in together] == [True] * 4
    assert [failed for _, failed in together][1:3] == [1, 1]


def test_a_parquet_file_that_differs_from_its_csv_twin_is_caught(workspace, instance):
    """The release check compares each Parquet file with its frictionless-validated CSV twin:
    a Parquet file rewritten with one value changed (its sha256 updated too) is an error."""

    import pyarrow as pa
    import pyarrow.parquet as pq

    run_in_process(Settings.from_env(), instance=instance)
    published = workspace / "published"
    path = table_file(published, "metrics", "parquet")
    table = pq.read_table(path)
    values = table.column("value").to_pylist()
    values[0] += 1
    table = table.set_column(
        table.schema.get_field_index("value"), "value", pa.array(values, type=pa.float64())
    )
    pq.write_table(table, path, compression="zstd")
    rehash(published, path)
    csv_path = table_file(published, "metrics").relative_to(published).as_posix()
    rel = path.relative_to(published).as_posix()
    assert frictionless_errors(published) == [
        f"metrics-parquet ({rel}): rows differ from {csv_path}"
    ]


def test_release_check_finds_the_same_errors_in_one_process_or_two(workspace, instance):
    """A large package is validated by two processes side by side; they must report what one
    process reports (here a CSV cell that breaks its column's enum, and its sha256)."""
    run_in_process(Settings.from_env(), instance=instance)
    published = workspace / "published"
    path = table_file(published, "metrics")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[1][rows[0].index("qualifier")] = "roughly-ish"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    one = frictionless_errors(published, workers=1)
    two = frictionless_errors(published, workers=2)
    assert sorted(one) == sorted(two)
    assert any("roughly-ish" in e or "constraint" in e for e in one), one
    rel = path.relative_to(published).as_posix()
    assert f"{rel}: sha256 differs from datapackage.json" in one


def test_a_foreign_key_pointing_nowhere_is_caught(workspace, instance):
    """Foreign keys are checked on the Parquet twins (frictionless would re-read the parent
    file for every child): a paragraph removed from both of its files, with the descriptor's
    sha256 and sizes updated, leaves metrics pointing nowhere, and that is an error."""

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from pipeline.dataset.publish import csv_bytes, parquet_bytes

    run_in_process(Settings.from_env(), instance=instance)
    published = workspace / "published"
    metrics = pq.read_table(table_file(published, "metrics", "parquet"))
    gone = metrics.column("paragraph")[0].as_py()
    pq_path = table_file(published, "paragraphs", "parquet")
    paragraphs = pq.read_table(pq_path)
    paragraphs = paragraphs.filter(pc.not_equal(paragraphs.column("paragraph"), gone))
    csv_path = table_file(published, "paragraphs")
    pq_path.write_bytes(parquet_bytes(paragraphs))
    csv_path.write_bytes(csv_bytes(paragraphs))
    rehash(published, pq_path)
    rehash(published, csv_path)
    errors = frictionless_errors(published)
    assert (
        len(errors) == 1
        and errors[0].startswith("metrics: ")
        and "document_id, paragraph match no row of paragraphs" in errors[0]
    ), errors
    assert any("foreign" in e.lower() for e in frictionless_errors(published, parquet=True))


def test_an_invalid_release_is_never_swapped_in(workspace, instance):
    """Each release is validated in its staging folder; one that fails (here a unit outside
    the codelist of units, as a bug in the code that writes the tables would make) is
    removed, the error names the problem, and the published release stays as it was."""
    import json

    import pytest

    from pipeline.dataset.checks import release_errors
    from pipeline.dataset.publish import ReleaseInvalid, ReleaseTables, publish
    from pipeline.dataset.readers import open_read_only
    from pipeline.dataset.store import read_table

    run_in_process(Settings.from_env(), instance=instance)
    published = workspace / "published"
    before = {
        p.relative_to(published): p.read_bytes()
        for p in published.rglob("*")
        if p.is_file() and p.suffix != ".duckdb"
    }
    tampered = workspace / "tampered.duckdb"
    shutil.copy(published / "indicators.duckdb", tampered)
    con = duckdb.connect(str(tampered))
    con.execute(
        "UPDATE metrics SET unit = 'furlongs per fortnight' WHERE metric_id = "
        "(SELECT min(metric_id) FROM metrics)"
    )
    con.close()
    con = open_read_only(tampered)
    docs = [r[0] for r in con.execute("SELECT document_id FROM documents").fetchall()]
    tables = ReleaseTables(
        con,
        dict.fromkeys(docs, ""),  # no artifact: nothing taken over from the release
        {n: read_table(con, n) for n in ("indicators", "series", "series_revisions")},
        {},
        [],
    )
    sources = json.loads((published / "datapackage.json").read_text())["sources"]
    with pytest.raises(ReleaseInvalid, match="furlongs per fortnight|constraint"):
        publish(tables, sources, published, state="tampered", check=release_errors)
    con.close()
    after = {
        p.relative_to(published): p.read_bytes()
        for p in published.rglob("*")
        if p.is_file() and p.suffix != ".duckdb"
    }
    assert after == before
    assert frictionless_errors(published) == []

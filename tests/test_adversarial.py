"""Issue 12, as a hostile or careless user: each numbered failure reproduced, and what holds now.

Real CLI (subprocess), real DuckDB, real frictionless; each test works on a copy of a
workspace released once (1.0.0) with its own Dagster state folder (where the release history
is kept).
"""

import codecs
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from workspace import cli_env, released_workspace

from pipeline.dataset.checks import frictionless_errors
from pipeline.dataset.readers import connect_readonly, connect_release
from pipeline.dataset.releases import history_dir
from pipeline.dataset.swap import COMPLETE, mark_complete, swap
from pipeline.read.ingest import ReportError, ingest, scan_raw

pytestmark = pytest.mark.slow  # real `indicators` processes: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "indicators")
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def _env(ws: Path, **extra: str) -> dict:
    return cli_env(ws, **extra)


def _cli(ws: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, *args], cwd=ws, env=_env(ws, **extra), capture_output=True, text=True, timeout=300
    )


def _run(ws: Path, **extra: str) -> subprocess.CompletedProcess:
    return _cli(ws, "run", **extra)


def _valid(ws: Path) -> None:
    """Both validators pass: ours (frictionless + sha256 of every file) and frictionless's CLI."""
    assert frictionless_errors(ws / "published") == []
    ours = _cli(ws, "validate")
    assert ours.returncode == 0, ours.stdout + ours.stderr
    theirs = subprocess.run(
        [
            str(Path(sys.executable).parent / "frictionless"),
            "validate",
            "published/datapackage.json",
        ],
        cwd=ws,
        capture_output=True,
        text=True,
    )
    assert theirs.returncode == 0, theirs.stdout[-2000:]


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """A workspace after one good run (release 1.0.0)."""
    return released_workspace(tmp_path_factory.mktemp("released"), _run)


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> Path:
    """A copy of the released workspace, its release history moved along with it."""
    copy = tmp_path / "ws"
    shutil.copytree(released, copy, symlinks=True, ignore=shutil.ignore_patterns(".lock*"))
    old = history_dir(copy / ".dagster", released / "published")
    new = history_dir(copy / ".dagster", copy / "published")
    new.parent.mkdir(parents=True, exist_ok=True)
    os.replace(old, new)
    return copy


def _second_report(ws: Path) -> None:
    text = REPORT.read_text(encoding="utf-8").replace("over 5 million", "over 6 million")
    (ws / "raw" / "second-report.txt").write_text(text, encoding="utf-8")


def _published(ws: Path) -> dict[str, bytes]:
    """Every published file's bytes (the database and the lock aside)."""
    root = ws / "published"
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith((".lock", "indicators.duckdb"))
    }


# 1. `indicators sql` could write and read any file, and install extensions.

REFUSED = [
    "COPY (select 'x' as a) TO 'published/datapackage.json' (FORMAT csv)",
    "COPY (select 'x' as a) TO 'published/data/metrics.csv' (FORMAT csv)",
    "select * from read_text('/etc/passwd')",
    "select * from read_csv('/etc/passwd')",
    "select * from read_blob('/etc/passwd')",
    "INSTALL httpfs",
    "LOAD httpfs",
    "ATTACH 'other.duckdb' AS other",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "EXPORT DATABASE 'dump'",
    "CREATE TABLE x AS SELECT 1",
]


@pytest.mark.parametrize("query", REFUSED)
def test_sql_refuses_files_extensions_and_writes(released, query):
    before = _published(released)
    result = _cli(released, "sql", query)
    assert result.returncode == 1
    assert "refused" in result.stderr and "Traceback" not in result.stderr
    assert "root:" not in result.stdout
    assert _published(released) == before
    assert not (released / "dump").exists() and not (released / "other.duckdb").exists()


def test_sql_prints_table_csv_and_json(released):
    query = "select unit, count(*) as n from metrics group by unit order by unit"
    table = _cli(released, "sql", query)
    csv_out = _cli(released, "sql", query, "--format", "csv")
    json_out = _cli(released, "sql", query, "--format", "json")
    assert table.returncode == csv_out.returncode == json_out.returncode == 0
    assert "unit" in table.stdout and "┃" in table.stdout
    assert csv_out.stdout.splitlines()[0] == "unit,n"
    rows = [json.loads(line) for line in json_out.stdout.splitlines()]
    assert sum(r["n"] for r in rows) == 131 and {"unit", "n"} == set(rows[0])


def test_every_reader_gets_the_same_lockdown(released):
    """connect_readonly (what Dagster checks use too) and the release fallback both refuse."""
    for con in (
        connect_readonly(released / "published" / "indicators.duckdb"),
        connect_release(released / "published"),
    ):
        try:
            assert con.execute("select count(*) from metrics").fetchall() == [(131,)]
            for query in REFUSED[:5]:
                with pytest.raises(duckdb.Error):
                    con.execute(query)
        finally:
            con.close()


# 2. An unreadable datapackage.json blocked publishing for good.


def test_truncated_descriptor_is_repaired_with_the_version_kept(ws):
    before = _published(ws)
    with open(ws / "published" / "datapackage.json", "r+b") as handle:
        handle.truncate(5000)
    result = _run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "repaired" in result.stdout and "new release" not in result.stdout
    assert "not readable JSON" in result.stdout
    assert _published(ws) == before
    _valid(ws)


def test_descriptor_overwritten_with_csv_is_repaired(ws):
    """What `COPY ... TO 'published/datapackage.json'` used to leave behind."""
    before = _published(ws)
    (ws / "published" / "datapackage.json").write_text("a\nx\n")
    assert _cli(ws, "validate").returncode == 1  # said plainly, not a traceback
    result = _run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "repaired" in result.stdout
    assert _published(ws) == before


# 3. A deleted descriptor reset the version; a deleted changelog went unnoticed; an edited
#    version made every later release fail.


def test_deleted_descriptor_keeps_version_and_history(ws):
    _second_report(ws)
    assert "version 1.1.0" in _run(ws).stdout
    before = _published(ws)
    (ws / "published" / "datapackage.json").unlink()
    result = _run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "version 1.1.0" in result.stdout and "repaired" in result.stdout
    assert _published(ws) == before
    log = (ws / "published" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.count("## 1.0.0") == 1 and log.count("## 1.1.0") == 1


def test_deleted_changelog_is_restored_and_the_next_release_keeps_it(ws):
    before = _published(ws)
    (ws / "published" / "CHANGELOG.md").unlink()
    result = _run(ws)
    assert "CHANGELOG.md: missing" in result.stdout and "version 1.0.0" in result.stdout
    assert _published(ws) == before
    _second_report(ws)
    assert "version 1.1.0, new release" in _run(ws).stdout
    log = (ws / "published" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.index("## 1.1.0") < log.index("## 1.0.0")


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("version", "banana", "version 'banana' differed from release 1.0.0"),
        ("version", "9.9.9", "version '9.9.9' differed from release 1.0.0"),
        ("licenses", [{"name": "proprietary"}], "licenses differed from release 1.0.0"),
    ],
)
def test_edited_descriptor_is_repaired_and_reported(ws, field, value, said):
    before = _published(ws)
    path = ws / "published" / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    package[field] = value
    path.write_text(json.dumps(package, indent=2), encoding="utf-8")
    result = _run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    assert said in result.stdout
    assert _published(ws) == before
    _second_report(ws)
    assert "version 1.1.0, new release" in _run(ws).stdout


def test_lost_history_is_learnt_again_from_published(ws):
    """The state folder deleted and the version edited: the changelog still tells 1.0.0."""
    before = _published(ws)
    shutil.rmtree(ws / ".dagster" / "releases")
    path = ws / "published" / "datapackage.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"1.0.0"', '"1.0"'), encoding="utf-8")
    result = _run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "repaired" in result.stdout and "version 1.0.0" in result.stdout
    assert _published(ws) == before


def test_version_that_cannot_be_told_fails_with_what_to_do(ws):
    shutil.rmtree(ws / ".dagster" / "releases")
    (ws / "published" / "CHANGELOG.md").unlink()
    path = ws / "published" / "datapackage.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"1.0.0"', '"one"'), encoding="utf-8")
    result = _run(ws)
    assert result.returncode == 1
    assert "MAJOR.MINOR.PATCH" in result.stdout and "Traceback" not in result.stdout + result.stderr


# 6. Silent wrong input: links out of raw/, folders, FIFOs, NUL bytes, UTF-16.

GOOD = "1. The Office trained over 5,000 officials in 57 States in 2021.\n"


def _hostile_raw(raw: Path, outside: Path) -> dict[str, str]:
    """Every kind of bad entry in raw/, with the words its refusal must contain."""
    outside.write_text(GOOD, encoding="utf-8")
    (raw / "outside.txt").symlink_to(outside)
    (raw / "zero.txt").symlink_to("/dev/zero")
    (raw / "dangling.txt").symlink_to(raw / "nothing.txt")
    (raw / "loop.txt").symlink_to(raw / "loop.txt")
    (raw / "folder").mkdir()
    (raw / "folder" / "report.txt").write_text(GOOD, encoding="utf-8")
    os.mkfifo(raw / "pipe.txt")
    return {
        "outside.txt": "points outside raw/",
        "zero.txt": "points outside raw/",
        "dangling.txt": "dangling link",
        "loop.txt": "link loop",
        "folder": "is a folder",
        "pipe.txt": "FIFO",
    }


def test_scan_raw_names_every_refused_entry(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text(GOOD, encoding="utf-8")
    (raw / "alias.txt").symlink_to(raw / "good.txt")  # a link inside raw/ is fine
    expected = _hostile_raw(raw, tmp_path / "secret.txt")
    paths, problems = scan_raw(raw)
    assert [p.name for p in paths] == ["alias.txt", "good.txt"]
    said = {Path(e.path).name: str(e) for e in problems}
    assert set(said) == set(expected)
    for name, words in expected.items():
        assert words in said[name] and said[name].startswith(name)


def test_ingest_never_blocks_on_a_fifo_or_device(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    for name in ("pipe.txt", "zero.txt"):
        with pytest.raises(ReportError, match="not a regular file"):
            ingest(tmp_path / name)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (GOOD.encode() * 300 + b"\x00\x00" + GOOD.encode(), "contains NUL characters"),
        (b"\x00" + GOOD.encode(), "contains NUL characters"),
        ("1. Le café coûte 5 francs.".encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_text_that_cannot_be_published_is_refused(tmp_path, data, words):
    (tmp_path / "r.txt").write_bytes(data)
    with pytest.raises(ReportError, match=words):
        ingest(tmp_path / "r.txt")


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + GOOD.encode("utf-16-be"),
        GOOD.encode("utf-16-le") * 5,
        codecs.BOM_UTF8 + GOOD.encode(),
        codecs.BOM_UTF32_LE + GOOD.encode("utf-32-le"),
    ],
)
def test_utf16_and_marked_text_is_read_as_what_it_is(tmp_path, data):
    (tmp_path / "r.txt").write_bytes(data)
    assert ingest(tmp_path / "r.txt").text.startswith(GOOD)


def test_run_names_every_bad_entry_and_publishes_none_of_it(ws, tmp_path):
    raw = ws / "raw"
    expected = _hostile_raw(raw, tmp_path / "secret.txt")
    text = REPORT.read_text(encoding="utf-8")
    nul = text.encode()
    (raw / "nul-late.txt").write_bytes(nul[:20000] + b"\x00" + nul[20000:])
    expected["nul-late.txt"] = "contains NUL characters"
    (raw / "utf16-report.txt").write_bytes(
        codecs.BOM_UTF16_LE + text.replace("over 5 million", "over 8 million").encode("utf-16-le")
    )
    result = _run(ws)
    out = " ".join(result.stdout.split())
    assert result.returncode == 2, result.stdout + result.stderr
    for name, words in expected.items():
        assert name in out and words in out, (name, words)
    con = connect_readonly(ws / "published" / "indicators.duckdb")
    try:
        ids = {r[0] for r in con.execute("select document_id from documents").fetchall()}
    finally:
        con.close()
    assert ids == {REPORT.stem, "utf16-report"}
    for path in (ws / "published" / "data").rglob("*"):
        assert not path.is_file() or b"\x00" not in path.read_bytes() or path.suffix == ".parquet"
    for path in (ws / "published" / "data" / "documents").glob("*.csv"):
        assert "nul-late" not in path.read_text()
    _valid(ws)


# 7 (the parts in publishing). The swap left published/data missing between two renames;
#    a repair said "new release" (tested above with every repair).


def test_swap_never_leaves_published_data_missing(tmp_path):
    published = tmp_path / "published"
    (published / "data").mkdir(parents=True)
    (published / "data" / "t.csv").write_text("0\n")
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not (published / "data" / "t.csv").is_file():
                missing.append(1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(1, 301):
            staging = published / ".staging"
            (staging / "data").mkdir(parents=True)
            (staging / "data" / "t.csv").write_text(f"{i}\n")
            (staging / "datapackage.json").write_text(f'{{"i": {i}}}\n')
            mark_complete(staging)
            swap(published, staging)
    finally:
        stop.set()
        watcher.join()
    assert missing == []
    assert (published / "data" / "t.csv").read_text() == "300\n"
    assert not (published / ".staging").exists()


def test_run_killed_between_data_and_descriptor_keeps_data_and_rolls_forward(ws):
    _second_report(ws)
    killed = _run(ws, INDICATORS_KILL_AT="swap-data")
    assert killed.returncode != 0
    published = ws / "published"
    assert list((published / "data" / "metrics").glob("*.parquet"))
    assert (published / ".staging" / COMPLETE).is_file()  # sealed: the next run finishes it
    result = _run(ws)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "version 1.1.0" in result.stdout
    assert not (published / ".staging").exists()
    _valid(ws)


def test_the_history_keeps_each_descriptor_beside_its_record(tmp_path):
    """A record names its descriptor's file (kept out of the JSON: 50 MB at 10,000 reports);
    a record written before, with the descriptor inline, is still read; a descriptor file of
    the wrong size makes its record damaged (the one before is used); a replaced record's old
    descriptor file is removed, and gc removes a record's files together."""
    import msgspec

    from pipeline.dataset.releases import Release, last_release, prune_history, record

    folder = tmp_path / "history"
    folder.mkdir()
    inline = Release("1.0.0", "s0", '{"name": "x", "version": "1.0.0"}', "## 1.0.0\n")
    (folder / "000001.json").write_bytes(msgspec.json.encode({**inline.__dict__, "bump": "major"}))
    assert last_release(folder) == inline
    second = Release("1.0.1", "s1", '{"name": "x", "version": "1.0.1"}', "## 1.0.1\n")
    record(folder, second, "patch")
    assert last_release(folder) == second
    assert '"descriptor":' not in (folder / "000002.json").read_text()
    [sidecar] = folder.glob("000002.*.descriptor")
    assert sidecar.read_text() == second.descriptor
    repaired = Release("1.0.1", "s2", '{"name": "x", "version": "1.0.1", "more": 1}', "## 1.0.1\n")
    record(folder, repaired, "repair")  # same version: the newest record replaced
    assert last_release(folder) == repaired
    assert not sidecar.exists() and len(list(folder.glob("000002.*.descriptor"))) == 1
    [sidecar] = folder.glob("000002.*.descriptor")
    sidecar.write_text(repaired.descriptor[:-3])  # damaged
    assert last_release(folder) == inline
    assert prune_history(folder, {"1.0.0"}) == 0  # the newest record is always kept
    record(folder, Release("1.0.2", "s3", "{}", "## 1.0.2\n"), "patch")
    assert prune_history(folder, {"1.0.2"}) == 2
    assert sorted(p.name[:6] for p in folder.iterdir()) == ["000003", "000003"]

"""The release's database follows the change: a copy of the published one with only the
changed reports' rows replaced, the same as one built anew, and a run killed on the way
leaves the published database and recovers."""

import subprocess
from pathlib import Path

import duckdb
import pytest
from workspace import CLI, REPORT, cli_env, released_workspace

from pipeline.build import artifact_store
from pipeline.dataset.checks import frictionless_errors
from pipeline.dataset.schema import TABLES as REPORT_TABLES
from pipeline.dataset.series import DERIVED, OBSERVATIONS
from pipeline.plan import plan_run
from pipeline.release import _make_next, incremental_plan, load_release, next_database
from pipeline.settings import Settings
from pipeline.versions import DERIVED_KEY

# Every table of the release database: the report tables, the observations, the derived ones.
TABLES = (*REPORT_TABLES, OBSERVATIONS, *DERIVED, "artifact_keys")


def _key(name: str, sha: str = "a" * 64) -> str:
    return f"v1/{sha}/{name}"


def test_incremental_plan_names_what_goes_and_comes():
    base = sorted([_key("a.txt"), _key("b.txt"), _key("c.txt"), DERIVED_KEY])
    keys = sorted([_key("a.txt"), _key("b.txt", "b" * 64), _key("c.txt"), _key("d.txt")])
    diff = incremental_plan(base, keys)
    assert diff == {
        "removed": [_key("b.txt")],
        "added": sorted([_key("b.txt", "b" * 64), _key("d.txt")]),
        "gone": ["b", "d"],
    }


@pytest.mark.parametrize(
    ("base", "why"),
    [
        (None, "no published database"),
        ([_key("a.txt"), _key("b.txt"), _key("c.txt")], "another codelist: no DERIVED_KEY"),
        ([_key("a.txt"), _key("b.txt"), DERIVED_KEY], "most reports changed"),
    ],
)
def test_incremental_plan_falls_back_to_a_full_build(base, why):
    keys = [_key("a.txt", "f" * 64), _key("b.txt", "f" * 64), _key("c.txt")]
    assert incremental_plan(base, keys) is None, why


def test_a_report_id_in_a_kept_and_a_new_artifact_is_built_anew():
    base = [_key("a.txt"), _key("b.txt"), _key("c.txt"), DERIVED_KEY]
    keys = [_key("a.txt"), _key("b.txt"), _key("c.txt"), _key("a.md")]  # two files "a"
    assert incremental_plan(base, keys) is None


def _variant(raw: Path, name: str, millions: int) -> None:
    text = REPORT.read_text(encoding="utf-8").replace("over 5 million", f"over {millions} million")
    (raw / f"{name}.txt").write_text(text, encoding="utf-8")


def _rows(path: Path, table: str, where: str = "true") -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f'SELECT * FROM "{table}" WHERE {where} ORDER BY ALL').fetchall()
    finally:
        con.close()


@pytest.mark.slow  # the whole pipeline, in process
def test_one_changed_report_updates_a_copy_of_the_published_database(
    workspace, instance, monkeypatch
):
    from pipeline.orchestrate import run_in_process

    monkeypatch.setenv("INDICATORS_ARTIFACTS", str(workspace / "artifacts"))
    raw = workspace / "raw"
    _variant(raw, "second", 6)
    _variant(raw, "third", 7)
    assert run_in_process(Settings.from_env(), instance=instance).success
    db = workspace / "published" / "indicators.duckdb"
    others = "document_id IN ('second', 'third')"
    before = {t: _rows(db, t, others) for t in ("paragraphs", "metrics", "sections")}
    published = db.read_bytes()

    text = REPORT.read_text(encoding="utf-8")
    (raw / REPORT.name).write_text(
        text.replace("over 5 million", "over 9 million") + "\n\n132. In 2021, 4,321 officers.\n",
        encoding="utf-8",
    )
    settings = Settings.from_env()
    store = artifact_store(settings)
    result = load_release(settings, store, plan_run(settings, store))
    nxt = next_database(settings)
    assert result.rebuilt and result.incremental
    assert db.read_bytes() == published  # the published database is never written
    changed = "document_id = 'unodc-activities-report-2021'"
    assert len(_rows(nxt, "paragraphs", changed)) == 132
    assert result.rows["documents"] == 3
    assert result.rows["paragraphs"] == 3 * 131 + 1
    assert {t: _rows(nxt, t, others) for t in before} == before
    con = duckdb.connect(str(nxt), read_only=True)
    values = {r[0] for r in con.execute(f"SELECT value FROM metrics WHERE {changed}").fetchall()}
    con.close()
    assert 9_000_000 in values and 5_000_000 not in values

    # The same as a database built anew from every artifact.
    full = workspace / "full.duckdb"
    keys = sorted(r[0] for r in _rows(nxt, "artifact_keys") if r[0] != DERIVED_KEY)
    _make_next(store, db, full, keys, None)
    for table in TABLES:
        assert _rows(nxt, table) == _rows(full, table), table

    # Built reading one file per statement (10,000 reports are read 500 files at a time, to
    # bound memory): the same rows.
    from pipeline.dataset import store as store_module

    monkeypatch.setattr(store_module, "FILES_PER_INSERT", 1)
    grouped = workspace / "grouped.duckdb"
    _make_next(store, db, grouped, keys, None)
    for table in TABLES:
        assert _rows(grouped, table) == _rows(full, table), table


def _run(ws: Path, **extra: str) -> subprocess.CompletedProcess:
    env = cli_env(ws, INDICATORS_ARTIFACTS=str(ws / "artifacts"), **extra)
    return subprocess.run(
        [CLI, "run"], cwd=ws, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow  # real `indicators` processes
@pytest.mark.parametrize("point", ["load-incremental", "load"])
def test_a_run_killed_during_the_incremental_load_recovers(tmp_path, point):
    ws = released_workspace(tmp_path, _run)
    db = ws / "published" / "indicators.duckdb"
    published, descriptor = db.read_bytes(), (ws / "published" / "datapackage.json").read_bytes()
    _variant(ws / "raw", "second", 6)
    killed = _run(ws, INDICATORS_KILL_AT=point)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert db.read_bytes() == published
    assert (ws / "published" / "datapackage.json").read_bytes() == descriptor
    assert not next_database(Settings.from_env(cli_env(ws))).exists()  # only a .part left
    again = _run(ws)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(_rows(db, "documents")) == 2
    assert not list((ws / "published").glob("indicators.duckdb.*"))
    assert frictionless_errors(ws / "published") == []


def test_the_load_step_takes_the_runs_plan_until_a_release_is_published_since(
    workspace, instance, monkeypatch
):
    """The reading step hands its plan to the load step (no second listing of raw/); a plan
    made before another run published is stale and made again (pipeline/plan.py)."""
    from pipeline.orchestrate import run_in_process
    from pipeline.plan import current_plan, hand_over

    monkeypatch.setenv("INDICATORS_ARTIFACTS", str(workspace / "artifacts"))
    settings = Settings.from_env()
    store = artifact_store(settings)
    handed = plan_run(settings, store)
    hand_over(settings, handed)
    assert current_plan(settings, store) is handed
    assert current_plan(settings, store) is not handed  # handed once
    import pipeline.orchestrate
    import pipeline.plan

    calls = []

    def counted(*args):
        calls.append(args)
        return plan_run(*args)

    monkeypatch.setattr(pipeline.plan, "plan_run", counted)
    monkeypatch.setattr(pipeline.orchestrate, "plan_run", counted)
    assert run_in_process(settings, instance=instance).success  # publishes a release
    assert len(calls) == 1  # planned by the reading step only: the load step took its plan
    hand_over(settings, handed)  # made before that release
    again = current_plan(settings, store)
    assert again is not handed and again.published_at is not None
    assert handed.published_at != again.published_at


def test_a_report_changed_after_it_was_planned_is_not_stored_under_the_old_bytes(
    workspace, monkeypatch
):
    """A plan's sha256 is taken before reading: a file changed since is read again by the
    next run, and its rows are never stored as the artifact of the bytes it no longer has."""
    from pipeline.build import artifact_key, build_artifacts

    monkeypatch.setenv("INDICATORS_ARTIFACTS", str(workspace / "artifacts"))
    settings = Settings.from_env()
    store = artifact_store(settings)
    path = workspace / "raw" / REPORT.name
    planned = "0" * 64  # the bytes it had when the plan was made
    [outcome] = build_artifacts([(path, planned)], store, settings)
    assert outcome.status == "failed" and "changed while the run read it" in outcome.error
    assert not store.complete(artifact_key(path, planned))
    assert store.failure(artifact_key(path, planned)) is None  # not remembered: read next run

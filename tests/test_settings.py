"""One settings value, built once and passed down: the environment is read in one module, and
a worker process uses the settings it was given, not the environment's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.orchestrate import local_instance, run_in_process
from pipeline.settings import VARIABLES, Settings, readme_table

pytestmark = pytest.mark.slow  # runs the whole pipeline: make test, not make check

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pipeline"


def test_the_environment_is_read_in_one_module_and_written_by_none():
    readers, writers = [], []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "settings.py" and re.search(r"os\.environ|os\.getenv|getenv\(", text):
            readers.append(path.name)
        if re.search(r"os\.environ\[[^]]+\]\s*=|os\.environ\.(setdefault|update)|putenv", text):
            writers.append(path.name)
    assert readers == [] and writers == []


def test_settings_come_from_the_environment_then_the_options(tmp_path):
    env = {"INDICATORS_RAW": str(tmp_path / "r"), "INDICATORS_SQL_TIMEOUT": "5"}
    settings = Settings.from_env(env, sql_timeout=9)
    assert settings.raw == tmp_path / "r" and settings.sql_timeout == 9.0
    assert settings.database == settings.published / "indicators.duckdb"
    assert Settings.from_config(settings.as_config()) == settings


def test_every_variable_is_in_the_readme_with_its_default():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_table() in readme
    assert all(f"`{v.name}`" in readme for v in VARIABLES)


def test_a_worker_process_uses_the_settings_it_was_given(tmp_path, monkeypatch):
    """The environment names one artifact store, the settings another: workers (Dagster's
    multiprocess executor, each in its own process) write where the settings say."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("unodc-activities-report-2021.txt", "UNMIT_S_2007_50.pdf", "UNMOP_S_1998_939.pdf"):
        shutil.copy(ROOT / "raw" / name, raw / name)
    wrong = tmp_path / "from-the-environment"
    monkeypatch.setenv("INDICATORS_ARTIFACTS", str(wrong))
    monkeypatch.setenv("INDICATORS_RAW", str(tmp_path / "nowhere"))
    given = Settings.from_env(
        raw=raw,
        published=tmp_path / "published",
        state=tmp_path / "state",
        artifacts=str(tmp_path / "given"),
    )
    summary = run_in_process(given, instance=local_instance(given), workers=2)
    assert summary.published and summary.read == 3, summary.errors
    assert len(list((tmp_path / "given").rglob("manifest.json"))) == 3
    assert not wrong.exists()

"""The published series against the blind, hand-read key (gold/series) and against the wrong
and missing values read off the UNMIT and UNODC series by hand (issue 17).

The committed published/ is what the pipeline makes from the committed raw/ (tested in
test_pipeline.py), so scoring it scores the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.dataset.accuracy import read_keys, score, totals
from pipeline.dataset.readers import read_published

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "published"
KEYS = sorted((ROOT / "gold" / "series").glob("*.csv"))


@pytest.fixture(scope="module")
def series() -> list[dict]:
    return read_published(PUBLISHED, "series")


@pytest.fixture(scope="module")
def scores(series) -> dict:
    documents = read_published(PUBLISHED, "documents")
    per_indicator = score(series, documents, read_keys(KEYS))
    return {"per": {s.indicator: s for s in per_indicator}, **totals(per_indicator)}


def test_the_key_covers_20_reports_of_5_missions():
    rows = read_keys(KEYS)
    assert len({r["symbol"] for r in rows}) >= 20
    assert len({r["mission"] for r in rows}) >= 5
    assert "UNMIT" not in {r["mission"] for r in rows}


def test_hard_indicators_floors(scores):
    """Floors a little under the scores measured (README). With the whole collection in the
    release (184 reports, not the 24 of the key), a later report that restates a period's
    figure with another value (a revised appropriation) is the one the series shows; the key
    scores each report's own value, so recall fell from 0.94 to 0.92 (45/49) while every
    value stays in series_revisions."""
    hard = scores["hard"]
    assert hard.precision >= 0.97
    assert hard.recall >= 0.90
    assert hard.as_of_right >= 0.97  # 45/45 since the ceiling is not dated by the annex
    for name in ("police_strength", "budget_appropriation", "contributions_unpaid"):
        assert scores["per"][name].precision == 1.0, name


def test_soft_indicators_floor(scores):
    """Recall 0.76 (65/85) on the whole collection, as_of right for 52 of the 62 found that
    the key dates (README); it was 0.54 and 23/45 before the as_of and counted rules of
    issue 17's second round, 50 of 62 before report_cut_off and cumulative_since."""
    assert scores["soft"].recall >= 0.72
    assert scores["soft"].as_of_right >= 0.82
    for name in ("people_killed", "people_injured"):
        assert scores["per"][name].recall >= 0.78, name


def test_as_of_is_right_for_nine_in_ten_key_figures_found(scores):
    """Issue 17's target over both kinds: 97 of the 107 key figures found that the key dates
    (README)."""
    right = sum(scores[k].as_of_right * scores[k].dated for k in ("hard", "soft"))
    assert right / sum(scores[k].dated for k in ("hard", "soft")) >= 0.90


def _values(series, indicator: str, subject: str) -> dict[str, float]:
    return {
        r["period"]: r["value"]
        for r in series
        if r["indicator"] == indicator and r["subject"] == subject
    }


def test_wrong_unmit_and_unodc_values_are_not_in_the_series(series):
    staff = _values(series, "CIVILIAN_STAFF_INTERNATIONAL", "UNMIT")
    assert 260.0 not in staff.values()  # the country team's staff, not the mission's
    killed = _values(series, "CASUALTIES_KILLED", "UNMIT")
    assert all(not p.startswith("2009") for p, v in killed.items() if v == 200.0)  # 1999 massacre
    assert killed.get("1999-09-06") == 200.0
    returnees = _values(series, "RETURNEES", "UNMIT")
    assert 420.0 not in returnees.values()  # families who had not returned
    assert 11.0 not in _values(series, "COUNTRIES_SUPPORTED", "UNODC").values()  # one programme
    assert 300.0 not in _values(series, "PEOPLE_TRAINED", "UNODC").values()  # one platform
    police = _values(series, "POLICE_STRENGTH", "UNMIT")
    assert 140.0 not in police.values()  # one formed unit's planned size


def test_missing_unmit_values_are_in_the_series(series):
    budgets = _values(series, "BUDGET_APPROPRIATION", "UNMIT")
    assert budgets["2007-07-01/2008-06-30"] == 160_600_000.0  # "decided to appropriate", by period
    assert _values(series, "CIVILIAN_STAFF_NATIONAL", "UNMIT")["2010-02-12"] == 900.0
    # "As of the same date": the date stated last before it (14 January 2010, a paragraph back)
    assert _values(series, "POLICE_STRENGTH", "UNMIT")["2010-01-14"] == 1532.0


def test_every_period_is_a_day_or_an_interval_of_days(series):
    import datetime

    for row in series:
        for part in str(row["period"]).split("/"):
            datetime.date.fromisoformat(part)

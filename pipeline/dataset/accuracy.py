"""Accuracy of the series against hand-read keys of indicator figures (gold/series/*.csv).

A key lists every figure a report states for the hard indicators (strength, budget, unpaid
contributions), and as many as its reader could for the soft ones (killed, injured,
displaced, refugees, returnees); see gold/SERIES_KEY.md. Per indicator: recall (key figures
the series holds, naming the key's report among its sources), precision (series values from
the key's reports that the key has; hard indicators only) and how many found values carry the
key's date as their period. The same matching as ../shared/gold/series_score.py.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.dataset.schema import list_items

# Key indicator names -> the series' code(s).
CODES = {
    "police_strength": "POLICE_STRENGTH",
    "police_strength_authorized": "POLICE_AUTHORIZED",
    "military_strength": "MILITARY_STRENGTH",
    "military_strength_authorized": "MILITARY_AUTHORIZED",
    "military_observers": "MILITARY_OBSERVERS",
    "military_observers_authorized": "MILITARY_OBSERVERS_AUTHORIZED",
    "civilian_staff_international": "CIVILIAN_STAFF_INTERNATIONAL",
    "civilian_staff_national": "CIVILIAN_STAFF_NATIONAL",
    "budget_appropriation": ("BUDGET_APPROPRIATION", "BUDGET_APPROPRIATION_NET"),
    "contributions_unpaid": "CONTRIBUTIONS_UNPAID",
    "people_killed": "CASUALTIES_KILLED",
    "people_injured": "CASUALTIES_INJURED",
    "idps": "DISPLACED",
    "refugees": "REFUGEES",
    "returnees": "RETURNEES",
}
SOFT = {"people_killed", "people_injured", "idps", "refugees", "returnees"}


@dataclass
class IndicatorScore:
    """How well one indicator's series matches a key."""

    indicator: str
    kind: str  # hard (key exhaustive: precision measured) or soft (recall only)
    key_figures: int = 0
    found: int = 0
    predicted: int = 0  # series values from the key's reports (hard only)
    correct: int = 0
    dated: int = 0  # found figures whose key gives an as_of
    dated_right: int = 0

    @property
    def recall(self) -> float | None:
        """Share of the key's figures the series holds."""
        return self.found / self.key_figures if self.key_figures else None

    @property
    def precision(self) -> float | None:
        """Share of the series' values from the key's reports that are right (hard only)."""
        return self.correct / self.predicted if self.predicted else None

    @property
    def as_of_right(self) -> float | None:
        """Share of found figures whose period is the key's as_of."""
        return self.dated_right / self.dated if self.dated else None

    def as_row(self) -> dict:
        """The score as a plain row, shares included."""
        return {
            **asdict(self),
            "recall": self.recall,
            "precision": self.precision,
            "as_of_right": self.as_of_right,
        }


def read_keys(paths: list[Path]) -> list[dict]:
    """Every row of the key files (CSV, SERIES_KEY.md's columns)."""
    rows: list[dict] = []
    for path in sorted(paths):
        with open(path, newline="", encoding="utf-8") as f:
            rows.extend(csv.DictReader(f))
    return rows


def _symbol_index(documents: list[dict]) -> dict[str, str]:
    """Document symbol -> document id, from each document's symbols and file name."""
    index: dict[str, str] = {}
    for d in documents:
        text = " ".join([*list_items(d.get("symbols")), d["document_id"].replace("_", "/")])
        for symbol in re.findall(r"S/[\w./-]+", text):
            index.setdefault(symbol.rstrip(".,;)*"), d["document_id"])
    return index


def _reports(row: dict) -> set[str]:
    return {s for s in re.split(r"[;\s]+", row.get("sources") or "") if s} | {row["document_id"]}


def codes(name: str) -> tuple[str, ...]:
    """The series codes a key indicator is scored on."""
    code = CODES[name]
    return code if isinstance(code, tuple) else (code,)


def score(series: list[dict], documents: list[dict], key: list[dict]) -> list[IndicatorScore]:
    """Per indicator of the key, its score against the series."""
    doc_of = _symbol_index(documents)
    by_code = defaultdict(list)
    for row in series:
        for name in CODES:
            if row["indicator"] in codes(name):
                by_code[name].append(row)
    scores: dict[str, IndicatorScore] = {}
    values: dict[tuple[str | None, str], set[float]] = defaultdict(set)
    for k in key:
        if k["indicator"] in CODES:
            values[(doc_of.get(k["symbol"]), k["indicator"])].add(float(k["value"]))
    for k in key:
        name = k["indicator"]
        if name not in CODES:
            continue
        s = scores.setdefault(name, IndicatorScore(name, "soft" if name in SOFT else "hard"))
        s.key_figures += 1
        doc = doc_of.get(k["symbol"])
        hits = [
            r
            for r in by_code[name]
            if doc in _reports(r) and abs(r["value"] - float(k["value"])) < 0.5
        ]
        if hits:
            s.found += 1
            if k.get("as_of"):
                s.dated += 1
                s.dated_right += str(hits[0]["period"]) == k["as_of"]
    key_docs = {doc_of.get(k["symbol"]) for k in key} - {None}
    for name, s in scores.items():
        if s.kind != "hard":
            continue
        for r in by_code[name]:
            if r["document_id"] not in key_docs:
                continue
            s.predicted += 1
            s.correct += any(
                abs(r["value"] - v) < 0.5 for d in _reports(r) for v in values.get((d, name), ())
            )
    return [scores[n] for n in CODES if n in scores]


def totals(scores: list[IndicatorScore]) -> dict[str, IndicatorScore]:
    """The hard and soft indicators' scores added up."""
    out = {}
    for kind in ("hard", "soft"):
        total = IndicatorScore(f"all {kind}", kind)
        for s in scores:
            if s.kind == kind:
                for field in (
                    "key_figures",
                    "found",
                    "predicted",
                    "correct",
                    "dated",
                    "dated_right",
                ):
                    setattr(total, field, getattr(total, field) + getattr(s, field))
        out[kind] = total
    return out


def accuracy_rows(series: list[dict], documents: list[dict], key: list[dict]) -> list[dict]:
    """The `indicator_accuracy` resource: per series code, the key's measures."""
    rows = []
    for s in score(series, documents, key):
        for measure in (
            "key_figures",
            "found",
            "recall",
            "predicted",
            "correct",
            "precision",
            "dated",
            "dated_right",
            "as_of_right",
        ):
            value = getattr(s, measure)
            if value is not None:
                rows.append(
                    {
                        "indicator": codes(s.indicator)[0],
                        "key_indicator": s.indicator,
                        "kind": s.kind,
                        "measure": measure,
                        "value": float(value),
                    }
                )
    return rows


def evaluation_table(con, gold_dir: Path) -> pa.Table | None:
    """Measured accuracy of the stored metrics of every document that has a gold file."""
    from pipeline.dataset.readers import gold_predictions
    from pipeline.dataset.store import document_keys
    from pipeline.extract.evaluate import load_records, normalise, score

    rows = []
    stored = {did for did, _, _ in document_keys(con)}
    for gold in sorted(gold_dir.glob("*.jsonl")):
        if gold.stem not in stored:
            continue
        predicted = [normalise(r) for r in gold_predictions(con, gold.stem)]
        for measure, value in score(load_records(gold), predicted).as_dict().items():
            rows.append({"document_id": gold.stem, "measure": measure, "value": float(value)})
    return pa.Table.from_pylist(rows) if rows else None


def indicator_accuracy(con, gold_dir: Path) -> pa.Table | None:
    """Accuracy of the series per indicator against the hand-read keys (gold/series/*.csv),
    on the keys' reports that are in this release."""
    from pipeline.dataset.series import _records

    keys = sorted((gold_dir / "series").glob("*.csv"))
    if not keys:
        return None
    series = _records(con, "SELECT * FROM series ORDER BY indicator, subject, ref_area, period")
    documents = _records(con, "SELECT document_id, symbols FROM documents ORDER BY document_id")
    rows = accuracy_rows(series, documents, read_keys(keys))
    return pa.Table.from_pylist(rows) if rows else None

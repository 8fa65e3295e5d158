"""Evaluate: score extracted metrics against a hand-made gold set (see the guidelines)."""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

STOP = {
    "the",
    "of",
    "and",
    "a",
    "an",
    "in",
    "on",
    "for",
    "to",
    "by",
    "with",
    "from",
    "at",
    "as",
    "or",
    "its",
    "their",
    "new",
    "other",
    "over",
}


@dataclass(frozen=True)
class Scores:
    """Agreement between predicted and gold metrics."""

    gold: int
    predicted: int
    matched: int
    precision: float
    recall: float
    f1: float
    unit_acc: float
    qualifier_acc: float
    year_acc: float
    entity_agreement: float
    strict_f1: float

    def as_dict(self) -> dict:
        """Scores as a plain dict."""
        return asdict(self)


def _number(x) -> float | None:
    if x is None or x == "":
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def normalise(r: dict) -> dict:
    """A record with the scored fields in canonical form."""
    p, y = _number(r.get("paragraph")), _number(r.get("year"))
    return {
        "paragraph": int(p) if p is not None else None,
        "value": _number(r.get("value")),
        "value_max": _number(r.get("value_max")),
        "unit": (r.get("unit") or "").strip(),
        "entity": (r.get("entity") or "").strip().lower(),
        "qualifier": (r.get("qualifier") or "").strip(),
        "year": int(y) if y is not None else None,
    }


def load_records(path: Path) -> list[dict]:
    """Read JSON lines, CSV or Parquet records."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    elif path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    else:
        rows = [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    return [normalise(r) for r in rows]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 0.005 * max(abs(a), abs(b), 1e-9)


def content_words(s: str) -> set[str]:
    """Content words of an entity, plural 's' removed."""
    out = set()
    for t in re.findall(r"[a-z][a-z\-]+", s.lower()):
        if t not in STOP:
            out.add(t[:-1] if t.endswith("s") and len(t) > 3 else t)
    return out


def match(gold: list[dict], pred: list[dict]) -> list[tuple[dict, dict]]:
    """Pairs of gold and predicted records with the same paragraph, value and value_max."""
    used = [False] * len(gold)
    by_par: dict[int | None, list[int]] = {}
    for i, g in enumerate(gold):
        by_par.setdefault(g["paragraph"], []).append(i)
    pairs = []
    for p in pred:
        for i in by_par.get(p["paragraph"], []):
            g = gold[i]
            if (
                not used[i]
                and _close(g["value"], p["value"])
                and _close(g["value_max"], p["value_max"])
            ):
                used[i] = True
                pairs.append((g, p))
                break
    return pairs


def _f1(tp: int, n_pred: int, n_gold: int) -> float:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return 2 * p * r / (p + r) if tp else 0.0


def score(gold: list[dict], pred: list[dict]) -> Scores:
    """Precision, recall, F1, field accuracies, entity agreement and strict F1."""
    pairs = match(gold, pred)
    tp = len(pairs)

    def acc(field: str) -> float:
        return sum(g[field] == p[field] for g, p in pairs) / tp if tp else 0.0

    agreement = [
        len(content_words(g["entity"]) & content_words(p["entity"]))
        / len(content_words(g["entity"]))
        for g, p in pairs
        if content_words(g["entity"])
    ]
    strict = sum(
        g["unit"] == p["unit"]
        and g["qualifier"] == p["qualifier"]
        and bool(content_words(g["entity"]) & content_words(p["entity"]))
        for g, p in pairs
    )
    return Scores(
        gold=len(gold),
        predicted=len(pred),
        matched=tp,
        precision=tp / len(pred) if pred else 0.0,
        recall=tp / len(gold) if gold else 0.0,
        f1=_f1(tp, len(pred), len(gold)),
        unit_acc=acc("unit"),
        qualifier_acc=acc("qualifier"),
        year_acc=acc("year"),
        entity_agreement=sum(agreement) / len(agreement) if agreement else 0.0,
        strict_f1=_f1(strict, len(pred), len(gold)),
    )


def evaluate_document(
    gold_path: Path, document: Path, paragraphs: tuple[int, int] | None = None, options=None
) -> Scores:
    """Extract a report and score it against its gold file (within a paragraph range);
    options: the ReadOptions to read it with (OCR snapshots, limits)."""
    from pipeline.extract.metrics import extract
    from pipeline.extract.structure import parse
    from pipeline.read.ingest import ingest
    from pipeline.read.options import DEFAULT

    doc = ingest(document, options or DEFAULT)
    metrics = [normalise(m.as_record()) for m in extract(parse(doc))]
    return score(in_range(load_records(gold_path), paragraphs), in_range(metrics, paragraphs))


def parse_range(spec: str) -> tuple[int, int]:
    """'1-40' -> (1, 40): an inclusive range of paragraph numbers."""
    low, _, high = spec.partition("-")
    return int(low), int(high or low)


def in_range(records: list[dict], paragraphs: tuple[int, int] | None) -> list[dict]:
    """The records whose paragraph lies in the inclusive range (all when None)."""
    if paragraphs is None:
        return records
    low, high = paragraphs
    return [r for r in records if r["paragraph"] is not None and low <= r["paragraph"] <= high]


def evaluate_corpus_report(gold_path: Path, pdf_dir: Path, options=None) -> Scores:
    """Score a blind-annotated corpus report: its PDF, restricted to the annotated paragraphs.

    ``<stem>.meta.json`` beside the gold file gives the range as ``"paragraphs": [A, B]``.
    """
    meta = json.loads(Path(gold_path).with_suffix(".meta.json").read_text(encoding="utf-8"))
    low, high = meta["paragraphs"]
    pdf = Path(pdf_dir) / f"{Path(gold_path).stem}.pdf"
    return evaluate_document(gold_path, pdf, (low, high), options)

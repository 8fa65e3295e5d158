"""Tests generated from rules/entities.yaml: for each example sentence, the figure's entity and
the rule that decided it. Adding an example to a rule adds a test here."""

from __future__ import annotations

import pytest

from pipeline.extract import entities
from pipeline.extract.explain import explain, lines
from pipeline.extract.rules import load

TABLE = load("entities")
RULE_EXAMPLES = [(r["name"], ex) for r in TABLE["rules"] for ex in r.get("examples", [])]
CONTEXT_EXAMPLES = [(r["name"], ex) for r in TABLE["in_context"] for ex in r["examples"]]


def _figure(example: dict):
    """The metric and the trace of the example's figure (its quote), and the explanation."""
    ex = explain(example["text"])
    shown = "\n".join(lines(ex))
    found = [(m, why) for m, why in zip(ex.metrics, ex.reasons, strict=True)]
    hit = next(((m, w) for m, w in found if m.quote == example["figure"]), None)
    assert hit is not None, f"{example['figure']!r} not found\n{shown}"
    return hit[0], hit[1], shown


@pytest.mark.parametrize(
    ("rule", "example"),
    RULE_EXAMPLES,
    ids=[f"{r}:{i}" for i, (r, _) in enumerate(RULE_EXAMPLES)],
)
def test_entity_rule_example(rule: str, example: dict) -> None:
    metric, why, shown = _figure(example)
    assert why["entity_rule"] == rule, f"decided by {why['entity_rule']}, not {rule}\n{shown}"
    assert metric.entity == example["entity"], shown


@pytest.mark.parametrize(
    ("name", "example"),
    CONTEXT_EXAMPLES,
    ids=[f"{r}:{i}" for i, (r, _) in enumerate(CONTEXT_EXAMPLES)],
)
def test_entity_in_context_example(name: str, example: dict) -> None:
    metric, why, shown = _figure(example)
    assert name in why["entity"], f"decided as {why['entity']}, not {name}\n{shown}"
    assert metric.entity == example["entity"], shown


def test_every_rule_has_an_example_and_a_unique_name() -> None:
    names = [r["name"] for r in TABLE["rules"]]
    assert len(names) == len(set(names))
    assert [n for n in names if not any(r == n for r, _ in RULE_EXAMPLES)] == []
    assert len(RULE_EXAMPLES) >= len(names)


def test_every_rule_names_known_checks_and_takes() -> None:
    """A rule that names a check or a way of reading the engine lacks fails here, not in a
    report."""
    for r in TABLE["rules"]:
        assert r["take"] in entities.TAKES, r["name"]
        assert set(r.get("when", ())) <= set(entities.CHECKS), r["name"]
        assert set(r.get("units", ())) <= {"count", "money", "measure", "percent"}, r["name"]
    assert entities.rules()[-1].final  # the last rule decides whatever is left


def test_a_rule_file_change_changes_the_decision(monkeypatch) -> None:
    """The table is what decides: without its size_adjective rule, '15-member' counts only
    members (the measure_adjective rule does not apply, the noun_after rule does)."""
    table = [r for r in entities.rules() if r.name != "size_adjective"]
    monkeypatch.setattr(entities, "rules", lambda: tuple(table))
    metric, why, _ = _figure({"text": "The 15-member council met twice.", "figure": "15-member"})
    assert why["entity_rule"] == "count_noun_after"
    assert metric.entity == "council"

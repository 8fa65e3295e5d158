"""Tests generated from rules/entities.yaml: for each example sentence, the figure's entity and
the rule that decided it. Adding an example to a rule adds a test here."""

from __future__ import annotations

import pytest

from pipeline.extract import entities
from pipeline.extract.explain import explain, lines
from pipeline.extract.rules import load

TABLE = load("entities")
RULE_EXAMPLES = [(r["name"], ex) for r in TABLE["rules"] for ex in r.get("examples", [])]
# (section, name, example): a rule of the table, or a decision made around it (in_context)
EXAMPLES = [("rules", name, ex) for name, ex in RULE_EXAMPLES] + [
    ("in_context", r["name"], ex) for r in TABLE["in_context"] for ex in r["examples"]
]


@pytest.mark.parametrize(
    ("section", "name", "example"),
    EXAMPLES,
    ids=[f"{s}:{n}:{i}" for i, (s, n, _) in enumerate(EXAMPLES)],
)
def test_entity_example(section: str, name: str, example: dict) -> None:
    """The example's figure counts the entity it says, decided by the rule it is given for
    (or, around the table, under the decision's name)."""
    ex = explain(example["text"])
    shown = "\n".join(lines(ex))
    found = zip(ex.metrics, ex.reasons, strict=True)
    metric, why = next(((m, w) for m, w in found if m.quote == example["figure"]), (None, None))
    assert metric is not None, f"{example['figure']!r} not found\n{shown}"
    if section == "rules":
        assert why["entity_rule"] == name, f"decided by {why['entity_rule']}, not {name}\n{shown}"
    else:
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
    ex = explain("The 15-member council met twice.")
    assert [(m.quote, m.entity) for m in ex.metrics] == [("15-member", "council")]
    assert ex.reasons[0]["entity_rule"] == "count_noun_after"

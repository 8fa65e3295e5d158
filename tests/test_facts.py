"""Tests generated from the examples of rules/facts.yaml: each sentence, its figure and the
facts expected of it (what it counts, whose it is, status, aggregation, scope, as_of)."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.extract.explain import explain, lines
from pipeline.extract.report import Report, defined_acronyms
from pipeline.extract.rules import load

DEFAULT_REPORT = {
    "issued": "2005-07-15",
    "subject": "UNMIS",
    "name": "United Nations Mission in the Sudan",
}


def _examples() -> list[tuple[str, dict]]:
    """(rule name, example) of every example in rules/facts.yaml, wherever it sits."""
    found: list[tuple[str, dict]] = []

    def walk(node, name: str) -> None:
        if isinstance(node, dict):
            name = node.get("name", name)
            for ex in node.get("examples", []) if isinstance(node.get("examples"), list) else []:
                found.append((name, ex))
            for key, value in node.items():
                if key != "examples":
                    walk(value, name if "name" in node else key)
        elif isinstance(node, list):
            for item in node:
                walk(item, name)

    walk(load("facts"), "facts")
    return found


EXAMPLES = _examples()


def _report(spec: dict | None) -> Report:
    spec = {**DEFAULT_REPORT, **(spec or {})}
    period = [
        date.fromisoformat(spec[k]) if spec.get(k) else None for k in ("period_start", "period_end")
    ]
    cut_off = date.fromisoformat(spec["cut_off"]) if spec.get("cut_off") else None
    return Report(
        date.fromisoformat(spec["issued"]), spec["subject"], spec["name"], *period, cut_off=cut_off
    )


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=[f"{r}:{i}" for i, (r, _) in enumerate(EXAMPLES)]
)
def test_fact_example(rule: str, example: dict) -> None:
    ex = explain(example["text"], _report(example.get("report")))
    shown = "\n".join(lines(ex))
    metric = next((m for m in ex.metrics if m.quote == example["figure"]), None) or next(
        (m for m in ex.metrics if example["figure"] in m.quote), None
    )
    assert metric is not None, f"{example['figure']!r} not found\n{shown}"
    for fact, want in example["facts"].items():
        assert getattr(metric, fact) == want, (
            f"{fact}: {getattr(metric, fact)!r} != {want!r}\n{shown}"
        )


def test_there_are_examples_for_every_fact() -> None:
    facts = {f for _, ex in EXAMPLES for f in ex["facts"]}
    assert facts == {"counted", "holder", "status", "aggregation", "scope", "as_of"}
    assert len(EXAMPLES) >= 25


def test_acronyms_a_report_spells_out() -> None:
    text = (
        "the International Police Task Force (IPTF) and the United Nations Mission in "
        "Bosnia and Herzegovina (UNMIBH)"
    )
    assert dict(defined_acronyms(text)) == {
        "IPTF": "International Police Task Force",
        "UNMIBH": "United Nations Mission in Bosnia and Herzegovina",
    }


def test_a_report_that_covers_since_its_last_report_covers_to_its_date_of_issue() -> None:
    """'since my previous report of 1 June': the reporting period the facts use, when the
    front matter gives none (rules/facts.yaml report_since)."""
    from types import SimpleNamespace

    meta = SimpleNamespace(
        date_issued="2018-08-30",
        subject="MINUJUSTH",
        subject_name=None,
        period_start=None,
        period_end=None,
    )
    text = "1. The report covers developments since my previous report of 1 June (S/2018/527)."
    report = Report.of(meta, text)
    assert (report.period_start, report.period_end) == (date(2018, 6, 1), date(2018, 8, 30))
    assert Report.of(meta, "1. The report covers developments in Haiti.").period_start is None


def test_a_report_that_says_up_to_which_day_it_reflects_events_means_that_day_by_now() -> None:
    """S/1995/650 'reflects events up to 30 July 1995' and was issued on 3 August: its 'now'
    is 30 July (rules/facts.yaml report_cut_off); a report that says nothing of it keeps its
    date of issue."""
    from pathlib import Path

    from pipeline.extract.explain import explain
    from pipeline.read.ingest import ingest

    raw = Path(__file__).parents[1] / "raw"
    doc = ingest(raw / "UNCRO_S_1995_650.pdf")
    report = Report.of(doc.metadata, doc.text)
    assert (report.issued, report.cut_off) == (date(1995, 8, 3), date(1995, 7, 30))
    sentence = "As a result of this fighting, 12,000 to 14,000 Serb refugees are now moving."
    figure = explain(sentence, report).metrics[0]
    assert figure.as_of == "1995-07-30"
    unsaid = ingest(raw / "UNMOP_S_1996_180.pdf")
    assert Report.of(unsaid.metadata, unsaid.text).cut_off is None
    from pipeline.extract.report import cut_off

    text = "2. The present report reflects events up to 30 December."  # issued in January
    assert cut_off(text, date(1996, 1, 5)) == date(1995, 12, 30)
    later = text.replace("30 December", "30 January 1996")  # after its date of issue
    assert cut_off(later, date(1996, 1, 5)) is None

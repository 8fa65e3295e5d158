"""Random and hostile input: the parsers raise nothing but ReportError, and stay linear."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.dataset.validate import validate_document
from pipeline.extract.metrics import extract
from pipeline.extract.quantities import find_quantities
from pipeline.extract.structure import parse
from pipeline.read.ingest import Document, ReportError
from pipeline.rows import to_rows

HUGE = st.integers(min_value=0, max_value=10**400).map(lambda n: f"{n:,}")
LINES = st.lists(
    st.one_of(
        st.text(max_size=200),
        st.sampled_from(
            [
                "1. The Office trained",
                "12. In 2021, over",
                "I. Introduction",
                "¹ See",
                "E/CN.7/2022/2",
                "V.22-00123 (E)",
                "| a | 1 |",
                "- 3. Text",
                "## A. Title",
                "Notes",
                "Table 1",
                "5., 6., 7.",
                "Distr.: General",
                "(a)",
                "",
            ]
        ),
        HUGE.map(lambda n: f"{n} people"),
        HUGE.map(lambda n: f"${n} million"),
    ),
    max_size=40,
).map("\n".join)


def _doc(text: str) -> Document:
    return Document("fuzz", "fuzz.txt", "txt", text, "0" * 64, len(text.encode()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES)
def test_the_whole_chain_raises_only_report_errors_and_keeps_values_finite(text):
    from pipeline.dataset.tables import DocumentTables

    doc = _doc(text)
    try:
        structure = parse(doc)
    except ReportError:
        return
    metrics = extract(structure)
    assert all(math.isfinite(m.value) for m in metrics)
    assert all(text[m.char_start : m.char_end] == m.quote for m in metrics)
    validated = validate_document(
        DocumentTables("fuzz", doc.sha256, to_rows(doc, structure, metrics), text)
    )
    assert len(validated.frames["paragraphs"]) == len(structure.paragraphs)


@settings(max_examples=100, deadline=None)
@given(HUGE)
def test_huge_numbers_are_finite_or_left_out(number):
    for q in find_quantities(f"The Office trained {number} officials and ${number} billion."):
        assert math.isfinite(q.value)


def test_very_long_lines_are_read_whole():
    """Hostile shapes that once took quadratic time: one-line 64 KB paragraphs."""
    for unit, per_unit in (
        ("12 people, ", 1),
        ("5 per cent of cases; ", 1),
        ("x", 0),
        ("a@", 0),
        ("(1) ", 0),
    ):
        n = 64_000 // len(unit)
        metrics = extract(parse(_doc("1. " + unit * n + "\n")))
        assert len(metrics) == n * per_unit, unit

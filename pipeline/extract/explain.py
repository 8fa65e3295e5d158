"""Explain: every number of a sentence, the rule that kept or dropped it, and how its unit,
entity, qualifier and year were decided. No Dagster, no database: the extractor alone."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.extract.metrics import Metric, extract_paragraph
from pipeline.extract.quantities import Drop, find_quantities
from pipeline.extract.report import NO_REPORT, Report, defined_acronyms
from pipeline.extract.structure import Paragraph


@dataclass
class Explanation:
    """What the extractor made of one text: kept metrics with their reasons, dropped numbers."""

    text: str
    metrics: list[Metric]
    reasons: list[dict]
    drops: list[Drop]


def explain(text: str, report: Report = NO_REPORT) -> Explanation:
    """Run the extractor on text as one paragraph and keep every decision; report: the date
    and subject of the report the text is from (for its figures' facts)."""
    if not report.acronyms:
        report = replace(report, acronyms=defined_acronyms(text))
    par = Paragraph(number=1, section_id=None)
    par.add(text, 0, len(text))
    reasons: list[dict] = []
    metrics = extract_paragraph(par, "explain", None, None, trace=reasons, report=report)
    drops: list[Drop] = []
    find_quantities(text, drops)
    return Explanation(text, metrics, reasons, sorted(drops, key=lambda d: d.start))


def lines(ex: Explanation, mapped=None) -> list[str]:
    """The explanation as text, one block per number, in reading order; mapped(metric) says
    which indicator rule takes a figure, or why none does."""
    rows: list[tuple[int, list[str]]] = []
    for m, why in zip(ex.metrics, ex.reasons, strict=True):
        block = [
            f"KEPT    {m.quote!r}  value={m.value:g}"
            + (f"..{m.value_max:g}" if m.value_max is not None else "")
            + f"  (rule: {why['read_by']})",
            f"        unit      = {m.unit}"
            + (f" [{m.unit_word}]" if m.unit_word else "")
            + f"  <- {why['unit']}",
            f"        entity    = {m.entity}  <- rule {why['entity']}",
            f"        qualifier = {m.qualifier}  <- {why['qualifier']}",
            f"        year      = {m.year}  <- {why['year']}",
        ]
        if m.countries:
            block.append("        countries = " + ", ".join(c["iso3"] for c in m.countries))
        for fact in ("counted", "holder", "status", "aggregation", "scope", "as_of"):
            block.append(f"        {fact:<9} = {getattr(m, fact)}  <- {why['facts'][fact]}")
        if mapped is not None:
            block.append(f"        indicator = {mapped(m)}")
        rows.append((m.char_start, block))
    for d in ex.drops:
        rows.append((d.start, [f"DROPPED {d.text!r}  (rule: {d.rule}, rules/exclusions.yaml)"]))
    out: list[str] = []
    for _, block in sorted(rows, key=lambda r: r[0]):
        out.extend(block)
    return out or ["no numbers found"]

"""Extract: turn a document's paragraphs into metric records (value, unit, entity, year...).

Each figure of a paragraph (quantities.py) gets what it counts (entity_context.py, by the
rules of rules/entities.yaml), its year (years.py) and the facts an indicator needs (facts.py).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, fields

from pipeline.extract.countries import find_countries
from pipeline.extract.entity_context import WINDOW, Around, Memory, entity_of
from pipeline.extract.facts import Earlier, Facts, Figure, decide
from pipeline.extract.money import is_money
from pipeline.extract.phrases import noun_phrase
from pipeline.extract.quantities import Quantity, find_quantities
from pipeline.extract.reasons import qualifier_why, unit_why
from pipeline.extract.report import NO_REPORT, Report
from pipeline.extract.sentences import Span, sentence_spans, span, split_semicolons
from pipeline.extract.structure import Paragraph, Structure, section_titles, theme_of
from pipeline.extract.years import Place, decide_year


def _rules_fingerprint() -> str:
    """Hash of the modules whose rules decide the metrics, so any change re-extracts."""
    import hashlib
    from pathlib import Path

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    # Readers and extractors, code and rule files alike: any change re-extracts.
    for folder in ("read", "extract"):
        for path in sorted((package / folder).rglob("*")):
            if (
                path.is_file()
                and path.suffix in (".py", ".yaml", ".json")
                and path.name not in ("evaluate.py", "explain.py", "contract.py")
            ):
                digest.update(path.relative_to(package).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


# Bump the number for a deliberate change of the rules; the suffix follows the code itself.
EXTRACTOR_VERSION = f"1.1.0+{_rules_fingerprint()}"
CONTEXT_BEFORE = 3000  # characters before a paragraph its figures' facts may look back on


@dataclass
class Metric:
    """One quantitative statement and where it came from."""

    metric_id: str
    document_id: str
    paragraph: int
    quote: str
    value: float
    value_max: float | None
    unit: str
    unit_word: str | None
    entity: str | None
    qualifier: str
    year: int | None
    theme: str | None
    subtheme: str | None
    section_id: int | None
    sentence: str
    char_start: int
    char_end: int
    extractor_version: str = EXTRACTOR_VERSION
    countries: list[dict[str, str]] = field(default_factory=list)
    # The facts an indicator needs (extract/facts.py, rules/facts.yaml).
    counted: str | None = None
    as_of: str | None = None
    status: str | None = None
    holder: str | None = None
    aggregation: str | None = None
    scope: str | None = None

    def as_record(self) -> dict:
        """The metric as a plain dict (the JSON lines contract)."""
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        record["countries"] = [dict(c) for c in self.countries]
        return record


@dataclass(frozen=True)
class _Paragraph:
    """A paragraph being read, and what its metrics carry from outside it."""

    par: Paragraph
    document_id: str
    theme: str | None
    subtheme: str | None
    report: Report
    before: str  # the end of the text before it ("as of the same date" may point there)
    trace: list[dict] | None


@dataclass(frozen=True)
class _Sentence:
    """A sentence of the paragraph: its span, text, parts between semicolons and countries."""

    start: int
    end: int
    text: str
    parts: list[Span]
    countries: list[dict[str, str]]

    def part(self, q: Quantity) -> Span:
        """The part (between semicolons) that holds q."""
        starts = [p.start for p in self.parts]
        return self.parts[max(bisect.bisect_right(starts, q.start) - 1, 0)]


def extract_paragraph(
    par: Paragraph,
    document_id: str,
    theme: str | None,
    subtheme: str | None,
    note_markers: frozenset[int] = frozenset(),
    trace: list[dict] | None = None,
    report: Report = NO_REPORT,
    before: str = "",
) -> list[Metric]:
    """All metrics of one paragraph; note_markers are its footnotes' numbers.

    With ``trace``, one dict per metric says how its unit, entity, qualifier and year were
    decided (the rule names of rules/*.yaml); `indicators explain` prints them. ``before``: the
    end of the text before this paragraph ("as of the same date" may point there).
    """
    text = par.text
    quantities = [q for q in find_quantities(text) if not _is_note_marker(text, q, note_markers)]
    if not quantities:
        return []
    context = _Paragraph(par, document_id, theme, subtheme, report, before, trace)
    memory = Memory()  # for "the figure": what the paragraph counted last
    metrics: list[Metric] = []
    for (s_start, s_end), in_sentence in _by_sentence(text, quantities):
        sentence = _sentence(text, s_start, s_end)
        memory.sentence = {}
        spans = tuple((q.start, q.end) for q in in_sentence)
        counted: list[str | None] = []
        for q in in_sentence:
            metric = _metric(context, sentence, q, memory, Earlier(spans, tuple(counted)))
            counted.append(metric.counted)
            metrics.append(metric)
    return metrics


def _by_sentence(text: str, quantities: list[Quantity]):
    """(sentence span, its quantities) for each sentence that has any: both are in text
    order, so they are walked together."""
    qi = 0
    for s_start, s_end in sentence_spans(text):
        while qi < len(quantities) and quantities[qi].start < s_start:
            qi += 1
        first = qi
        while qi < len(quantities) and quantities[qi].start < s_end:
            qi += 1
        if qi > first:
            yield (s_start, s_end), quantities[first:qi]


def _sentence(text: str, s_start: int, s_end: int) -> _Sentence:
    sentence = text[s_start:s_end]
    countries = [
        {"iso3": c.iso3, "m49": c.m49, "name": re.sub(r"\s+", " ", c.name)}
        for c in _unique_countries(sentence)
    ]
    return _Sentence(
        s_start,
        s_end,
        re.sub(r"\s+", " ", sentence).strip(),
        [span(text, s_start + a, s_start + b) for a, b in split_semicolons(sentence)],
        countries,
    )


def _metric(
    ctx: _Paragraph, sentence: _Sentence, q: Quantity, memory: Memory, earlier: Earlier
) -> Metric:
    """The metric of one figure; earlier: its sentence's figures and what those before it count."""
    text = ctx.par.text
    part = sentence.part(q)
    clause_start, clause_end = part.clause(q)
    # Look-behinds are bounded so a sentence with thousands of figures stays linear.
    near = max(clause_start, q.start - WINDOW)
    found = entity_of(text, q, Around(near, part.start, (sentence.start, sentence.end)), memory)
    place = Place(clause_start, clause_end, part.end, near)
    year, year_why = decide_year(text, q, place, part.years_for(q))
    facts = _facts(ctx, sentence, part, q, found.entity, year, earlier)
    if ctx.trace is not None:
        ctx.trace.append(
            {
                "quote": text[q.start : q.end],
                "read_by": q.rule,
                "unit": unit_why(text, q),
                "entity": found.why,
                "entity_rule": found.rule,
                "qualifier": qualifier_why(text, q),
                "year": year_why,
                "facts": facts.why,
            }
        )
    return _record(ctx, sentence, q, found.entity, year, facts)


def _facts(
    ctx: _Paragraph,
    sentence: _Sentence,
    part: Span,
    q: Quantity,
    entity: str | None,
    year: int | None,
    earlier: Earlier,
) -> Facts:
    """The facts of a figure, read within a bounded window around it, so that a sentence
    with thousands of figures stays linear."""
    w0, w1 = max(sentence.start, q.start - WINDOW), min(sentence.end, q.end + WINDOW)
    figure = Figure(
        ctx.par.text,
        q.start,
        q.end,
        (w0, w1),
        (max(part.start, w0), min(part.end, w1)),
        entity,
        is_money(q),
        year,
        q.unit == "count",
        w0 == sentence.start,
    )
    return decide(figure, ctx.report, earlier, ctx.before)


def _record(
    ctx: _Paragraph,
    sentence: _Sentence,
    q: Quantity,
    entity: str | None,
    year: int | None,
    facts: Facts,
) -> Metric:
    par = ctx.par
    start, end = par.to_source(q.start), par.to_source(q.end - 1) + 1
    return Metric(
        metric_id=f"{ctx.document_id}:{start}-{end}",
        document_id=ctx.document_id,
        paragraph=par.number,
        quote=par.text[q.start : q.end],
        value=q.value,
        value_max=q.value_max,
        unit=q.unit,
        unit_word=q.unit_word,
        entity=entity,
        qualifier=q.qualifier,
        year=year,
        theme=ctx.theme,
        subtheme=ctx.subtheme,
        section_id=par.section_id,
        sentence=sentence.text,
        char_start=start,
        char_end=end,
        countries=sentence.countries,
        counted=facts.counted,
        as_of=facts.as_of,
        status=facts.status,
        holder=facts.holder,
        aggregation=facts.aggregation,
        scope=facts.scope,
    )


def _is_note_marker(text: str, q: Quantity, markers: frozenset[int]) -> bool:
    """'the e-learning tool 3 on the': a converted footnote marker, not a count of anything."""
    return (
        q.unit == "count"
        and not q.in_words
        and q.qualifier == "exact"
        and q.value_max is None
        and q.value in markers
        and text[q.start : q.end].isdigit()
        and noun_phrase(text, q.end) is None
    )


def _unique_countries(sentence: str):
    seen = set()
    for c in find_countries(sentence):
        if c.iso3 not in seen:
            seen.add(c.iso3)
            yield c


def extract(structure: Structure, report: Report = NO_REPORT) -> list[Metric]:
    """All metrics of a parsed document, in reading order; report: what the facts of each
    figure need to know of the report (its date, subject, acronyms)."""
    metrics: list[Metric] = []
    sections = section_titles(structure)
    markers: dict[int, set[int]] = {}
    for note in structure.footnotes:
        if note.paragraph is not None and note.marker.isascii() and note.marker.isdigit():
            markers.setdefault(note.paragraph, set()).add(int(note.marker))
    before = ""
    for par in structure.paragraphs:
        theme, subtheme = theme_of(structure, par.section_id, sections)
        metrics.extend(
            extract_paragraph(
                par,
                structure.document_id,
                theme,
                subtheme,
                frozenset(markers.get(par.number, ())),
                report=report,
                before=before,
            )
        )
        before = (before + "\n" + par.text)[-CONTEXT_BEFORE:]
    if structure.source:
        for m in metrics:
            # A quote whose words stand on two lines (or two pages) of the text is quoted as
            # the text has it, so that its offsets point at exactly the quote.
            exact = structure.source[m.char_start : m.char_end]
            if exact != m.quote and exact.split() == m.quote.split():
                m.quote = exact
    return metrics

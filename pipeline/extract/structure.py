"""Structure: sections, numbered paragraphs, footnotes and tables, with offsets into the text.

A report is read by the patterns of its family (pipeline/read/families/): its running heads and
feet are dropped (extract/lines.py), then its body is read line by line (extract/numbering.py).
"""

from __future__ import annotations

import re

from pipeline.extract.lines import body_lines, is_closed, is_furniture  # noqa: F401  (re-exported)
from pipeline.extract.numbering import Builder, read_front, read_heading, read_note, read_numbered
from pipeline.extract.parts import (  # noqa: F401  (re-exported: the structure's parts)
    Footnote,
    Paragraph,
    Section,
    Structure,
    Table,
)
from pipeline.read.families import GENERIC as GENERIC_FAMILY
from pipeline.read.families import Family, claim, get
from pipeline.read.ingest import Document, ReportError


def family_of(doc: Document) -> Family:
    """The family a document was read as, else the one that claims its text (else generic)."""
    return doc.family or claim(doc.text) or get(GENERIC_FAMILY)


def is_amendment(doc: Document, family: Family | None = None) -> bool:
    """An addendum or corrigendum: by its file name, its symbol or its first lines."""
    amendment = (family or family_of(doc)).pattern("amendment")
    return bool(
        amendment.search(doc.source_file)
        or any(amendment.search(s) for s in doc.metadata.symbols)
        or amendment.search(doc.text[:1500])
    )


def _read_body(b: Builder, lines: list) -> None:
    """Every content line into the builder: notes, paragraphs, headings, continuations."""
    notes, annex = b.family.pattern("notes_heading"), b.family.pattern("annex_heading")
    in_body = in_notes = False
    for i, line in enumerate(lines):
        if not in_body:
            in_body = read_front(b, line)
            if not in_body:
                continue
        if notes.match(line.text):
            in_notes = True  # an end-notes section: numbered lines from here are footnotes
            b.current = None
            continue
        if annex.match(line.text) and b.paragraphs:
            b.warnings.append(f"text from '{line.text}' on (an annex) is not read")
            break
        if not (
            read_note(b, line, in_notes) or read_numbered(b, line) or read_heading(b, lines, i)
        ):
            b.continuation(line)


def parse(doc: Document) -> Structure:
    """Split a document into sections, numbered paragraphs, footnotes and tables."""
    family = family_of(doc)
    lines, table_spans = body_lines(doc.text, family)
    b = Builder(doc.document_id, doc.text, family)
    _read_body(b, lines)
    if not b.paragraphs:
        if not is_amendment(doc, family):
            raise ReportError(doc.source_file, "no numbered paragraphs found (expected '1. ...')")
        # An addendum or corrigendum amends another report: it is kept, with what it holds
        # (tables, notes, its metadata), and says why it has no paragraphs.
        b.warnings.append(
            "no numbered paragraphs: an addendum or corrigendum (its text amends another report)"
        )
    tables = _tables(doc.text, table_spans, b.paragraphs)
    return Structure(
        doc.document_id,
        b.sections,
        b.paragraphs,
        b.footnotes,
        tables,
        b.warnings,
        doc.text,
        family.name,
    )


def _tables(source: str, spans: list[tuple[int, int]], paragraphs: list[Paragraph]) -> list[Table]:
    """Group consecutive Markdown table lines into tables linked to the paragraph before."""
    tables: list[Table] = []
    group: list[tuple[int, int]] = []

    def flush() -> None:
        if not group:
            return
        rows = []
        for s, e in group:
            line = source[s:e].strip()
            parts = (
                line.strip("|").split("|") if line.startswith("|") else re.split(r"\s{2,}|\t", line)
            )
            cells = [c.strip() for c in parts]
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                rows.append(cells)
        start = group[0][0]
        before = [p.number for p in paragraphs if p.char_start < start]
        tables.append(
            Table(len(tables) + 1, before[-1] if before else None, rows, start, group[-1][1])
        )
        group.clear()

    for span in spans:
        if group and source[group[-1][1] : span[0]].strip():
            flush()
        group.append(span)
    flush()
    return tables


def section_titles(structure: Structure) -> dict[int, Section]:
    """Sections by id."""
    return {s.section_id: s for s in structure.sections}


def theme_of(
    structure: Structure, section_id: int | None, by_id: dict[int, Section] | None = None
) -> tuple[str | None, str | None]:
    """The thematic section (level 2, else level 1) and the sub-outcome heading (level 3)."""
    by_id = by_id if by_id is not None else section_titles(structure)
    chain = []
    while section_id is not None:
        sec = by_id[section_id]
        chain.append(sec)
        section_id = sec.parent_id
    levels = {s.level: s.title for s in chain}
    theme = levels.get(2) or levels.get(1)
    return theme, levels.get(3)

"""Rows: one parsed and extracted report as plain records for every table."""

from __future__ import annotations

import json

from pipeline.dataset.schema import load
from pipeline.extract.metrics import EXTRACTOR_VERSION, Metric
from pipeline.extract.structure import Structure
from pipeline.read.ingest import Document


def _items(values) -> list | None:
    """A list field's value: its items, or None when there are none (as the CSV reads back)."""
    return list(values) or None


def document_row(doc: Document, structure: Structure, metrics: list[Metric]) -> dict:
    """The documents row: header metadata, checksum and counts."""
    md = doc.metadata
    return {
        "document_id": doc.document_id,
        "title": md.title,
        "symbols": _items(md.symbols),
        "date_issued": md.date_issued,
        "original_language": md.original_language,
        "bodies": _items(md.bodies),
        "sessions": _items(md.sessions),
        "agenda_items": _items(md.agenda_items),
        "reporting_year": md.reporting_year,
        "period_start": md.period_start,
        "period_end": md.period_end,
        "subject": md.subject,
        "subject_name": md.subject_name,
        "subject_country": md.subject_country,
        "source_file": doc.source_file,
        "format": doc.format,
        "family": structure.family,
        "sha256": doc.sha256,
        "size_bytes": doc.size_bytes,
        "pages": doc.pages,
        "ocr_pages": _items(doc.ocr_pages),
        "ocr_source": doc.ocr_source or None,
        "paragraphs": len(structure.paragraphs),
        "footnotes": len(structure.footnotes),
        "metrics": len(metrics),
        "warnings": _items([*md.warnings, *structure.warnings]),
        "extractor_version": EXTRACTOR_VERSION,
    }


def to_rows(doc: Document, structure: Structure, metrics: list[Metric]) -> dict[str, list[dict]]:
    """Rows for every table from one parsed and extracted document."""
    metric_rows, country_rows = _metric_rows(metrics)
    return {
        "documents": [document_row(doc, structure, metrics)],
        **_structure_rows(doc.document_id, structure),
        "metrics": metric_rows,
        "metric_countries": country_rows,
    }


def _metric_rows(metrics: list[Metric]) -> tuple[list[dict], list[dict]]:
    """The metrics rows (the schema's columns) and their countries' rows."""
    metric_rows, country_rows = [], []
    columns = load("metrics").columns
    for m in metrics:
        record = m.as_record()
        countries = record.pop("countries")
        metric_rows.append({c: record[c] for c in columns})
        country_rows.extend({"metric_id": m.metric_id, **c} for c in countries)
    return metric_rows, country_rows


def _structure_rows(did: str, structure: Structure) -> dict[str, list[dict]]:
    """The sections, paragraphs, footnotes and tables rows of one parsed document."""
    return {
        "sections": [
            {
                "document_id": did,
                "section_id": s.section_id,
                "level": s.level,
                "number": s.number,
                "title": s.title,
                "parent_id": s.parent_id,
                "path": s.path,
                "char_start": s.char_start,
            }
            for s in structure.sections
        ],
        "paragraphs": [
            {
                "document_id": did,
                "paragraph": p.number,
                "section_id": p.section_id,
                "text": p.text,
                "char_start": p.char_start,
                "char_end": p.char_end,
            }
            for p in structure.paragraphs
        ],
        "footnotes": [
            {
                "document_id": did,
                "footnote": f.marker,
                "paragraph": f.paragraph,
                "text": f.text,
                "char_start": f.char_start,
                "char_end": f.char_end,
            }
            for f in structure.footnotes
        ],
        "tables": [
            {
                "document_id": did,
                "table_index": t.table_index,
                "paragraph": t.paragraph,
                "n_rows": len(t.rows),
                "n_columns": max((len(r) for r in t.rows), default=0),
                "cells": json.dumps(t.rows, ensure_ascii=False),
                "char_start": t.char_start,
                "char_end": t.char_end,
            }
            for t in structure.tables
        ],
    }

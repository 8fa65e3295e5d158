"""The rows one report contributes to each table, as plain records (the stages' hand-off)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DocumentTables:
    """The rows one report contributes to each table, before validation."""

    document_id: str
    sha256: str
    rows: dict[str, list[dict]]
    source_text: str

"""What reading one report may cost, and where OCR snapshots are kept: given by the caller
(the stages build it from the settings), never read from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReadOptions:
    """Limits on one report, the OCR snapshot folder (None: OCR results are not kept) and the
    folders of report families beyond the repository's (pipeline/read/families/)."""

    ocr_cache: Path | None = None
    max_bytes: int = 200 * 2**20
    max_pages: int = 2000
    max_ocr_pages: int = 400
    families: tuple[str, ...] = ()


DEFAULT = ReadOptions()

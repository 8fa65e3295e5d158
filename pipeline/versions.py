"""Versions: what each cached or published thing depends on, declared once, and its key.

An artifact (one report's validated tables) is a function of the report's bytes and of the
files listed in ARTIFACT_INPUTS; the derived tables (indicators, series) and their exports of
the artifacts and DERIVED_INPUTS. Editing any listed file changes the key, so the cache is
never stale; a module that changes what a report's rows hold must be listed here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.dataset.schema import SCHEMA_DIR
from pipeline.extract.metrics import EXTRACTOR_VERSION

PACKAGE = Path(__file__).resolve().parent

# Besides the extractor's own version (its code and rules, see extract/metrics.py).
ARTIFACT_INPUTS = (
    "rows.py",
    "extract/facts.py",
    "dataset/validate.py",
    "dataset/schema.py",
    "schemas/*",
)
DERIVED_INPUTS = (
    "dataset/series.py",
    "dataset/series_rows.py",
    "dataset/accuracy.py",
    "dataset/sdmx.py",
    "dataset/site.py",
    "dataset/site_data.py",
    "dataset/site_sections.py",
    "dataset/site_assets/*",
    "schemas/indicators.yaml",
)


def _files(patterns: tuple[str, ...]) -> list[Path]:
    found = {
        p
        for pattern in patterns
        for p in (
            SCHEMA_DIR.glob(pattern.removeprefix("schemas/"))
            if pattern.startswith("schemas/")
            else PACKAGE.glob(pattern)
        )
    }
    return sorted((p for p in found if p.is_file()), key=lambda p: p.name)


def _digest(patterns: tuple[str, ...], seed: str = "") -> str:
    h = hashlib.sha256(seed.encode())
    for path in _files(patterns):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


ARTIFACT_VERSION = (
    f"{EXTRACTOR_VERSION.split('+')[0]}-{_digest(ARTIFACT_INPUTS, EXTRACTOR_VERSION)}"
)
DERIVED_KEY = f"derived/{_digest(DERIVED_INPUTS)}"

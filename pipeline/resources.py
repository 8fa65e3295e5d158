"""The settings as a Dagster resource: real fields, filled from one `Settings` value.

Dagster shows these fields in its UI and passes them to every step, in any executor's worker
process, as run config: a worker uses the settings it was given, never its own environment.
"""

from __future__ import annotations

import dagster as dg

from pipeline.settings import Settings


class SettingsResource(dg.ConfigurableResource):
    """Where the pipeline reads and writes, and its limits (see pipeline/settings.py)."""

    raw: str
    manifest: str
    published: str
    database: str
    state: str
    artifacts: str
    ocr_cache: str
    release_file: str
    gold: str
    max_failure_share: float
    allow_empty: bool
    lock_wait: float
    webhook_url: str
    published_url: str
    max_file_mb: float
    max_pdf_pages: int
    max_ocr_pages: int
    max_paragraph_chars: int
    max_sentence_chars: int
    report_seconds: float
    report_memory_mb: int
    sql_timeout: float
    sql_memory: str
    fetch_from: str
    fetch_interval: float
    fetch_timeout: float
    fetch_retries: int
    fetch_backoff: float
    families: str = ""

    @classmethod
    def of(cls, settings: Settings) -> SettingsResource:
        """The resource holding a settings value."""
        return cls(**settings.as_config())

    def value(self) -> Settings:
        """The frozen settings value the stages take."""
        return Settings.from_config({k: getattr(self, k) for k in Settings.__dataclass_fields__})


def resource_config(settings: Settings) -> dict:
    """Run config that hands a settings value to every step of a job, in any process."""
    return {"resources": {"settings": {"config": settings.as_config()}}}

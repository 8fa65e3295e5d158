"""Settings: one Dagster resource shared by the assets and the CLI (environment variables too)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default) -> str:
    return os.environ.get(name) or str(default)


class Settings(dg.ConfigurableResource):
    """Where the pipeline reads and writes, and its limits.

    Every field left empty is read from its environment variable when used (so a setting made
    after import, as tests and the CLI do, still counts), then from the default beside the code.
    """

    raw: str = ""  # INDICATORS_RAW, default raw/
    published: str = ""  # INDICATORS_PUBLISHED, default published/
    database: str = ""  # INDICATORS_DB, default <published>/indicators.duckdb
    artifacts: str = ""  # INDICATORS_ARTIFACTS: folder or URL (s3://bucket/prefix?...)
    dagster_state: str = ""  # INDICATORS_DAGSTER_STATE, default .dagster/
    failure_share_limit: float = -1.0  # INDICATORS_MAX_FAILURE_SHARE when negative
    allow_empty_raw: bool = False  # or INDICATORS_ALLOW_EMPTY=1
    lock_wait: float = -1.0  # seconds to wait for another run's lock; negative: forever

    @property
    def raw_dir(self) -> Path:
        """The folder of input reports."""
        return Path(self.raw or _env("INDICATORS_RAW", ROOT / "raw"))

    @property
    def published_dir(self) -> Path:
        """The folder the release is published into."""
        return Path(self.published or _env("INDICATORS_PUBLISHED", ROOT / "published"))

    @property
    def db_path(self) -> Path:
        """The DuckDB database as published (rebuilt aside and swapped in by each run)."""
        return Path(self.database or _env("INDICATORS_DB",
                                          self.published_dir / "indicators.duckdb"))

    @property
    def state_dir(self) -> Path:
        """Dagster's state folder (runs, event log, compute logs)."""
        return Path(self.dagster_state or _env("INDICATORS_DAGSTER_STATE", ROOT / ".dagster"))

    @property
    def artifacts_url(self) -> str:
        """Where per-document artifacts live: a local folder by default, or any URL."""
        return self.artifacts or _env("INDICATORS_ARTIFACTS", self.state_dir / "artifacts")

    @property
    def max_failure_share(self) -> float:
        """Share of quarantined rows above which nothing is published."""
        if self.failure_share_limit >= 0:
            return self.failure_share_limit
        return float(_env("INDICATORS_MAX_FAILURE_SHARE", "0.05"))

    @property
    def allow_empty(self) -> bool:
        """Whether an empty raw/ may unpublish every document."""
        return self.allow_empty_raw or os.environ.get("INDICATORS_ALLOW_EMPTY", "") == "1"

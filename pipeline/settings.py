"""Settings: one frozen value, built once and passed down to every stage and worker.

This is the only module that reads the environment. `Settings.from_env()` builds the value from
the `INDICATORS_*` variables (each listed in `VARIABLES`, with its default and meaning; the
README's table is generated from it) and from explicit overrides (CLI options, Dagster config);
everything downstream receives the value and never looks at `os.environ` itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from pipeline.dataset.ods import ODS_URL

ROOT = Path(__file__).resolve().parent.parent
# Defaults are relative to the checkout; an installed wheel takes them from where it runs.
HOME = ROOT if (ROOT / "pyproject.toml").is_file() else Path.cwd()


@dataclass(frozen=True)
class Variable:
    """One environment variable: the setting it fills, its default and what it means."""

    name: str
    field: str
    default: str
    meaning: str


# Defaults that depend on other settings are written as {field} and filled in order.
VARIABLES = (
    Variable("INDICATORS_RAW", "raw", "raw/", "folder of input reports"),
    Variable(
        "INDICATORS_MANIFEST",
        "manifest",
        "{raw}/manifest.csv",
        "the collection's manifest: each report's symbols, URL, size and sha256 (runs check "
        "raw/ against it)",
    ),
    Variable(
        "INDICATORS_PUBLISHED",
        "published",
        "published/",
        "folder the release is published into (empty, absent or a release of this pipeline)",
    ),
    Variable(
        "INDICATORS_DB",
        "database",
        "{published}/indicators.duckdb",
        "the DuckDB database as published",
    ),
    Variable(
        "INDICATORS_DAGSTER_STATE",
        "state",
        ".dagster/",
        "Dagster's runs, event log, compute logs, release history",
    ),
    Variable(
        "INDICATORS_ARTIFACTS",
        "artifacts",
        "{state}/artifacts",
        "per-report artifacts: a folder or any pyarrow/fsspec URL (s3://bucket/prefix)",
    ),
    Variable(
        "INDICATORS_OCR_CACHE",
        "ocr_cache",
        "ocr/",
        "OCR snapshots of scans, keyed by the PDF's sha256 and the engine's version",
    ),
    Variable(
        "INDICATORS_FAMILIES",
        "families",
        "",
        "extra report-family folders (separated by ':'): each holds a family.yaml, or folders "
        "that do; added to pipeline/read/families/",
    ),
    Variable(
        "INDICATORS_RELEASE_FILE",
        "release_file",
        "release.json",
        "the next release's version and date (written by `indicators release`)",
    ),
    Variable(
        "INDICATORS_GOLD",
        "gold",
        "gold/",
        "hand-made gold sets; reports with one get their accuracy published",
    ),
    Variable(
        "INDICATORS_MAX_FAILURE_SHARE",
        "max_failure_share",
        "0.05",
        "share of quarantined rows above which nothing is published",
    ),
    Variable(
        "INDICATORS_ALLOW_EMPTY",
        "allow_empty",
        "0",
        "1: a raw/ without readable reports may publish an empty release",
    ),
    Variable(
        "INDICATORS_LOCK_WAIT",
        "lock_wait",
        "-1",
        "seconds to wait for another run's lock (negative: as long as it takes)",
    ),
    Variable(
        "INDICATORS_WEBHOOK_URL",
        "webhook_url",
        "",
        "failed runs are POSTed here as JSON (empty: only logged)",
    ),
    Variable(
        "INDICATORS_PUBLISHED_URL",
        "published_url",
        "",
        "address the published folder is served at, cited on its landing page (empty: the page "
        "cites the address it is opened at)",
    ),
    Variable("INDICATORS_MAX_FILE_MB", "max_file_mb", "200", "largest report file read"),
    Variable("INDICATORS_MAX_PDF_PAGES", "max_pdf_pages", "2000", "most pages a PDF may have"),
    Variable("INDICATORS_MAX_OCR_PAGES", "max_ocr_pages", "400", "most pages OCR'd in one file"),
    Variable(
        "INDICATORS_MAX_PARAGRAPH_CHARS",
        "max_paragraph_chars",
        "200000",
        "a longer paragraph fails its report, named",
    ),
    Variable(
        "INDICATORS_MAX_SENTENCE_CHARS",
        "max_sentence_chars",
        "2000",
        "a metric's `sentence` is cut to this length (with an ellipsis)",
    ),
    Variable(
        "INDICATORS_REPORT_SECONDS",
        "report_seconds",
        "900",
        "time one PDF may take to read (in its own process)",
    ),
    Variable(
        "INDICATORS_REPORT_MEMORY_MB",
        "report_memory_mb",
        "3072",
        "memory one PDF's reader process may use",
    ),
    Variable(
        "INDICATORS_SQL_TIMEOUT", "sql_timeout", "60", "seconds an `indicators sql` query may run"
    ),
    Variable("INDICATORS_SQL_MEMORY", "sql_memory", "2GB", "DuckDB memory limit for queries"),
    Variable(
        "INDICATORS_FETCH_FROM",
        "fetch_from",
        ODS_URL,
        "where `indicators fetch` gets reports: a URL with `{symbol}`, or a folder, `file://`, "
        "`http(s)://` or `s3://` base the file name is appended to",
    ),
    Variable(
        "INDICATORS_FETCH_INTERVAL",
        "fetch_interval",
        "1",
        "seconds at least between two requests of `indicators fetch` (a polite rate)",
    ),
    Variable("INDICATORS_FETCH_TIMEOUT", "fetch_timeout", "60", "seconds one request may wait"),
    Variable(
        "INDICATORS_FETCH_RETRIES",
        "fetch_retries",
        "4",
        "retries of a download that timed out, broke off or got a server error (5xx, 429)",
    ),
    Variable(
        "INDICATORS_FETCH_BACKOFF",
        "fetch_backoff",
        "2",
        "seconds before the first retry, doubled for each next one",
    ),
)
# Read where it is used, not passed down: a test hook, not a setting of the pipeline.
KILL_AT = Variable(
    "INDICATORS_KILL_AT", "", "", "tests only: kill the process at this checkpoint (crash tests)"
)


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, and its limits. Frozen: built once, passed down."""

    raw: Path
    manifest: Path
    published: Path
    database: Path
    state: Path
    artifacts: str
    ocr_cache: Path
    release_file: Path
    gold: Path
    max_failure_share: float = 0.05
    allow_empty: bool = False
    lock_wait: float = -1.0
    webhook_url: str = ""
    published_url: str = ""
    max_file_mb: float = 200.0
    max_pdf_pages: int = 2000
    max_ocr_pages: int = 400
    max_paragraph_chars: int = 200_000
    max_sentence_chars: int = 2000
    report_seconds: float = 900.0
    report_memory_mb: int = 3072
    sql_timeout: float = 60.0
    sql_memory: str = "2GB"
    fetch_from: str = ODS_URL
    fetch_interval: float = 1.0
    fetch_timeout: float = 60.0
    fetch_retries: int = 4
    fetch_backoff: float = 2.0
    families: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """The settings from the environment (or `env`), then explicit overrides (not None)."""
        env = os.environ if env is None else env
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, object] = {}
        for var in VARIABLES:
            if given := env.get(var.name):
                values[var.field] = _typed(types[var.field], given, Path.cwd())
            else:
                default = var.default.format_map(_Filled({k: str(v) for k, v in values.items()}))
                values[var.field] = _typed(types[var.field], default, HOME)
        for name, value in overrides.items():
            if value is not None:
                values[name] = _typed(types[name], str(value), Path.cwd())
        # a published folder given alone carries its database with it, a raw folder its manifest
        for folder, field, variable, name in (
            ("published", "database", "INDICATORS_DB", "indicators.duckdb"),
            ("raw", "manifest", "INDICATORS_MANIFEST", "manifest.csv"),
        ):
            if (
                overrides.get(folder) is not None
                and overrides.get(field) is None
                and not env.get(variable)
            ):
                values[field] = Path(values[folder]) / name
        return cls(**values)

    def with_(self, **changes) -> Settings:
        """A copy with some settings changed."""
        return replace(self, **changes)

    def as_config(self) -> dict[str, object]:
        """Plain values (paths as strings): Dagster resource config, JSON for workers."""
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Settings:
        """The settings from `as_config`'s values."""
        types = {f.name: f.type for f in fields(cls)}
        return cls(
            **{k: _typed(types[k], str(v), Path.cwd()) for k, v in config.items() if k in types}
        )

    def read_options(self):
        """What reading one report may cost (pipeline.read.options.ReadOptions)."""
        from pipeline.read.options import ReadOptions

        return ReadOptions(
            ocr_cache=self.ocr_cache,
            max_bytes=int(self.max_file_mb * 2**20),
            max_pages=self.max_pdf_pages,
            max_ocr_pages=self.max_ocr_pages,
            families=self.family_folders,
        )

    @property
    def family_folders(self) -> tuple[str, ...]:
        """The extra report-family folders, as absolute paths (relative ones from here)."""
        parts = [p for p in self.families.split(os.pathsep) if p.strip()]
        return tuple(str(Path(p).expanduser().resolve()) for p in parts)

    # Names the stages use.
    @property
    def raw_dir(self) -> Path:
        """The folder of input reports."""
        return self.raw

    @property
    def published_dir(self) -> Path:
        """The folder the release is published into."""
        return self.published

    @property
    def db_path(self) -> Path:
        """The DuckDB database as published (built aside and swapped in by each run)."""
        return self.database

    @property
    def state_dir(self) -> Path:
        """Dagster's state folder (runs, event log, compute logs, release history)."""
        return self.state

    @property
    def artifacts_url(self) -> str:
        """Where per-report artifacts live."""
        return self.artifacts


class _Filled(dict):
    """Settings filled into a default; other {names} (the fetch URL's {symbol}) stay as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _typed(kind: str, text: str, base: Path):
    """A setting's text as its field's type (a relative path taken from `base`)."""
    if kind == "Path":
        path = Path(text).expanduser()
        return path if path.is_absolute() else base / path
    if kind == "bool":
        return text.strip().lower() in ("1", "true", "yes", "on")
    if kind == "int":
        return int(float(text))
    if kind == "float":
        return float(text)
    return text


def kill_point() -> str:
    """The checkpoint at which a crash test asks the process to die (INDICATORS_KILL_AT)."""
    return os.environ.get(KILL_AT.name, "")


def dagster_home() -> Path:
    """Dagster's home (where dagster.yaml is read): DAGSTER_HOME, else the project."""
    return Path(os.environ.get("DAGSTER_HOME") or HOME)


def readme_table() -> str:
    """The environment variables as a Markdown table (the README's list)."""
    lines = ["| variable | default | what it sets |", "| --- | --- | --- |"]
    lines += [
        f"| `{v.name}` | `{v.default or '(empty)'}` | {v.meaning} |" for v in (*VARIABLES, KILL_AT)
    ]
    return "\n".join(lines)

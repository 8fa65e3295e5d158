"""Fetch: get the reports of the collection's manifest that raw/ lacks, or a new one by symbol.

Each file is downloaded into raw/.fetch/ (hidden, so no run or sensor sees it; on raw/'s own
filesystem, so the final move is atomic), verified (not an HTML page, a whole PDF, the length
the server announced, the size and sha256 the manifest lists) and only then linked into raw/.
A download that breaks off is resumed from where it stopped (HTTP Range) on the next try or
the next fetch. Transient failures (timeouts, 5xx, 429, a connection cut) are retried with
exponential backoff; requests are spaced by a minimum interval. One transfer and its checks
are pipeline/download.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.dataset.ods import ods_url
from pipeline.dataset.statcache import file_sha256
from pipeline.download import Progress, Refused, Transient, download, move_in, verify
from pipeline.manifest import (
    Entry,
    entry_for,
    file_name_for,
    mission_from_name,
    read_manifest,
    read_reports,
    symbols_from_name,
    updated,
    with_entry,
    write_manifest,
)
from pipeline.settings import Settings

PARTIAL = ".fetch"  # raw/.fetch/: downloads in progress

Say = Callable[[str], None]  # a line for people (retries, skips)


class FetchError(RuntimeError):
    """A report that cannot be fetched; the message names the file and the problem."""


@dataclass(frozen=True)
class Outcome:
    """What fetching one report did: fetched, present (already in raw/), planned or failed."""

    file: str
    status: str
    message: str = ""
    bytes: int = 0
    source: str = ""


class Pacer:
    """Spaces requests by a minimum interval (a polite rate towards one server)."""

    def __init__(self, interval: float):
        self.interval, self.last = interval, 0.0

    def wait(self) -> None:
        """Sleep until the interval since the last request has passed."""
        if (left := self.last + self.interval - time.monotonic()) > 0:
            time.sleep(left)
        self.last = time.monotonic()


# --- where a report comes from ----------------------------------------------------------------


def sources(entry: Entry, base: str) -> list[str]:
    """The URLs to try for an entry: the pattern with each symbol (the UN's document system by
    default, the manifest's own URL when it has no symbol), or the base with the file name."""
    if "{symbol}" in base:
        urls = [ods_url(s, base) for s in entry.symbol_list()]
        return urls or [u for u in entry.url.split(";") if u]
    if "{file}" in base:
        return [base.format(file=entry.file)]
    if "://" not in base:  # a mirror folder
        return [(Path(base).expanduser().resolve() / entry.file).as_uri()]
    where, _, query = base.partition("?")  # s3://bucket/reports?endpoint_override=...
    return [where.rstrip("/") + "/" + entry.file + (f"?{query}" if query else "")]


# --- fetching a report with retries -----------------------------------------------------------


@dataclass(frozen=True)
class Fetcher:
    """How to fetch: where from, how fast, how patiently (from the settings)."""

    raw: Path
    base: str
    interval: float
    timeout: float
    retries: int
    backoff: float

    @classmethod
    def of(cls, settings: Settings) -> Fetcher:
        """The fetcher the settings describe."""
        return cls(
            settings.raw_dir,
            settings.fetch_from,
            settings.fetch_interval,
            settings.fetch_timeout,
            settings.fetch_retries,
            settings.fetch_backoff,
        )

    @property
    def partial_dir(self) -> Path:
        """Where downloads wait until verified (hidden inside raw/, on its filesystem)."""
        return self.raw / PARTIAL

    def tidy(self) -> None:
        """Remove raw/.fetch/ when no partial download waits in it."""
        try:
            self.partial_dir.rmdir()
        except OSError:
            pass  # absent, or holding partials to resume

    def fetch(
        self, entry: Entry, pacer: Pacer, say: Say = print, progress: Progress | None = None
    ) -> tuple[Outcome, str]:
        """Fetch one entry into raw/: (outcome, sha256 of the file, '' unless fetched)."""
        urls = sources(entry, self.base)
        if not urls:
            return Outcome(
                entry.file, "failed", f"{entry.file}: no symbol and no URL to fetch it from"
            ), ""
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        part = self.partial_dir / (entry.file + ".part")
        problems = []
        for url in urls:
            try:
                digest = self._with_retries(url, part, entry, pacer, say, progress)
            except Refused as err:
                part.unlink(missing_ok=True)  # what came is not the report: nothing to resume
                problems.append(str(err))
                continue
            except Transient as err:  # kept: the next fetch resumes it
                kept = f"; {part.stat().st_size:,} bytes kept to resume" if part.exists() else ""
                problems.append(f"{err} (gave up after {self.retries + 1} tries{kept})")
                continue
            try:
                move_in(part, self.raw / entry.file)
            except Refused as err:
                part.unlink(missing_ok=True)
                return Outcome(entry.file, "failed", f"{entry.file}: {err}", source=url), ""
            size = (self.raw / entry.file).stat().st_size
            return Outcome(entry.file, "fetched", "", size, url), digest
        return Outcome(
            entry.file, "failed", f"{entry.file}: " + "; ".join(problems), source=urls[-1]
        ), ""

    def _with_retries(
        self, url: str, part: Path, entry: Entry, pacer: Pacer, say: Say, progress: Progress | None
    ) -> str:
        """Download and verify, retrying transient failures with exponential backoff."""
        for attempt in range(self.retries + 1):
            pacer.wait()
            try:
                download(url, part, self.timeout, progress, entry.file)
                return verify(part, entry)
            except Transient as err:
                if attempt == self.retries:
                    raise
                delay = (
                    err.retry_after if err.retry_after is not None else self.backoff * 2**attempt
                )
                tries = f"{attempt + 1}/{self.retries}"
                say(f"{entry.file}: {err}; trying again in {delay:g} s (retry {tries})")
                time.sleep(delay)
        raise AssertionError("unreachable")


# --- the commands' functions ------------------------------------------------------------------


def missing_entries(settings: Settings, names: list[str] | None = None) -> list[Entry]:
    """The manifest's entries whose file is not in raw/ (only those named, when names given)."""
    entries = read_manifest(settings.manifest)
    if names:
        known = {e.file for e in entries}
        if unknown := [n for n in names if n not in known]:
            raise FetchError(f"not in the manifest {settings.manifest}: {', '.join(unknown)}")
        entries = [e for e in entries if e.file in names]
    return [e for e in entries if not (settings.raw_dir / e.file).exists()]


def fetch_missing(
    settings: Settings,
    names: list[str] | None = None,
    say: Say = print,
    progress: Progress | None = None,
    done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Fetch every report of the manifest raw/ lacks; record the size and sha256 of those the
    manifest listed without them. Files already in raw/ are left as they are."""
    fetcher, pacer = Fetcher.of(settings), Pacer(settings.fetch_interval)
    outcomes, recorded = [], {}
    for entry in missing_entries(settings, names):
        outcome, digest = fetcher.fetch(entry, pacer, say, progress)
        outcomes.append(outcome)
        if outcome.status == "fetched" and not (entry.sha256 and entry.bytes):
            recorded[entry.file] = updated(entry, outcome.bytes, digest)
        if done:
            done(outcome)
    if recorded:
        entries = read_manifest(settings.manifest)
        write_manifest(settings.manifest, [recorded.get(e.file, e) for e in entries])
    fetcher.tidy()
    return outcomes


def fetch_symbol(
    settings: Settings,
    symbol: str,
    mission: str = "",
    say: Say = print,
    progress: Progress | None = None,
) -> tuple[Outcome, Entry | None]:
    """Fetch a report by its symbol into raw/ and add it to the manifest (its date read from
    its front matter, its sha256 recorded). A symbol the manifest lists is fetched as listed."""
    symbol = symbol.strip()
    entries = read_manifest(settings.manifest) if settings.manifest.exists() else []
    listed = next((e for e in entries if symbol in e.symbol_list()), None)
    entry = listed or Entry(file=file_name_for(symbol, mission), symbols=symbol, mission=mission)
    if (settings.raw_dir / entry.file).exists():
        return Outcome(entry.file, "present", f"{entry.file} is already in raw/"), listed
    fetcher = Fetcher.of(settings)
    outcome, digest = fetcher.fetch(entry, Pacer(0), say, progress)
    fetcher.tidy()
    if outcome.status != "fetched":
        return outcome, None
    path = settings.raw_dir / entry.file
    if listed:
        new = updated(listed, outcome.bytes, digest)
    else:
        reading = read_reports([path], settings)[path]
        new = entry_for(path, (symbol,), reading, digest, mission=mission)
    write_manifest(settings.manifest, with_entry(entries, new))
    return outcome, new


def add_files(settings: Settings, names: list[str]) -> list[Entry]:
    """Add files already in raw/ to the manifest (symbols and mission from their names as the
    corpus spells them, date from their front matter, size and sha256 from their bytes)."""
    entries = read_manifest(settings.manifest) if settings.manifest.exists() else []
    listed = {e.file for e in entries}
    paths = [settings.raw_dir / n for n in names]
    if missing := [p.name for p in paths if not p.is_file()]:
        raise FetchError(f"not in {settings.raw_dir}: {', '.join(missing)}")
    if already := [p.name for p in paths if p.name in listed]:
        raise FetchError(f"already in the manifest: {', '.join(already)}")
    readings = read_reports(paths, settings)
    new = [
        entry_for(
            p,
            symbols_from_name(p.name),
            readings[p],
            file_sha256(p),
            mission=mission_from_name(p.name),
        )
        for p in paths
    ]
    for e in new:
        entries = with_entry(entries, e)
    write_manifest(settings.manifest, entries)
    return new


def extra_files(settings: Settings) -> list[str]:
    """Files in raw/ the manifest does not list."""
    from pipeline.read.ingest import list_reports

    listed = (
        {e.file for e in read_manifest(settings.manifest)} if settings.manifest.exists() else set()
    )
    return [
        p.name for p in list_reports(settings.raw_dir, (settings.manifest,)) if p.name not in listed
    ]

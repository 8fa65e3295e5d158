"""`indicators fetch` against a real HTTP server on localhost serving corpus reports, with the
failures a real server has: 404, a truncated body, an HTML page sent with 200, a slow answer,
a 503 before success. And the collection's manifest: raw/ checked against it, and the committed
manifest against raw/ and the corpus."""

from __future__ import annotations

import csv
import hashlib
import shutil
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from typer.testing import CliRunner
from workspace import s3_env

from pipeline.build import artifact_store
from pipeline.cli import app
from pipeline.dataset.ods import ODS_URL, ods_url
from pipeline.fetch import fetch_missing, fetch_symbol, sources
from pipeline.manifest import (
    check_collection,
    file_name_for,
    read_manifest,
    symbols_from_name,
    write_manifest,
)
from pipeline.plan import plan_run
from pipeline.read.ingest import list_reports
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
MANIFEST = ROOT / "raw" / "manifest.csv"
# Small corpus reports (8 to 12 KB): the server serves these.
SMALL = ["UNMOP_S_1996_502_Add.1.pdf", "ONUSAL_S_1994_1212_Add.1.pdf", "UNMOP_S_1996_502.pdf"]
TIMEOUT = 0.4  # seconds a request may wait in these tests
SLOW = 1.2  # seconds the slow server sleeps: past the timeout

needs_corpus = pytest.mark.skipif(
    not (CORPUS / "pdf").is_dir(), reason="no corpus beside the repository"
)


class Server:
    """What the handler serves and what it saw: corpus files by name, requests per path."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.requests: list[tuple[float, str, str]] = []  # time, path, Range header
        self.lock = threading.Lock()

    def seen(self, path: str) -> int:
        with self.lock:
            return sum(p == path for _, p, _ in self.requests)


def handler_for(server: Server):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802  (http.server's name)
            url = urlsplit(self.path)
            with server.lock:
                server.requests.append((time.monotonic(), url.path, self.headers.get("Range", "")))
            kind, _, name = url.path.strip("/").partition("/")
            if kind == "api":  # the UN document system's pattern: ?s=SYMBOL
                symbol = parse_qs(url.query)["s"][0]
                name = next(
                    (
                        f.name
                        for f in server.folder.iterdir()
                        if symbols_from_name(f.name) == (symbol,)
                    ),
                    "",
                )
                kind = "pdf"
            path = server.folder / unquote(name)
            if kind == "missing" or not path.is_file():
                return self._send(404, b"<html>Not Found</html>", "text/html")
            data = path.read_bytes()
            if kind == "html":  # an error page sent as a success
                return self._send(
                    200, b"<!DOCTYPE html><html>Service unavailable</html>", "text/html"
                )
            if kind == "html-as-pdf":  # and one that lies about its type
                return self._send(200, b"<!DOCTYPE html><html>Log in</html>", "application/pdf")
            if kind == "truncated":  # announces every byte, sends half, hangs up
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                return None
            if kind == "slow" and server.seen(url.path) == 1:  # the first answer comes too late
                time.sleep(SLOW)
            if kind == "slow-always":
                time.sleep(SLOW)
            if kind == "flaky" and server.seen(url.path) == 1:
                return self._send(503, b"busy", "text/plain")
            offset = self._range(len(data))
            if offset:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {offset}-{len(data) - 1}/{len(data)}")
                return self._body(data[offset:], "application/pdf")
            return self._send(200, data, "application/pdf")

        def _range(self, size: int) -> int:
            spec = self.headers.get("Range", "")
            if spec.startswith("bytes=") and spec.endswith("-"):
                start = int(spec[6:-1])
                return start if start < size else 0
            return 0

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self._body(body, kind)

        def _body(self, body: bytes, kind: str) -> None:
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 (a thread) serving copies of small corpus reports."""
    if not (CORPUS / "pdf").is_dir():
        pytest.skip("no corpus beside the repository")
    folder = tmp_path / "served"
    folder.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / "pdf" / name, folder / name)
    state = Server(folder)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    httpd.daemon_threads = True
    httpd.handle_error = lambda request, address: None  # a client that gave up: expected here
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_port}"
    yield state
    httpd.shutdown()
    httpd.server_close()


def workspace(tmp_path: Path, base: str, names=SMALL, **changes) -> Settings:
    """A raw/ holding only a manifest of `names` (their committed rows), fetching from `base`."""
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    rows = [e for e in read_manifest(MANIFEST) if e.file in names]
    write_manifest(raw / "manifest.csv", rows)
    return Settings.from_env(
        {},
        raw=raw,
        published=tmp_path / "published",
        state=tmp_path / "state",
        **{
            "fetch_from": base,
            "fetch_interval": 0,
            "fetch_timeout": TIMEOUT,
            "fetch_retries": 2,
            "fetch_backoff": 0.05,
            **changes,
        },
    )


def listed(settings: Settings) -> list[str]:
    """The reports a run would see in raw/ (hidden downloads in progress are not among them)."""
    return [p.name for p in list_reports(settings.raw_dir, (settings.manifest,))]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_missing_reports_are_fetched_verified_and_a_second_fetch_does_nothing(tmp_path, server):
    settings = workspace(tmp_path, server.url + "/pdf/")
    # one entry listed without its size and sha256: recorded when it is fetched
    entries = read_manifest(settings.manifest)
    blank = replace(entries[0], bytes=None, sha256="")
    write_manifest(settings.manifest, [blank, *entries[1:]])
    said = []
    outcomes = fetch_missing(settings, say=said.append)
    assert [o.status for o in outcomes] == ["fetched"] * 3, outcomes
    assert sorted(listed(settings)) == sorted(SMALL)
    for name in SMALL:
        assert sha256(settings.raw_dir / name) == sha256(CORPUS / "pdf" / name)
    assert not (settings.raw_dir / ".fetch").exists()
    recorded = {e.file: e for e in read_manifest(settings.manifest)}[blank.file]
    assert recorded.sha256 == entries[0].sha256 and recorded.bytes == entries[0].bytes
    before = len(server.requests)
    assert fetch_missing(settings) == []  # nothing missing: no request at all
    assert len(server.requests) == before


def test_a_404_names_the_file_and_the_status(tmp_path, server):
    settings = workspace(tmp_path, server.url + "/missing/", names=SMALL[:1])
    [outcome] = fetch_missing(settings, say=lambda m: None)
    assert outcome.status == "failed"
    assert SMALL[0] in outcome.message and "HTTP 404" in outcome.message
    assert server.seen(f"/missing/{SMALL[0]}") == 1  # a 404 is not retried
    assert listed(settings) == []


def test_a_truncated_body_never_enters_raw_and_is_resumed_later(tmp_path, server):
    name = SMALL[2]
    settings = workspace(tmp_path, server.url + "/truncated/", names=[name])
    said = []
    [outcome] = fetch_missing(settings, say=said.append)
    size = (CORPUS / "pdf" / name).stat().st_size
    assert outcome.status == "failed"
    assert name in outcome.message
    assert f"truncated: {size // 2:,} of {size:,} bytes arrived" in outcome.message
    assert "gave up after 3 tries" in outcome.message
    assert len(said) == 2 and all("trying again" in m for m in said)
    assert listed(settings) == []  # nothing half-done where a run looks
    part = settings.raw_dir / ".fetch" / f"{name}.part"
    assert part.stat().st_size == size // 2  # kept, to resume
    # The next fetch from a server that can resume asks only for the rest.
    [outcome] = fetch_missing(replace(settings, fetch_from=server.url + "/pdf/"))
    assert outcome.status == "fetched", outcome
    assert [r for _, p, r in server.requests if p == f"/pdf/{name}"] == [f"bytes={size // 2}-"]
    assert sha256(settings.raw_dir / name) == sha256(CORPUS / "pdf" / name)
    assert not part.exists()


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("html", "the server sent an HTML page (Content-Type text/html), not the report"),
        ("html-as-pdf", "an HTML page, not the report"),
    ],
)
def test_an_html_page_is_refused(tmp_path, server, kind, problem):
    settings = workspace(tmp_path, f"{server.url}/{kind}/", names=SMALL[:1])
    [outcome] = fetch_missing(settings, say=lambda m: None)
    assert outcome.status == "failed"
    assert outcome.message.startswith(SMALL[0] + ": ") and problem in outcome.message
    assert server.seen(f"/{kind}/{SMALL[0]}") == 1  # not retried: it would say the same
    assert listed(settings) == [] and not (settings.raw_dir / ".fetch").exists()


def test_a_file_unlike_the_manifest_is_refused(tmp_path, server):
    settings = workspace(tmp_path, server.url + "/pdf/", names=SMALL[:1])
    [entry] = read_manifest(settings.manifest)
    write_manifest(settings.manifest, [replace(entry, sha256="0" * 64)])
    [outcome] = fetch_missing(settings)
    assert outcome.status == "failed"
    assert f"{SMALL[0]}: sha256 {entry.sha256[:12]}... is not the manifest's 000000000000" in (
        outcome.message
    )
    assert listed(settings) == []


def test_a_slow_server_is_tried_again(tmp_path, server):
    settings = workspace(tmp_path, server.url + "/slow/", names=SMALL[:1])
    said = []
    [outcome] = fetch_missing(settings, say=said.append)
    assert outcome.status == "fetched", outcome
    assert said and f"no answer within {TIMEOUT:g} s" in said[0] and SMALL[0] in said[0]


def test_a_server_that_stays_slow_fails_clearly(tmp_path, server):
    settings = workspace(tmp_path, server.url + "/slow-always/", names=SMALL[:1])
    started = time.monotonic()
    [outcome] = fetch_missing(settings, say=lambda m: None)
    assert outcome.status == "failed"
    assert f"{SMALL[0]}: no answer within {TIMEOUT:g} s" in outcome.message
    assert "gave up after 3 tries" in outcome.message
    assert time.monotonic() - started < 3 * (TIMEOUT + 0.5)  # bounded by the timeout
    assert listed(settings) == []


def test_a_503_is_retried_after_a_backoff(tmp_path, server):
    settings = workspace(tmp_path, server.url + "/flaky/", names=SMALL[:1], fetch_backoff=0.3)
    said = []
    [outcome] = fetch_missing(settings, say=said.append)
    assert outcome.status == "fetched", outcome
    assert said == [f"{SMALL[0]}: HTTP 503 Service Unavailable; trying again in 0.3 s (retry 1/2)"]
    first, second = [t for t, p, _ in server.requests if p == f"/flaky/{SMALL[0]}"]
    assert second - first >= 0.3


def test_requests_keep_a_polite_interval(tmp_path, server):
    settings = workspace(tmp_path, server.url + "/pdf/", fetch_interval=0.3)
    assert [o.status for o in fetch_missing(settings)] == ["fetched"] * 3
    times = [t for t, _, _ in server.requests]
    # spaced by the interval as the client sends them (the server's clock adds some jitter)
    assert all(b - a >= 0.25 for a, b in zip(times, times[1:], strict=False)), times


def test_a_report_fetched_by_symbol_joins_the_manifest(tmp_path, server):
    pattern = server.url + "/api/symbol/access?s={symbol}&l=en&t=pdf"
    settings = workspace(tmp_path, pattern, names=SMALL[:1])
    outcome, entry = fetch_symbol(settings, "S/1996/502", mission="UNMOP")
    assert outcome.status == "fetched", outcome
    assert outcome.source == server.url + "/api/symbol/access?s=S/1996/502&l=en&t=pdf"
    rows = {e.file: e for e in read_manifest(settings.manifest)}
    new = rows["UNMOP_S_1996_502.pdf"]
    assert new == entry
    assert (new.symbols, new.mission, new.language) == ("S/1996/502", "UNMOP", "en")
    assert new.url == ods_url("S/1996/502")  # the official URL, not the mirror's
    assert new.sha256 == sha256(CORPUS / "pdf" / "UNMOP_S_1996_502.pdf")
    assert new.bytes == 11914 and new.text_layer == "yes"
    assert (new.date_issued, new.date_source) == ("1996-06-27", "front matter")
    again, _ = fetch_symbol(settings, "S/1996/502", mission="UNMOP")
    assert again.status == "present"
    assert len(read_manifest(settings.manifest)) == 2


def test_the_command_fetches_by_symbol_and_says_what_it_added(tmp_path, server):
    pattern = server.url + "/api/symbol/access?s={symbol}&l=en&t=pdf"
    settings = workspace(tmp_path, pattern, names=SMALL[:1])
    env = {"INDICATORS_RAW": str(settings.raw_dir), "INDICATORS_FETCH_INTERVAL": "0"}
    result = CliRunner().invoke(
        app, ["fetch", "S/1994/1212/Add.1", "--from", pattern, "--mission", "ONUSAL"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "fetched ONUSAL_S_1994_1212_Add.1.pdf (9,187 bytes) from http://127.0.0.1" in (
        result.output
    )
    assert "added to manifest.csv: ONUSAL_S_1994_1212_Add.1.pdf S/1994/1212/Add.1 ONUSAL" in (
        result.output
    )
    result = CliRunner().invoke(app, ["fetch", "--from", server.url + "/missing/"], env=env)
    assert result.exit_code == 1
    assert f"failed: {SMALL[0]}: HTTP 404 Not Found at {server.url}/missing/{SMALL[0]}" in (
        result.output
    )
    result = CliRunner().invoke(app, ["fetch", "--from", server.url + "/pdf/"], env=env)
    assert result.exit_code == 0 and "1 fetched, 0 failed" in result.output
    result = CliRunner().invoke(app, ["fetch", "--from", server.url + "/missing/"], env=env)
    assert result.exit_code == 0 and "nothing to fetch" in result.output


@needs_corpus
def test_a_mirror_folder_or_file_url_is_a_source(tmp_path):
    entry = read_manifest(MANIFEST)[0]
    # the folder is resolved: a mirror reached through a symbolic link names the real files
    want = [(CORPUS / "pdf" / entry.file).resolve().as_uri()]
    assert sources(entry, str(CORPUS / "pdf")) == want
    assert sources(entry, "s3://bucket/reports/") == [f"s3://bucket/reports/{entry.file}"]
    assert sources(entry, ODS_URL) == [ods_url(s) for s in entry.symbol_list()]
    settings = workspace(tmp_path, (CORPUS / "pdf").as_uri(), names=SMALL[:2])
    assert [o.status for o in fetch_missing(settings)] == ["fetched", "fetched"]


@needs_corpus
def test_a_run_says_which_files_are_missing_extra_or_changed(tmp_path):
    settings = workspace(tmp_path, "unused", names=SMALL)
    shutil.copy(CORPUS / "pdf" / SMALL[0], settings.raw_dir / SMALL[0])
    (settings.raw_dir / SMALL[1]).write_bytes(b"%PDF-1.4 changed %%EOF")
    (settings.raw_dir / "extra-report.txt").write_text("1. A report nobody listed.\n")
    check = plan_run(settings, artifact_store(settings)).collection
    assert (check.missing, check.extra) == ([SMALL[2]], ["extra-report.txt"])
    [missing, extra] = check.warnings()
    assert (
        f"1 of the 3 reports in the manifest (manifest.csv) are not in raw/: {SMALL[2]}" in missing
    )
    assert "`indicators fetch` gets them" in missing
    assert "extra-report.txt" in extra and "`indicators fetch --add`" in extra
    [changed] = check.errors()
    assert changed.startswith(f"{SMALL[1]}: sha256 ") and "differs from the manifest's" in changed
    plan = plan_run(settings, artifact_store(settings))
    assert "manifest" not in {p.stem for p in plan.files}  # the manifest is no report


@needs_corpus
def test_added_files_join_the_manifest(tmp_path):
    settings = workspace(tmp_path, "unused", names=SMALL[:1])
    shutil.copy(CORPUS / "pdf" / SMALL[2], settings.raw_dir / SMALL[2])
    env = {"INDICATORS_RAW": str(settings.raw_dir)}
    result = CliRunner().invoke(app, ["fetch", "--add"], env=env)
    assert result.exit_code == 0, result.output
    assert f"added to manifest.csv: {SMALL[2]} S/1996/502 UNMOP 1996-06-27" in result.output
    assert (
        check_collection(
            settings.manifest,
            read_manifest(settings.manifest),
            {SMALL[2]: sha256(settings.raw_dir / SMALL[2])},
        ).extra
        == []
    )


def test_symbols_and_file_names():
    assert symbols_from_name("ONUSAL_A_47_739_S_24871.pdf") == ("A/47/739", "S/24871")
    assert symbols_from_name("ONUSAL_A_47_1012_Add.1_S_26416_Add.1.pdf") == (
        "A/47/1012/Add.1",
        "S/26416/Add.1",
    )
    assert symbols_from_name("ONUCA_S_21274_c.pdf") == ("S/21274",)
    assert file_name_for("S/2005/453", "MINUSTAH") == "MINUSTAH_S_2005_453.pdf"
    assert ods_url("S/2005/453") == (
        "https://documents.un.org/api/symbol/access?s=S/2005/453&l=en&t=pdf"
    )


def test_the_committed_manifest_matches_raw_and_the_corpus():
    entries = {e.file: e for e in read_manifest(MANIFEST)}
    assert len(entries) == 184
    present = [p for p in list_reports(ROOT / "raw", (MANIFEST,))]
    assert present and all(p.name in entries for p in present)
    for p in present:
        assert (entries[p.name].sha256, entries[p.name].bytes) == (sha256(p), p.stat().st_size)
    for e in entries.values():
        assert e.language == "en" and len(e.sha256) == 64
        assert e.url == ";".join(ods_url(s) for s in e.symbol_list())
        assert e.date_source in ("front matter", "symbol year", "")
        assert bool(e.date_issued) == bool(e.date_source)
    if not (CORPUS / "MANIFEST.csv").is_file():
        pytest.skip("no corpus beside the repository")
    with open(CORPUS / "MANIFEST.csv", encoding="utf-8") as f:
        corpus = list(csv.DictReader(f))
    assert len(corpus) == 183
    for row in corpus:
        e = entries[Path(row["file"]).name]
        assert (e.sha256, e.bytes, e.mission) == (row["sha256"], int(row["bytes"]), row["mission"])
        assert (CORPUS / row["file"]).stat().st_size == e.bytes


@pytest.mark.slow  # starts moto's S3 server in its own process
@needs_corpus
def test_an_s3_bucket_is_a_source(tmp_path, monkeypatch, s3_server):
    """Reports on a real S3-compatible server (moto's, on localhost), read through pyarrow."""
    import pyarrow.fs as pafs

    s3_env(monkeypatch)
    fs = pafs.S3FileSystem(
        endpoint_override=s3_server,
        scheme="http",
        region="us-east-1",
        allow_bucket_creation=True,
    )
    fs.create_dir("reports")
    for name in SMALL[:2]:
        with fs.open_output_stream(f"reports/un/{name}") as out:
            out.write((CORPUS / "pdf" / name).read_bytes())
    base = f"s3://reports/un?endpoint_override={s3_server}&scheme=http&region=us-east-1"
    settings = workspace(tmp_path, base, names=SMALL)
    outcomes = fetch_missing(settings, say=lambda m: None)
    assert [o.status for o in outcomes] == ["fetched", "failed", "fetched"], outcomes
    assert f"{SMALL[2]}: not found at s3://reports/un/{SMALL[2]}" in outcomes[1].message
    assert sorted(listed(settings)) == sorted(SMALL[:2])

"""Download: one source's bytes into a partial file, and the checks before it enters raw/.

A source is an HTTP(S) URL (resumed with a Range request when a partial file waits), a local
file (a mirror folder or file://) or an object on s3:// (through the artifact store's
filesystem). A failure another try may mend is Transient; one it would repeat is Refused.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.dataset.statcache import file_sha256
from pipeline.manifest import Entry

CHUNK = 64 * 1024
USER_AGENT = "report-indicators-fetch/0.1 (+https://github.com/; polite: one request at a time)"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 120.0  # seconds: a longer Retry-After is capped

Progress = Callable[[str, int, int | None], None]  # file, bytes so far, bytes expected


class Transient(Exception):
    """A failure worth another try (a timeout, a server error, a connection cut short)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """A failure another try would repeat (404, an HTML page, a wrong sha256)."""


@dataclass
class Response:
    """An opened source: its stream, what it says of its type and length, whether it resumes."""

    stream: object
    content_type: str = ""
    length: int | None = None  # bytes this response will send
    resumed: bool = False  # it continues the partial file (HTTP 206)


def _open_http(url: str, offset: int, timeout: float) -> Response:
    """An HTTP(S) response, asking for the bytes from `offset` on when resuming."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/pdf, text/plain;q=0.5, */*;q=0.1"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416 and offset:  # the partial is already whole, or no longer fits
            raise Transient("the server refused to resume (HTTP 416); starting again") from None
        if err.code in RETRY_STATUS or err.code >= 500:
            raise Transient(f"HTTP {err.code} {err.reason}", _retry_after(err.headers)) from None
        raise Refused(f"HTTP {err.code} {err.reason} at {url}") from None
    except TimeoutError as err:
        raise Transient(f"no answer within {timeout:g} s ({err})") from None
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            raise Transient(f"no answer within {timeout:g} s") from None
        raise Transient(f"cannot connect to {urlsplit(url).netloc} ({err.reason})") from None
    except (ConnectionError, http.client.HTTPException) as err:
        raise Transient(f"connection failed ({type(err).__name__}: {err})") from None
    length = resp.headers.get("Content-Length")
    return Response(
        resp,
        resp.headers.get("Content-Type", ""),
        int(length) if length and length.isdigit() else None,
        resumed=resp.status == 206,
    )


def _retry_after(headers) -> float | None:
    """A Retry-After header's seconds (capped), if it gives seconds."""
    value = (headers or {}).get("Retry-After", "")
    return min(float(value), MAX_RETRY_AFTER) if value.strip().isdigit() else None


def _open_file(path: Path) -> Response:
    """A local file (a mirror folder or file:// URL)."""
    try:
        return Response(open(path, "rb"), length=path.stat().st_size)
    except FileNotFoundError:
        raise Refused(f"not found at {path}") from None
    except OSError as err:
        raise Transient(f"cannot read {path} ({err.strerror})") from None


def _open_object(url: str) -> Response:
    """An object on s3:// (or any pyarrow/fsspec URL), through the artifact store's filesystem."""
    import pyarrow as pa
    import pyarrow.fs as pafs

    from pipeline.dataset.artifacts import open_filesystem

    where, _, query = url.partition("?")
    folder, _, name = where.rpartition("/")
    try:
        fs, root = open_filesystem(folder + (f"?{query}" if query else ""))
        info = fs.get_file_info(f"{root}/{name}")
        if info.type == pafs.FileType.NotFound:
            raise Refused(f"not found at {url}")
        return Response(fs.open_input_stream(f"{root}/{name}"), length=info.size)
    except (OSError, pa.ArrowException) as err:
        raise Transient(f"cannot read {url} ({err})") from None


def open_source(url: str, offset: int, timeout: float) -> Response:
    """The source's bytes (from `offset` when it can resume)."""
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https"):
        return _open_http(url, offset, timeout)
    if scheme == "file":
        return _open_file(Path(urllib.request.url2pathname(urlsplit(url).path)))
    return _open_object(url)


def download(
    url: str, part: Path, timeout: float, progress: Progress | None = None, name: str = ""
) -> int:
    """Bytes of `url` into `part` (appended when the server resumes); returns its size."""
    offset = part.stat().st_size if part.exists() else 0
    resp = open_source(url, offset, timeout)
    if "text/html" in resp.content_type.lower():
        resp.stream.close()
        raise Refused(
            f"the server sent an HTML page (Content-Type {resp.content_type}), not the report"
        )
    start = offset if resp.resumed else 0
    expected = None if resp.length is None else start + resp.length
    done = start
    try:
        with open(part, "ab" if resp.resumed else "wb") as out:
            while True:
                try:
                    chunk = resp.stream.read(CHUNK)
                except TimeoutError:
                    raise Transient(f"the server stalled (nothing for {timeout:g} s)") from None
                except http.client.IncompleteRead as err:
                    out.write(err.partial)
                    done += len(err.partial)
                    break
                except (ConnectionError, http.client.HTTPException) as err:
                    raise Transient(f"the connection broke ({type(err).__name__})") from None
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(name, done, expected)
    finally:
        resp.stream.close()
    if expected is not None and done < expected:
        raise Transient(f"truncated: {done:,} of {expected:,} bytes arrived")
    return done


def verify(part: Path, entry: Entry) -> str:
    """The sha256 of a downloaded file once it is the report: not an HTML page, a whole PDF,
    the manifest's size and sha256 when it lists them (Refused saying why not)."""
    size = part.stat().st_size
    with open(part, "rb") as f:
        head = f.read(1024)
        f.seek(max(0, size - 1024))
        tail = f.read()
    if head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise Refused("an HTML page, not the report (an error or login page?)")
    if entry.file.lower().endswith(".pdf"):
        if not head.startswith(b"%PDF-"):
            raise Refused(f"not a PDF (it starts with {head[:16]!r})")
        if b"%%EOF" not in tail:
            raise Refused(f"a truncated PDF ({size:,} bytes, no %%EOF at its end)")
    if entry.bytes is not None and size != entry.bytes:
        raise Refused(f"{size:,} bytes, the manifest lists {entry.bytes:,}")
    digest = file_sha256(part)
    if entry.sha256 and digest != entry.sha256:
        raise Refused(f"sha256 {digest[:12]}... is not the manifest's {entry.sha256[:12]}...")
    return digest


def move_in(part: Path, target: Path) -> None:
    """Put a verified download into raw/ in one step, never over an existing file."""
    try:
        os.link(part, target)  # fails if the target exists: raw/ files are never replaced
    except FileExistsError:
        raise Refused(f"{target.name} appeared in raw/ meanwhile; not replaced") from None
    except OSError:  # no hard links here (some network filesystems): rename, after a check
        if target.exists():
            raise Refused(f"{target.name} appeared in raw/ meanwhile; not replaced") from None
        os.replace(part, target)
        return
    part.unlink()

"""Reading untrusted PDFs where a crash cannot spread: a child process with memory and time
limits reads them one after another, so that an abort (PDFium's on a decompression bomb), a
memory blow-up or a hang fails that report alone, named, and the next report gets a new child.

The child is a plain `python -m pipeline.read.isolated` started with subprocess (it works inside
daemonic workers, such as Celery's, where multiprocessing may not start children). It takes one
request a line on stdin (a JSON object: the path and the read options) and answers one line:
the path of a pickle holding the Document, or an error.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from pipeline.read.errors import EnvironmentProblem, ReportError
from pipeline.read.options import ReadOptions


class IsolatedReader:
    """A child process that reads reports under limits; use as a context manager."""

    def __init__(self, memory_mb: int, seconds: float):
        self.memory_mb, self.seconds = memory_mb, seconds
        self.child: subprocess.Popen | None = None
        self.scratch = Path(tempfile.mkdtemp(prefix="indicators-read-"))

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> subprocess.Popen:
        limit = self.memory_mb * 2**20

        def limits() -> None:  # in the child, before it runs: its own memory ceiling
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        return subprocess.Popen(
            [sys.executable, "-m", "pipeline.read.isolated"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=limits if sys.platform != "win32" else None,
            text=True,
        )

    def read(self, path: Path, options: ReadOptions):
        """The Document of one report, read in the child; ReportError when it cannot be."""
        from pipeline.read.ingest import Document  # noqa: F401  (for unpickling)

        if self.child is None or self.child.poll() is not None:
            self.child = self._start()
        request = {"path": str(path), "options": asdict(options), "scratch": str(self.scratch)}
        request["options"]["ocr_cache"] = options.ocr_cache and str(options.ocr_cache)
        try:
            self.child.stdin.write(json.dumps(request) + "\n")
            self.child.stdin.flush()
        except BrokenPipeError:
            return self._died(path)
        ready, _, _ = select.select([self.child.stdout], [], [], self.seconds)
        if not ready:
            self._kill()
            raise EnvironmentProblem(
                path,
                f"reading took longer than the limit of {self.seconds:g} s and was stopped "
                "(INDICATORS_REPORT_SECONDS)",
            )
        line = self.child.stdout.readline()
        if not line:
            return self._died(path)
        answer = json.loads(line)
        if "error" in answer:
            raise ReportError(path, answer["error"], lasting=answer.get("lasting", True))
        with open(answer["pickle"], "rb") as f:
            document = pickle.load(f)
        os.unlink(answer["pickle"])
        return document

    def _died(self, path: Path):
        code = self.child.wait() if self.child else None
        self.child = None
        raise EnvironmentProblem(
            path,
            f"the reader stopped (exit status {code}) while reading it: over the memory "
            f"limit of {self.memory_mb} MB (INDICATORS_REPORT_MEMORY_MB) or a crash of the "
            "PDF library on this file; the other reports are read",
        )

    def _kill(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child.wait()
            self.child = None

    def close(self) -> None:
        """Stop the child and remove its scratch folder."""
        if self.child is not None:
            try:
                self.child.stdin.close()
                self.child.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._kill()
            self.child = None
        for leftover in self.scratch.glob("*"):
            leftover.unlink(missing_ok=True)
        self.scratch.rmdir()


def _serve() -> None:
    """The child's loop: read each requested report and answer with its pickle's path."""
    from pipeline.read.ingest import ingest

    for line in sys.stdin:
        request = json.loads(line)
        options = dict(request["options"])
        options["ocr_cache"] = options["ocr_cache"] and Path(options["ocr_cache"])
        options["families"] = tuple(options.get("families", ()))
        try:
            document = ingest(Path(request["path"]), ReadOptions(**options))
        except ReportError as err:
            answer = {"error": err.problem, "lasting": err.lasting}
        except MemoryError:
            answer = {"error": "ran out of memory while reading it", "lasting": False}
        except Exception as err:  # noqa: BLE001  (said to the parent, which names the file)
            answer = {"error": f"{type(err).__name__}: {err}"}
        else:
            fd, name = tempfile.mkstemp(dir=request["scratch"], suffix=".pickle")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(document, f, protocol=pickle.HIGHEST_PROTOCOL)
            answer = {"pickle": name}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()

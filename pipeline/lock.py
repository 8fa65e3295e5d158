"""Lock: one load-and-publish at a time per published folder (CLI, sensor runs, schedule)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.settings import Settings


class RunLocked(RuntimeError):
    """Another run holds the lock."""


_HELD: dict[Path, int] = {}  # locks this process holds, with their depth


def lock_holder(settings: Settings) -> str:
    """The PID written beside the lock by the run holding it, if any."""
    try:
        return (Path(settings.published_dir) / ".lock.pid").read_text().strip() or "unknown"
    except OSError:
        return "unknown"


@contextmanager
def run_lock(
    settings: Settings, wait: float | None = None, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """One load-and-publish at a time per published folder (CLI, sensor runs, schedule);
    re-entrant. wait: seconds to wait for another run (None: forever, 0: not at all)."""
    from filelock import FileLock, Timeout

    published = Path(settings.published_dir)
    published.mkdir(parents=True, exist_ok=True)
    path = (published / ".lock").resolve()
    if _HELD.get(path):
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = lock_holder(settings)
        if on_wait is not None and wait != 0:
            limit = "" if wait is None else f" (at most {wait:g} s)"
            on_wait(f"waiting for the run lock {path}, held by process {holder}{limit}")
        try:
            lock.acquire(timeout=-1 if wait is None else wait)
        except Timeout:
            raise RunLocked(
                f"another run holds {path} (process {holder}); "
                "try again later or give --wait SECONDS"
            ) from None
    (published / ".lock.pid").write_text(f"{os.getpid()}\n")
    _HELD[path] = 1
    try:
        yield
    finally:
        _HELD.pop(path, None)
        (published / ".lock.pid").unlink(missing_ok=True)
        lock.release()

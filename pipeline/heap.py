"""Garbage collection for the steps that build large heaps that live until they end."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0


@contextmanager
def large_heap() -> Iterator[None]:
    """Make the collector's passes rare while a release is loaded and published.

    A one-report change at 10,000 reports decodes a 50 MB descriptor and 90,000 stat-cache
    entries: millions of objects that live until the step ends, which every full collection
    walked again (2 of the run's 11 seconds). Objects alive on entry are frozen (never walked),
    collections wait for 50,000 allocations; reference counting still frees everything that is
    not in a cycle. Restored on exit; nested uses leave it to the outermost."""
    global _depth
    _depth += 1
    if _depth > 1:
        try:
            yield
        finally:
            _depth -= 1
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
        _depth -= 1

"""Garbage collection for steps that build large heaps: their objects live until they end."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0


@contextmanager
def large_heap() -> Iterator[None]:
    """Make the collector's full passes rare while a step reads, loads or publishes.

    A one-report change at 10,000 reports decodes a 48 MB descriptor and 90,000 stat-cache
    entries: millions of objects that live until the step ends, which every full collection
    walked again (2 of the run's 11 seconds). On entry, what is alive is frozen (never walked
    again), and collections wait for 50,000 allocations; reference counting still frees
    everything not in a cycle. A nested entry changes nothing: freezing again would also
    freeze the cyclic garbage made since, for good. The outermost exit restores the thresholds
    and unfreezes (anything the host process froze too)."""
    global _depth
    _depth += 1
    before = gc.get_threshold()
    if _depth == 1:
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.set_threshold(*before)
            gc.unfreeze()

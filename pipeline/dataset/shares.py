"""Shares: work split into groups of about equal weight, for workers side by side."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path


def balance(weights: dict[Hashable, float], n: int) -> list[list]:
    """At most n groups of about equal total weight: the heaviest item first, each to the
    lightest group (ties keep the given order); empty groups are left out."""
    groups: list[list] = [[] for _ in range(max(1, n))]
    load = [0.0] * len(groups)
    for item in sorted(weights, key=lambda k: -weights[k]):
        k = load.index(min(load))
        groups[k].append(item)
        load[k] += weights[item]
    return [g for g in groups if g]


def file_size(path: Path) -> int:
    """A file's size in bytes; 0 when it cannot be read (the reader reports it)."""
    try:
        return path.stat().st_size
    except (OSError, TypeError):
        return 0

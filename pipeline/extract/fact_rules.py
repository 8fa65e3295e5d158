"""The rules of rules/facts.yaml, compiled once, and the figure they read around: its
clause's words before it (`left_of`) and after it (`right_of`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pipeline.extract.rules import load
from pipeline.read.dates import MONTH_PATTERN


@dataclass(frozen=True)
class Figure:
    """One figure in its paragraph: offsets, its clause and sentence, what it counts."""

    text: str  # the paragraph's text
    start: int
    end: int
    sentence: tuple[int, int]
    clause: tuple[int, int]
    entity: str | None
    money: bool
    year: int | None
    count: bool = True  # a plain count (not money, not a measure in some unit)
    whole_sentence: bool = True  # sentence[0] is where the sentence starts (not a window's)


@cache
def table() -> dict:
    return load("facts")


def rx(pattern: str | None, flags: int = re.I) -> re.Pattern | None:
    return re.compile(pattern.replace("{month}", MONTH_PATTERN), flags) if pattern else None


@cache
def fact_pattern(section: str, key: str, flags: int = 0) -> re.Pattern:
    """A pattern of rules/facts.yaml's section, as written (no placeholders), compiled once:
    the same as re.search(table()[section][key], text, flags) without re's cache lookup."""
    return re.compile(table()[section][key], flags)


@cache
def compiled(section: str) -> list[dict]:
    out = []
    for rule in table()[section]:
        item = dict(rule)
        for key in ("entity", "left", "right", "pattern", "in_sentence", "unless_right"):
            item[key] = rx(rule.get(key))
        out.append(item)
    return out


def left_of(f: Figure) -> str:
    return f.text[max(f.clause[0], f.start - table()["window"]) : f.start]


def right_of(f: Figure) -> str:
    return f.text[f.end : f.clause[1]]

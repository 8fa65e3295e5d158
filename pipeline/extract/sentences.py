"""Sentences, their parts between semicolons, and the clauses of a part: where a figure's
words for what it counts and its year are looked for."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pipeline.extract.quantities import Quantity
from pipeline.extract.years import Years, candidate_years

SENTENCE_END = re.compile(r"[.!?][\"”’')*]*\s+(?=[\"“‘(*]?[A-Z0-9])")
ABBREVIATIONS = re.compile(
    r"(?:\b[A-Z]|\bNo|\bno|Mr|Ms|Dr|St|Nos|vs|e\.g|i\.e|paras?|Vol|Inc|Ltd"
    r"|Co|approx|etc)$"
)
CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:and|but|while|whereas|which|thus|bringing|representing|"
    r"resulting|raising|making|up|down)\b)|;\s+"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries in a paragraph's text."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if text[m.start()] == "." and ABBREVIATIONS.search(text, max(0, m.start() - 8), m.start()):
            continue
        spans.append((start, m.start() + 1))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def split_semicolons(sentence: str) -> list[tuple[int, int]]:
    """The parts of a sentence between semicolons, as offsets into it."""
    spans, start = [], 0
    for m in re.finditer(r";\s+", sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


@dataclass
class Span:
    """What is worked out once per sentence part: clause breaks and candidate years."""

    start: int
    end: int
    break_starts: list[int]
    break_ends: list[int]
    years: Years

    def clause(self, q: Quantity) -> tuple[int, int]:
        """Start of the clause holding q, and where the next clause begins."""
        i = bisect.bisect_right(self.break_ends, q.start)
        j = bisect.bisect_left(self.break_starts, q.end)
        return (
            self.break_ends[i - 1] if i else self.start,
            self.break_starts[j] if j < len(self.break_starts) else self.end,
        )

    def years_for(self, q: Quantity) -> list[tuple[int, int]]:
        """Years a figure may refer to; an aside's years only for figures inside it."""
        return [
            (p, y) for p, y, aside in self.years if aside is None or aside[0] < q.start < aside[1]
        ]


def span(text: str, start: int, end: int) -> Span:
    """Clause breaks and years (without periods, baselines, targets, titles) of a span."""
    breaks = list(CLAUSE_BREAK.finditer(text, start, end))
    years = candidate_years(text, start, end)
    return Span(start, end, [b.start() for b in breaks], [b.end() for b in breaks], years)

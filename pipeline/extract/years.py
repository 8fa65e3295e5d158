"""The year a figure refers to: a year right after it, else the nearest before it in its clause
or sentence, never a period's bound, a baseline, a target or the year ending a title."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.quantities import Quantity
from pipeline.extract.rules import load, words
from pipeline.read.dates import MONTHS

# "rose", "fell": rules/verbs.yaml's change_verbs, longest first
CHANGE_VERBS = "|".join(sorted(load("verbs")["change_verbs"][0]["words"], key=len, reverse=True))
YEAR = re.compile(r"(?<![\w/.-])(1[89]\d\d|20\d\d)(?![\w/]|[–-]\d)")
# A year after these words is a period's bound, a baseline or a target, not the figure's year.
YEAR_EXCLUDED_BEFORE = re.compile(
    r"(?:(?i:\bsince|\bcompared\s+(?:with|to)|\buntil|\bbefore|\bthan|\bfrom|\bbetween|\bover"
    r"|\band|\bto)\s+|[–—-]\s*)(?i:(?:the\s+)?(?:end|start|beginning|middle)\s+of\s+)?"
    r"(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\s+)?$"
    r"|(?i:\bby)\s+$"
)  # "by 2030" is a target; "by the end of 2022" dates a figure
# "Global Report on Food Crises 2023": a year closing a title names the title, not the figure.
TITLE_BEFORE = re.compile(r"\b([A-Z][a-z]+)\s+$")
NOT_TITLE = set(MONTHS) | set(words("not_title_words"))
BASELINE = re.compile(
    rf"(?:\b(?:{CHANGE_VERBS})\s+from|\bthan|\bversus|\bcompared\s+(?:with|to))"
    r"\s+(?:\S+\s+)?$",
    re.I,
)
# "up from X", "compared with X": what follows is a baseline with its own year.
COMPARISON = re.compile(
    r"\b(?:compared\s+(?:with|to)|up\s+from|down\s+from|from|than|against|"
    r"over|versus|relative\s+to)\b",
    re.I,
)
# "2,500 in 2020": a year right after the figure is its own, whatever came earlier.
YEAR_RIGHT_AFTER = re.compile(
    r"\s*\((1[89]\d\d|20\d\d)\)"  # "fell from 52 (2010) to 47 (2011)"
    r"|\s*(?:[a-z][a-z-]*\s+){0,3}?(?:in|during|for|as\s+at|as\s+of|at\s+the\s+(?:start|end|"
    r"beginning)\s+of|by\s+the\s+end\s+of|at\s+end-|by\s+mid-|in\s+mid-)\s*"
    r"(?:[A-Z][a-z]+\s+)?(1[89]\d\d|20\d\d)\b(?![–-]\d)"
)
# "compared to 60,000 for the previous year": the year before the one the sentence states
PREVIOUS_YEAR = re.compile(
    r"[^.;]{0,25}?\b(?:for|in|during|over)\s+the\s+(?:previous|preceding|"
    r"prior)\s+year\b"
)
# "resolution 1908 (2010)", "2243 (2015)": a number with a year in brackets after it is a
# resolution's number, and so is a number right after "resolution": neither is a year.
RESOLUTION_NUMBER = re.compile(r"\s*\((?:1[89]\d\d|20\d\d)\)")
RESOLUTION_BEFORE = re.compile(r"\b(?i:resolutions?|decisions?)\s+$")
Years = list[tuple[int, int, tuple[int, int] | None]]  # position, year, enclosing aside
# Asked for once per sentence part or figure, compiled once.
_ASIDE = re.compile(r"\([^()]*\)")
_QUOTED = re.compile(r"\*[^*]+\*|“[^”]+”")
_MID_YEAR = re.compile(r"\b(mid|end)-(?=(?:19|20)\d\d)")
_RANGE_TO_YEAR = re.compile(r"\s*(?:–|-|to|and)\s*(?:1[89]|20)\d\d")
_BRINGING = re.compile(r"(?:bringing|raising)\b")
_SINCE = re.compile(r"\bsince\b")


def candidate_years(text: str, start: int, end: int) -> Years:
    """The years of text[start:end] a figure may refer to (no periods, baselines, targets,
    titles), each with the aside in brackets it stands in, if any."""
    part = text[start:end]
    asides = [(start + m.start(), start + m.end()) for m in _ASIDE.finditer(part)]
    masked = _QUOTED.sub(lambda m: " " * len(m.group()), part)
    masked = _MID_YEAR.sub(r"\1 ", masked)  # "by mid-2022"
    years = []
    for m in YEAR.finditer(masked):
        if YEAR_EXCLUDED_BEFORE.search(masked[max(0, m.start() - 40) : m.start()]):
            continue
        title = TITLE_BEFORE.search(masked[max(0, m.start() - 30) : m.start()])
        if title and title.group(1) not in NOT_TITLE:
            continue
        if _RANGE_TO_YEAR.match(masked[m.end() : m.end() + 12]):
            continue
        if RESOLUTION_NUMBER.match(masked, m.end()) or RESOLUTION_BEFORE.search(
            masked[max(0, m.start() - 20) : m.start()]
        ):
            continue
        pos = start + m.start()
        aside = next((a for a in asides if a[0] < pos < a[1]), None)
        years.append((pos, int(m.group(1)), aside))
    return years


def year_for(
    q: Quantity,
    years: list[tuple[int, int]],
    clause_start: int,
    cumulative: bool,
    right_after: int | None = None,
    clause_end: float = float("inf"),
) -> int | None:
    """The year a figure refers to: right after it, else nearest before it in its clause,
    else in its sentence."""
    if right_after is not None:
        return right_after
    before_clause = [y for p, y in years if clause_start <= p < q.start]
    if before_clause:
        return before_clause[-1]
    before = [y for p, y in years if p < clause_start]
    if before and not cumulative:
        return before[-1]
    after = [y for p, y in years if q.end <= p < clause_end]
    return after[0] if after else None


@dataclass(frozen=True)
class Place:
    """Where a figure stands: its clause, the end of its sentence part, and the start of the
    words before it that are read (bounded, so that long sentences stay linear)."""

    clause_start: int
    clause_end: int
    part_end: int
    near: int


def decide_year(
    text: str, q: Quantity, place: Place, years: list[tuple[int, int]]
) -> tuple[int | None, str]:
    """The figure's year and why, in words; years: the candidates of its sentence part."""
    clause_end = place.clause_end
    cumulative = bool(
        _BRINGING.match(text[place.clause_start : place.clause_start + 9])
        or _SINCE.search(text[place.near : q.start])
    )
    after = YEAR_RIGHT_AFTER.match(text, q.end, place.part_end)
    # a year after "compared with ..." belongs to the baseline, not to this figure
    if cmp := COMPARISON.search(text, q.end, clause_end):
        clause_end = cmp.start()
    if BASELINE.search(text, max(place.near, q.start - 40), q.start) and not after:
        year, why = None, "baseline (after 'up from', 'than'...): no year"
    else:
        right_after = int(after.group(1) or after.group(2)) if after else None
        year = year_for(q, years, place.clause_start, cumulative, right_after, clause_end)
        why = (
            "year right after the figure"
            if after
            else "no year in its sentence (periods, baselines, targets, titles "
            "are not a figure's year)"
            if year is None
            else "nearest year before it in its clause or sentence, else after it"
        )
    if PREVIOUS_YEAR.match(text, q.end, clause_end) and (
        stated := [y for p, y in years if p < q.start]
    ):
        year, why = stated[-1] - 1, "'the previous year' of the year stated before"
    return year, why

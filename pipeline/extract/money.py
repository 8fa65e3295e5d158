"""What a sum of money is: the money noun near it ('the appropriation', 'assessments'), the noun
its verb names ('appropriated' is an appropriation), never the actor who gives it or a date.
The words are rules/verbs.yaml's money_nouns."""

from __future__ import annotations

import re

from pipeline.extract.phrases import noun_before
from pipeline.extract.quantities import Quantity
from pipeline.extract.rules import load, words
from pipeline.extract.units import registry
from pipeline.read.dates import MONTH_PATTERN

_VERBS = load("verbs")
_MONEY = _VERBS["money_nouns"][0]
MONEY_NOUNS = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _MONEY["words"]), key=len, reverse=True)) + r")\b",
    re.I,
)
NOT_MONEY_HEADS = set(_MONEY["not_money_heads"])
MONEY_VERBS = _MONEY["verbs"]
CHANGE_NOUNS = set(_VERBS["change_nouns"])
GENERIC = set(words("generic_words"))


def is_money(q: Quantity) -> bool:
    """The figure is a sum in a currency."""
    return q.unit in registry().currency_codes


def is_date_word(entity: str) -> bool:
    """'inception', 'date', 'the end of June': words of time, not what money is."""
    return bool(
        re.search(
            r"\b(?:inception|date|dates|time|period|year|month|end|beginning|"
            rf"start|{MONTH_PATTERN.lower()})$",
            entity,
        )
    )


def owner_of(left: str) -> str | None:
    """'pledges of US$ 15.7 billion', 'a target of 85 per cent': the noun the sum belongs to."""
    if m := re.search(r"\s+of\s+$", left):
        np = noun_before(left[: m.start()])
        if np and np.split()[-1] not in CHANGE_NOUNS | GENERIC:
            return np
    return None


def money_noun(text: str, start: int, end: int, q: Quantity) -> str | None:
    """The money noun nearest the sum in [start, end): 'the appropriation', 'assessments'."""
    best: tuple[int, str] | None = None
    for m in MONEY_NOUNS.finditer(text, start, end):
        if q.start <= m.start() < q.end:
            continue
        np = noun_before(text[start : m.end()]) or m.group().lower()
        dist = abs(m.start() - q.start)
        if best is None or dist < best[0]:
            best = (dist, np)
    return best[1] if best else None


def money_verb(text: str, start: int, q: Quantity) -> str | None:
    """'the Assembly appropriated $X': the sum is the appropriation (the verb's noun), unless
    a money noun stands between the verb and the sum ('assessed contributions amounted to')."""
    found, at = None, start
    for m in re.finditer(r"\b([a-z]+)\b", text[start : q.start]):
        if m.group(1) in MONEY_VERBS:
            found, at = MONEY_VERBS[m.group(1)], start + m.end()
    if found and MONEY_NOUNS.search(text, at, q.start):
        return None
    return found

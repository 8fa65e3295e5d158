"""What a figure counts, in its sentence and paragraph: the rules of rules/entities.yaml
(entities.py) first, then what the figures before it counted ('up from 250', 'the figure'),
and for money what the sum is rather than who gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.extract.entities import decide
from pipeline.extract.money import (
    GENERIC,
    MONEY_NOUNS,
    NOT_MONEY_HEADS,
    is_date_word,
    is_money,
    money_noun,
    money_verb,
)
from pipeline.extract.phrases import noun_phrase, subject
from pipeline.extract.quantities import Quantity
from pipeline.extract.years import CHANGE_VERBS

WINDOW = 400  # characters looked back from a figure for what it counts
# "up from 22.3 per cent", "of which 612": the figure counts what the previous one counted.
SAME_AS_PREVIOUS = re.compile(
    rf"(?:\b(?:{CHANGE_VERBS}|increase|rise|decrease|decline|drop|fall)"
    r"\s+from|\bthan|\bversus|"
    r"\bcompared\s+(?:with|to)|\bof\s+(?:which|whom))\s+(?:\S+\s+)?$",
    re.I,
)
# "of which 35.3 million were refugees": a part named after the figure
_OF_WHICH = re.compile(r"\bof\s+(?:which|whom)\s+(?:\S+\s+)?$")
_PART_VERB = re.compile(r"\s+(?:were|was|are|is)\s+(?![a-z]+ed\b|[a-z]+\s+by\b)")
# Decisions made from the words before a figure: for money, a sum's own noun may overrule them.
FROM_LEFT = ("value_verb", "value_verb_at_distance", "subject", "previous_in_sentence", "none")


@dataclass
class Memory:
    """What the figures before this one counted, by unit (and 'any'): in its sentence, and in
    its paragraph so far."""

    sentence: dict[str, str] = field(default_factory=dict)
    paragraph: dict[str, str] = field(default_factory=dict)

    def in_sentence(self, unit: str) -> str | None:
        return self.sentence.get(unit) or self.sentence.get("any")

    def recall(self, unit: str) -> str | None:
        """What the last figure of this unit (else any) counted, in the sentence first."""
        return self.in_sentence(unit) or self.paragraph.get(unit) or self.paragraph.get("any")

    def remember(self, unit: str, entity: str) -> None:
        self.sentence[unit] = self.sentence["any"] = entity
        self.paragraph[unit] = self.paragraph["any"] = entity


@dataclass(frozen=True)
class Around:
    """Where a figure's words are read: from `near` (its clause, bounded), its sentence part
    from part_start, its sentence."""

    near: int
    part_start: int
    sentence: tuple[int, int]


@dataclass(frozen=True)
class EntityDecision:
    """What a figure counts, why (the decision's name) and the rule of entities.yaml, if any."""

    entity: str | None
    why: str
    rule: str | None


def part_named(text: str, q: Quantity) -> str | None:
    """'of which 35.3 million were refugees', 'of whom 41 per cent were women': the part."""
    if _OF_WHICH.search(text[max(0, q.start - 20) : q.start]):
        if (m := _PART_VERB.match(text[q.end : q.end + 40])) and (
            found := noun_phrase(text, q.end + m.end())
        ):
            return found[0]  # "of which 12 were children"; "of which 5 was owed by" is passive
    return None


def _from_words(text: str, q: Quantity, at: Around, memory: Memory) -> EntityDecision:
    """The entity the words around the figure give, else the one before it in its sentence."""
    comparison = SAME_AS_PREVIOUS.search(text, max(at.near, q.start - 40), q.start)
    entity, why, rule = part_named(text, q), "of_whom", None
    if not entity and comparison:
        entity, why = memory.recall(q.unit), "change_verb"
    if not entity:
        decision = decide(text, q, at.near)
        entity, why, rule = decision.entity, decision.why, decision.rule
    if not entity and why == "part_of_previous":
        entity = memory.recall(q.unit)
    if not entity:
        entity, why = memory.in_sentence(q.unit), "previous_in_sentence"
    if not entity and q.unit != "count":
        entity, why = subject(text[at.part_start : min(q.start, at.part_start + WINDOW)]), "subject"
    return EntityDecision(entity, why, rule)


def _money_is(text: str, q: Quantity, at: Around, found: EntityDecision) -> EntityDecision:
    """Money is what it pays for or is, never the actor who gives it or a date."""
    entity, why = found.entity, found.why
    actor = bool(entity) and (entity in NOT_MONEY_HEADS or is_date_word(entity))
    from_left = why in FROM_LEFT
    money_head = bool(entity) and bool(MONEY_NOUNS.fullmatch(entity.split()[-1]))
    if (actor or from_left and not money_head) and (noun := money_verb(text, at.near, q)):
        return EntityDecision(noun, "money_is", found.rule)
    if actor or from_left and not (entity and MONEY_NOUNS.search(entity)):
        if (
            money := money_noun(text, at.near, q.start, q)
            or (actor or not entity)
            and money_noun(text, *at.sentence, q)
        ):
            return EntityDecision(money, "money_is", found.rule)
    return found


def entity_of(text: str, q: Quantity, at: Around, memory: Memory) -> EntityDecision:
    """What the figure counts, and why; remembered for the figures after it."""
    found = _from_words(text, q, at, memory)
    if is_money(q):
        found = _money_is(text, q, at, found)
    entity, why = found.entity, found.why
    if entity in GENERIC:
        entity = (
            memory.sentence.get(q.unit)
            or memory.paragraph.get(q.unit)
            or memory.paragraph.get("any")
            or entity
        )
        why = f"{why}, generic_word (the figure named before)"
    entity = entity or None
    if entity:
        memory.remember(q.unit, entity)
    return EntityDecision(entity, why, found.rule)

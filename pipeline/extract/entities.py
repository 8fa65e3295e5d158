"""What a figure counts or measures: the rules of rules/entities.yaml, tried in order.

A rule says which figures it applies to and what the words around the figure must look like
(patterns, as data); where a pattern cannot say it, a rule names a check of CHECKS, and it
names in TAKES how the entity is read (the noun phrase after the figure, the clause's
subject...). The first rule that applies and finds an entity decides; a `final` rule decides
even when it finds none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from pipeline.extract import phrases
from pipeline.extract.money import is_money, owner_of
from pipeline.extract.numbers import NUMBER_WORDS, WORD_VALUES
from pipeline.extract.quantities import Quantity
from pipeline.extract.rules import alternation, load

AFTER = 200  # characters after a figure its rules look at


@dataclass(frozen=True)
class Rule:
    """One rule of rules/entities.yaml, its patterns compiled."""

    name: str
    decides: str
    units: frozenset[str]
    take: str
    final: bool = False
    when: tuple[str, ...] = ()
    quote: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None
    not_after: re.Pattern[str] | None = None
    not_next: re.Pattern[str] | None = None
    before: re.Pattern[str] | None = None
    reach: int | None = None
    find: re.Pattern[str] | None = None
    entity_not: re.Pattern[str] | None = None
    allow_of: bool = True
    template: str | None = None


@dataclass
class Site:
    """A figure in its paragraph, and what the rules have read around it so far."""

    text: str
    q: Quantity
    clause_start: int
    kinds: frozenset[str]
    left: str  # the words before the figure in its clause
    passed: int = 0  # characters after the figure a money rule passes over ("gross")
    memo: dict = field(default_factory=dict)

    @property
    def end(self) -> int:
        """Where the words after the figure start, for the rule being tried."""
        return self.q.end + self.passed

    @property
    def after(self) -> str:
        return self.text[self.q.end : self.q.end + AFTER][self.passed :]

    def noun_phrase(self, pos: int, allow_of: bool = True) -> tuple[str, int] | None:
        """phrases.noun_phrase, read once per position (several rules ask for the same)."""
        key = ("np", pos, allow_of)
        if key not in self.memo:
            self.memo[key] = phrases.noun_phrase(self.text, pos, allow_of=allow_of)
        return self.memo[key]

    def search_before(self, rule: Rule) -> re.Match[str] | None:
        """The rule's `before` pattern at the end of the clause (or of its `reach`)."""
        key = ("before", rule.before.pattern, rule.reach)
        if key not in self.memo:
            if rule.reach is None:
                self.memo[key] = rule.before.search(self.left)
            else:
                lo = max(0, self.q.start - rule.reach)
                self.memo[key] = rule.before.search(self.text[lo : self.q.start])
        return self.memo[key]

    def before_start(self, rule: Rule, m: re.Match[str]) -> int:
        """Where a `before` match starts in the paragraph's text."""
        lo = self.clause_start if rule.reach is None else max(0, self.q.start - rule.reach)
        return lo + m.start()


@dataclass(frozen=True)
class Found:
    """The matches of a rule's patterns at one figure."""

    after: re.Match[str] | None
    before: re.Match[str] | None


# --- the rule table -------------------------------------------------------------------------


def _word_lists() -> dict[str, str]:
    """The placeholders of rules/entities.yaml and the alternations they stand for."""
    verbs = load("verbs")
    return {
        "change_nouns": alternation(verbs["change_nouns"]),
        "value_verbs": alternation(verbs["value_verbs"][0]["words"]),
        "to_verbs": alternation(verbs["to_verbs"]),
        "number_words": NUMBER_WORDS,
    }


def _compile(pattern: str | None, lists: dict[str, str]) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    return re.compile(re.sub(r"\{([a-z_]+)\}", lambda m: lists[m.group(1)], pattern))


@cache
def rules() -> tuple[Rule, ...]:
    """The rules of rules/entities.yaml, in order, compiled."""
    lists = _word_lists()
    out = []
    for r in load("entities")["rules"]:
        patterns = ("quote", "after", "not_after", "not_next", "before", "find", "entity_not")
        out.append(
            Rule(
                name=r["name"],
                decides=r.get("decides", r["name"]),
                units=frozenset(r.get("units", ("count", "money", "measure"))),
                take=r["take"],
                final=bool(r.get("final", False)),
                when=tuple(r.get("when", ())),
                reach=r.get("reach"),
                allow_of=bool(r.get("allow_of", True)),
                template=r.get("template"),
                **{key: _compile(r.get(key), lists) for key in patterns},
            )
        )
    return tuple(out)


@cache
def _passes_over() -> re.Pattern[str]:
    return re.compile(load("entities")["money_passes_over"])


# --- checks: what a pattern cannot say --------------------------------------------------------


def _figure_before_bracket(site: Site, rule: Rule, found: Found) -> bool:
    """A figure stands before the bracket that breaks it down."""
    bracket = site.before_start(rule, found.before)
    return bool(re.search(r"\d", site.text[max(0, site.q.start - 200) : bracket]))


def _number_after_the(site: Site, rule: Rule, found: Found) -> bool:
    """'of the four,': the word after 'the' is a number ('of the 4,' is a marker, not one)."""
    word = site.after.split()[2]
    return word.isdigit() or word.strip(",.;:)").lower() in WORD_VALUES


def _others_after(site: Site, rule: Rule, found: Found) -> bool:
    """'the 22 others': the noun after the figure is 'others'."""
    np = site.noun_phrase(site.q.end)
    return bool(np) and np[0].split()[0] == "others"


CHECKS: dict[str, Callable[[Site, Rule, Found], bool]] = {
    "size_adjective": lambda site, rule, found: bool(site.q.size_adjective),
    "measure_adjective": lambda site, rule, found: site.q.measure_adjective,
    "figure_before_bracket": _figure_before_bracket,
    "number_after_the": _number_after_the,
    "not_a_name": lambda site, rule, found: not phrases.is_proper(site.text, site.q.end),
    "others_after": _others_after,
}


# --- takes: how the entity is read ------------------------------------------------------------


def _noun_after(site: Site, found: Found, rule: Rule) -> str | None:
    pos = site.end + (found.after.end() if found.after else 0)
    np = site.noun_phrase(pos, rule.allow_of)
    return np[0] if np else None


def _noun_after_shared(site: Site, found: Found, rule: Rule) -> str | None:
    np = site.noun_phrase(site.end)
    return phrases.borrow_head(site.text, np) if np else None


def _size_adjective(site: Site, found: Found, rule: Rule) -> str | None:
    np = site.noun_phrase(site.q.end)
    return f"{np[0]} {site.q.size_adjective}" if np else site.q.size_adjective


def _last_in_left(site: Site, found: Found, rule: Rule) -> str | None:
    heads = rule.find.findall(site.left)
    return heads[-1] if heads else None


def _list_head(site: Site, found: Found, rule: Rule) -> str | None:
    """'officers: 105 from Ghana, 165 from Norway': the head noun the list shares."""
    text, q = site.text, site.q
    if not re.match(r"\s+(?:from|in|for|at|with)\s+(?:the\s+)?[A-Z]", text[q.end : q.end + 30]):
        return None
    items = re.search(
        r"(?:\d[\d,.]*\s+(?:from|in|for|at|with)\s+[^,;:\d]*?(?:,\s*(?:and\s+)?|\s+and\s+))*$",
        site.left,
    )
    head = site.left[: items.start()] if items else site.left
    head = re.sub(
        r"(?:\s*[:,(—–-]\s*|\s+(?:including|comprising|namely|were|are|as follows:?|"
        r"of\s+whom)\s*)$",
        "",
        head,
    )
    return phrases.noun_before(head)


def _noun_before_verb(site: Site, found: Found, rule: Rule) -> str | None:
    before = site.left[: found.before.start()]
    appositive = found.before.group().split()[0].lower() in load("verbs")["appositive_verbs"]
    return phrases.noun_before(before, appositive)


def _at_distance(site: Site, found: Found, rule: Rule) -> str | None:
    m = rule.find.search(site.left[: found.before.start()])
    if not m or not (np := phrases.clean_np(m.group("np"))):
        return None
    return f"{m.group('kept').lower()} of {np}" if m.group("kept") else np


def _past_auxiliaries(site: Site, found: Found, rule: Rule) -> str | None:
    stripped = rule.find.sub("", site.left[: found.before.start()])
    np = phrases.noun_before(stripped)
    if np is None and "," in stripped:
        np = phrases.noun_before(rule.find.sub("", re.sub(r",[^,;]*$", "", stripped)))
    return np


TAKES: dict[str, Callable[[Site, Found, Rule], str | None]] = {
    "nothing": lambda site, found, rule: None,
    "noun_after": _noun_after,
    "noun_after_shared": _noun_after_shared,
    "size_adjective": _size_adjective,
    "subject": lambda site, found, rule: phrases.subject(site.left),
    "noun_before_match": lambda site, found, rule: phrases.noun_before(
        site.left[: found.before.start()]
    ),
    "last_in_left": _last_in_left,
    "list_head": _list_head,
    "owner_of": lambda site, found, rule: owner_of(site.left),
    "template": lambda site, found, rule: rule.template.format(
        found.after.group(), *found.after.groups()
    ),
    "clean_np": lambda site, found, rule: phrases.clean_np(found.before.group("np")),
    "noun_or_subject": lambda site, found, rule: (
        phrases.noun_before(site.left) or phrases.subject(site.left)
    ),
    "noun_before_verb": _noun_before_verb,
    "at_distance": _at_distance,
    "past_auxiliaries": _past_auxiliaries,
}


# --- the engine -------------------------------------------------------------------------------


def _kinds(q: Quantity) -> frozenset[str]:
    if q.unit == "count":
        return frozenset({"count"})
    if is_money(q):
        return frozenset({"money"})
    return frozenset({"measure", "percent"} if q.unit.startswith("percent") else {"measure"})


def _matches(site: Site, rule: Rule) -> Found | None:
    """The rule's patterns at the figure, or None when one of them says no."""
    if rule.quote and not rule.quote.match(site.text, site.q.start):
        return None
    after = None
    if rule.after and not (after := rule.after.match(site.after)):
        return None
    if rule.not_after and rule.not_after.match(site.after):
        return None
    if rule.not_next and rule.not_next.match(site.after[after.end() :]):
        return None
    before = None
    if rule.before and not (before := site.search_before(rule)):
        return None
    found = Found(after, before)
    return found if all(CHECKS[name](site, rule, found) for name in rule.when) else None


def _passed(site: Site, rule: Rule) -> int:
    """Characters a money rule passes over after the sum ('gross', 'net')."""
    if rule.units != {"money"}:
        return 0
    m = _passes_over().match(site.text[site.q.end : site.q.end + AFTER])
    return m.end() if m else 0


@dataclass(frozen=True)
class Decision:
    """What a figure counts, the name it is decided under, and the rule that decided."""

    entity: str | None
    why: str
    rule: str


def decide(text: str, q: Quantity, clause_start: int) -> Decision:
    """What a quantity counts or measures, by the first rule of rules/entities.yaml that
    finds it; clause_start: where the words before it that the rules read start."""
    kinds = _kinds(q)
    site = Site(text, q, clause_start, kinds, text[clause_start : q.start])
    for rule in rules():
        if not rule.units & kinds:
            continue
        site.passed = _passed(site, rule)
        found = _matches(site, rule)
        if found is None:
            continue
        entity = TAKES[rule.take](site, found, rule)
        if entity is not None and rule.entity_not and rule.entity_not.match(entity):
            entity = None
        if entity is not None or rule.final:
            return Decision(entity, rule.decides, rule.name)
    return Decision(None, "none", "none")

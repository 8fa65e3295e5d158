"""Facts about a figure that an indicator needs: what it counts, whose it is, its status, how it
aggregates, whether it is the whole or a part, and the date or period it refers to.

Each fact is decided by the named rules of rules/facts.yaml, read around the figure in its
clause; the rule that decided is kept for `indicators explain`. Nothing here knows an
indicator: the codelist (schemas/indicators.yaml) maps on these facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from pipeline.extract.as_of import as_of, cumulative_since
from pipeline.extract.fact_rules import Figure, compiled, fact_pattern, left_of, right_of, rx, table
from pipeline.extract.report import Report

_MISSION_ACRONYM = re.compile(r"\b(?:UN[A-Z]{2,8}|MINU[A-Z]{2,6}|ONU[A-Z]{2,6}|MONU[A-Z]{1,6})\b")
# Patterns asked for once per figure, compiled once.
_RESPECTIVELY = re.compile(r"\brespectively\b")
_NET = re.compile(r"\W*net\b", re.I)
_STRENGTH = re.compile(r"\bstrength\b", re.I)
_CLAUSE_BREAK = re.compile(r"[,;:—–]\s")
_BREAKDOWN = re.compile(r"(?i)including|of whom|of which|among|comprising|consisting|out of")
# "I recommend ... with the current authorized strength of 2,370", "it might be necessary
# to go above the current ceiling of 1,721": the current one is stated, not proposed
_RESTATED = re.compile(
    r"\b(?:current|existing|present)\s+(?:\w+\s+){0,2}"
    r"(?:strengths?|ceilings?|levels?)\s+(?:of|at|is|stands at)\s+"
    r"(?:[^.;]{0,40}\band\s+)?(?:some\s+|about\s+)?$",
    re.I,
)


@dataclass
class Facts:
    """The facts of one figure, and the rule that decided each."""

    counted: str | None = None
    as_of: str | None = None
    status: str = "actual"
    holder: str = "unknown"
    aggregation: str | None = None
    scope: str = "whole"
    why: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Earlier:
    """A figure's sentence: every figure's offsets, and what those before it count."""

    spans: tuple[tuple[int, int], ...] = ()
    counted: tuple[str | None, ...] = ()

    @property
    def previous(self) -> str | None:
        """What the nearest figure before it that counts something counts."""
        return next((c for c in reversed(self.counted) if c), None)


@cache
def _components() -> dict[str, re.Pattern]:
    return {name: rx(p) for name, p in table()["components"].items()}


@cache
def _bodies() -> list[tuple[str, re.Pattern]]:
    return [
        (b["name"], rx(b["pattern"], 0 if b.get("case_sensitive") else re.I))
        for b in table()["holders"]["other_bodies"]
    ]


@cache  # once per report (Report is frozen, so hashable)
def _acronym_subs(report: Report) -> tuple[tuple[re.Pattern, str], ...]:
    """Each acronym the report spells out, as a pattern and what replaces it."""
    return tuple(
        (re.compile(rf"\b{re.escape(acronym)}\b"), f"{acronym} ({words})")
        for acronym, words in report.acronyms
    )


# Several figures share their entity words and their sentence: each text is read once.
@lru_cache(maxsize=4096)
def _expand(text: str, report: Report) -> str:
    """Text with each acronym the report spells out followed by its words."""
    for acronym, replacement in _acronym_subs(report):
        text = acronym.sub(replacement, text)
    return text


def _component_named(text: str, report: Report) -> str | None:
    """The last component of the mission a text names, by words or by a name the report
    defines ('the Task Force' for 'International Police Task Force (IPTF)')."""
    if report.subject:  # "the UNMIT police": the mission's police component
        text = re.sub(rf"\b{re.escape(report.subject)}\s+police\b", "united nations police", text)
    text = _expand(text, report)
    for _, words in report.acronyms:
        if _component(words):
            short = " ".join(words.split()[-2:])
            text = re.sub(rf"\bthe\s+{re.escape(short)}\b", f"the {words}", text, flags=re.I)
    found = [
        (m.end(), name) for name, pattern in _components().items() for m in pattern.finditer(text)
    ]
    return max(found)[1] if found else None


def _component(text: str) -> str | None:
    for name, pattern in _components().items():
        if pattern.search(text):
            return name
    return None


_COMPONENT_CONCEPT = {"police": "police", "military": "troops", "observers": "military_observers"}


@cache
def _counted_rules(kind: str) -> tuple[tuple[int, dict], ...]:
    """The rules of `counted` that hold for a kind of figure (money, count, other), with
    their place among all the rules."""
    return tuple(
        (i, rule)
        for i, rule in enumerate(compiled("counted"))
        if not rule.get("unit") or rule["unit"] == kind
    )


@lru_cache(maxsize=4096)  # figures share their entity words
def _named_by(entity: str) -> frozenset[int]:
    """The places of the rules of `counted` whose `entity` pattern finds these words."""
    return frozenset(
        i
        for i, rule in enumerate(compiled("counted"))
        if rule["entity"] and rule["entity"].search(entity)
    )


def _in_context(rule: dict, left: str, right: str) -> bool:
    """The rule's words before the figure, or after it, are there."""
    return bool(
        (rule["left"] and rule["left"].search(left))
        or (rule["right"] and rule["right"].search(right))
    )


def counted(f: Figure, report: Report) -> tuple[str | None, str]:
    """What the figure counts, and the rule that says so."""
    entity = _expand(f.entity or "", report).lower()
    named_by = _named_by(entity)
    left, right = left_of(f), right_of(f)
    kind = "money" if f.money else "count" if f.count else "other"
    for i, rule in _counted_rules(kind):
        # `in_sentence`: the rule holds only in a sentence that says this
        if rule["in_sentence"] and not rule["in_sentence"].search(f.text[slice(*f.sentence)]):
            continue
        if rule["unless_right"] and rule["unless_right"].search(right):
            continue
        named = i in named_by
        # `with_context`: what it counts must be named AND its context must say so (the
        # context is searched only when the entity alone does not decide)
        if rule.get("with_context"):
            hit = named and _in_context(rule, left, right)
        else:
            hit = named or _in_context(rule, left, right)
        if not hit:
            continue
        name = rule["name"]
        if name == "personnel":  # "the strength of the police component is 1,500 monitors"
            frames = (left + " " + (f.entity or ""), f.text[f.sentence[0] : f.start], right[:80])
            for frame in frames:
                if (component := _component_named(frame, report)) is not None:
                    return (
                        _COMPONENT_CONCEPT[component],
                        f"personnel of the {component} component",
                    )
        if name == "appropriation" and _NET.match(right):
            return "appropriation_net", "appropriation_net: the amount net of staff assessment"
        return name, name
    if framed := _number_of(f, report):
        return framed
    generic = f.entity is None or _STRENGTH.search(f"{left} {f.entity}")
    for where in (left, f.text[f.sentence[0] : f.start]):
        if generic and (component := _component_named(where, report)) is not None:
            return _COMPONENT_CONCEPT[component], f"strength of the {component} component"
    return None, "none: no rule of rules/facts.yaml counted says what this counts"


def _concept_of(phrase: str, concepts: list[str]) -> str | None:
    """The first of these concepts whose rule reads a phrase as what it counts."""
    for rule in compiled("counted"):
        if rule["name"] not in concepts or rule.get("with_context"):
            continue
        if (rule["entity"] and rule["entity"].search(phrase)) or (
            rule["right"] and rule["right"].search(" " + phrase)
        ):
            return rule["name"]
    return None


@cache
def _number_of_patterns() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.I) for p in table()["number_of"]["patterns"])


def _number_of(f: Figure, report: Report) -> tuple[str, str] | None:
    """'the number of returns ... from 230 to 2,440 persons': what the sentence says the
    number of is, for a figure whose own words name nothing else."""
    rules = table()["number_of"]
    entity = _expand(f.entity or "", report).lower()
    if not fact_pattern("number_of", "entity").search(entity) or _RESPECTIVELY.search(
        right_of(f)[:40]
    ):
        return None
    before = f.text[f.sentence[0] : f.start]
    for number_of in _number_of_patterns():
        m = number_of.search(before)
        if m and (concept := _concept_of(m.group("what"), rules["concepts"])) is not None:
            return concept, f"number_of: '{m.group('what')[-60:]}' before it says what it counts"
    return None


def takes_previous(f: Figure, concept: str | None, previous: str | None) -> str | None:
    """What the figure before it counts, for a figure compared with it ('compared with 17')
    or in brackets right after it (a breakdown), when that is a concept listed."""
    rules = table()["takes_previous"]
    if previous not in rules["concepts"] or concept == previous:
        return None
    if _RESPECTIVELY.search(right_of(f)[:40]):
        return None
    left = left_of(f)
    if fact_pattern("takes_previous", "compared", re.I).search(left):
        return f"takes_previous: compared with a figure of {previous}"
    if concept in (None, *rules["concepts"]) and fact_pattern("takes_previous", "aside").search(
        left
    ):
        return f"takes_previous: in brackets after a figure of {previous}"
    return None


def respectively(f: Figure, earlier: Earlier) -> tuple[str, str] | None:
    """'three officers killed and eight wounded, compared with two and three, respectively':
    the k-th bare figure of a list closed by 'respectively' counts what the k-th of the n
    figures before the list counts."""
    if not fact_pattern("respectively", "bare", re.I).match(f.text[f.end : f.end + 20]):
        return None
    close = fact_pattern("respectively", "closed_by", re.I).match(right_of(f))
    k = len(earlier.counted)
    if not close or k >= len(earlier.spans) or earlier.spans[k] != (f.start, f.end):
        return None
    stop, spans = f.end + close.end(), earlier.spans
    first = k
    glue = fact_pattern("respectively", "glue")
    while first > 0 and glue.fullmatch(f.text[spans[first - 1][1] : spans[first][0]]):
        first -= 1
    last = k
    while last + 1 < len(spans) and spans[last + 1][0] < stop:
        last += 1
    n = last - first + 1
    before = earlier.counted[:first][-n:]
    if n < 2 or len(before) < n or before[k - first] is None:
        return None
    i = k - first + 1
    return before[i - 1], (
        f"respectively: figure {i} of {n} in a list closed by 'respectively' counts what "
        f"figure {i} of the list before it counts"
    )


@cache  # once per report, not once per figure (Report is frozen, so hashable)
def _strong_subject(report: Report) -> re.Pattern | None:
    """The report's subject by name: its acronym, its name, the acronyms of its components
    and their short forms ('the Task Force' for 'International Police Task Force (IPTF)')."""
    names = [re.escape(n) for n in (report.subject, report.subject_name) if n]
    for acronym, words in report.acronyms:
        if _component(words) or (
            report.subject_name and words.lower() in report.subject_name.lower()
        ):
            names.append(re.escape(acronym))
            if _component(words):
                names.append(r"the\s+" + r"\s+".join(map(re.escape, words.split()[-2:])))
    return re.compile(r"\b(?:" + "|".join(names) + r")\b") if names else None


@cache
def _weak_subject() -> re.Pattern:
    """The subject by common words: 'the Mission', a component ('the police component')."""
    components = "|".join(p.pattern for p in _components().values())
    return re.compile(f"(?i:{table()['holders']['subject_words']}|{components})")


@lru_cache(maxsize=4096)  # figures of a sentence share their words before and after
def _mentions(text: str, report: Report) -> tuple[tuple[int, str], ...]:
    """(end offset, holder) of every body named in a text. The subject by name wins over
    another body where they overlap, another body over the subject's common words ('the
    national police strength' is not the mission's police; 'the United Nations Mission in X'
    is the subject, 'the United Nations country team' is not)."""
    strong = _strong_subject(report)
    named = [(m.start(), m.end()) for m in strong.finditer(text)] if strong else []
    others = [
        (m.start(), m.end(), name)
        for name, pattern in _bodies()
        for m in pattern.finditer(text)
        if not any(s < m.end() and m.start() < e for s, e in named)
    ]
    for m in _MISSION_ACRONYM.finditer(text):
        if m.group() != report.subject and not any(s < m.end() and m.start() < e for s, e in named):
            others.append((m.start(), m.end(), "other_mission"))
    found = [(e, "subject") for _, e in named] + [(e, name) for _, e, name in others]
    found += [
        (m.end(), "subject")
        for m in _weak_subject().finditer(text)
        if not any(s < m.end() and m.start() < e for s, e, _ in others)
    ]
    return tuple(sorted(found))


def holder(f: Figure, concept: str | None, report: Report) -> tuple[str, str]:
    """Whose figure it is, and the rule that says so."""
    rules = table()["holders"]
    in_entity = _mentions(_expand(f.entity or "", report), report)
    if in_entity:
        return in_entity[-1][1], "named in what it counts"
    personnel = concept in rules["personnel_concepts"]
    for where, left in (("clause", left_of(f)), ("sentence", f.text[f.sentence[0] : f.start])):
        before = _mentions(left, report)
        if before:
            end, body = before[-1]
            if personnel and fact_pattern("holders", "acts_on", re.I).search(left[end:]):
                return "unknown", f"{body} named before it acts on them, does not own them"
            return body, f"nearest body named before it in its {where}"
        after = _mentions(right_of(f)[:80], report)
        if after:
            end, body = after[0]
            if personnel and fact_pattern("holders", "acts_on", re.I).search(right_of(f)[:end]):
                return "unknown", f"{body} named after it acts on them, does not own them"
            return body, "body named right after it"
    sentence = f.text[f.sentence[0] : f.sentence[1]]
    if f.money and fact_pattern("holders", "money_subject", re.I).search(sentence):
        return "subject", "money of the mission's special account or upkeep"
    if concept in rules["personnel_default"] and report.subject:
        return "subject", "personnel no body claims, in a report about the mission"
    return "unknown", "no body named"


@cache
def _status_rules() -> list[dict]:
    """The rules of `status`, their `sentence` pattern compiled too (case-blind)."""
    return [
        {**rule, "sentence": re.compile(rule["sentence"], re.I) if rule.get("sentence") else None}
        for rule in compiled("status")
    ]


def status(f: Figure) -> tuple[str, str]:
    """The figure's status (actual, authorized, planned, needed, pledged, received, negated)."""
    left, right = _CLAUSE_BREAK.split(left_of(f))[-1], right_of(f)
    sentence = f.text[f.sentence[0] : f.start]
    kind = "money" if f.money else "count"
    restated = _RESTATED.search(left)
    for rule in _status_rules():
        if rule.get("unit") and rule["unit"] != kind:
            continue
        if restated and rule["status"] == "planned":
            continue
        if rule["sentence"] and f.whole_sentence and rule["sentence"].search(sentence):
            return rule["status"], f"{rule['name']}: the sentence proposes or supposes"
        if rule["left"] is not None and rule["left"].search(left):
            return rule["status"], f"{rule['name']}: marker before it"
    for rule in _status_rules():
        if rule.get("unit") and rule["unit"] != kind:
            continue
        if rule["right"] is not None and rule["right"].search(right):
            return rule["status"], f"{rule['name']}: marker after it"
    return "actual", "actual: no marker of another status"


def aggregation(f: Figure, concept: str | None) -> tuple[str | None, str]:
    """A stock at a date, a flow within a period, or a cumulative total since a start."""
    rules = table()["aggregation"]
    if fact_pattern("aggregation", "cumulative", re.I).search(left_of(f) + " " + right_of(f)[:60]):
        return "cumulative", "cumulative: since, to date, so far"
    if concept in rules["stock"]:
        return "stock", f"stock: {concept} are counted at a date"
    if concept in rules["flow"]:
        return "flow", f"flow: {concept} are counted within a period"
    return None, "none: what it counts has no known aggregation"


def scope(f: Figure, concept: str | None, previous: str | None) -> tuple[str, str]:
    """The whole or a part; a breakdown's part with a concept of its own ("a civilian component
    comprising 321 international staff") is that concept's whole."""
    left, right = left_of(f), right_of(f)
    if m := fact_pattern("scope", "part_left", re.I).search(left):
        breakdown = _BREAKDOWN.match(m.group().strip())
        if breakdown and concept in SPECIFIC and concept != previous:
            return "whole", "whole: a breakdown's part that has a concept of its own"
        return "part", f"part: '{m.group().strip()[:40]}' before it"
    if fact_pattern("scope", "whole", re.I).search(left):
        return "whole", "whole: a total, overall, or the strength of the whole"
    if not f.money and fact_pattern("scope", "part_in_brackets").search(left):
        return "part", "part: in brackets after another figure (a breakdown)"
    if m := fact_pattern("scope", "part_right").search(right):
        return "part", f"part: '{m.group().strip()[:40]}' after it"
    return "whole", "whole: nothing restricts it"


# Concepts specific enough to stand on their own inside a breakdown of something larger.
SPECIFIC = {
    "police",
    "troops",
    "military_observers",
    "staff_international",
    "staff_national",
    "staff_civilian",
    "killed",
    "injured",
    "returnees",
    "idps",
    "refugees",
}


def decide(f: Figure, report: Report, earlier: Earlier = Earlier(), before: str = "") -> Facts:
    """Every fact of one figure. earlier: its sentence's figures and what those before it
    count; before: the end of the previous paragraph ('as of the same date' may point there)."""
    previous = earlier.previous
    concept, why_counted = counted(f, report)
    if (listed := respectively(f, earlier)) is not None:
        concept, why_counted = listed
    elif (taken := takes_previous(f, concept, previous)) is not None:
        concept, why_counted = previous, taken
    facts = Facts(counted=concept)
    facts.why["counted"] = why_counted
    facts.holder, facts.why["holder"] = holder(f, concept, report)
    facts.status, facts.why["status"] = status(f)
    facts.aggregation, facts.why["aggregation"] = aggregation(f, concept)
    facts.scope, facts.why["scope"] = scope(f, concept, previous)
    facts.as_of, facts.why["as_of"] = as_of(f, report, concept, facts.status, before)
    if facts.why["status"].startswith("change_from") and report.now:
        facts.as_of = report.now.isoformat()
        facts.why["as_of"] = "change_from: the value a planned change starts from, now"
    if facts.aggregation == "cumulative" and (since := cumulative_since(f, report, facts.as_of)):
        facts.as_of = since
        facts.why["as_of"] += "; cumulative_since: counted from the start its sentence states"
    return facts

"""What is not a quantity: identifiers, dates and addresses blanked out before numbers are
read, and the numbers that are something else (labels, markers, durations, 'one' as a
pronoun). Each is named after its rule in rules/exclusions.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.numbers import WORD_VALUES
from pipeline.extract.quantity_patterns import EXCLUSIONS, patterns
from pipeline.extract.rules import words, year_range
from pipeline.extract.units import registry

YEAR_MIN, YEAR_MAX = year_range()


@dataclass(frozen=True)
class Drop:
    """A number that was found and left out, with the rule that left it out."""

    start: int
    end: int
    text: str
    rule: str


def mask_identifiers(text: str, drops: list[Drop] | None = None) -> str:
    """Blank out addresses, symbols, identifiers, ordinals, dates and times (same length).

    With ``drops``, every number blanked out is recorded there with its rule's name.
    """
    pats = patterns()

    def blank(m: re.Match[str]) -> str:
        if drops is not None:
            rule = m.lastgroup or "address"
            rule = "date" if rule == "month_date" else rule
            for d in re.finditer(r"\d[\d,.]*", m.group()):
                drops.append(
                    Drop(m.start() + d.start(), m.start() + d.end(), d.group().rstrip(",."), rule)
                )
        return " " * len(m.group())

    if "<" in text or "@" in text or "www." in text or "http" in text:
        text = pats["addresses"].sub(blank, text)
    # the named pattern (slower: it keeps every group) only when the rules are asked for
    return pats["mask" if drops is not None else "mask_fast"].sub(blank, text)


def _after_identifier(text: str, start: int) -> bool:
    """'ISO 9001', 'SDG 16', 'COP 26', 'aged 15': an acronym or age word before a number."""
    m = patterns()["acronym"].search(text, max(0, start - 12), start)
    if not m:
        return False
    word = m.group().strip()
    # "In 300 villages" is no acronym: the pattern is case-blind, so check the capitals here
    if len(word) >= 2 and word.isupper() or len(word) >= 3 and word[:-1].isupper():
        return word not in registry().prefix_codes
    return re.sub(r"\s+", " ", word.lower()) in (
        "age",
        "aged",
        "ages",
        "age of",
        "level",
        "phase",
        "grade",
    )


_LABEL_FOLLOWERS = re.compile(
    r"\s*(?:$|[.,;:)]|\(|and\s+\d|(?:was|were|is|are|has|had|have|will|would|and|or|of|in|on|"
    r"at|to|for|with|from|by|as)\b|[a-z]+ed\b)"
)
# a run of names and numbers, "Argentina 39 Austria 24": the cells of a table
_TABLE_RUN = re.compile(
    r"\*?\s+(?:(?:[A-Z][^\s\d]*|of|and|the)\s+){1,10}\d[\d,]*"
    r"(?:\s+[A-Z]|\s*$|\s+\d{3}\b)|\s+\d{3}\b\s*(?:-|$)"
)
_NOT_LABELS = set(words("not_label_words")) | {w.capitalize() for w in WORD_VALUES}


def _is_label(text: str, start: int, end: int) -> bool:
    """'Brigade 7 moved': a plain number right after a capitalised noun mid-sentence."""
    if _TABLE_RUN.match(text, end) and re.search(
        r"\b[A-Z][^\s\d]+\s$", text[max(0, start - 30) : start]
    ):
        return True  # "Norway 12 Chile 30": the cells of a table, wherever the run starts
    if (
        re.search(r"\b[A-Z][^\s\d]+\s+\d{1,3}\s$", text[max(0, start - 30) : start])
        and re.fullmatch(r"\d{3}", text[start:end])
        and re.match(r"\s*(?:-|$)", text[end:])
    ):
        return True  # "Total 1 605": the rest of a number spaced in thousands, in a table
    m = patterns()["label_name"].search(text, max(0, start - 20), start)
    if not m or m.group(1) in _NOT_LABELS:
        return False
    before = text[: m.start()].rstrip()
    if not before or before[-1] in '.!?:;"“(':
        return False  # a capital that starts a sentence says nothing
    return bool(_LABEL_FOLLOWERS.match(text, end))


def is_year(raw: str, currency: str | None, value: float) -> bool:
    return (
        currency is None
        and re.fullmatch(r"\d{4}", raw) is not None
        and YEAR_MIN <= value <= YEAR_MAX
    )


def _glued(text: str, m: re.Match[str], start: int, in_words: bool) -> bool:
    """Glued to a word, a symbol or a decimal point: part of an identifier, not a quantity."""
    before = text[max(0, start - 1) : start]
    after = text[m.end() : m.end() + 1]
    if (
        before
        and (before.isalnum() or before in "/.‑_")
        or after == "/"
        or (
            after.isalpha()
            and not in_words
            and not re.match(
                r"(?:bn|mn|mln|m|k|km|kg|ha|b|MW|kW|GW|GWh|MWh|kWh|Mt|Gt|kt|cm)\b|%",
                text[m.end() : m.end() + 4],
            )
        )
    ):
        return True
    return before == "-" and start >= 2 and text[start - 2].isalpha()


def _enumeration(text: str, m: re.Match[str], start: int) -> bool:
    """'(1) twelve clinics': a number in brackets is a marker; 'vocational training (4),'
    counts, and so does 'Bangladesh (35)'."""
    return not re.search(r"[A-Z][\w'’-]*\)?\s*\($", text[max(0, start - 40) : start]) and not (
        re.search(r"[^\W\d_]\s*\($", text[max(0, start - 3) : start])
        and re.match(r"\)\s*(?:[,;.]|and\b|or\b|$)", text[m.end() : m.end() + 6])
    )


# Asked for once per number read, compiled once.
_PERIOD_END = re.compile(r"\b(?:19|20)\d\d\s*[-–—]\s*$")
_YEAR_AND_MARKER = re.compile(r"(?:1[89]|20)\d\d\.\d{1,3}")
_SENTENCE_AFTER = re.compile(r"\s+[A-Z“\"(]")
_DIGITS = re.compile(r"\d+")
_LEADING_ZERO = re.compile(r"0\d+")
_PER = re.compile(r"\b(?:per|every|for\s+every)\s+$", re.I)


def not_a_quantity(text: str, m: re.Match[str], start: int, currency: str | None) -> str | None:
    """The rule that makes this number something else (identifier, marker, period...)."""
    raw, in_words = m.group("num"), not m.group("num")[0].isdigit()
    before = text[max(0, start - 1) : start]
    after = text[m.end() : m.end() + 1]
    if _glued(text, m, start, in_words):
        return "glued"
    # a period ends in digits: "since 1991 - four of the five" is a dash, then a count
    if not in_words and _PERIOD_END.search(text[max(0, start - 8) : start]):
        return "period_end"  # "2013–2022", with or without a glued note marker
    # "observations,74 the", "23.7%6": a footnote marker glued to the text before it.
    if (
        before
        and before in ',;:)”’"%'
        and start >= 2
        and not text[start - 2].isspace()
        and (before != ")" or not in_words)
    ):
        return "footnote_marker"
    if not in_words and currency is None and _after_identifier(text, start):
        return "acronym_before"
    if before == "(" and after == ")" and _enumeration(text, m, start):
        return "enumeration"
    if _YEAR_AND_MARKER.fullmatch(raw) and _SENTENCE_AFTER.match(text[m.end() : m.end() + 2]):
        return "footnote_marker"  # "in 2022.1 It": a year ending a sentence, then a marker
    if after != "" and after in "′″":
        return "glued"  # angles in minutes and seconds
    if (
        not in_words
        and currency is None
        and _DIGITS.fullmatch(raw)
        and _is_label(text, start, m.end())
    ):
        return "label_after_name"
    if _LEADING_ZERO.fullmatch(raw):
        return "leading_zero_code"  # "030697": a code or a date stamp, not an amount
    if _PER.search(text[max(0, start - 12) : start]):
        return "rate_denominator"  # "1.15 officers per 1,000 inhabitants"
    return None


def occurrences(text: str, duration: re.Match[str]) -> bool:
    """'called upon 18 times': a count of occasions; 'three times as many' is a multiplier,
    'three times a year' a frequency."""
    return duration.group().strip().lower() == "times" and not re.match(
        r"\s+(?:as(?!\s+an?\s)|more|less|fewer|higher|lower|larger|greater|smaller|bigger|the|that|over|"
        r"a|an|per|each|every|daily|weekly|monthly|annually|yearly)\b",
        text[duration.end() : duration.end() + 12],
    )  # "three times a year" is a frequency


def is_duration(match: re.Match[str], value: float) -> bool:
    """'three months', '12-week', 'one year': a duration; '3,200 night patrols' is a count."""
    word = match.group().split()[-1].split("-")[-1].lower()
    singular = not word.endswith("s") or word in ("times",)
    return match.group().startswith("-") or not singular or value == 1 or word == "times"


def one_is_pronoun(text: str, start: int, end: int) -> bool:
    """'one of the', 'no one', 'one another': 'one' that counts nothing."""
    after = text[end : end + 20].lower()
    before = text[max(0, start - 8) : start].lower()
    return bool(
        re.match(
            r"\s+(?:of|another|or|by|and only|such|which|who|that|in|at|is|was|"
            r"with)\b|[.,;:)]",
            after,
        )
        or re.search(r"\b(?:no|any|each|every|the|this)\s+$", before)
        or any(
            m.start() <= start < m.end()
            for m in ONE_IDIOM.finditer(text, max(0, start - 12), min(len(text), end + 20))
        )
        or ONE_DETERMINER.match(text, end)
    )


# "in one place", "One practical consequence of": 'one' in a set phrase or before a noun that
# names an item of a kind (rules/exclusions.yaml, pronoun_one)
ONE_IDIOM = re.compile(
    r"\b(?:"
    + "|".join(re.escape(i).replace(r"\ ", r"\s+") for i in EXCLUSIONS["pronoun_one"]["idioms"])
    + r")\b",
    re.I,
)
ONE_DETERMINER = re.compile(
    r"(?:\s+[a-z]+(?:-[a-z]+)?){0,2}?\s+(?:"
    + "|".join(EXCLUSIONS["pronoun_one"]["determiner_nouns"])
    + r")\s+of\b"
)

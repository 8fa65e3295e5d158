"""Quantities: find every cardinal amount in running text, with unit, qualifier and range.

The vocabularies (number words, scales, qualifiers, identifier words, time units, size
adjectives, units) are data in rules/*.yaml; this module compiles them into patterns. Every
number it drops is recorded with the name of the rule that dropped it (see `find_quantities`'s
``drops``), which `indicators explain` prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import cache

from pipeline.extract.numbers import (
    FRACTIONS,
    LARGE_WORDS,
    SCALES,
    TENS_WORDS,
    UNIT_WORDS,
    WORD_VALUES,
    number_value,
)
from pipeline.extract.rules import alternation, load, qualifier_words, words, year_range
from pipeline.extract.units import COUNT, UNKNOWN, currency_code, registry
from pipeline.read.dates import ABBREVIATIONS, MONTH_PATTERN

QUALIFIERS = qualifier_words()
_EXCLUSIONS = {r["name"]: r for r in load("exclusions")["exclusions"]}
IDENTIFIER_WORDS = "|".join(_EXCLUSIONS["identifier_after_word"]["words"])
TIME_UNITS = "(?:" + "|".join(_EXCLUSIONS["duration"]["time_units"]) + ")"
SIZE_ADJECTIVES = load("exclusions")["size_adjectives"][0]["nouns"]
YEAR_MIN, YEAR_MAX = year_range()
_QUAL_RULES = load("qualifiers")

MONTHS = "|".join([MONTH_PATTERN, *(re.escape(a) for a in ABBREVIATIONS)])


@dataclass(frozen=True)
class Quantity:
    """One amount found in a text: the quote span and the normalised reading."""

    start: int
    end: int
    value: float
    value_max: float | None
    unit: str
    qualifier: str
    in_words: bool
    size_adjective: str | None = None
    unit_word: str | None = None  # the word of a unit the registry does not know
    measure_adjective: bool = False  # "a 20-kilometre zone": what is measured follows
    rule: str = "number"  # the rule that read it (number, fraction, ratio...)


@dataclass(frozen=True)
class Drop:
    """A number that was found and left out, with the rule that left it out."""

    start: int
    end: int
    text: str
    rule: str


def _mask_pattern(months: str) -> str:
    """Identifiers, dates, times and the like, as one pattern of named rules.

    Grouped by first character so each position is tried against one group only; each
    alternative is named after its rule in rules/exclusions.yaml.
    """
    return (
        r"\b(?=\d)(?:"
        r"(?P<slash_number>\d+(?:/\d+)+\b)"
        # not after a change's "from"/"to" or a verb: "fell from 52 (2010) to 47 (2011)"
        r"|(?<!from )(?<!to )(?<!at )(?<!was )(?<!were )(?<!is )(?<!are )(?<!of )"
        r"(?P<identifier_with_year>\d{1,4}\s*\((?:19|20)\d\d\))"
        r"|(?P<job_number>\d{2}-\d{5}(?:\s*\([A-Z]\))?(?:\s+\d{6}\b)?)"
        r"|(?P<ordinal>\d+(?:st|nd|rd|th)\b)"
        r"|(?P<date>\d{4}-\d{2}-\d{2}\b"
        rf"|\d{{1,2}}(?:\s*(?:–|-|to|and)\s*\d{{1,2}})?\s+(?:{months})(?:\s+\d{{4}})?)"
        r"|(?P<paragraph_label>\d{1,5}\.(?:,\s*\d{1,5}\.)+,?)"
        r"|(?P<time_of_day>\d{1,2}[:.]\d{2}\s*(?:a\.m\.|p\.m\.|hours|h\b)"
        r"|\d{1,2}\s*(?:a\.m\.|p\.m\.)|\d{1,2}:\d{2}\b))"
        r"|\b(?=[A-Za-z])(?:"
        r"(?P<document_symbol>(?:[A-Z]{1,4}(?:\.\d+)?/)+[\w./()-]*\d[\w./()-]*)"
        r"|(?P<code_with_digits>(?=[A-Za-z]+[-‑]?\d)[A-Za-z]+[-‑]?\d+[\w-]*)"
        rf"|(?P<month_date>(?:{months})\s+\d{{1,2}}(?:\s*(?:–|-|to)\s*\d{{1,2}})?"
        rf"(?:,\s*\d{{4}})?\b|(?:{months})\s+\d{{4}})"
        # identifiers after a keyword; the look-ahead prunes the long word list
        rf"|(?P<identifier_after_word>(?=[A-Za-z]{{1,16}}\.?\s+\(?[\dIVXivx])"
        rf"(?i:{IDENTIFIER_WORDS})\s+\(?"
        # a number, or a list of them ("Items 4, 6 and 8", not "... and 3 experts"), each
        # with its year and date: "824 (1993) of 6 May 1993 and 836 (1993)"
        rf"(?:\d[\w.()/]*(?:\s*\((?:19|20)\d\d\))?(?:\s+of\s+\d{{1,2}}\s+(?:{months})\s+\d{{4}})?"
        rf"(?:\s*(?:,|and|or|to|–|-)\s*\d[\w./]*(?:\s*\((?:19|20)\d\d\))?"
        rf"(?:\s+of\s+\d{{1,2}}\s+(?:{months})\s+\d{{4}})?"
        r"(?!\s+(?!(?:and|or|to|of|in|on|at|for|with|as|were|was|are|is|be|have|has|had|"
        r"will|would|which|that|above|below|respectively)\b)[a-z]{3,}))*"
        r"|[IVXLC]{1,7}\b|[ivxl]{1,5}\b)))"
        r"|(?P<year_in_parentheses>\((?:19|20)\d\d\))"
    )


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    """Compiled patterns, built once on first use so importing stays cheap."""
    reg = registry()
    units = "|".join(UNIT_WORDS)
    tens = "|".join(TENS_WORDS)
    large = "|".join(LARGE_WORDS)
    small = rf"(?:(?:{tens})(?:[- ](?:{units}))?|{units})"
    triple = rf"(?:{small}(?:\s+hundred(?:\s+(?:and\s+)?{small})?)?)"
    # "four thousand seven hundred and forty": triples joined by large scale words, in full
    word = (
        rf"{triple}(?:\s+(?:{large})(?:,?\s+(?:and\s+)?{triple}(?!\s+(?:{large})\b))?)*"
        rf"(?:\s+(?:{large}))?"
    )
    digits = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    cur = r"(?:\\?(?:US\$|A\$|C\$|R\$|\$)|€|£|¥|₹|(?:[A-Z]{3})\s?)"
    fracs = "|".join(sorted(FRACTIONS, key=len, reverse=True))
    # the look-ahead on number words' first letters saves trying them at most positions
    number = rf"(?:(?P<cur>{cur})\s?)?(?P<num>{digits}|(?i:\b(?=[efnost]){word}\b))"
    fraction = (
        rf"(?i:\b(?=[aefnost])(?P<fnum>a|{small})[\s-]+(?P<fden>{fracs})\b)"
        rf"|(?i:\b(?P<half>half)(?=\s+(?:of|the|a|all|its|their)\b))"
    )
    quals = sorted((q for qs in QUALIFIERS.values() for q in qs), key=len, reverse=True)
    forms = alternation(reg.forms)
    symbols = "|".join(re.escape(s) for s in sorted(reg.symbols, key=len, reverse=True))
    curwords = alternation(reg.currency_words)
    months = MONTHS
    mask = _mask_pattern(months)
    return {
        "number": re.compile(rf"{fraction}|{number}"),
        "fraction_hint": re.compile(rf"(?i:\b(?:{fracs})\b)"),
        "mask": re.compile(mask),
        "mask_fast": re.compile(re.sub(r"\(\?P<[a-z_]+>", "(?:", mask)),
        "number_only": re.compile(number),
        "second": re.compile(rf"\s*(?:–|—|-|to|and)\s*{number}"),
        "scale": re.compile(
            r"\s*(?:thousand|million|billion|trillion)\b|\s?(?:k|m|mn|mln|bn|b)\b", re.I
        ),
        "qualifier": re.compile(rf"(?:^|(?<=[\s(]))(?i:{alternation(quals)})\s+$"),
        "measure": re.compile(rf"\s*(?:{forms})(?![A-Za-z])", re.I),
        "symbol": re.compile(rf"\s?(?:{symbols})\b"),
        "measure_adj": re.compile(rf"-(?:{forms})(?![A-Za-z-])", re.I),
        "curword": re.compile(rf"\s+(?:{curwords}|[A-Z]{{3}})\b", re.I),
        "ratio": re.compile(
            rf"\s+in\s+(?P<den>\d+|(?i:{small}))\b"
            rf"(?!\s*(?:per\s*cent|%|{months}))"
        ),
        # addresses; the look-ahead keeps a long run of word characters linear
        "addresses": re.compile(
            r"(?:https?://|www\.)\S+|<[^>\s]+>|\b(?=[\w.+-]{1,64}@)[\w.+-]+@[\w-]+\.\w+"
        ),
        "year_span": re.compile(r"\b(?:1[89]\d\d|20\d\d)(?:\s*[–/-]\s*(?:\d{2}|\d{4}))?\b"),
        "duration": re.compile(
            rf"(?:\s+|-)(?:(?:and\s+a\s+half|more|other|further|consecutive|"
            rf"working|calendar|full|additional|straight|subsequent|business)"
            rf"\s+)?{TIME_UNITS}\b",
            re.I,
        ),
        "hyphen_adj": re.compile(r"-([a-z]+)\b"),
        "acronym": re.compile(
            r"(?:\b[A-Z]{2,}[a-z]?|\b(?:aged?|ages|age\s+of|level|phase|grade))"
            r"\s?$",
            re.I,
        ),
        "label_name": re.compile(r"(?<![.!?:;]\s)(?<![.!?:;])\b([A-Z][a-z]{2,})\s$"),
    }


def mask_identifiers(text: str, drops: list[Drop] | None = None) -> str:
    """Blank out addresses, symbols, identifiers, ordinals, dates and times (same length).

    With ``drops``, every number blanked out is recorded there with its rule's name.
    """
    pats = _patterns()

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
    m = _patterns()["acronym"].search(text, max(0, start - 12), start)
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
    m = _patterns()["label_name"].search(text, max(0, start - 20), start)
    if not m or m.group(1) in _NOT_LABELS:
        return False
    before = text[: m.start()].rstrip()
    if not before or before[-1] in '.!?:;"“(':
        return False  # a capital that starts a sentence says nothing
    return bool(_LABEL_FOLLOWERS.match(text, end))


def _is_year(raw: str, currency: str | None, value: float) -> bool:
    return (
        currency is None
        and re.fullmatch(r"\d{4}", raw) is not None
        and YEAR_MIN <= value <= YEAR_MAX
    )


def find_quantities(text: str, drops: list[Drop] | None = None) -> list[Quantity]:
    """Every cardinal quantity in a paragraph's text, in order.

    With ``drops``, every number left out is appended to it with the rule that left it out.
    """
    pats = _patterns()
    masked = mask_identifiers(text, drops)
    found: list[Quantity] = []
    pos = 0
    # fractions are rare: the pattern that also finds them runs only where one may be
    number = pats["number"] if pats["fraction_hint"].search(text) else pats["number_only"]
    while True:
        m = number.search(masked, pos)
        if not m:
            break
        pos = m.end()
        if m.re is pats["number"] and (m.group("fnum") or m.group("half")):
            q, rule = _read_fraction(text, m), "hyphen_adjective"
        else:
            q, rule = _read_quantity(text, masked, m)
        if q is None:
            if drops is not None:
                drops.append(Drop(m.start(), m.end(), m.group(), rule or "excluded"))
            if m.group("num") is None:
                continue
            # An excluded number takes its range partner with it: "aged 5 to 17".
            partner = re.match(r"\s*(?:to|–|—)\s*\d[\d,.]*", masked[m.end() :])
            if partner and not re.fullmatch(r"\d{4}", m.group("num")):
                if drops is not None:
                    drops.append(
                        Drop(
                            m.end(),
                            m.end() + partner.end(),
                            partner.group().strip(),
                            "range_partner",
                        )
                    )
                pos = m.end() + partner.end()
            continue
        if found and q.start < found[-1].end:
            continue
        if found and _shares_unit(text, found[-1], q):
            found[-1] = replace(found[-1], unit=q.unit)
        found.append(q)
        pos = max(pos, q.end)
    return found


def _shares_unit(text: str, first: Quantity, second: Quantity) -> bool:
    """'from 72.8 to 71.5 per cent': two figures, the unit written once after the second."""
    return (
        first.unit == COUNT
        and second.unit in ("percent", "percentage_point")
        and not first.in_words
        and first.size_adjective is None
        and re.fullmatch(r"\s*(?:to|and)\s*", text[first.end : second.start]) is not None
        and re.search(r"\b(?:from|between)\s+$", text[max(0, first.start - 10) : first.start])
        is not None
    )


def _read_fraction(text: str, m: re.Match[str]) -> Quantity | None:
    """'two thirds of', 'a quarter of', 'half of': a share, in per cent."""
    if m.group("half"):
        before = text[max(0, m.start() - 12) : m.start()].lower()
        if re.search(r"\b(?:first|second|the|a|and|one)\s+$", before):
            return None  # "the first half of 2001", "one and a half"
        num, den = 1.0, 2
    else:
        word = m.group("fnum").lower()
        num = 1.0 if word == "a" else number_value(word)
        den = FRACTIONS[m.group("fden").lower()]
        if num is None or (word == "a" and not re.match(r"\s+of\b", text[m.end() :])):
            return None
        plural = m.group("fden").lower().endswith(("s", "halves"))
        if plural != (num > 1):
            return None  # "Sixty-fifth session" is an ordinal; "two thirds" is a share
    if _patterns()["duration"].match(text, m.end()) or re.match(
        r"\s+of\s+(?:a|an|the)\s+(?:year|month|week|day|century|decade)\b", text[m.end() :]
    ):
        return None  # "half a day", "two thirds of the year": durations
    value = float(f"{100 * num / den:.12g}")
    qualifier, qstart = _read_qualifier(text, m.start())
    return Quantity(qstart, m.end(), value, None, "percent", qualifier, True, rule="fraction")


def _not_a_quantity(text: str, m: re.Match[str], start: int, currency: str | None) -> str | None:
    """The rule that makes this number something else (identifier, marker, period...)."""
    raw, in_words = m.group("num"), not m.group("num")[0].isdigit()
    before = text[max(0, start - 1) : start]
    after = text[m.end() : m.end() + 1]
    # Glued to a word, a symbol or a decimal point: part of an identifier, not a quantity.
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
        return "glued"
    if before == "-" and start >= 2 and text[start - 2].isalpha():
        return "glued"
    # a period ends in digits: "since 1991 - four of the five" is a dash, then a count
    if not in_words and re.search(r"\b(?:19|20)\d\d\s*[-–—]\s*$", text[max(0, start - 8) : start]):
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
    if (
        before == "("
        and after == ")"
        and not re.search(r"[A-Z][\w'’-]*\)?\s*\($", text[max(0, start - 40) : start])
        and not (
            re.search(r"[^\W\d_]\s*\($", text[max(0, start - 3) : start])
            and re.match(r"\)\s*(?:[,;.]|and\b|or\b|$)", text[m.end() : m.end() + 6])
        )
    ):
        return "enumeration"  # "(1) twelve clinics": a marker; "vocational training (4)," counts
    if re.fullmatch(r"(?:1[89]|20)\d\d\.\d{1,3}", raw) and re.match(
        r"\s+[A-Z“\"(]", text[m.end() : m.end() + 2]
    ):
        return "footnote_marker"  # "in 2022.1 It": a year ending a sentence, then a marker
    if after != "" and after in "′″":
        return "glued"  # angles in minutes and seconds
    if (
        not in_words
        and currency is None
        and re.fullmatch(r"\d+", raw)
        and _is_label(text, start, m.end())
    ):
        return "label_after_name"
    if re.fullmatch(r"0\d+", raw):
        return "leading_zero_code"  # "030697": a code or a date stamp, not an amount
    if re.search(r"\b(?:per|every|for\s+every)\s+$", text[max(0, start - 12) : start], re.I):
        return "rate_denominator"  # "1.15 officers per 1,000 inhabitants"
    return None


def _read_range(
    text: str,
    masked: str,
    m: re.Match[str],
    start: int,
    end: int,
    value: float,
    scaled: bool,
    currency: str | None,
) -> tuple[float, float | None, int]:
    """'116 to 170', '10–20', 'between 10 and 20': value, value_max and the new end."""
    pats = _patterns()
    raw = m.group("num")
    rng = pats["second"].match(masked, end)
    left = text[max(0, start - 60) : start]
    if not rng or re.search(r"\bfrom\s+$", left, re.I):
        return value, None, end  # "from 10 to 20" is two figures, not a range
    joiner = text[end : rng.start("num")].strip().lstrip("\\$€£").strip()
    second_raw = rng.group("num")
    if joiner.startswith("and") and not re.search(r"\bbetween\s+$", left, re.I):
        return value, None, end
    if second_raw[0].isdigit() != raw[0].isdigit() or (
        joiner[:1] in "-–—" and not raw[0].isdigit()
    ):
        return value, None, end
    second = number_value(second_raw)
    if second is None or _is_year(second_raw, currency, second) and value < YEAR_MIN:
        return value, None, end
    factor, new_end = 1.0, rng.end()
    if (
        rscale := pats["scale"].match(text, rng.end())
    ) and rscale.group().strip().lower() in SCALES:
        factor = SCALES[rscale.group().strip().lower()]
        new_end = rscale.end()
    low = value if scaled else value * factor  # "5 to 10 million": the scale is shared
    if second * factor < low:
        return value, None, end  # "120 to 5" (a vote) is not a range
    return low, second * factor, new_end


@dataclass(frozen=True)
class _Unit:
    unit: str
    factor: float
    end: int
    word: str | None = None


def _read_unit(text: str, end: int, currency: str | None) -> _Unit:
    """The unit after a number (a registry form, symbol or currency word) and the new end."""
    pats = _patterns()
    reg = registry()
    if currency:
        return _Unit(currency, 1.0, end)
    if ms := pats["measure"].match(text, end):
        unit, factor = reg.forms[re.sub(r"\s+", " ", ms.group().strip().lower())]
        return _Unit(unit, factor, ms.end())
    if sm := pats["symbol"].match(text, end):
        unit, factor = reg.symbols[sm.group().strip()]
        return _Unit(unit, factor, sm.end())
    if cw := pats["curword"].match(text, end):
        word = re.sub(r"\s+", " ", cw.group().strip())
        code = reg.currency_words.get(word.lower())
        if (
            code is None
            and word.isupper()
            and word in reg.currency_codes
            and word not in reg.not_after_number
        ):
            code = word
        if code:
            return _Unit(code, 1.0, cw.end())
    if (uk := reg.unknown.match(text, end)) and not re.match(
        r"\s+(?!of\b|per\b)[a-z]{3,}s\b", text[uk.end() : uk.end() + 30]
    ):
        return _Unit(UNKNOWN, 1.0, uk.end(), uk.group(1).lower())
    return _Unit(COUNT, 1.0, end)


def _occurrences(text: str, duration: re.Match[str]) -> bool:
    """'called upon 18 times': a count of occasions; 'three times as many' is a multiplier,
    'three times a year' a frequency."""
    return duration.group().strip().lower() == "times" and not re.match(
        r"\s+(?:as(?!\s+an?\s)|more|less|fewer|higher|lower|larger|greater|smaller|bigger|the|that|over|"
        r"a|an|per|each|every|daily|weekly|monthly|annually|yearly)\b",
        text[duration.end() : duration.end() + 12],
    )  # "three times a year" is a frequency


def _is_duration(match: re.Match[str], value: float) -> bool:
    """'three months', '12-week', 'one year': a duration; '3,200 night patrols' is a count."""
    word = match.group().split()[-1].split("-")[-1].lower()
    singular = not word.endswith("s") or word in ("times",)
    return match.group().startswith("-") or not singular or value == 1 or word == "times"


def _read_qualifier(text: str, start: int) -> tuple[str, int]:
    """The qualifier before a number ('over', 'almost', ...) and where the quote starts."""
    window = max(0, start - 30)
    qm = _patterns()["qualifier"].search(text[window:start])
    if not qm or _is_preposition(text[max(0, window - 30) : window + qm.start()], qm.group()):
        return "exact", start
    phrase = re.sub(r"\s+", " ", qm.group().strip().lower())
    return next(k for k, v in QUALIFIERS.items() if phrase in v), window + qm.start()


def _read_ratio(text: str, end: int, value: float) -> tuple[float, int] | None:
    """'one in five': the share in per cent and the new end."""
    if not (r := _patterns()["ratio"].match(text, end)):
        return None
    den = number_value(r.group("den"))
    if not den or den <= value or den > 1000 or value > 100:
        return None
    return float(f"{100 * value / den:.12g}"), r.end()


def _read_quantity(text: str, masked: str, m: re.Match[str]) -> tuple[Quantity | None, str | None]:
    """Read the number at m with its scale, range, unit and qualifier; else the drop rule."""
    pats = _patterns()
    raw, start = m.group("num"), m.start()
    currency = currency_code(m.group("cur"))
    if m.group("cur") and currency is None:
        start = m.start("num")  # three capitals that are not a currency: an acronym
    in_words = not raw[0].isdigit()
    if rule := _not_a_quantity(text, m, start, currency):
        return None, rule
    if (value := number_value(raw)) is None:
        return None, "not_a_number"
    end = m.end()
    scale = pats["scale"].match(text, end)
    word = scale.group().strip().lower() if scale else ""
    if scale and (word in ("thousand", "million", "billion", "trillion") or currency):
        value *= SCALES[word]
        end = scale.end()
    elif _is_year(raw, currency, value):
        return None, "year"
    else:
        scale = None
    if (
        re.search(r"\bfrom\s+$", text[max(0, start - 10) : start], re.I)
        and (partner := pats["second"].match(masked, end))
        and (duration := pats["duration"].match(text, partner.end()))
        and _is_duration(duration, 2)
    ):
        return None, "duration"  # "from 2 to 15 years": both ends of a duration
    if not currency and not scale and (ratio := _read_ratio(text, end, value)):
        value, end = ratio
        qualifier, qstart = _read_qualifier(text, start)
        return Quantity(
            qstart, end, value, None, "percent", qualifier, in_words, rule="ratio"
        ), None
    value, value_max, end = _read_range(text, masked, m, start, end, value, bool(scale), currency)
    size_adjective, measure_adjective, unit_word = None, False, None
    if not currency and (adj := pats["measure_adj"].match(text, end)):
        # "a 20-kilometre exclusion zone": a measurement adjective, the noun after it measured
        unit, factor = registry().forms[adj.group()[1:].lower()]
        unit_read = _Unit(unit, factor, adj.end())
        measure_adjective = True
    else:
        unit_read = _read_unit(text, end, currency)
    unit, end, unit_word = unit_read.unit, unit_read.end, unit_read.word
    value *= unit_read.factor
    value_max = value_max * unit_read.factor if value_max is not None else None
    if unit == COUNT:
        # "... in 2021. 8 The Subcommittee": a footnote marker left between two sentences
        # (house style spells out a number that starts a sentence).
        if (
            not in_words
            and re.search(r"[.!?][\"”’)*]?\s+$", text[max(0, start - 4) : start])
            and re.match(r"\s+[A-Z]", text[end : end + 2])
        ):
            return None, "footnote_marker"
        if (
            (duration := pats["duration"].match(text, end))
            and _is_duration(duration, value)
            and not _occurrences(text, duration)
        ):
            return None, "duration"
        if hy := pats["hyphen_adj"].match(text, end):
            size_adjective = SIZE_ADJECTIVES.get(hy.group(1))
            if size_adjective is None:
                return None, "hyphen_adjective"  # "one-stop", "three-pronged"
            end = hy.end()
    if in_words and raw.lower() == "one" and _one_is_pronoun(text, start, end):
        return None, "pronoun_one"
    if not math.isfinite(value) or value_max is not None and not math.isfinite(value_max):
        return None, "not_finite"  # hundreds of digits: not an amount anyone stated
    qualifier, qstart = _read_qualifier(text, start)
    # "8.2 million" is 8200000, not 8199999.999999999
    value = float(f"{value:.12g}")
    value_max = float(f"{value_max:.12g}") if value_max is not None else None
    return Quantity(
        qstart,
        end,
        value,
        value_max,
        unit,
        qualifier,
        in_words,
        size_adjective,
        unit_word,
        measure_adjective,
    ), None


PREPOSITION_AFTER = re.compile(
    rf"\b(?:{'|'.join(_QUAL_RULES['preposition_after_verbs'])})\s*$", re.I
)
_PREPOSITION_WORDS = set(_QUAL_RULES["preposition_words"])


def _is_preposition(before: str, word: str) -> bool:
    """'built around four pillars': a preposition after a verb, not a qualifier."""
    return word.strip().lower() in _PREPOSITION_WORDS and bool(PREPOSITION_AFTER.search(before))


def _one_is_pronoun(text: str, start: int, end: int) -> bool:
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
    + "|".join(re.escape(i).replace(r"\ ", r"\s+") for i in _EXCLUSIONS["pronoun_one"]["idioms"])
    + r")\b",
    re.I,
)
ONE_DETERMINER = re.compile(
    r"(?:\s+[a-z]+(?:-[a-z]+)?){0,2}?\s+(?:"
    + "|".join(_EXCLUSIONS["pronoun_one"]["determiner_nouns"])
    + r")\s+of\b"
)

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

from pipeline.extract.exclusions import (
    YEAR_MIN,
    Drop,
    is_duration,
    is_year,
    mask_identifiers,
    not_a_quantity,
    occurrences,
    one_is_pronoun,
)
from pipeline.extract.numbers import FRACTIONS, SCALES, number_value
from pipeline.extract.quantity_patterns import QUALIFIERS, patterns
from pipeline.extract.rules import load
from pipeline.extract.units import COUNT, UNKNOWN, currency_code, registry

SIZE_ADJECTIVES = load("exclusions")["size_adjectives"][0]["nouns"]
_QUAL_RULES = load("qualifiers")


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


def find_quantities(text: str, drops: list[Drop] | None = None) -> list[Quantity]:
    """Every cardinal quantity in a paragraph's text, in order.

    With ``drops``, every number left out is appended to it with the rule that left it out.
    """
    pats = patterns()
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
    if patterns()["duration"].match(text, m.end()) or re.match(
        r"\s+of\s+(?:a|an|the)\s+(?:year|month|week|day|century|decade)\b", text[m.end() :]
    ):
        return None  # "half a day", "two thirds of the year": durations
    value = float(f"{100 * num / den:.12g}")
    qualifier, qstart = _read_qualifier(text, m.start())
    return Quantity(qstart, m.end(), value, None, "percent", qualifier, True, rule="fraction")


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
    pats = patterns()
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
    if second is None or is_year(second_raw, currency, second) and value < YEAR_MIN:
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
    pats = patterns()
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


def _read_qualifier(text: str, start: int) -> tuple[str, int]:
    """The qualifier before a number ('over', 'almost', ...) and where the quote starts."""
    window = max(0, start - 30)
    qm = patterns()["qualifier"].search(text[window:start])
    if not qm or _is_preposition(text[max(0, window - 30) : window + qm.start()], qm.group()):
        return "exact", start
    phrase = re.sub(r"\s+", " ", qm.group().strip().lower())
    return next(k for k, v in QUALIFIERS.items() if phrase in v), window + qm.start()


def _read_ratio(text: str, end: int, value: float) -> tuple[float, int] | None:
    """'one in five': the share in per cent and the new end."""
    if not (r := patterns()["ratio"].match(text, end)):
        return None
    den = number_value(r.group("den"))
    if not den or den <= value or den > 1000 or value > 100:
        return None
    return float(f"{100 * value / den:.12g}"), r.end()


def _scaled(
    text: str, raw: str, end: int, currency: str | None, value: float
) -> tuple[float, int, bool] | None:
    """The value times a scale word after it ('6 million'), the new end and whether a scale
    was read; None for a year ('2021' alone)."""
    scale = patterns()["scale"].match(text, end)
    word = scale.group().strip().lower() if scale else ""
    if scale and (word in ("thousand", "million", "billion", "trillion") or currency):
        return value * SCALES[word], scale.end(), True
    if is_year(raw, currency, value):
        return None
    return value, end, False


def _unit_after(text: str, end: int, currency: str | None) -> tuple[_Unit, bool]:
    """The unit after a number, and whether it is a measurement adjective ('a 20-kilometre
    exclusion zone': the noun after it is what is measured)."""
    if not currency and (adj := patterns()["measure_adj"].match(text, end)):
        unit, factor = registry().forms[adj.group()[1:].lower()]
        return _Unit(unit, factor, adj.end()), True
    return _read_unit(text, end, currency), False


def _count_exclusion(
    text: str, start: int, end: int, value: float, in_words: bool
) -> tuple[str | None, str | None, int]:
    """For a count: the rule that drops it (a marker, a duration, a hyphenated adjective),
    else None, its size adjective ('15-member') and the new end."""
    pats = patterns()
    # "... in 2021. 8 The Subcommittee": a footnote marker left between two sentences
    # (house style spells out a number that starts a sentence).
    if (
        not in_words
        and re.search(r"[.!?][\"”’)*]?\s+$", text[max(0, start - 4) : start])
        and re.match(r"\s+[A-Z]", text[end : end + 2])
    ):
        return "footnote_marker", None, end
    if (
        (duration := pats["duration"].match(text, end))
        and is_duration(duration, value)
        and not occurrences(text, duration)
    ):
        return "duration", None, end
    if hy := pats["hyphen_adj"].match(text, end):
        size_adjective = SIZE_ADJECTIVES.get(hy.group(1))
        if size_adjective is None:
            return "hyphen_adjective", None, end  # "one-stop", "three-pronged"
        return None, size_adjective, hy.end()
    return None, None, end


_FROM = re.compile(r"\bfrom\s+$", re.I)


def _from_duration(text: str, masked: str, start: int, end: int) -> bool:
    """'from 2 to 15 years': both ends of a duration."""
    pats = patterns()
    return bool(
        _FROM.search(text[max(0, start - 10) : start])
        and (partner := pats["second"].match(masked, end))
        and (duration := pats["duration"].match(text, partner.end()))
        and is_duration(duration, 2)
    )


def _read_quantity(text: str, masked: str, m: re.Match[str]) -> tuple[Quantity | None, str | None]:
    """Read the number at m with its scale, range, unit and qualifier; else the drop rule."""
    raw, start = m.group("num"), m.start()
    currency = currency_code(m.group("cur"))
    if m.group("cur") and currency is None:
        start = m.start("num")  # three capitals that are not a currency: an acronym
    in_words = not raw[0].isdigit()
    if rule := not_a_quantity(text, m, start, currency):
        return None, rule
    if (value := number_value(raw)) is None:
        return None, "not_a_number"
    if (scaled := _scaled(text, raw, m.end(), currency, value)) is None:
        return None, "year"
    value, end, scale = scaled
    if _from_duration(text, masked, start, end):
        return None, "duration"
    if not currency and not scale and (ratio := _read_ratio(text, end, value)):
        value, end = ratio
        qualifier, qstart = _read_qualifier(text, start)
        return Quantity(
            qstart, end, value, None, "percent", qualifier, in_words, rule="ratio"
        ), None
    value, value_max, end = _read_range(text, masked, m, start, end, value, scale, currency)
    unit_read, measure_adjective = _unit_after(text, end, currency)
    unit, end, unit_word = unit_read.unit, unit_read.end, unit_read.word
    value *= unit_read.factor
    value_max = value_max * unit_read.factor if value_max is not None else None
    size_adjective = None
    if unit == COUNT:
        rule, size_adjective, end = _count_exclusion(text, start, end, value, in_words)
        if rule:
            return None, rule
    if in_words and raw.lower() == "one" and one_is_pronoun(text, start, end):
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

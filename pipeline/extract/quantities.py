"""Quantities: find every cardinal amount in running text, with unit, qualifier and range."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

_UNIT_WORDS = ["eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
               "eighteen", "nineteen", "one", "two", "three", "four", "five", "six", "seven",
               "eight", "nine", "ten"]
_TENS_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
WORD_VALUES = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
     "nineteen"])}
WORD_VALUES.update({w: 20 + 10 * i for i, w in enumerate(_TENS_WORDS)})

SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
          "k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "bn": 1e9, "b": 1e9}

QUALIFIERS = {
    "approximate": ["about", "approximately", "around", "almost", "nearly", "some",
                    "an estimated", "estimated", "roughly", "an average of", "on average",
                    "close to", "circa", "approx.", "just about", "averaging"],
    "more_than": ["over", "more than", "above", "exceeding", "in excess of", "upwards of",
                  "well over", "just over", "greater than", "higher than", "well above",
                  "exceeded", "exceeds", "surpassed", "surpassing", "topped"],
    "less_than": ["under", "less than", "fewer than", "below", "just under", "a fraction of",
                  "lower than", "well below"],
    "at_least": ["at least", "no fewer than", "no less than", "a minimum of", "not less than",
                 "a minimum", "minimum", "at minimum", "at a minimum"],
    "up_to": ["up to", "as much as", "as many as", "as high as", "a maximum of",
              "not more than", "no more than", "as little as", "a maximum", "maximum"],
}

CURRENCY_SYMBOLS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
                    "CHF": "CHF", "A$": "AUD", "C$": "CAD", "R$": "BRL"}
CURRENCY_WORDS = {"united states dollars": "USD", "us dollars": "USD", "u.s. dollars": "USD",
                  "dollars": "USD", "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP",
                  "swiss francs": "CHF", "yen": "JPY", "yuan": "CNY", "rupees": "INR"}

# unit word -> (unit, factor to the unit)
MEASURES = {
    "tons": ("tonne", 1.0), "ton": ("tonne", 1.0), "tonnes": ("tonne", 1.0),
    "tonne": ("tonne", 1.0), "metric tons": ("tonne", 1.0), "metric tonnes": ("tonne", 1.0),
    "kg": ("tonne", 1e-3), "kilograms": ("tonne", 1e-3), "kilogrammes": ("tonne", 1e-3),
    "kilos": ("tonne", 1e-3), "kilogram": ("tonne", 1e-3), "grams": ("tonne", 1e-6),
    "km": ("km", 1.0), "kilometres": ("km", 1.0), "kilometers": ("km", 1.0),
    "square kilometres": ("km2", 1.0), "square kilometers": ("km2", 1.0), "km2": ("km2", 1.0),
    "km²": ("km2", 1.0), "sq km": ("km2", 1.0), "hectares": ("ha", 1.0), "ha": ("ha", 1.0),
    "cubic metres": ("m3", 1.0), "cubic meters": ("m3", 1.0), "m3": ("m3", 1.0),
    "m³": ("m3", 1.0), "litres": ("l", 1.0), "liters": ("l", 1.0),
}
PERCENT = r"(?:per\s*cent|percent|per-cent|%)"
PERCENTAGE_POINTS = r"percentage\s+points?"

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
          "December|Jan\\.|Feb\\.|Mar\\.|Apr\\.|Jun\\.|Jul\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\.")
TIME_UNITS = (r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|"
              r"nights?|quarters?|semesters?|year-old|years-old|hour|times|fold)")
# "the 15-member council": a hyphenated size adjective that counts members.
SIZE_ADJECTIVES = {"member": "members", "members": "members", "person": "persons",
                   "strong": "members", "nation": "nations", "country": "countries",
                   "state": "states", "judge": "judges", "seat": "seats"}
IDENTIFIER_WORDS = (
    r"resolutions?|decisions?|goals?|sdgs?|targets?|indicators?|items?|paragraphs?|paras?\.?|"
    r"articles?|art\.|chapters?|annex(?:es)?|sections?|rules?|nos?\.|numbers?|protocols?|"
    r"phases?|versions?|volumes?|vol\.|pages?|pp?\.|figures?|fig\.|tables?|box(?:es)?|"
    r"levels?|tiers?|categor(?:y|ies)|grades?|class(?:es)?|options?|steps?|principles?|"
    r"recommendations?|components?|outcomes?|outputs?|pillars?|objectives?|clusters?|"
    r"priorit(?:y|ies)|windows?|conventions? no\.|parts?|titles?|appendix|appendices|"
    r"amendments?|subprogrammes?|programmes? no\.|rounds? no\.|line|lines|footnotes?|notes?|"
    r"cycles?|sessions?|editions?|issues?|models?|type|types|schedules?|lists?|codes?"
)


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


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    """Compiled patterns, built once on first use so importing stays cheap."""
    units = "|".join(_UNIT_WORDS)
    tens = "|".join(_TENS_WORDS)
    word = (rf"(?:(?:{tens})(?:[- ](?:{units}))?|{units})"
            rf"(?:\s+hundred(?:\s+(?:and\s+)?(?:(?:{tens})(?:[- ](?:{units}))?|{units}))?)?")
    digits = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    cur = r"(?:\\?(?:US\$|A\$|C\$|R\$|\$)|€|£|¥|₹|(?:[A-Z]{3})\s?)"
    # the look-ahead on number words' first letters saves trying them at most positions
    number = rf"(?:(?P<cur>{cur})\s?)?(?P<num>{digits}|(?i:\b(?=[efnost]){word}\b))"
    quals = sorted((q for qs in QUALIFIERS.values() for q in qs), key=len, reverse=True)
    qual = "|".join(re.escape(q).replace(r"\ ", r"\s+") for q in quals)
    measures = "|".join(re.escape(m).replace(r"\ ", r"\s+")
                        for m in sorted(MEASURES, key=len, reverse=True))
    curwords = "|".join(re.escape(m).replace(r"\ ", r"\s+")
                        for m in sorted(CURRENCY_WORDS, key=len, reverse=True))
    return {
        "number": re.compile(number),
        "second": re.compile(rf"\s*(?:–|—|-|to|and)\s*{number}"),
        "scale": re.compile(r"\s*(?:thousand|million|billion|trillion)\b|\s?(?:k|m|mn|mln|bn|b)\b",
                            re.I),
        "qualifier": re.compile(rf"(?:^|(?<=[\s(]))(?i:{qual})\s+$"),
        "percent": re.compile(rf"\s*{PERCENT}(?![a-z])", re.I),
        "points": re.compile(rf"\s+{PERCENTAGE_POINTS}\b", re.I),
        "measure": re.compile(rf"\s*(?:{measures})(?![A-Za-z])", re.I),
        "curword": re.compile(rf"\s+(?:{curwords}|[A-Z]{{3}})\b", re.I),
        # addresses; the look-ahead keeps a long run of word characters linear
        "addresses": re.compile(
            r"(?:https?://|www\.)\S+|<[^>\s]+>|\b(?=[\w.+-]{1,64}@)[\w.+-]+@[\w-]+\.\w+"),
        # Grouped by first character so each position is tried against one group only.
        "mask": re.compile(
            r"\b(?=\d)(?:"
            r"\d+(?:/\d+)+\b"  # resolution numbers 56/9
            r"|\d+(?:st|nd|rd|th)\b"  # ordinals
            r"|\d{4}-\d{2}-\d{2}\b"  # ISO dates
            r"|\d{1,5}\.(?:,\s*\d{1,5}\.)+,?"  # paragraph labels "40., 41., 42.,"
            rf"|\d{{1,2}}(?:\s*(?:–|-|to|and)\s*\d{{1,2}})?\s+(?:{MONTHS})(?:\s+\d{{4}})?"
            r"|\d{1,2}[:.]\d{2}\s*(?:a\.m\.|p\.m\.|hours|h\b)|\d{1,2}\s*(?:a\.m\.|p\.m\.)"
            r"|\d{1,2}:\d{2}\b)"  # times
            r"|\b(?=[A-Za-z])(?:"
            r"(?:[A-Z]{1,4}(?:\.\d+)?/)+[\w./()-]*\d[\w./()-]*"  # document symbols
            r"|(?=[A-Za-z]+[-‑]?\d)[A-Za-z]+[-‑]?\d+[\w-]*"  # COVID-19, G20, TRACK4TIP
            rf"|(?:{MONTHS})\s+\d{{1,2}}(?:\s*(?:–|-|to)\s*\d{{1,2}})?(?:,\s*\d{{4}})?\b"
            rf"|(?:{MONTHS})\s+\d{{4}}"
            # identifiers after a keyword; the look-ahead prunes the long word list
            rf"|(?=[A-Za-z]{{2,16}}\.?\s+\(?[\dIVXivx])(?i:{IDENTIFIER_WORDS})\s+\(?"
            # a number, or a list of them ("Items 4, 6 and 8", not "... and 3 experts")
            r"(?:\d[\w.()/]*(?:\s*\((?:19|20)\d\d\))?"
            r"(?:\s*(?:,|and|or|to|–|-)\s*\d[\w./]*(?:\s*\((?:19|20)\d\d\))?"
            r"(?!\s+(?!(?:and|or|to|of|in|on|at|for|with|as|were|was|are|is|be|have|has|had|"
            r"will|would|which|that|above|below|respectively)\b)[a-z]{3,}))*"
            r"|[IVXLC]{1,7}\b|[ivxl]{1,5}\b))"  # or a roman numeral
            r"|\((?:19|20)\d\d\)"
        ),
        "year_span": re.compile(r"\b(?:1[89]\d\d|20\d\d)(?:\s*[–/-]\s*(?:\d{2}|\d{4}))?\b"),
        "duration": re.compile(rf"(?:\s+|-)(?:(?:and\s+a\s+half|more|other|further|consecutive|"
                               rf"working|calendar|full|additional|straight|subsequent|business)"
                               rf"\s+)?{TIME_UNITS}\b", re.I),
        "hyphen_adj": re.compile(r"-([a-z]+)\b"),
        "fraction": re.compile(r"[- ](?:thirds?|halves|half|fifths?|sixths?|sevenths?|eighths?|"
                               r"ninths?|tenths?)\b", re.I),
        "acronym": re.compile(r"(?:\b[A-Z]{2,}[a-z]?|\b(?:aged?|ages|age\s+of|level|phase|grade))"
                              r"\s?$", re.I),
    }


def mask_identifiers(text: str) -> str:
    """Blank out addresses, symbols, identifiers, ordinals, dates and times (same length)."""
    pats = _patterns()

    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group())

    if "<" in text or "@" in text or "www." in text or "http" in text:
        text = pats["addresses"].sub(blank, text)
    return pats["mask"].sub(blank, text)


def _number_value(raw: str) -> float | None:
    """The value of a number in digits or words."""
    raw = raw.strip()
    if raw[0].isdigit():
        return float(raw.replace(",", ""))
    total, current = 0, 0
    for part in re.split(r"[\s-]+", raw.lower()):
        if part == "and":
            continue
        if part == "hundred":
            current = max(current, 1) * 100
        elif part in WORD_VALUES:
            current += WORD_VALUES[part]
        else:
            return None
    return float(total + current)


def _after_identifier(text: str, start: int) -> bool:
    """'ISO 9001', 'SDG 16', 'COP 26', 'aged 15': an acronym or age word before a number."""
    m = _patterns()["acronym"].search(text, max(0, start - 12), start)
    if not m:
        return False
    word = m.group().strip()
    if word.isupper() or word[:-1].isupper():
        return word not in PREFIX_CODES
    return re.sub(r"\s+", " ", word.lower()) in ("age", "aged", "ages", "age of", "level",
                                                  "phase", "grade")


def _is_year(raw: str, currency: str | None, value: float) -> bool:
    return (currency is None and re.fullmatch(r"\d{4}", raw) is not None
            and 1800 <= value <= 2100)


def find_quantities(text: str) -> list[Quantity]:
    """Every cardinal quantity in a paragraph's text, in order."""
    pats = _patterns()
    masked = mask_identifiers(text)
    found: list[Quantity] = []
    pos = 0
    while True:
        m = pats["number"].search(masked, pos)
        if not m:
            break
        pos = m.end()
        q = _read_quantity(text, masked, m)
        if q is None:
            # An excluded number takes its range partner with it: "aged 5 to 17".
            partner = re.match(r"\s*(?:to|–|—)\s*\d[\d,.]*", masked[m.end():])
            if partner and not re.fullmatch(r"\d{4}", m.group("num")):
                pos = m.end() + partner.end()
            continue
        if found and q.start < found[-1].end:
            continue
        found.append(q)
        pos = max(pos, q.end)
    return found


# ISO codes accepted before a number; others ("COP 26", "ALL 5") read as acronyms there.
PREFIX_CODES = {"USD", "EUR", "GBP", "CHF", "JPY", "CNY", "CAD", "AUD", "NZD", "SEK", "NOK",
                "DKK", "INR", "RUB", "BRL", "ZAR", "MXN", "KES", "NGN", "EGP", "XOF", "XAF",
                "PKR", "AFN", "IRR", "TRY", "THB", "IDR", "PHP", "KRW", "SAR", "AED", "QAR"}


def _currency_code(symbol: str | None) -> str | None:
    if not symbol:
        return None
    symbol = symbol.strip().lstrip("\\")
    if symbol in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[symbol]
    return symbol if symbol in PREFIX_CODES else None


def _not_a_quantity(text: str, m: re.Match[str], start: int, currency: str | None) -> bool:
    """Numbers that belong to something else: identifiers, markers, periods, enumerations."""
    raw, in_words = m.group("num"), not m.group("num")[0].isdigit()
    before = text[max(0, start - 1):start]
    after = text[m.end():m.end() + 1]
    # Glued to a word, a symbol or a decimal point: part of an identifier, not a quantity.
    if before and (before.isalnum() or before in "/.‑_") or after == "/" or (
            after.isalpha() and not in_words and not re.match(
                r"(?:bn|mn|mln|m|k|km|kg|ha|b)\b|%", text[m.end():m.end() + 4])):
        return True
    if before == "-" and start >= 2 and text[start - 2].isalpha():
        return True
    if re.search(r"\b(?:19|20)\d\d\s*[-–—]\s*$", text[max(0, start - 8):start]):
        return True  # the end of a period "2013–2022", with or without a glued note marker
    # "observations,74 the", "23.7%6": a footnote marker glued to the text before it.
    if before and before in ",;:)”’\"%" and start >= 2 and not text[start - 2].isspace() and (
            before != ")" or not in_words):
        return True
    if not in_words and currency is None and _after_identifier(text, start):
        return True
    if before == "(" and after == ")" and not re.search(r"[A-Z][\w'’-]*\)?\s*\($",
                                                       text[max(0, start - 40):start]):
        return True  # "(1)", "(2)": an enumeration, not "Argentina (5)"
    if re.fullmatch(r"(?:1[89]|20)\d\d\.\d{1,3}", raw) and re.match(r"\s+[A-Z“\"(]",
                                                                   text[m.end():m.end() + 2]):
        return True  # "in 2022.1 It": a year ending a sentence, then a footnote marker
    if in_words and _patterns()["fraction"].match(text, m.end()):
        return True  # "two thirds": a fraction
    return after != "" and after in "°′″"  # temperatures and angles


def _read_range(text: str, masked: str, m: re.Match[str], start: int, end: int, value: float,
                scaled: bool, currency: str | None) -> tuple[float, float | None, int]:
    """'116 to 170', '10–20', 'between 10 and 20': value, value_max and the new end."""
    pats = _patterns()
    raw = m.group("num")
    rng = pats["second"].match(masked, end)
    left = text[max(0, start - 60):start]
    if not rng or re.search(r"\bfrom\s+$", left, re.I):
        return value, None, end  # "from 10 to 20" is two figures, not a range
    joiner = text[end:rng.start("num")].strip().lstrip("\\$€£").strip()
    second_raw = rng.group("num")
    if joiner.startswith("and") and not re.search(r"\bbetween\s+$", left, re.I):
        return value, None, end
    if second_raw[0].isdigit() != raw[0].isdigit() or (joiner[:1] in "-–—"
                                                       and not raw[0].isdigit()):
        return value, None, end
    second = _number_value(second_raw)
    if second is None or _is_year(second_raw, currency, second) and value < 1800:
        return value, None, end
    factor, new_end = 1.0, rng.end()
    if (rscale := pats["scale"].match(text, rng.end())) and \
            rscale.group().strip().lower() in SCALES:
        factor = SCALES[rscale.group().strip().lower()]
        new_end = rscale.end()
    low = value if scaled else value * factor  # "5 to 10 million": the scale is shared
    if second * factor < low:
        return value, None, end  # "120 to 5" (a vote) is not a range
    return low, second * factor, new_end


def _read_unit(text: str, end: int, value: float, value_max: float | None,
               currency: str | None) -> tuple[str, float, float | None, int]:
    """The unit after a number (per cent, tonnes, km, a currency word) and the new end."""
    pats = _patterns()
    if currency:
        return currency, value, value_max, end
    if pm := pats["percent"].match(text, end):
        return "percent", value, value_max, pm.end()
    if pp := pats["points"].match(text, end):
        return "percentage_point", value, value_max, pp.end()
    if ms := pats["measure"].match(text, end):
        unit, factor = MEASURES[re.sub(r"\s+", " ", ms.group().strip().lower())]
        return (unit, value * factor, value_max * factor if value_max is not None else None,
                ms.end())
    if cw := pats["curword"].match(text, end):
        word = re.sub(r"\s+", " ", cw.group().strip().lower())
        code = CURRENCY_WORDS.get(word) or (word.upper() if word.upper() in PREFIX_CODES
                                            else None)
        if code:
            return code, value, value_max, cw.end()
    return "count", value, value_max, end


def _is_duration(match: re.Match[str], value: float) -> bool:
    """'three months', '12-week', 'one year': a duration; '3,200 night patrols' is a count."""
    word = match.group().split()[-1].split("-")[-1].lower()
    singular = not word.endswith("s") or word in ("times",)
    return match.group().startswith("-") or not singular or value == 1 or word == "times"


def _read_qualifier(text: str, start: int) -> tuple[str, int]:
    """The qualifier before a number ('over', 'almost', ...) and where the quote starts."""
    window = max(0, start - 30)
    qm = _patterns()["qualifier"].search(text[window:start])
    if not qm or _is_preposition(text[max(0, window - 30):window + qm.start()], qm.group()):
        return "exact", start
    phrase = re.sub(r"\s+", " ", qm.group().strip().lower())
    return next(k for k, v in QUALIFIERS.items() if phrase in v), window + qm.start()


def _read_quantity(text: str, masked: str, m: re.Match[str]) -> Quantity | None:
    """Read the number at m with its scale, range, unit and qualifier; None if excluded."""
    pats = _patterns()
    raw, start = m.group("num"), m.start()
    currency = _currency_code(m.group("cur"))
    if m.group("cur") and currency is None:
        start = m.start("num")  # three capitals that are not a currency: an acronym
    in_words = not raw[0].isdigit()
    if _not_a_quantity(text, m, start, currency) or (value := _number_value(raw)) is None:
        return None
    end = m.end()
    scale = pats["scale"].match(text, end)
    word = scale.group().strip().lower() if scale else ""
    if scale and (word in ("thousand", "million", "billion", "trillion") or currency):
        value *= SCALES[word]
        end = scale.end()
    elif _is_year(raw, currency, value):
        return None
    else:
        scale = None
    if (re.search(r"\bfrom\s+$", text[max(0, start - 10):start], re.I)
            and (partner := pats["second"].match(masked, end))
            and (duration := pats["duration"].match(text, partner.end()))
            and _is_duration(duration, 2)):
        return None  # "from 2 to 15 years": both ends of a duration
    value, value_max, end = _read_range(text, masked, m, start, end, value, bool(scale),
                                        currency)
    unit, value, value_max, end = _read_unit(text, end, value, value_max, currency)
    size_adjective = None
    if unit == "count":
        # "... in 2021. 8 The Subcommittee": a footnote marker left between two sentences
        # (house style spells out a number that starts a sentence).
        if (not in_words and re.search(r"[.!?][\"”’)*]?\s+$", text[max(0, start - 4):start])
                and re.match(r"\s+[A-Z]", text[end:end + 2])):
            return None
        if (duration := pats["duration"].match(text, end)) and _is_duration(duration, value):
            return None
        if hy := pats["hyphen_adj"].match(text, end):
            size_adjective = SIZE_ADJECTIVES.get(hy.group(1))
            if size_adjective is None:
                return None  # "one-stop", "three-pronged": adjectives, not counts
            end = hy.end()
    if in_words and raw.lower() == "one" and _one_is_pronoun(text, start, end):
        return None
    if not math.isfinite(value) or value_max is not None and not math.isfinite(value_max):
        return None  # hundreds of digits: not an amount anyone stated
    qualifier, qstart = _read_qualifier(text, start)
    # "8.2 million" is 8200000, not 8199999.999999999
    value = float(f"{value:.12g}")
    value_max = float(f"{value_max:.12g}") if value_max is not None else None
    return Quantity(qstart, end, value, value_max, unit, qualifier, in_words, size_adjective)


PREPOSITION_AFTER = re.compile(
    r"\b(?:built|centred|centered|based|structured|organized|organised|spread|divided|split|"
    r"grouped|arranged|clustered|revolve[sd]?|focused|focussed)\s*$", re.I)


def _is_preposition(before: str, word: str) -> bool:
    """'built around four pillars': a preposition after a verb, not a qualifier."""
    return word.strip().lower() in ("around", "over", "under", "about", "above", "below",
                                    "some") and bool(PREPOSITION_AFTER.search(before))


def _one_is_pronoun(text: str, start: int, end: int) -> bool:
    """'one of the', 'no one', 'one another': 'one' that counts nothing."""
    after = text[end:end + 20].lower()
    before = text[max(0, start - 8):start].lower()
    return bool(re.match(r"\s+(?:of|another|or|by|and only|such|which|who|that|in|at)\b|[.,;:)]",
                         after) or re.search(r"\b(?:no|any|each|every|the|this)\s+$", before))

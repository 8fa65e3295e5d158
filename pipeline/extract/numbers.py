"""Numbers as reports write them: number words, scale words and fractions (rules/numbers.yaml),
and the value of a number in digits or in words."""

from __future__ import annotations

import re

from pipeline.extract.rules import load

_NUMBERS = load("numbers")
UNIT_WORDS = sorted(_NUMBERS["number_words"]["units"], key=len, reverse=True)
TENS_WORDS = _NUMBERS["number_words"]["tens"]
LARGE_WORDS = _NUMBERS["number_words"]["large"]
WORD_VALUES = {w: i + 1 for i, w in enumerate(_NUMBERS["number_words"]["units"])}
WORD_VALUES["zero"] = 0
WORD_VALUES.update({w: 20 + 10 * i for i, w in enumerate(TENS_WORDS)})
SCALES = {k: float(v) for k, v in _NUMBERS["scales"].items()}
FRACTIONS = {k: int(v) for k, v in _NUMBERS["fraction_words"].items()}
# "four of the five signatories": the number words as one alternation, longest first
NUMBER_WORDS = "|".join(sorted((w for w in WORD_VALUES if w.isalpha()), key=len, reverse=True))


def number_value(raw: str) -> float | None:
    """The value of a number in digits or words (words composed in full by text2num)."""
    raw = raw.strip()
    if raw[0].isdigit():
        return float(raw.replace(",", ""))
    from text_to_num import text2num

    words = re.sub(r"\s+", " ", raw.lower()).replace(",", "")
    try:
        return float(text2num(words, "en"))
    except ValueError:
        return None

"""The patterns quantities are read with, compiled once from the vocabularies of rules/*.yaml
(number words, scales, qualifiers, identifier words, time units, units and currencies)."""

from __future__ import annotations

import re
from functools import cache

from pipeline.extract.numbers import FRACTIONS, LARGE_WORDS, TENS_WORDS, UNIT_WORDS
from pipeline.extract.rules import alternation, load, qualifier_words
from pipeline.extract.units import registry
from pipeline.read.dates import ABBREVIATIONS, MONTH_PATTERN

QUALIFIERS = qualifier_words()
EXCLUSIONS = {r["name"]: r for r in load("exclusions")["exclusions"]}
IDENTIFIER_WORDS = "|".join(EXCLUSIONS["identifier_after_word"]["words"])
TIME_UNITS = "(?:" + "|".join(EXCLUSIONS["duration"]["time_units"]) + ")"
MONTHS = "|".join([MONTH_PATTERN, *(re.escape(a) for a in ABBREVIATIONS)])


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


def _number_words() -> tuple[str, str]:
    """Patterns of numbers in words: one below a hundred ('forty-two'), and one in full
    ('four thousand seven hundred and forty': triples joined by large scale words)."""
    units = "|".join(UNIT_WORDS)
    tens = "|".join(TENS_WORDS)
    large = "|".join(LARGE_WORDS)
    small = rf"(?:(?:{tens})(?:[- ](?:{units}))?|{units})"
    triple = rf"(?:{small}(?:\s+hundred(?:\s+(?:and\s+)?{small})?)?)"
    word = (
        rf"{triple}(?:\s+(?:{large})(?:,?\s+(?:and\s+)?{triple}(?!\s+(?:{large})\b))?)*"
        rf"(?:\s+(?:{large}))?"
    )
    return small, word


@cache
def patterns() -> dict[str, re.Pattern[str]]:
    """Compiled patterns, built once on first use so importing stays cheap."""
    reg = registry()
    small, word = _number_words()
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
        "duration": re.compile(
            # "12- month": a hyphen a line break left a space after
            rf"(?:\s+|-\s?)(?:(?:and\s+a\s+half|more|other|further|consecutive|"
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

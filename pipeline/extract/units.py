"""The unit registry: rules/units.yaml plus ISO 4217 currencies from pycountry.

Every unit a metric may carry is listed here, and only here: the schema's unit enum is
generated from `unit_codes()` (see contract.py), and a number followed by a unit-shaped word
the registry does not know gets unit "unknown" with the word kept, never "count".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pipeline.extract.rules import load

COUNT, UNKNOWN = "count", "unknown"


@dataclass(frozen=True)
class Registry:
    """Surface forms of units and currencies, compiled from the rule files."""

    forms: dict[str, tuple[str, float]]  # lower-case word form -> (unit, factor)
    symbols: dict[str, tuple[str, float]]  # case-sensitive symbol -> (unit, factor)
    units: tuple[str, ...]  # registry unit codes in file order
    currency_symbols: dict[str, str]
    currency_words: dict[str, str]  # lower-case name or plural -> ISO code
    currency_codes: frozenset[str]  # every ISO 4217 code known
    prefix_codes: frozenset[str]  # codes accepted before a number
    not_after_number: frozenset[str]
    unknown: re.Pattern[str]  # unit-shaped words the registry lacks


def _plural(name: str) -> str:
    """'Kenyan Shilling' -> 'kenyan shillings'; 'Pound Sterling' -> 'pounds sterling'."""
    words = name.lower().split()
    if words[-1] == "sterling" and len(words) > 1:
        words[-2] += "s"
    elif not words[-1].endswith("s"):
        words[-1] += "s"
    return " ".join(words)


@cache
def registry() -> Registry:
    """The registry, built once."""
    import pycountry

    data = load("units")
    forms: dict[str, tuple[str, float]] = {}
    symbols: dict[str, tuple[str, float]] = {}
    units = []
    for unit in data["units"]:
        units.append(unit["name"])
        for form, factor in unit.get("forms", {}).items():
            forms[re.sub(r"\s+", " ", str(form).lower())] = (unit["name"], float(factor))
        for sym, factor in unit.get("symbols", {}).items():
            symbols[str(sym)] = (unit["name"], float(factor))
    cur = data["currencies"]
    codes = {c.alpha_3: c.name for c in pycountry.currencies}
    codes.update(cur.get("historic", {}))
    words: dict[str, str] = {}
    for code, name in codes.items():
        if re.fullmatch(r"[A-Za-z][A-Za-z .'-]+", name) and len(name) > 3:
            words[name.lower()] = code
            words[_plural(name)] = code
    words.update({k.lower(): v for k, v in cur["words"].items()})
    unk = data["unknown_unit"][0]
    prefixes = "|".join(unk["prefixes"])
    endings = "|".join(sorted(unk["endings"], key=len, reverse=True))
    plain = "|".join(unk["words"])
    unknown = re.compile(rf"\s*((?:{prefixes})?(?:{endings})|(?:{plain}))\b", re.I)
    return Registry(
        forms,
        symbols,
        tuple(units),
        dict(cur["symbols"]),
        words,
        frozenset(codes),
        frozenset(cur["prefix_codes"]),
        frozenset(cur["not_after_number"]),
        unknown,
    )


def unit_codes() -> list[str]:
    """Every value a metric's unit may take (the schema's enum): fixed, registry, currencies."""
    reg = registry()
    fixed = [COUNT, UNKNOWN]
    return fixed + [u for u in reg.units if u not in fixed] + sorted(reg.currency_codes)


def currency_code(symbol: str | None) -> str | None:
    """The ISO code for a symbol or code written before a number ('$', 'US$', 'EUR')."""
    if not symbol:
        return None
    reg = registry()
    symbol = symbol.strip().lstrip("\\")
    if symbol in reg.currency_symbols:
        return reg.currency_symbols[symbol]
    return symbol if symbol in reg.prefix_codes else None

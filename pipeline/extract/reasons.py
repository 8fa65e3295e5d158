"""How a figure's unit and qualifier were decided, in words, for `indicators explain`."""

from __future__ import annotations

import re

from pipeline.extract.money import is_money
from pipeline.extract.quantities import Quantity


def unit_why(text: str, q: Quantity) -> str:
    """How the unit was decided, in words."""
    if q.unit == "count":
        if q.size_adjective:
            return "count: size adjective (rules/exclusions.yaml size_adjectives)"
        return "count: no unit word after the number"
    if q.unit == "unknown":
        return (
            f"unknown: '{q.unit_word}' is shaped like a unit but not in the registry "
            "(rules/units.yaml unknown_unit)"
        )
    if q.rule in ("fraction", "ratio"):
        return f"percent: a {q.rule} is a share (rules/numbers.yaml {q.rule})"
    if is_money(q):
        return f"{q.unit}: currency symbol, code or name (rules/units.yaml currencies, pycountry)"
    how = "measurement adjective" if q.measure_adjective else "unit word"
    return f"{q.unit}: {how} in the registry (rules/units.yaml {q.unit})"


def qualifier_why(text: str, q: Quantity) -> str:
    """How the qualifier was decided, in words."""
    if q.qualifier == "exact":
        return "exact: no qualifier word before the number"
    quote = text[q.start : q.end]
    number = re.search(
        r"[\d$€£¥₹]|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|a|half)\b", quote, re.I
    )
    word = quote[: number.start()].strip() if number else quote
    return f"{q.qualifier}: '{word}' (rules/qualifiers.yaml {q.qualifier})"

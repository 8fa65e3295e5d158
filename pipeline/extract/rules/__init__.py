"""Rules as data: the YAML files beside this module, loaded once and cached.

Each file holds named rules; each rule has ``examples`` (sentences with what is kept or dropped)
from which tests/test_rules.py generates its tests. A domain expert adds a unit, a qualifier
word or an exclusion by editing these files, without reading Python.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent
FILES = (
    "numbers",
    "qualifiers",
    "units",
    "exclusions",
    "verbs",
    "words",
    "entities",
    "countries",
    "years",
    "facts",
)


@cache
def load(name: str) -> dict:
    """One rule file, parsed (rules/<name>.yaml)."""
    import yaml

    # The pure-Python loader, always: the rules read the same with or without libyaml
    # (loaded once per process, so its speed does not matter).
    text = (RULES_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=yaml.SafeLoader)


def named_rules(name: str) -> list[dict]:
    """The named rules of a file, whatever section they sit in."""
    out: list[dict] = []
    for value in load(name).values():
        if isinstance(value, list):
            out.extend(r for r in value if isinstance(r, dict) and "name" in r)
    return out


# Files whose examples say what is kept and dropped (tests/test_rules.py); the examples of
# facts.yaml and entities.yaml say other things and have tests of their own.
KEPT_AND_DROPPED = tuple(f for f in FILES if f not in ("facts", "entities"))


def all_examples() -> list[tuple[str, str, dict]]:
    """(file, rule name, example) for every example of what is kept and dropped."""
    return [
        (f, r["name"], ex)
        for f in KEPT_AND_DROPPED
        for r in named_rules(f)
        for ex in r.get("examples", [])
    ]


def year_range() -> tuple[int, int]:
    """The years a four-digit number may be (and a metric's year may take)."""
    y = load("years")["year_range"]
    return int(y["minimum"]), int(y["maximum"])


def qualifier_words() -> dict[str, list[str]]:
    """Qualifier name -> the words that mark it, longest first."""
    return {
        r["name"]: sorted(r["words"], key=len, reverse=True)
        for r in load("qualifiers")["qualifiers"]
    }


def qualifier_names() -> list[str]:
    """Every qualifier a metric may have: exact first, then the rule names."""
    return ["exact"] + [r["name"] for r in load("qualifiers")["qualifiers"]]


def words(name: str) -> list[str]:
    """A word list of rules/words.yaml, by its key."""
    return list(load("words")[name])


def alternation(words: list[str]) -> str:
    """Words as one regular-expression alternation, longest first, spaces as any white space."""
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )

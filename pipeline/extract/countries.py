"""Find the countries named in English text from United Nations reports."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class CountryMention:
    """One country name found in a text, with its codes and character offsets."""

    iso3: str
    m49: str
    name: str
    start: int
    end: int


def _rules() -> dict:
    """Extra names, blocked phrases and skipped names: rules/countries.yaml."""
    from pipeline.extract.rules import load

    return load("countries")


_APOSTROPHES = "'\u2019\u02bc"
_HYPHENS = "-\u2010\u2011"
_WS_RE = re.compile(r"\s+")
_HYPHEN_RE = re.compile(f"[{_HYPHENS}]\\s*")
_APOSTROPHE_RE = re.compile(f"[{_APOSTROPHES}]")


def _fold(name: str) -> str:
    """Return the lookup key of a name: no accents, one apostrophe, single spaces."""
    decomposed = unicodedata.normalize("NFD", name)
    key = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    key = _APOSTROPHE_RE.sub("'", key)
    key = _HYPHEN_RE.sub("-", key)
    return _WS_RE.sub(" ", key).strip()


def _char_pattern(ch: str) -> str:
    """Return a regex for one name character that tolerates typographic variants."""
    if ch.isspace():
        # Reports break long names across lines and pages.
        return r"\s+"
    if ch in _APOSTROPHES:
        return f"[{_APOSTROPHES}]"
    if ch in _HYPHENS:
        return f"[{_HYPHENS}]\\s*"
    decomposed = unicodedata.normalize("NFD", ch)
    if decomposed != ch:
        # Accept precomposed, decomposed and unaccented spellings ("Cote d'Ivoire").
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        options = dict.fromkeys((ch, decomposed, base))
        return "(?:" + "|".join(re.escape(o) for o in options) + ")"
    return re.escape(ch)


def _name_pattern(name: str) -> str:
    """Return a regex matching a name with any whitespace, apostrophe or accent form."""
    return "".join(_char_pattern(ch) for ch in _WS_RE.sub(" ", name.strip()))


_Entry = tuple[str, str] | None


@cache
def _names() -> dict[str, tuple[str, _Entry]]:
    """Map folded names to (spelling used for the pattern, (iso3, m49) or None)."""
    # Imported here so that importing this module stays cheap.
    import pycountry

    m49_by_iso3: dict[str, str] = {}
    names: dict[str, tuple[str, _Entry]] = {}
    for country in pycountry.countries:
        iso3, m49 = country.alpha_3, country.numeric.zfill(3)
        m49_by_iso3[iso3] = m49
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            # Inverted "Korea, Republic of" forms never appear in running text.
            if not name or "," in name:
                continue
            name = name.removeprefix("the ")
            names[_fold(name)] = (name, (iso3, m49))
    rules = _rules()
    for iso3, extra in rules["extra_names"].items():
        for name in extra:
            names[_fold(name)] = (name, (iso3, m49_by_iso3[iso3]))
    for name in rules["skipped_names"]:
        names.pop(_fold(name), None)
    for phrase in rules["blocked_phrases"]:
        names[_fold(phrase)] = (phrase, None)
    return names


@cache
def _name_regex() -> re.Pattern[str]:
    """Compile one alternation of all names, longest first so the longest match wins."""
    names = _names()
    keys = sorted(names, key=lambda k: (-len(k), k))
    alternation = "|".join(_name_pattern(names[k][0]) for k in keys)
    # Lookarounds rather than \b so that names ending in ")" still get a boundary.
    return re.compile(f"(?<!\\w)(?:{alternation})(?!\\w)")


def find_countries(text: str) -> list[CountryMention]:
    """Return every country mention in text, in order of position."""
    names = _names()
    mentions: list[CountryMention] = []
    for match in _name_regex().finditer(text):
        entry = names[_fold(match.group())][1]
        if entry is None:
            continue
        iso3, m49 = entry
        mentions.append(CountryMention(iso3, m49, match.group(), match.start(), match.end()))
    return mentions


def country_codes(text: str) -> list[tuple[str, str, str]]:
    """Return unique (iso3, m49, name as first printed) in order of first mention."""
    seen: dict[str, tuple[str, str, str]] = {}
    for mention in find_countries(text):
        seen.setdefault(mention.iso3, (mention.iso3, mention.m49, mention.name))
    return list(seen.values())

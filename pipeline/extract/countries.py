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


# UN name forms and common variants that pycountry lacks or spells with a comma.
_EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "BES": ("Bonaire, Sint Eustatius and Saba",),
    "BOL": ("Bolivia (Plurinational State of)", "Plurinational State of Bolivia"),
    "BRN": ("Brunei",),
    "CIV": ("Côte d'Ivoire", "Ivory Coast"),
    "COD": ("Democratic Republic of the Congo",),
    "COG": ("Congo", "Republic of the Congo"),
    "CPV": ("Cabo Verde", "Cape Verde"),
    "CZE": ("Czechia", "Czech Republic"),
    "FSM": ("Micronesia (Federated States of)", "Federated States of Micronesia"),
    "GBR": ("United Kingdom of Great Britain and Northern Ireland", "United Kingdom"),
    "HKG": (
        "China, Hong Kong Special Administrative Region",
        "China, Hong Kong SAR",
        "Hong Kong, China",
    ),
    "IRN": ("Iran (Islamic Republic of)", "Islamic Republic of Iran", "Iran"),
    "KOR": ("Republic of Korea", "South Korea"),
    "LAO": ("Lao People's Democratic Republic", "Lao PDR", "Laos"),
    "MAC": (
        "China, Macao Special Administrative Region",
        "China, Macao SAR",
        "Macao, China",
    ),
    "MDA": ("Republic of Moldova", "Moldova"),
    "MKD": ("North Macedonia",),
    "MMR": ("Burma",),
    "NER": ("Niger",),
    "NLD": ("Netherlands (Kingdom of the)", "Netherlands"),
    "PRK": ("Democratic People's Republic of Korea", "North Korea"),
    "PSE": ("State of Palestine", "Palestine"),
    "RUS": ("Russian Federation", "Russia"),
    "SGS": ("South Georgia",),
    "SHN": ("Saint Helena", "Saint Helena, Ascension and Tristan da Cunha"),
    "SJM": ("Svalbard and Jan Mayen Islands",),
    "SWZ": ("Eswatini", "Swaziland"),
    "SYR": ("Syrian Arab Republic", "Syria"),
    "TLS": ("East Timor",),
    "TUR": ("Türkiye", "Turkey"),
    "TWN": ("Taiwan Province of China",),
    "TZA": ("United Republic of Tanzania", "Tanzania"),
    "USA": ("United States of America", "United States"),
    "VAT": ("Holy See",),
    "VEN": ("Venezuela (Bolivarian Republic of)", "Bolivarian Republic of Venezuela"),
    "VIR": ("United States Virgin Islands",),
    "VNM": ("Viet Nam", "Vietnam"),
    "WLF": ("Wallis and Futuna Islands",),
}

# Geographic phrases that contain a country name but do not refer to that country;
# they are matched like names (so the longest match wins) and then dropped.
_BLOCKED_PHRASES: tuple[str, ...] = (
    "Gulf of Guinea",
    "New Guinea",
    "Lake Chad",
    "Niger Delta",
    "Niger River",
    "River Niger",
    "Niger Basin",
    "Congo Basin",
    "Congo River",
    "River Congo",
    "Gulf of Mexico",
    "New Mexico",
    "New Jersey",
    "Northern Ireland",
    "South China Sea",
    "East China Sea",
    "Gulf of Oman",
    "Sea of Japan",
)

# Names not treated as countries here (Kosovo has no ISO 3166-1 code).
_SKIPPED_NAMES: frozenset[str] = frozenset({"Kosovo"})

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
    for iso3, extra in _EXTRA_NAMES.items():
        for name in extra:
            names[_fold(name)] = (name, (iso3, m49_by_iso3[iso3]))
    for name in _SKIPPED_NAMES:
        names.pop(_fold(name), None)
    for phrase in _BLOCKED_PHRASES:
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

"""Normalise a report's text before structure and extraction: the result is the text published.

Ligatures, non-breaking and odd spaces, soft hyphens, Markdown escapes, doubled spaces in prose
and words hyphenated at a line end. Every later offset points into the normalised text, which
is what the dataset publishes, so each quote can be checked against it.
"""

from __future__ import annotations

import re

_CHARS = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u2002": " ", "\u2003": " ",
    "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
    "\u2010": "-", "\u2011": "-",
})
# "\$", "\%", "\_" in Markdown made by converters; a backslash before a letter is kept.
_MD_ESCAPE = re.compile(r"\\([$%_*#\[\]()<>.!+\-])")
_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_WORDS = re.compile(r"[A-Za-z]{2,}")
# "develop-\nment", "Officer-\n  in-Charge": a word broken at a line end.
_BROKEN = re.compile(r"([A-Za-z]+)-\n[ \t]*([a-z][\w-]*)([^\n]*)")
# Second halves that make a compound of their own ("community-based", "long-term").
KEEP_HYPHEN = {
    "based", "related", "led", "level", "term", "making", "building", "wide", "free", "owned",
    "speaking", "up", "in", "out", "of", "the", "on", "off", "day", "year", "time", "scale",
    "oriented", "sensitive", "specific", "friendly", "sharing", "run", "general",
    "elect", "governmental", "affected", "party", "border", "standing", "ranking", "and", "or",
    "to", "by", "for", "with", "a", "an", "like", "fold", "strong", "member", "members",
}


def normalise(text: str) -> str:
    """The text as published: characters, spaces and line-end hyphenation normalised."""
    text = text.translate(_CHARS)
    text = _MD_ESCAPE.sub(r"\1", text)
    text = "\n".join(_collapse_spaces(line) for line in text.split("\n"))
    return dehyphenate(text)


def _collapse_spaces(line: str) -> str:
    """Doubled spaces inside prose become one ('US$  16 million'); table rows keep theirs."""
    runs = _SPACES.findall(line)
    if not runs or len(runs) > 2 or len(_WORDS.findall(line)) < 6:
        return line
    return _SPACES.sub(" ", line)


def dehyphenate(text: str) -> str:
    """Join words broken at a line end; keep the hyphen of real compounds."""
    if "-\n" not in text:
        return text
    vocabulary = set(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", text))

    def join(m: re.Match) -> str:
        left, right, rest = m.group(1), m.group(2), m.group(3)
        word = f"{left}-{right}" if keep_hyphen(left, right, vocabulary) else left + right
        # The rest of the second line moves down a line, so no blank line appears.
        rest = rest.lstrip()
        return f"{word}\n{rest}" if rest else word

    # A moved line may itself end in a broken word: repeat until none is left.
    while True:
        joined = _BROKEN.sub(join, text)
        if joined == text:
            return joined
        text = joined


def keep_hyphen(left: str, right: str, vocabulary: set[str]) -> bool:
    """Whether 'left-' at a line end and 'right' on the next line form a hyphenated word."""
    first = right.split("-")[0].lower()
    hyphened, joined = f"{left}-{first}".lower(), f"{left}{first}".lower()
    if hyphened in vocabulary and joined not in vocabulary:
        return True
    if joined in vocabulary:
        return False
    return "-" in right or first in KEEP_HYPHEN

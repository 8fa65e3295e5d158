"""Normalise a report's text before structure and extraction: the result is the text published.

Ligatures, non-breaking and odd spaces, soft hyphens, Markdown escapes, doubled spaces in prose
and words hyphenated at a line end. Every later offset points into the normalised text, which
is what the dataset publishes, so each quote can be checked against it.
"""

from __future__ import annotations

import re

_CHARS = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
        "\u2010": "-",
        "\u2011": "-",
    }
)
_ODD = re.compile("[" + "".join(chr(c) for c in _CHARS) + "]")
# "\$", "\%", "\_" in Markdown made by converters; a backslash before a letter is kept.
_MD_ESCAPE = re.compile(r"\\([$%_*#\[\]()<>.!+\-])")
_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")
_WORDS = re.compile(r"[A-Za-z]{2,}")
# "develop-\nment", "Officer-\n  in-Charge": a word broken at a line end.
_LEFT_WORD = re.compile(r"[A-Za-z]+$")
_RIGHT_WORD = re.compile(r"[a-z][\w-]*")
# Second halves that make a compound of their own ("community-based", "long-term").
KEEP_HYPHEN = {
    "based",
    "related",
    "led",
    "level",
    "term",
    "making",
    "building",
    "wide",
    "free",
    "owned",
    "speaking",
    "up",
    "in",
    "out",
    "of",
    "the",
    "on",
    "off",
    "day",
    "year",
    "time",
    "scale",
    "oriented",
    "sensitive",
    "specific",
    "friendly",
    "sharing",
    "run",
    "general",
    "elect",
    "governmental",
    "affected",
    "party",
    "border",
    "standing",
    "ranking",
    "and",
    "or",
    "to",
    "by",
    "for",
    "with",
    "a",
    "an",
    "like",
    "fold",
    "strong",
    "member",
    "members",
}


# Control characters (ESC, BEL, ...) from a text layer never reach the dataset or a terminal:
# removed (tabs, line and page ends stay).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def normalise(text: str) -> str:
    """The text as published: characters, spaces and line-end hyphenation normalised."""
    if CONTROL.search(text):
        text = CONTROL.sub("", text)
    if _ODD.search(text):  # translate() walks every character; most texts need nothing
        text = text.translate(_CHARS)
    if "\\" in text:
        text = _MD_ESCAPE.sub(r"\1", text)
    if "  " in text or " \t" in text:
        text = "\n".join(
            _collapse_spaces(line) if "  " in line or "\t" in line else line
            for line in text.split("\n")
        )
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
    pieces = text.split("-\n")
    vocabulary: set[str] | None = None
    result = pieces[0]
    for piece in pieces[1:]:
        left = _LEFT_WORD.search(result[-80:])
        body = piece.lstrip(" \t")
        right = _RIGHT_WORD.match(body)
        if not (left and right):
            result += "-\n" + piece
            continue
        if vocabulary is None:
            vocabulary = set(re.findall(r"[a-z][a-z-]*[a-z]", text.lower()))
        first, second = left.group(), right.group()
        word = f"{first}-{second}" if keep_hyphen(first, second, vocabulary) else first + second
        # The rest of the second line moves up to the word; no blank line appears.
        rest, newline, remainder = body[len(second) :].partition("\n")
        rest = rest.lstrip()
        result = (
            result[: len(result) - len(first)]
            + word
            + ("\n" + rest if rest else "")
            + newline
            + remainder
        )
    return result


def keep_hyphen(left: str, right: str, vocabulary: set[str]) -> bool:
    """Whether 'left-' at a line end and 'right' on the next line form a hyphenated word."""
    first = right.split("-")[0].lower()
    hyphened, joined = f"{left}-{first}".lower(), f"{left}{first}".lower()
    if hyphened in vocabulary and joined not in vocabulary:
        return True
    if joined in vocabulary:
        return False
    return "-" in right or first in KEEP_HYPHEN

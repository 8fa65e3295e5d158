"""Noun phrases: the grammar that reads what a figure counts from the words around it.

The word lists (stop words, determiners, prepositions, nouns in -ly and -eed) are
rules/words.yaml's; this module reads a phrase forwards from a figure ("300 trained police
officers") or backwards from a verb ("the gender pay gap was").
"""

from __future__ import annotations

import re

from pipeline.extract.numbers import WORD_VALUES
from pipeline.extract.rules import words

STOP = set(words("stop_words")) | set(WORD_VALUES) | {"hundred", "thousand", "million", "billion"}
DETERMINERS = set(words("determiners"))
NOUNS_IN_LY = set(words("nouns_in_ly"))
NOUNS_IN_EED = set(words("nouns_in_eed"))
PREPOSITIONS = set(words("prepositions"))
# Latin letters with accents ("Préval’s"), not other word characters such as "½"
_L = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
WORD = re.compile(rf"[“\"‘]?[{_L}][{_L}'’]*(?:-[{_L}'’]+)*-?[”\"’]?")
# "unpaid assessed contributions", "annual recurrent costs": an adjective before a participle
ADJECTIVE = re.compile(
    r"(?i:(?:un|non)[a-z]{3,}|[a-z]{3,}(?:al|ic|ive|ous|ful|less|able|ible|ary))"
)
NUMBER_OF = re.compile(
    r"^(?:the\s+)?(?:total\s+)?(?:number|amount|total|value|volume|share|"
    r"proportion|percentage)\s+of\s+",
    re.I,
)
INTRO = re.compile(
    r"^(?:In|As|During|Since|Under|Through|With|Following|Despite|By|At|For|After|"
    r"Before|Overall|Moreover|Furthermore|In addition|However|Thus|Also|Between|"
    r"Of|Among|Within|Across|To|From|Over|Together|Pursuant|Owing|Due)\b[^,]*,\s*"
)
Words = list[re.Match[str]]
# Asked for once per word or phrase read, compiled once.
_GAP = re.compile(r"[ \t\n]+")
_QUOTES = re.compile(r"[“”\"‘]|’(?=\s|$)")
_SPACES = re.compile(r"\s+")


def words_after(text: str, pos: int, limit: int = 12) -> Words:
    """Word tokens after pos, stopping at punctuation other than spaces and hyphens."""
    out: Words = []
    pos += len(text[pos : pos + 20]) - len(text[pos : pos + 20].lstrip())
    while len(out) < limit:
        m = WORD.match(text, pos)
        if not m:
            break
        out.append(m)
        gap = _GAP.match(text, m.end())  # not a slice of the rest of the paragraph
        if not gap:
            break
        pos = m.end() + len(gap.group())
    return out


def acceptable(word: str) -> bool:
    """A word a noun phrase may hold: no stop word, no adverb in -ly (nouns in -ly are)."""
    low = word.lower()
    if "-" in word:
        return True
    return low not in STOP and (not low.endswith("ly") or low in NOUNS_IN_LY)


def verb_form(word: str) -> bool:
    """Looks like a past participle or gerund ('trained', 'funding'), not 'seed' or 'king'."""
    low = word.lower()
    return (
        low.endswith("ed")
        and len(low) > 4
        and (not low.endswith("eed") or len(low) > 5 and low not in NOUNS_IN_EED)
        or low.endswith("ing")
        and len(low) > 5
    )


def _coordination(words: Words, i: int, taken: Words) -> int:
    """'and'/'or' inside a phrase: 1 to take it, 0 to end the phrase."""
    nxt = words[i + 1].group() if i + 1 < len(words) else None
    if (
        nxt
        and acceptable(nxt)
        and not verb_form(nxt)
        and (not nxt[0].isupper() or taken[-1].group()[0].isupper())
    ):
        return 1
    return 0


def _of_continues(words: Words, i: int, taken: Words) -> bool:
    """'heads of State': 'of' continues a short phrase before an acceptable word."""
    nxt = words[i + 1].group() if i + 1 < len(words) else None
    return bool(nxt) and nxt.lower() not in DETERMINERS and acceptable(nxt) and len(taken) <= 2


def _adverb_participle(words: Words, i: int, taken: Words) -> bool:
    """'internally displaced persons', 'newly recruited staff': an adverb before a participle."""
    w = words[i].group()
    nxt = words[i + 1].group() if i + 1 < len(words) else None
    return bool(
        w.lower().endswith("ly")
        and not acceptable(w)
        and nxt
        and (verb_form(nxt) and not taken or not taken and acceptable(nxt))
        and i + 2 < len(words)
        and acceptable(words[i + 2].group())
    )


def _coordinated_participles(text: str, words: Words, i: int, taken: Words) -> int:
    """'registered and provisionally authorized police': the words to take, or 0."""
    w = words[i].group()
    nxt = words[i + 1].group() if i + 1 < len(words) else None
    if not (
        not taken
        and verb_form(w)
        and w.lower().endswith("ed")
        and nxt
        and nxt.lower() in ("and", "or")
        and (
            m := re.match(
                r"\s+(?:and|or)\s+(?:[a-z]+ly\s+)?[a-z]+ed\s+",
                text[words[i].end() : words[i].end() + 40],
            )
        )
    ):
        return 0
    skip = [x for x in words[i + 1 :] if x.start() < words[i].end() + m.end()]
    if i + 1 + len(skip) < len(words) and acceptable(words[i + 1 + len(skip)].group()):
        return 1 + len(skip)
    return 0


def _verb_ends(words: Words, i: int, taken: Words, gerund_first: bool) -> bool:
    """'participated', 'trained' after a noun end the phrase; 'trained officers' and a first
    'funding' or 'training' are part of it."""
    w = words[i].group()
    nxt = words[i + 1].group() if i + 1 < len(words) else None
    if not (
        verb_form(w)
        and "-" not in w
        and w[0].islower()
        and not (gerund_first and not taken and w.lower().endswith("ing"))
    ):
        return False
    return not (
        nxt
        and acceptable(nxt)
        and not verb_form(nxt)
        and not nxt.lower().endswith("ly")
        and nxt.lower() not in ("and", "or", "of")
    )


def _step(text: str, words: Words, i: int, taken: Words, allow_of: bool, gerund: bool) -> int:
    """How many words from words[i] the phrase takes next; 0 ends it."""
    w = words[i].group()
    low = w.lower()
    nxt = words[i + 1].group() if i + 1 < len(words) else None
    if low in ("and", "or") and taken:
        return _coordination(words, i, taken)
    if low == "of" and taken and allow_of and _of_continues(words, i, taken):
        return 1
    if _adverb_participle(words, i, taken):
        return 2
    if not acceptable(w) or w.endswith("-") and not nxt:
        return 0
    if n := _coordinated_participles(text, words, i, taken):
        return n
    return 0 if _verb_ends(words, i, taken, gerund) else 1


def noun_phrase(
    text: str, pos: int, allow_of: bool = True, gerund_first: bool = True
) -> tuple[str, int] | None:
    """The counted noun phrase starting at pos: adjectives and nouns, with coordination."""
    found = words_after(text, pos)
    while found and found[0].group().lower() in DETERMINERS:
        found.pop(0)
    taken: Words = []
    i = 0
    while i < len(found) and len(taken) < 7:
        n = _step(text, found, i, taken, allow_of, gerund_first)
        if n == 0:
            break
        taken += found[i : i + n]
        i += n
    while taken and taken[-1].group().lower() in ("and", "or", "of"):
        taken.pop()
    if not taken:
        return None
    phrase = _QUOTES.sub("", text[taken[0].start() : taken[-1].end()])
    return _SPACES.sub(" ", phrase).lower(), taken[-1].end()


def _verb_after_subject(left: str, w: re.Match[str], prev: str) -> bool:
    """'the Bank announced pledges': a verb after its subject ends the phrase read backwards;
    'of displaced persons' keeps its participle."""
    initial = left[: w.start()].strip() == prev  # capital of a sentence's start
    return (
        prev[:1].isupper() and not initial or acceptable(prev) and prev.lower() not in PREPOSITIONS
    ) and not ADJECTIVE.fullmatch(prev)


def _backwards(left: str, found: Words) -> Words:
    """The words of the noun phrase that ends left, read from its end."""
    taken: Words = []
    for w in reversed(found[-8:]):
        low = w.group().lower()
        gap = left[w.end() : taken[0].start()] if taken else ""
        if gap.strip():
            break  # punctuation between words ends the phrase
        if low in PREPOSITIONS and taken:
            taken.insert(0, w)
            continue
        prev = left[: w.start()].split()[-1:] or [""]
        if low in DETERMINERS and taken and prev[0].lower() in PREPOSITIONS:
            taken.insert(0, w)  # "contributions for all operations": go on to the head
            continue
        if not acceptable(w.group()) or low in DETERMINERS:
            break
        if verb_form(w.group()) and w.group()[0].islower() and taken:
            if _verb_after_subject(left, w, prev[0]):
                break
        taken.insert(0, w)
    return taken


def noun_before(left: str, appositive: bool = False) -> str | None:
    """'the gender pay gap' in '... the gender pay gap was': the noun phrase before a verb."""
    if appositive:
        left = re.sub(r",\s*$", " ", left)  # "26 projects, worth $4.2 million"
    found = list(WORD.finditer(left))
    if (
        not found
        or left[found[-1].end() :].strip()
        or not acceptable(found[-1].group())
        or verb_form(found[-1].group())
    ):
        return None
    taken = _backwards(left, found)
    while taken and taken[0].group().lower() in PREPOSITIONS | DETERMINERS:
        taken.pop(0)
    if not taken:
        return None
    return clean_np(left[taken[0].start() : taken[-1].end()])


def clean_np(np: str) -> str | None:
    """A noun phrase cut from a longer text: its head, without what follows a relative."""
    np = np.split(",")[0]
    # "the reduction in the number of police officers": what is counted is the officers
    if m := re.search(r"\b(?:in|of)\s+the\s+(?:total\s+)?number\s+of\s+(?=\w)", np, re.I):
        np = np[m.end() :]
    np = re.split(r"\s+(?:that|who|which|whose|where|when|including|in|from|at|to)\s+", np)[0]
    np = NUMBER_OF.sub("", np.strip())
    found = noun_phrase(np, 0)
    return found[0] if found else None


def subject(clause: str) -> str | None:
    """The subject noun phrase of a clause, after any introductory phrase."""
    clause = INTRO.sub("", clause.strip())
    clause = re.sub(r"^(?:and|but|while|whereas|thus)\s+", "", clause)
    clause = NUMBER_OF.sub("", clause)
    found = noun_phrase(clause, 0, allow_of=False, gerund_first=False)
    return found[0] if found else None


def borrow_head(text: str, found: tuple[str, int]) -> str:
    """'12 African and 11 Latin American countries': the first count shares the last noun."""
    phrase, end = found
    m = re.match(r"\s+(?:and|or)\s+(?:\d[\d,.]*|[A-Za-z]+(?:-[a-z]+)?)\s+", text[end : end + 30])
    if m and not (
        m.group().split()[1][0].isdigit()
        or m.group().split()[1].lower().split("-")[0] in WORD_VALUES
    ):
        m = None
    # a single adjective ("African", "direct") borrows; a plural noun ("Senators") does not
    if m and " " not in phrase and not phrase.endswith("s"):
        if nxt := noun_phrase(text, end + m.end()):
            return f"{phrase} {nxt[0].split()[-1]}"
    return phrase


def is_proper(text: str, pos: int) -> bool:
    """The phrase at pos starts with a capital mid-sentence: a place or a name."""
    word = WORD.match(text, pos + len(text[pos : pos + 20]) - len(text[pos : pos + 20].lstrip()))
    return bool(word) and word.group()[:1].isupper() and word.group().lower() not in DETERMINERS

"""Extract: turn a document's paragraphs into metric records (value, unit, entity, year...)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, fields, replace

from pipeline.extract.countries import find_countries
from pipeline.extract.facts import NO_REPORT, Figure, Report, decide
from pipeline.extract.quantities import WORD_VALUES, Quantity, find_quantities
from pipeline.extract.rules import load as load_rules
from pipeline.extract.structure import Paragraph, Structure, section_titles, theme_of
from pipeline.extract.units import registry
from pipeline.read.dates import MONTH_PATTERN, MONTHS


def _rules_fingerprint() -> str:
    """Hash of the modules whose rules decide the metrics, so any change re-extracts."""
    import hashlib
    from pathlib import Path

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    # Readers and extractors, code and rule files alike: any change re-extracts.
    for folder in ("read", "extract"):
        for path in sorted((package / folder).rglob("*")):
            if (
                path.is_file()
                and path.suffix in (".py", ".yaml", ".json")
                and path.name not in ("evaluate.py", "explain.py", "contract.py")
            ):
                digest.update(path.relative_to(package).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


# Bump the number for a deliberate change of the rules; the suffix follows the code itself.
EXTRACTOR_VERSION = f"1.1.0+{_rules_fingerprint()}"
WINDOW = 400  # characters looked back from a figure for what it counts
CONTEXT_BEFORE = 3000  # characters before a paragraph its figures' facts may look back on

# Words that end a counted noun phrase: prepositions, auxiliaries, pronouns, conjunctions.
STOP = (
    set(
        """
a about above across after against along among an and any are around as at be been before
being below between both but by can could did do does during each either every for from had
has have having he her his how if in including into is it its may might more most must no nor
not of on once only onto or other our out over own per she should since so some such than that
the their them then there these they this those through throughout to too toward towards under
until up upon via was we were what when where whether which while who whom whose why will with
within without would yet you your also globally worldwide respectively annually overall alone
each together already still just now nearly almost approximately around all whereby thus
received became become remain remained reached reach reaching include includes included
participated join joined make made take took provide provided benefit benefited held involving
twice once thrice met gave led saw found sent won began brought built bought came went got kept
left lost paid put ran said sold set spent stood told wrote rose fell grew drew knew chose spoke
broke shut won hit cut let sought because although though unless despite nationwide
countrywide remains contains comprises consists represents shows continues appears seems means
reflects stands
""".split()
    )
    | set(WORD_VALUES)
    | {"hundred", "thousand", "million", "billion"}
)
DETERMINERS = {
    "the",
    "a",
    "an",
    "such",
    "these",
    "those",
    "its",
    "their",
    "our",
    "all",
    "some",
    "other",
    "another",
    "further",
    "additional_",
}
SENTENCE_END = re.compile(r"[.!?][\"”’')*]*\s+(?=[\"“‘(*]?[A-Z0-9])")
ABBREVIATIONS = re.compile(
    r"(?:\b[A-Z]|\bNo|\bno|Mr|Ms|Dr|St|Nos|vs|e\.g|i\.e|paras?|Vol|Inc|Ltd"
    r"|Co|approx|etc)$"
)
CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:and|but|while|whereas|which|thus|bringing|representing|"
    r"resulting|raising|making|up|down)\b)|;\s+"
)
# "rose", "fell": rules/verbs.yaml's change_verbs; "increase", "drop": its change_nouns.
CHANGE_VERBS = "|".join(
    sorted(load_rules("verbs")["change_verbs"][0]["words"], key=len, reverse=True)
)
# "up from 22.3 per cent", "of which 612": the figure counts what the previous one counted.
SAME_AS_PREVIOUS = re.compile(
    rf"(?:\b(?:{CHANGE_VERBS}|increase|rise|decrease|decline|drop|fall)"
    r"\s+from|\bthan|\bversus|"
    r"\bcompared\s+(?:with|to)|\bof\s+(?:which|whom))\s+(?:\S+\s+)?$",
    re.I,
)
# Latin letters with accents ("Préval’s"), not other word characters such as "½"
_L = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
WORD = re.compile(rf"[“\"‘]?[{_L}][{_L}'’]*(?:-[{_L}'’]+)*-?[”\"’]?")
YEAR = re.compile(r"(?<![\w/.-])(1[89]\d\d|20\d\d)(?![\w/]|[–-]\d)")
# A year after these words is a period's bound, a baseline or a target, not the figure's year.
YEAR_EXCLUDED_BEFORE = re.compile(
    r"(?:(?i:\bsince|\bcompared\s+(?:with|to)|\buntil|\bbefore|\bthan|\bfrom|\bbetween|\bover"
    r"|\band|\bto)\s+|[–—-]\s*)(?i:(?:the\s+)?(?:end|start|beginning|middle)\s+of\s+)?"
    r"(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\s+)?$"
    r"|(?i:\bby)\s+$"
)  # "by 2030" is a target; "by the end of 2022" dates a figure
MONTH_NAMES = set(MONTHS)
# "Global Report on Food Crises 2023": a year closing a title names the title, not the figure.
TITLE_BEFORE = re.compile(r"\b([A-Z][a-z]+)\s+$")
NOT_TITLE = MONTH_NAMES | {
    "In",
    "By",
    "Since",
    "During",
    "For",
    "Until",
    "Before",
    "After",
    "Of",
    "From",
    "To",
    "And",
    "Between",
    "As",
    "At",
    "Early",
    "Late",
    "Mid",
    "End",
    "Spring",
    "Summer",
    "Autumn",
    "Winter",
    "The",
    "A",
    "An",
    "Its",
    "This",
    "That",
    "These",
    "Their",
    "Our",
    "Her",
    "His",
}
BASELINE = re.compile(
    rf"(?:\b(?:{CHANGE_VERBS})\s+from|\bthan|\bversus|\bcompared\s+(?:with|to))"
    r"\s+(?:\S+\s+)?$",
    re.I,
)
# "up from X", "compared with X": what follows is a baseline with its own year.
COMPARISON = re.compile(
    r"\b(?:compared\s+(?:with|to)|up\s+from|down\s+from|from|than|against|"
    r"over|versus|relative\s+to)\b",
    re.I,
)
# "2,500 in 2020": a year right after the figure is its own, whatever came earlier.
YEAR_RIGHT_AFTER = re.compile(
    r"\s*\((1[89]\d\d|20\d\d)\)"  # "fell from 52 (2010) to 47 (2011)"
    r"|\s*(?:[a-z][a-z-]*\s+){0,3}?(?:in|during|for|as\s+at|as\s+of|at\s+the\s+(?:start|end|"
    r"beginning)\s+of|by\s+the\s+end\s+of|at\s+end-|by\s+mid-|in\s+mid-)\s*"
    r"(?:[A-Z][a-z]+\s+)?(1[89]\d\d|20\d\d)\b(?![–-]\d)"
)
# "compared to 60,000 for the previous year": the year before the one the sentence states
PREVIOUS_YEAR = re.compile(
    r"[^.;]{0,25}?\b(?:for|in|during|over)\s+the\s+(?:previous|preceding|"
    r"prior)\s+year\b"
)
LEFT_PATTERNS = [
    # "the difference between the quick count and the results is 0.5 per cent"
    re.compile(
        r"\b(?P<np>(?:difference|gap|margin|ratio)\s+between\s+[^;]+?)\s+(?:was|were|is|"
        r"are|stood\s+at|amounted\s+to|of)\s+$",
        re.I,
    ),
    # "bringing the total number of Member States ... to 10"
    re.compile(
        r"\b(?:bringing|brought|bring|raising|raised)\s+(?:the\s+)?(?P<np>[^;]+?)\s+to\s+$", re.I
    ),
    # "the number of donors was 106"
    re.compile(
        r"\b(?:the\s+)?(?:total\s+)?(?:number|amount|value|volume|share|proportion)\s+"
        r"of\s+(?P<np>[^,;]+?)\s+(?:was|were|is|are|stood\s+at|reached|totalled|totaled|"
        r"amounted\s+to|rose\s+to|increased\s+to|fell\s+to|decreased\s+to|of)\s+$",
        re.I,
    ),
]
NUMBER_OF = re.compile(
    r"^(?:the\s+)?(?:total\s+)?(?:number|amount|total|value|volume|share|"
    r"proportion|percentage)\s+of\s+",
    re.I,
)
# "impressions on social media reached 18.9 million": the figure is the subject's value.
# The verbs are rules/verbs.yaml's value_verbs.
_VALUE_WORDS = load_rules("verbs")["value_verbs"][0]["words"]
VALUE_VERB = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_VALUE_WORDS, key=len, reverse=True)
    )
    + r"|(?:rose|increased|grew|fell|decreased|declined|dropped|went)\s+from)"
    r"\s+(?:an?\s+|the\s+)?(?:\w+\s+){0,2}"
    # "remained at the authorized level of 1,721": a level names no new noun
    r"(?:(?:level|mark|ceiling|threshold|figure)\s+of\s+)?$",
    re.I,
)
INTRO = re.compile(
    r"^(?:In|As|During|Since|Under|Through|With|Following|Despite|By|At|For|After|"
    r"Before|Overall|Moreover|Furthermore|In addition|However|Thus|Also|Between|"
    r"Of|Among|Within|Across|To|From|Over|Together|Pursuant|Owing|Due)\b[^,]*,\s*"
)


@dataclass
class Metric:
    """One quantitative statement and where it came from."""

    metric_id: str
    document_id: str
    paragraph: int
    quote: str
    value: float
    value_max: float | None
    unit: str
    unit_word: str | None
    entity: str | None
    qualifier: str
    year: int | None
    theme: str | None
    subtheme: str | None
    section_id: int | None
    sentence: str
    char_start: int
    char_end: int
    extractor_version: str = EXTRACTOR_VERSION
    countries: list[dict[str, str]] = field(default_factory=list)
    # The facts an indicator needs (extract/facts.py, rules/facts.yaml).
    counted: str | None = None
    as_of: str | None = None
    status: str | None = None
    holder: str | None = None
    aggregation: str | None = None
    scope: str | None = None

    def as_record(self) -> dict:
        """The metric as a plain dict (the JSON lines contract)."""
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        record["countries"] = [dict(c) for c in self.countries]
        return record


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries in a paragraph's text."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        if text[m.start()] == "." and ABBREVIATIONS.search(text, max(0, m.start() - 8), m.start()):
            continue
        spans.append((start, m.start() + 1))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _words(text: str, pos: int, limit: int = 12) -> list[re.Match[str]]:
    """Word tokens after pos, stopping at punctuation other than spaces and hyphens."""
    out: list[re.Match[str]] = []
    pos += len(text[pos : pos + 20]) - len(text[pos : pos + 20].lstrip())
    while len(out) < limit:
        m = WORD.match(text, pos)
        if not m:
            break
        out.append(m)
        gap = re.match(r"[ \t\n]+", text[m.end() :])
        if not gap:
            break
        pos = m.end() + len(gap.group())
    return out


# "unpaid assessed contributions", "annual recurrent costs": an adjective before a participle
ADJECTIVE = re.compile(
    r"(?i:(?:un|non)[a-z]{3,}|[a-z]{3,}(?:al|ic|ive|ous|ful|less|able|ible|ary))"
)
NOUNS_IN_LY = {
    "family",
    "assembly",
    "supply",
    "ally",
    "anomaly",
    "monopoly",
    "reply",
    "italy",
    "rally",
    "july",
    "homily",
    "butterfly",
    "jelly",
    "belly",
    "fly",
    "bully",
}


def _acceptable(word: str) -> bool:
    low = word.lower()
    if "-" in word:
        return True
    return low not in STOP and (not low.endswith("ly") or low in NOUNS_IN_LY)


def noun_phrase(
    text: str, pos: int, allow_of: bool = True, gerund_first: bool = True
) -> tuple[str, int] | None:
    """The counted noun phrase starting at pos: adjectives and nouns, with coordination."""
    words = _words(text, pos)
    while words and words[0].group().lower() in DETERMINERS:
        words.pop(0)
    taken: list[re.Match[str]] = []
    i = 0
    while i < len(words) and len(taken) < 7:
        w = words[i].group()
        low = w.lower()
        nxt = words[i + 1].group() if i + 1 < len(words) else None
        if low in ("and", "or") and taken:
            if (
                nxt
                and _acceptable(nxt)
                and not _verb_form(nxt)
                and (not nxt[0].isupper() or taken[-1].group()[0].isupper())
            ):
                taken.append(words[i])
                i += 1
                continue
            break
        if (
            low == "of"
            and taken
            and allow_of
            and nxt
            and nxt.lower() not in DETERMINERS
            and _acceptable(nxt)
            and len(taken) <= 2
        ):
            taken.append(words[i])
            i += 1
            continue
        # "internally displaced persons", "newly recruited staff": an adverb before a participle
        if (
            low.endswith("ly")
            and not _acceptable(w)
            and nxt
            and (_verb_form(nxt) and not taken or not taken and _acceptable(nxt))
            and i + 2 < len(words)
            and _acceptable(words[i + 2].group())
        ):
            taken += [words[i], words[i + 1]]
            i += 2
            continue
        if not _acceptable(w) or w.endswith("-") and not nxt:
            break
        # "registered and provisionally authorized police": coordinated participles
        if (
            not taken
            and _verb_form(w)
            and low.endswith("ed")
            and nxt
            and nxt.lower() in ("and", "or")
            and (
                m := re.match(
                    r"\s+(?:and|or)\s+(?:[a-z]+ly\s+)?[a-z]+ed\s+",
                    text[words[i].end() : words[i].end() + 40],
                )
            )
        ):
            skip = [x for x in words[i + 1 :] if x.start() < words[i].end() + m.end()]
            if i + 1 + len(skip) < len(words) and _acceptable(words[i + 1 + len(skip)].group()):
                taken += [words[i], *skip]
                i += 1 + len(skip)
                continue
        # "participated", "trained" after a noun end the phrase; "trained officers" and a
        # first "funding" or "training" are part of it
        if (
            _verb_form(w)
            and "-" not in w
            and w[0].islower()
            and not (gerund_first and not taken and low.endswith("ing"))
        ):
            if not (
                nxt
                and _acceptable(nxt)
                and not _verb_form(nxt)
                and not nxt.lower().endswith("ly")
                and nxt.lower() not in ("and", "or", "of")
            ):
                break
        taken.append(words[i])
        i += 1
    while taken and taken[-1].group().lower() in ("and", "or", "of"):
        taken.pop()
    if not taken:
        return None
    phrase = re.sub(r"[“”\"‘]|’(?=\s|$)", "", text[taken[0].start() : taken[-1].end()])
    return re.sub(r"\s+", " ", phrase).lower(), taken[-1].end()


PREPOSITIONS = {"of", "on", "in", "for", "among", "at"}
# "to reach", "to support": an infinitive after a sum says what it is for, not what it is
TO_VERBS = (
    r"(?:reach|support|strengthen|provide|help|fund|finance|assist|improve|build|"
    r"address|cover|meet|ensure|implement|respond|enable|expand|deliver|reduce|"
    r"increase|develop|protect|promote|prevent|combat|be|make|carry|scale)\b"
)
CHANGE_NOUNS = set(load_rules("verbs")["change_nouns"])
# Words that stand for a figure already named: "the figure stood at", "the total reached"
GENERIC = {
    "figure",
    "figures",
    "total",
    "number",
    "amount",
    "level",
    "sum",
    "it",
    "this",
    "that",
    "these",
    "those",
}


def _verb_form(word: str) -> bool:
    """Looks like a past participle or gerund ('trained', 'funding'), not 'seed' or 'king'."""
    low = word.lower()
    return (
        low.endswith("ed")
        and len(low) > 4
        and (not low.endswith("eed") or len(low) > 5 and low not in NOUNS_IN_EED)
        or low.endswith("ing")
        and len(low) > 5
    )


NOUNS_IN_EED = {"breed", "greed", "speed", "steed", "tweed", "screed"}


def _owner_of(left: str) -> str | None:
    """'pledges of US$ 15.7 billion', 'a target of 85 per cent': the noun the sum belongs to."""
    if m := re.search(r"\s+of\s+$", left):
        np = _noun_before(left[: m.start()])
        if np and np.split()[-1] not in CHANGE_NOUNS | GENERIC:
            return np
    return None


def _noun_before(left: str, appositive: bool = False) -> str | None:
    """'the gender pay gap' in '... the gender pay gap was': the noun phrase before a verb."""
    if appositive:
        left = re.sub(r",\s*$", " ", left)  # "26 projects, worth $4.2 million"
    words = list(WORD.finditer(left))
    if (
        not words
        or left[words[-1].end() :].strip()
        or not _acceptable(words[-1].group())
        or _verb_form(words[-1].group())
    ):
        return None
    taken: list[re.Match[str]] = []
    for w in reversed(words[-8:]):
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
        if not _acceptable(w.group()) or low in DETERMINERS:
            break
        if _verb_form(w.group()) and w.group()[0].islower() and taken:
            # "the Bank announced pledges": a verb after its subject ends the phrase;
            # "of displaced persons" keeps its participle
            initial = left[: w.start()].strip() == prev[0]  # capital of a sentence's start
            if (
                prev[0][:1].isupper()
                and not initial
                or _acceptable(prev[0])
                and prev[0].lower() not in PREPOSITIONS
            ) and not ADJECTIVE.fullmatch(prev[0]):
                break
        taken.insert(0, w)
    while taken and taken[0].group().lower() in PREPOSITIONS | DETERMINERS:
        taken.pop(0)
    if not taken:
        return None
    return _clean_np(left[taken[0].start() : taken[-1].end()])


def _borrow_head(text: str, found: tuple[str, int]) -> str:
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


def _clean_np(np: str) -> str | None:
    np = np.split(",")[0]
    # "the reduction in the number of police officers": what is counted is the officers
    if m := re.search(r"\b(?:in|of)\s+the\s+(?:total\s+)?number\s+of\s+(?=\w)", np, re.I):
        np = np[m.end() :]
    np = re.split(r"\s+(?:that|who|which|whose|where|when|including|in|from|at|to)\s+", np)[0]
    np = NUMBER_OF.sub("", np.strip())
    found = noun_phrase(np, 0)
    return found[0] if found else None


def _subject(clause: str) -> str | None:
    """The subject noun phrase of a clause, after any introductory phrase."""
    clause = INTRO.sub("", clause.strip())
    clause = re.sub(r"^(?:and|but|while|whereas|thus)\s+", "", clause)
    clause = NUMBER_OF.sub("", clause)
    found = noun_phrase(clause, 0, allow_of=False, gerund_first=False)
    return found[0] if found else None


def _part_named(text: str, q: Quantity) -> str | None:
    """'of which 35.3 million were refugees', 'of whom 41 per cent were women': the part."""
    if re.search(r"\bof\s+(?:which|whom)\s+(?:\S+\s+)?$", text[max(0, q.start - 20) : q.start]):
        if (
            m := re.match(
                r"\s+(?:were|was|are|is)\s+(?![a-z]+ed\b|[a-z]+\s+by\b)", text[q.end : q.end + 40]
            )
        ) and (found := noun_phrase(text, q.end + m.end())):
            return found[0]  # "of which 12 were children"; "of which 5 was owed by" is passive
    return None


_VERBS = load_rules("verbs")
_MONEY = _VERBS["money_nouns"][0]
MONEY_NOUNS = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _MONEY["words"]), key=len, reverse=True)) + r")\b",
    re.I,
)
NOT_MONEY_HEADS = set(_MONEY["not_money_heads"])
# "has been", "is expected to be": auxiliaries between a subject and its value verb
AUXILIARIES = re.compile(
    r"(?:\s+(?:has|have|had|will|would|shall|may|might|could|should|is|are|"
    r"was|were|been|being|be|to|also|now|originally|initially|currently|"
    r"expected|estimated|envisaged|projected|planned|not|still|already|"
    r"later|since|then)\b)+\s*$",
    re.I,
)
# "The number of polling stations, originally envisaged to be about 1,400"
# "four of the five signatories": a number word before the whole's noun
NUMBER_WORDS = "|".join(sorted((w for w in WORD_VALUES if w.isalpha()), key=len, reverse=True))
# "(56 in the Federation, 29 in ...": the figure opens, or follows one in, a bracket of figures
BREAKDOWN = re.compile(
    r"\(\s*(?:(?:some|about|nearly|almost)\s+)?(?:\d[\d,.]*(?:\s+per\s+cent|\s*%)?\s+(?:in|from|at|for|by)"
    r"\s[^()]*?(?:,|;|\band)\s*)?$"
)
NUMBER_OF_AT_DISTANCE = re.compile(
    r"\b(?:the\s+)?(?:total\s+)?(?:number|amount|value|volume|share|proportion|"
    r"(?P<kept>strength|size|cost|budget))\s+of\s+(?P<np>[^,;()]+?)\s*(?:,[^;]*?)?$",
    re.I,
)
APPOSITIVE_VERBS = ("worth", "valued", "totalling", "totaling", "amounting")


def _proper(text: str, pos: int) -> bool:
    """The phrase at pos starts with a capital mid-sentence: a place or a name."""
    word = WORD.match(text, pos + len(text[pos : pos + 20]) - len(text[pos : pos + 20].lstrip()))
    return bool(word) and word.group()[:1].isupper() and word.group().lower() not in DETERMINERS


def _is_date_word(entity: str) -> bool:
    """'inception', 'date', 'the end of June': words of time, not what money is."""
    return bool(
        re.search(
            r"\b(?:inception|date|dates|time|period|year|month|end|beginning|"
            rf"start|{MONTH_PATTERN.lower()})$",
            entity,
        )
    )


def _is_money(q: Quantity) -> bool:
    return q.unit in registry().currency_codes


def _money_noun(text: str, start: int, end: int, q: Quantity) -> str | None:
    """The money noun nearest the sum in [start, end): 'the appropriation', 'assessments'."""
    best: tuple[int, str] | None = None
    for m in MONEY_NOUNS.finditer(text, start, end):
        if q.start <= m.start() < q.end:
            continue
        np = _noun_before(text[start : m.end()]) or m.group().lower()
        dist = abs(m.start() - q.start)
        if best is None or dist < best[0]:
            best = (dist, np)
    return best[1] if best else None


MONEY_VERBS = _MONEY["verbs"]


def _money_verb(text: str, start: int, q: Quantity) -> str | None:
    """'the Assembly appropriated $X': the sum is the appropriation (the verb's noun), unless
    a money noun stands between the verb and the sum ('assessed contributions amounted to')."""
    found, at = None, start
    for m in re.finditer(r"\b([a-z]+)\b", text[start : q.start]):
        if m.group(1) in MONEY_VERBS:
            found, at = MONEY_VERBS[m.group(1)], start + m.end()
    if found and MONEY_NOUNS.search(text, at, q.start):
        return None
    return found


def _list_head(text: str, left_start: int, q: Quantity) -> str | None:
    """'officers: 105 from Ghana, 165 from Norway': the head noun the list shares."""
    if not re.match(r"\s+(?:from|in|for|at|with)\s+(?:the\s+)?[A-Z]", text[q.end : q.end + 30]):
        return None
    left = text[left_start : q.start]
    items = re.search(
        r"(?:\d[\d,.]*\s+(?:from|in|for|at|with)\s+[^,;:\d]*?"
        r"(?:,\s*(?:and\s+)?|\s+and\s+))*$",
        left,
    )
    head = left[: items.start()] if items else left
    head = re.sub(
        r"(?:\s*[:,(—–-]\s*|\s+(?:including|comprising|namely|were|are|as follows:?|"
        r"of\s+whom)\s*)$",
        "",
        head,
    )
    return _noun_before(head)


def entity_for(text: str, q: Quantity, clause_start: int) -> tuple[str | None, str]:
    """What a quantity counts or measures, and the name of the rule that decided it."""
    if q.size_adjective:
        found = noun_phrase(text, q.end)
        return (f"{found[0]} {q.size_adjective}" if found else q.size_adjective), "size_adjective"
    if q.measure_adjective:
        found = noun_phrase(text, q.end)
        return (found[0] if found else None), "measure_adjective"
    after = text[q.end : q.end + 200]
    # "85 officers were dismissed (56 in the north, 29 in the south)": a breakdown by place
    # in brackets counts what the figure before the brackets counted
    if (
        (m := BREAKDOWN.search(text, max(0, q.start - 120), q.start))
        and re.match(r"\s+(?:in|from|at|for|by)\s+(?:the\s+)?[A-Za-z]", after)
        and re.search(r"\d", text[max(0, q.start - 200) : m.start()])
    ):
        return None, "part_of_previous"
    # "78 per cent of whom are returnees", "46 per cent of them children"
    if m := re.match(
        r"\s+of\s+(?:whom|which|them|these|those)\s+(?:(?:are|were|is|was)\s+)?", after
    ):
        rest = after[m.end() :]
        if not re.match(r"(?:been\s+)?[a-z]+ed\b", rest) and (
            found := noun_phrase(text, q.end + m.end())
        ):
            return found[0], "of_whom"
        return None, "part_of_previous"  # "85 per cent of which was disbursed"
    if (
        re.match(r"\s+of\s+(?:them|these|those|which|whom)\b", after)
        or re.match(r"\s+of\s+the\s+(?:\d[\d,]*|[a-z]+)\s*[,.;:)]", after)
        and (after.split()[2].isdigit() or after.split()[2].strip(",.;:)").lower() in WORD_VALUES)
    ):
        return None, "part_of_previous"  # "Two of them had to be moved", "One of the four,"
    # "34 per cent of the total": the share is of whatever the clause is about
    if re.match(r"\s+of\s+(?:the\s+)?(?:total|whole|overall\s+total)\b", after):
        return _subject(text[clause_start : q.start]), "share_of_total"
    money = _is_money(q)
    # "the West with 48 per cent of incidents, followed by the North with 9 per cent": a share
    # in a list of named parts measures what the list's first share measured
    if (
        q.unit.startswith("percent")
        and re.search(r"\bwith\s+$", text[clause_start : q.start])
        and not re.match(r"\s+of\b", after)
    ):
        return None, "part_of_previous"
    if q.unit not in ("count",) and not money:
        if m := re.match(
            r"\s+of\s+(?:the\s+|all\s+|its\s+|their\s+)?"
            r"(?:[^\W\d_]+['’]s\s+)?(?:\d[\d,.]*\s+)?",
            after,
        ):
            if found := noun_phrase(text, q.end + m.end()):
                return found[0], "measure_of"
        # "41 per cent (164 events)": the count in brackets names what is shared
        if m := re.match(r"\s*\(\s*(?:some\s+|about\s+)?\d[\d,.]*\s+", after):
            if found := noun_phrase(text, q.end + m.end()):
                return found[0], "bracketed_count"
        # "the proportion (4.36 per cent) of blank ballots"
        if text[q.start - 1 : q.start] == "(" and (
            m := re.match(r"\)\s+of\s+(?:the\s+|all\s+)?", after)
        ):
            if found := noun_phrase(text, q.end + m.end()):
                return found[0], "measure_of"
        if q.unit.startswith("percent"):
            m = re.match(
                r"\s+(?:increase|decrease|rise|reduction|decline|growth|drop|jump|"
                r"fall|cut)\b[^.;]*?\bin\s+(?:the\s+)?(?:(?:number|share|proportion|"
                r"rate|amount|value|volume|level)\s+of\s+)?",
                after,
            )
            m = m or re.match(
                r"\s+in\s+(?:the\s+)?(?:(?:number|share|proportion|rate|amount|"
                r"value|volume|level)\s+of\s+)?(?=[a-z])",
                after,
            )
            if m and (found := noun_phrase(text, q.end + m.end())):
                return found[0], "change_in"
            # "a 14 per cent increase", "an increase of 11 per cent": a change in what the
            # sentence counted before, not in its subject
            if re.match(rf"\s+(?:{'|'.join(CHANGE_NOUNS)})\b", after) or re.search(
                rf"\b(?:{'|'.join(CHANGE_NOUNS)})\s+of\s+$", text[clause_start : q.start]
            ):
                return None, "change_of_previous"
        # "a 40 per cent quota for women", "1.2 million barrels of oil": the noun qualified
        if (
            (found := noun_phrase(text, q.end))
            and not _proper(text, q.end)
            and not re.match(
                r"(?:increase|decrease|rise|reduction|decline|growth|drop|jump|fall|cut|"
                r"points?|above|below|per|a|day|year)\b",
                found[0],
            )
        ):
            return found[0], "noun_after"
    elif q.unit == "count":
        if text[q.start - 1 : q.start] == "(" and text[q.end : q.end + 1] == ")":
            # "officers from Argentina (5), Bangladesh (35)": what the list counts is named
            # before the list.
            heads = re.findall(
                r"\b([a-z][a-z-]+s)\s+(?:from|in|of|across)\b", text[clause_start : q.start]
            )
            return (heads[-1] if heads else None), "list_shares_head"
        if found := noun_phrase(text, q.end):
            if found[0].split()[0] == "others":  # "the 22 others": more of what came before
                return None, "part_of_previous"
            return _borrow_head(text, found), "noun_after"
        # "146 and 73 times", "between 12 and 15 officers": coordinated figures share the noun
        if (
            (m := re.match(r"\s+(?:and|or|to)\s+(?:\d[\d,.]*|[a-z]+)\s+", after))
            and (m.group().split()[1][0].isdigit() or m.group().split()[1] in WORD_VALUES)
            and (found := noun_phrase(text, q.end + m.end()))
        ):
            return found[0], "shares_next_noun"
        # "22 of 119 districts", "27 out of 30 senators": the part counts the whole's noun
        if m := re.match(r"\s+(?:out\s+)?of\s+(?:the\s+|a\s+total\s+of\s+)?\d[\d,.]*\s+", after):
            if found := noun_phrase(text, q.end + m.end()):
                return found[0], "part_of"
        # "three of the challenges", "15 of the country's 18 provinces"
        if m := re.match(
            r"\s+of\s+(?:the|these|those|its|their)\s+(?:[A-Za-z]+['’]s\s+)?"
            rf"(?:\d[\d,.]*\s+|(?:{NUMBER_WORDS})\s+)?",
            after,
        ):
            if found := noun_phrase(text, q.end + m.end()):
                return found[0], "part_of"
        # "the number of police officers - almost 900 in Sarajevo alone -"
        if (m := re.search(r"\s[-–—]\s*$|\s\(\s*$", text[clause_start : q.start])) and (
            np := _noun_before(text[clause_start : clause_start + m.start()])
        ):
            return np, "apposition"
        if head := _list_head(text, clause_start, q):
            return head, "list_shares_head"
        # "One of the four, ...", "the two agreed": a figure after "the" names no noun anew
        if re.search(r"\b(?:the|these|those|all)\s+$", text[max(0, q.start - 8) : q.start], re.I):
            return None, "part_of_previous"
    else:  # money: what it pays for or is
        if np := _owner_of(text[clause_start : q.start]):
            return np, "money_owner"  # "a funding gap of $1.7 billion in the plan"
        # "$108.4 million received", "$1.9 billion required"
        if m := re.match(r"\s+(?:gross|net)\b", after):
            after = after[m.end() :]  # "$144.7 million gross for the maintenance of ..."
            q = replace(q, end=q.end + m.end())
        if m := re.match(
            r"\s+(received|required|pledged|disbursed|allocated|committed|spent|"
            r"raised|mobilized|mobilised|requested|approved|budgeted|released|"
            r"utilized|utilised|provided|contributed|deposited|earmarked|"
            r"appropriated|apportioned|paid|owed|outstanding)\b",
            after,
        ):
            return f"funding {m.group(1)}", "money_participle"
        if m := re.match(r"\s+(?:of|in|for)\s+(?=[a-z])", after):
            if found := noun_phrase(text, q.end + m.end(), allow_of=False):
                return found[0], "money_for"
        # "allocated $732 million to humanitarian operations": where the money went
        m = re.match(r"\s+to\s+(?:the\s+|its\s+|their\s+)?(?=[A-Za-z])", after)
        if m and not re.match(TO_VERBS, after[m.end() :]):
            if found := noun_phrase(text, q.end + m.end(), allow_of=False):
                return found[0], "money_to"
    left = text[clause_start : q.start]
    if q.unit != "count" and (np := _owner_of(left)):
        return np, "owner_of"
    for pattern in LEFT_PATTERNS:
        if m := pattern.search(left):
            if np := _clean_np(m.group("np")):
                return np, "value_verb"
    if re.match(
        r"(?:exceeded|exceeds|exceeding|surpassed|surpassing|topped)\b", text[q.start :], re.I
    ):
        return _noun_before(left) or _subject(left), "value_verb"  # "the backlog exceeded 2,000"
    if verb := VALUE_VERB.search(left):
        before = left[: verb.start()]
        appositive = verb.group().split()[0].lower() in APPOSITIVE_VERBS
        if np := _noun_before(before, appositive):
            return np, "value_verb"
        # "the number of polling stations, originally envisaged to be about 1,400"
        if (m := NUMBER_OF_AT_DISTANCE.search(before)) and (np := _clean_np(m.group("np"))):
            # "the strength of the force ... remained at 1,721": a strength is of its force
            return (
                f"{m.group('kept').lower()} of {np}" if m.group("kept") else np,
                "value_verb_at_distance",
            )
        # "the budget has been set at", "the backlog, which had grown, stood at"
        stripped = AUXILIARIES.sub("", before)
        np = _noun_before(stripped)
        if np is None and "," in stripped:
            np = _noun_before(AUXILIARIES.sub("", re.sub(r",[^,;]*$", "", stripped)))
        if np:
            return np, "value_verb_at_distance"
    if q.unit != "count" or verb:
        return _subject(left), "subject"
    return None, "none"


@dataclass
class _Span:
    """What is worked out once per sentence part: clause breaks and candidate years."""

    start: int
    end: int
    break_starts: list[int]
    break_ends: list[int]
    years: list[tuple[int, int, tuple[int, int] | None]]  # position, year, enclosing aside

    def clause(self, q: Quantity) -> tuple[int, int]:
        """Start of the clause holding q, and where the next clause begins."""
        i = bisect.bisect_right(self.break_ends, q.start)
        j = bisect.bisect_left(self.break_starts, q.end)
        return (
            self.break_ends[i - 1] if i else self.start,
            self.break_starts[j] if j < len(self.break_starts) else self.end,
        )

    def years_for(self, q: Quantity) -> list[tuple[int, int]]:
        """Years a figure may refer to; an aside's years only for figures inside it."""
        return [
            (p, y) for p, y, aside in self.years if aside is None or aside[0] < q.start < aside[1]
        ]


def _span(text: str, start: int, end: int) -> _Span:
    """Clause breaks and years (without periods, baselines, targets, titles) of a span."""
    breaks = list(CLAUSE_BREAK.finditer(text, start, end))
    part = text[start:end]
    asides = [(start + m.start(), start + m.end()) for m in re.finditer(r"\([^()]*\)", part)]
    masked = re.sub(r"\*[^*]+\*|“[^”]+”", lambda m: " " * len(m.group()), part)
    masked = re.sub(r"\b(mid|end)-(?=(?:19|20)\d\d)", r"\1 ", masked)  # "by mid-2022"
    years = []
    for m in YEAR.finditer(masked):
        if YEAR_EXCLUDED_BEFORE.search(masked[max(0, m.start() - 40) : m.start()]):
            continue
        title = TITLE_BEFORE.search(masked[max(0, m.start() - 30) : m.start()])
        if title and title.group(1) not in NOT_TITLE:
            continue
        if re.match(r"\s*(?:–|-|to|and)\s*(?:1[89]|20)\d\d", masked[m.end() : m.end() + 12]):
            continue
        pos = start + m.start()
        aside = next((a for a in asides if a[0] < pos < a[1]), None)
        years.append((pos, int(m.group(1)), aside))
    return _Span(start, end, [b.start() for b in breaks], [b.end() for b in breaks], years)


def year_for(
    q: Quantity,
    years: list[tuple[int, int]],
    clause_start: int,
    cumulative: bool,
    right_after: int | None = None,
    clause_end: float = float("inf"),
) -> int | None:
    """The year a figure refers to: right after it, else nearest before it in its clause,
    else in its sentence."""
    if right_after is not None:
        return right_after
    before_clause = [y for p, y in years if clause_start <= p < q.start]
    if before_clause:
        return before_clause[-1]
    before = [y for p, y in years if p < clause_start]
    if before and not cumulative:
        return before[-1]
    after = [y for p, y in years if q.end <= p < clause_end]
    return after[0] if after else None


def extract_paragraph(
    par: Paragraph,
    document_id: str,
    theme: str | None,
    subtheme: str | None,
    note_markers: frozenset[int] = frozenset(),
    trace: list[dict] | None = None,
    report: Report = NO_REPORT,
    before: str = "",
) -> list[Metric]:
    """All metrics of one paragraph; note_markers are its footnotes' numbers.

    With ``trace``, one dict per metric says how its unit, entity, qualifier and year were
    decided (the rule names of rules/*.yaml); `indicators explain` prints them. ``before``: the
    end of the text before this paragraph ("as of the same date" may point there).
    """
    text = par.text
    quantities = [q for q in find_quantities(text) if not _is_note_marker(text, q, note_markers)]
    if not quantities:
        return []
    metrics: list[Metric] = []
    spans = sentence_spans(text)
    last_entities: dict[str, str] = {}  # for "the figure": what the paragraph counted last
    qi = 0  # quantities and sentences are both in text order: walk them together
    for s_start, s_end in spans:
        while qi < len(quantities) and quantities[qi].start < s_start:
            qi += 1
        first = qi
        while qi < len(quantities) and quantities[qi].start < s_end:
            qi += 1
        in_sentence = quantities[first:qi]
        if not in_sentence:
            continue
        sentence = text[s_start:s_end]
        sentence_text = re.sub(r"\s+", " ", sentence).strip()
        parts = [_span(text, s_start + a, s_start + b) for a, b in _split_semicolons(sentence)]
        countries = [
            {"iso3": c.iso3, "m49": c.m49, "name": re.sub(r"\s+", " ", c.name)}
            for c in _unique_countries(sentence)
        ]
        previous: dict[str, str] = {}
        previous_counted: str | None = None
        part_starts = [p.start for p in parts]
        for q in in_sentence:
            part = parts[max(bisect.bisect_right(part_starts, q.start) - 1, 0)]
            clause_start, clause_end = part.clause(q)
            # Look-behinds are bounded so a sentence with thousands of figures stays linear.
            near = max(clause_start, q.start - WINDOW)
            comparison = SAME_AS_PREVIOUS.search(text, max(near, q.start - 40), q.start)
            entity, why = _part_named(text, q), "of_whom"
            if not entity and comparison:
                entity = (
                    previous.get(q.unit)
                    or previous.get("any")
                    or last_entities.get(q.unit)
                    or last_entities.get("any")
                )
                why = "change_verb"
            if not entity:
                entity, why = entity_for(text, q, near)
            if not entity and why == "part_of_previous":
                entity = (
                    previous.get(q.unit)
                    or previous.get("any")
                    or last_entities.get(q.unit)
                    or last_entities.get("any")
                )
            if not entity:
                entity, why = previous.get(q.unit) or previous.get("any"), "previous_in_sentence"
            if not entity and q.unit != "count":
                entity = _subject(text[part.start : min(q.start, part.start + WINDOW)])
                why = "subject"
            if _is_money(q):
                # money is what it pays for or is, never the actor who gives it or a date
                actor = bool(entity) and (entity in NOT_MONEY_HEADS or _is_date_word(entity))
                from_left = why in (
                    "value_verb",
                    "value_verb_at_distance",
                    "subject",
                    "previous_in_sentence",
                    "none",
                )
                money_head = bool(entity) and bool(MONEY_NOUNS.fullmatch(entity.split()[-1]))
                if (actor or from_left and not money_head) and (noun := _money_verb(text, near, q)):
                    entity, why = noun, "money_is"
                elif actor or from_left and not (entity and MONEY_NOUNS.search(entity)):
                    if (
                        money := _money_noun(text, near, q.start, q)
                        or (actor or not entity)
                        and _money_noun(text, s_start, s_end, q)
                    ):
                        entity, why = money, "money_is"
            if entity in GENERIC:
                entity = (
                    previous.get(q.unit)
                    or last_entities.get(q.unit)
                    or last_entities.get("any")
                    or entity
                )
                why = f"{why}, generic_word (the figure named before)"
            entity = entity or None
            if entity:
                previous[q.unit] = previous["any"] = entity
                last_entities[q.unit] = last_entities["any"] = entity
            cumulative = bool(
                re.match(r"(?:bringing|raising)\b", text[clause_start : clause_start + 9])
                or re.search(r"\bsince\b", text[near : q.start])
            )
            after = YEAR_RIGHT_AFTER.match(text, q.end, part.end)
            # a year after "compared with ..." belongs to the baseline, not to this figure
            if cmp := COMPARISON.search(text, q.end, clause_end):
                clause_end = cmp.start()
            if BASELINE.search(text, max(near, q.start - 40), q.start) and not after:
                year, year_why = None, "baseline (after 'up from', 'than'...): no year"
            else:
                year = year_for(
                    q,
                    part.years_for(q),
                    clause_start,
                    cumulative,
                    int(after.group(1) or after.group(2)) if after else None,
                    clause_end,
                )
                year_why = (
                    "year right after the figure"
                    if after
                    else "no year in its sentence (periods, baselines, targets, titles "
                    "are not a figure's year)"
                    if year is None
                    else "nearest year before it in its clause or sentence, else after it"
                )
            if PREVIOUS_YEAR.match(text, q.end, clause_end) and (
                stated := [y for p, y in part.years_for(q) if p < q.start]
            ):
                year, year_why = stated[-1] - 1, "'the previous year' of the year stated before"
            # Facts look around a figure within a bounded window, so that a sentence with
            # thousands of figures stays linear.
            w0, w1 = max(s_start, q.start - WINDOW), min(s_end, q.end + WINDOW)
            figure = Figure(
                text,
                q.start,
                q.end,
                (w0, w1),
                (max(part.start, w0), min(part.end, w1)),
                entity,
                _is_money(q),
                year,
                q.unit == "count",
                w0 == s_start,
            )
            facts = decide(figure, report, previous_counted, before)
            previous_counted = facts.counted or previous_counted
            if trace is not None:
                trace.append(
                    {
                        "quote": text[q.start : q.end],
                        "read_by": q.rule,
                        "unit": _unit_why(text, q),
                        "entity": why,
                        "qualifier": _qualifier_why(text, q),
                        "year": year_why,
                        "facts": facts.why,
                    }
                )
            start, end = par.to_source(q.start), par.to_source(q.end - 1) + 1
            metrics.append(
                Metric(
                    metric_id=f"{document_id}:{start}-{end}",
                    document_id=document_id,
                    paragraph=par.number,
                    quote=text[q.start : q.end],
                    value=q.value,
                    value_max=q.value_max,
                    unit=q.unit,
                    unit_word=q.unit_word,
                    entity=entity,
                    qualifier=q.qualifier,
                    year=year,
                    theme=theme,
                    subtheme=subtheme,
                    section_id=par.section_id,
                    sentence=sentence_text,
                    char_start=start,
                    char_end=end,
                    countries=countries,
                    counted=facts.counted,
                    as_of=facts.as_of,
                    status=facts.status,
                    holder=facts.holder,
                    aggregation=facts.aggregation,
                    scope=facts.scope,
                )
            )
    return metrics


def _unit_why(text: str, q: Quantity) -> str:
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
    if _is_money(q):
        return f"{q.unit}: currency symbol, code or name (rules/units.yaml currencies, pycountry)"
    how = "measurement adjective" if q.measure_adjective else "unit word"
    return f"{q.unit}: {how} in the registry (rules/units.yaml {q.unit})"


def _qualifier_why(text: str, q: Quantity) -> str:
    """How the qualifier was decided, in words."""
    if q.qualifier == "exact":
        return "exact: no qualifier word before the number"
    quote = text[q.start : q.end]
    number = re.search(
        r"[\d$€£¥₹]|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|a|half)\b", quote, re.I
    )
    word = quote[: number.start()].strip() if number else quote
    return f"{q.qualifier}: '{word}' (rules/qualifiers.yaml {q.qualifier})"


def _is_note_marker(text: str, q: Quantity, markers: frozenset[int]) -> bool:
    """'the e-learning tool 3 on the': a converted footnote marker, not a count of anything."""
    return (
        q.unit == "count"
        and not q.in_words
        and q.qualifier == "exact"
        and q.value_max is None
        and q.value in markers
        and text[q.start : q.end].isdigit()
        and noun_phrase(text, q.end) is None
    )


def _split_semicolons(sentence: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r";\s+", sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


def _unique_countries(sentence: str):
    seen = set()
    for c in find_countries(sentence):
        if c.iso3 not in seen:
            seen.add(c.iso3)
            yield c


def extract(structure: Structure, report: Report = NO_REPORT) -> list[Metric]:
    """All metrics of a parsed document, in reading order; report: what the facts of each
    figure need to know of the report (its date, subject, acronyms)."""
    metrics: list[Metric] = []
    sections = section_titles(structure)
    markers: dict[int, set[int]] = {}
    for note in structure.footnotes:
        if note.paragraph is not None and note.marker.isascii() and note.marker.isdigit():
            markers.setdefault(note.paragraph, set()).add(int(note.marker))
    before = ""
    for par in structure.paragraphs:
        theme, subtheme = theme_of(structure, par.section_id, sections)
        metrics.extend(
            extract_paragraph(
                par,
                structure.document_id,
                theme,
                subtheme,
                frozenset(markers.get(par.number, ())),
                report=report,
                before=before,
            )
        )
        before = (before + "\n" + par.text)[-CONTEXT_BEFORE:]
    if structure.source:
        for m in metrics:
            # A quote whose words stand on two lines (or two pages) of the text is quoted as
            # the text has it, so that its offsets point at exactly the quote.
            exact = structure.source[m.char_start : m.char_end]
            if exact != m.quote and exact.split() == m.quote.split():
                m.quote = exact
    return metrics

"""Facts about a figure that an indicator needs: what it counts, whose it is, its status, how it
aggregates, whether it is the whole or a part, and the date or period it refers to.

Each fact is decided by the named rules of rules/facts.yaml, read around the figure in its
clause; the rule that decided is kept for `indicators explain`. Nothing here knows an
indicator: the codelist (schemas/indicators.yaml) maps on these facts.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from pipeline.extract.rules import load
from pipeline.read.dates import MONTH_PATTERN, day_before_or_on, iso_day, month_number

_ACRONYM_DEFINED = re.compile(
    r"\b((?:[A-Z][\w’'-]*|of|the|for|in|and|on|de|la|du|des|pour|en)"
    r"(?:\s+(?:[A-Z][\w’'-]*|of|the|for|in|and|on|de|la|du|des|pour|en)){1,12})\s+\(([A-Z]{2,10})\)"
)
_MISSION_ACRONYM = re.compile(r"\b(?:UN[A-Z]{2,8}|MINU[A-Z]{2,6}|ONU[A-Z]{2,6}|MONU[A-Z]{1,6})\b")


@dataclass(frozen=True)
class Report:
    """What the facts need to know of the report a figure is in."""

    issued: date | None = None
    subject: str | None = None  # the mission's or organisation's acronym
    subject_name: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    acronyms: tuple[tuple[str, str], ...] = ()  # (acronym, what it stands for), as defined
    annex_date: date | None = None  # the date an annex's table is "as at" ("(see annex)")

    @staticmethod
    def of(metadata, text: str = "") -> Report:
        """The report from a document's metadata and text (acronyms it spells out)."""

        def day(value):
            try:
                return date.fromisoformat(str(value)) if value else None
            except ValueError:
                return None

        return Report(
            day(metadata.date_issued),
            metadata.subject,
            metadata.subject_name,
            day(metadata.period_start),
            day(metadata.period_end),
            defined_acronyms(text),
            annex_date(text),
        )


_ANNEX = re.compile(r"^\s*Annex(?:es)?\b.*$", re.M | re.I)
_ANNEX_AS_AT = re.compile(
    rf"\b(?:as (?:at|of)|at)\s+(\d{{1,2}})\s+({MONTH_PATTERN})\s+(\d{{4}})\b", re.I
)


def annex_date(text: str) -> date | None:
    """The date the report's first annex is 'as at' ('Composition and strength ... as at 2
    October 1998'): the date of a figure whose sentence says '(see annex)'."""
    if (annex := _ANNEX.search(text)) is None:
        return None
    if (m := _ANNEX_AS_AT.search(text, annex.start(), annex.start() + 3000)) is None:
        return None
    found = iso_day(m.group(1), m.group(2), m.group(3))
    return date.fromisoformat(found) if found else None


def defined_acronyms(text: str) -> tuple[tuple[str, str], ...]:
    """Acronyms a text spells out: 'International Police Task Force (IPTF)' -> IPTF."""
    found: dict[str, str] = {}
    for m in _ACRONYM_DEFINED.finditer(text):
        words, acronym = m.group(1).split(), m.group(2)
        initials = [w for w in words if w[0].isupper()]
        # keep the words from the first whose initial starts the acronym
        for i, w in enumerate(words):
            if w[0] == acronym[0] and len([x for x in words[i:] if x[0].isupper()]) >= 2:
                found.setdefault(acronym, " ".join(words[i:]))
                break
        else:
            if initials:
                found.setdefault(acronym, " ".join(words))
    return tuple(sorted(found.items()))


NO_REPORT = Report()  # a text read alone: no date of issue, no subject


@dataclass
class Facts:
    """The facts of one figure, and the rule that decided each."""

    counted: str | None = None
    as_of: str | None = None
    status: str = "actual"
    holder: str = "unknown"
    aggregation: str | None = None
    scope: str = "whole"
    why: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """One figure in its paragraph: offsets, its clause and sentence, what it counts."""

    text: str  # the paragraph's text
    start: int
    end: int
    sentence: tuple[int, int]
    clause: tuple[int, int]
    entity: str | None
    money: bool
    year: int | None
    count: bool = True  # a plain count (not money, not a measure in some unit)
    whole_sentence: bool = True  # sentence[0] is where the sentence starts (not a window's)


# --- rules ---------------------------------------------------------------------------------


@cache
def _rules() -> dict:
    return load("facts")


def _rx(pattern: str | None, flags: int = re.I) -> re.Pattern | None:
    return re.compile(pattern.replace("{month}", MONTH_PATTERN), flags) if pattern else None


@cache
def _compiled(section: str) -> list[dict]:
    out = []
    for rule in _rules()[section]:
        item = dict(rule)
        for key in ("entity", "left", "right", "pattern"):
            item[key] = _rx(rule.get(key))
        out.append(item)
    return out


@cache
def _components() -> dict[str, re.Pattern]:
    return {name: _rx(p) for name, p in _rules()["components"].items()}


@cache
def _bodies() -> list[tuple[str, re.Pattern]]:
    return [
        (b["name"], _rx(b["pattern"], 0 if b.get("case_sensitive") else re.I))
        for b in _rules()["holders"]["other_bodies"]
    ]


# --- helpers -------------------------------------------------------------------------------


def _left(f: Figure) -> str:
    return f.text[max(f.clause[0], f.start - _rules()["window"]) : f.start]


def _right(f: Figure) -> str:
    return f.text[f.end : f.clause[1]]


def _expand(text: str, report: Report) -> str:
    """Text with each acronym the report spells out followed by its words."""
    for acronym, words in report.acronyms:
        text = re.sub(rf"\b{re.escape(acronym)}\b", f"{acronym} ({words})", text)
    return text


def _component_named(text: str, report: Report) -> str | None:
    """The last component of the mission a text names, by words or by a name the report
    defines ('the Task Force' for 'International Police Task Force (IPTF)')."""
    if report.subject:  # "the UNMIT police": the mission's police component
        text = re.sub(rf"\b{re.escape(report.subject)}\s+police\b", "united nations police", text)
    text = _expand(text, report)
    for _, words in report.acronyms:
        if _component(words):
            short = " ".join(words.split()[-2:])
            text = re.sub(rf"\bthe\s+{re.escape(short)}\b", f"the {words}", text, flags=re.I)
    found = [
        (m.end(), name) for name, pattern in _components().items() for m in pattern.finditer(text)
    ]
    return max(found)[1] if found else None


def _component(text: str) -> str | None:
    for name, pattern in _components().items():
        if pattern.search(text):
            return name
    return None


_COMPONENT_CONCEPT = {"police": "police", "military": "troops", "observers": "military_observers"}


def counted(f: Figure, report: Report) -> tuple[str | None, str]:
    """What the figure counts, and the rule that says so."""
    entity = _expand(f.entity or "", report).lower()
    left, right = _left(f), _right(f)
    kind = "money" if f.money else "count" if f.count else "other"
    for rule in _compiled("counted"):
        if rule.get("unit") and rule["unit"] != kind:
            continue
        context = (rule["left"] and rule["left"].search(left)) or (
            rule["right"] and rule["right"].search(right)
        )
        named = rule["entity"] and rule["entity"].search(entity)
        # `with_context`: what it counts must be named AND its context must say so
        hit = (named and context) if rule.get("with_context") else (named or context)
        if not hit:
            continue
        name = rule["name"]
        if name == "personnel":  # "the strength of the police component is 1,500 monitors"
            frames = (left + " " + (f.entity or ""), f.text[f.sentence[0] : f.start], right[:80])
            for frame in frames:
                if (component := _component_named(frame, report)) is not None:
                    return (
                        _COMPONENT_CONCEPT[component],
                        f"personnel of the {component} component",
                    )
        if name == "appropriation" and re.match(r"\W*net\b", right, re.I):
            return "appropriation_net", "appropriation_net: the amount net of staff assessment"
        return name, name
    generic = f.entity is None or re.search(r"\bstrength\b", f"{left} {f.entity}", re.I)
    for where in (left, f.text[f.sentence[0] : f.start]):
        if generic and (component := _component_named(where, report)) is not None:
            return _COMPONENT_CONCEPT[component], f"strength of the {component} component"
    return None, "none: no rule of rules/facts.yaml counted says what this counts"


@cache  # once per report, not once per figure (Report is frozen, so hashable)
def _strong_subject(report: Report) -> re.Pattern | None:
    """The report's subject by name: its acronym, its name, the acronyms of its components
    and their short forms ('the Task Force' for 'International Police Task Force (IPTF)')."""
    names = [re.escape(n) for n in (report.subject, report.subject_name) if n]
    for acronym, words in report.acronyms:
        if _component(words) or (
            report.subject_name and words.lower() in report.subject_name.lower()
        ):
            names.append(re.escape(acronym))
            if _component(words):
                names.append(r"the\s+" + r"\s+".join(map(re.escape, words.split()[-2:])))
    return re.compile(r"\b(?:" + "|".join(names) + r")\b") if names else None


@cache
def _weak_subject() -> re.Pattern:
    """The subject by common words: 'the Mission', a component ('the police component')."""
    components = "|".join(p.pattern for p in _components().values())
    return re.compile(f"(?i:{_rules()['holders']['subject_words']}|{components})")


def _mentions(text: str, report: Report) -> list[tuple[int, str]]:
    """(end offset, holder) of every body named in a text. The subject by name wins over
    another body where they overlap, another body over the subject's common words ('the
    national police strength' is not the mission's police; 'the United Nations Mission in X'
    is the subject, 'the United Nations country team' is not)."""
    strong = _strong_subject(report)
    named = [(m.start(), m.end()) for m in strong.finditer(text)] if strong else []
    others = [
        (m.start(), m.end(), name)
        for name, pattern in _bodies()
        for m in pattern.finditer(text)
        if not any(s < m.end() and m.start() < e for s, e in named)
    ]
    for m in _MISSION_ACRONYM.finditer(text):
        if m.group() != report.subject and not any(s < m.end() and m.start() < e for s, e in named):
            others.append((m.start(), m.end(), "other_mission"))
    found = [(e, "subject") for _, e in named] + [(e, name) for _, e, name in others]
    found += [
        (m.end(), "subject")
        for m in _weak_subject().finditer(text)
        if not any(s < m.end() and m.start() < e for s, e, _ in others)
    ]
    return sorted(found)


def holder(f: Figure, concept: str | None, report: Report) -> tuple[str, str]:
    """Whose figure it is, and the rule that says so."""
    rules = _rules()["holders"]
    in_entity = _mentions(_expand(f.entity or "", report), report)
    if in_entity:
        return in_entity[-1][1], "named in what it counts"
    personnel = concept in rules["personnel_concepts"]
    for where, left in (("clause", _left(f)), ("sentence", f.text[f.sentence[0] : f.start])):
        before = _mentions(left, report)
        if before:
            end, body = before[-1]
            if personnel and re.search(rules["acts_on"], left[end:], re.I):
                return "unknown", f"{body} named before it acts on them, does not own them"
            return body, f"nearest body named before it in its {where}"
        after = _mentions(_right(f)[:80], report)
        if after:
            end, body = after[0]
            if personnel and re.search(rules["acts_on"], _right(f)[:end], re.I):
                return "unknown", f"{body} named after it acts on them, does not own them"
            return body, "body named right after it"
    sentence = f.text[f.sentence[0] : f.sentence[1]]
    if f.money and re.search(rules["money_subject"], sentence, re.I):
        return "subject", "money of the mission's special account or upkeep"
    if concept in rules["personnel_default"] and report.subject:
        return "subject", "personnel no body claims, in a report about the mission"
    return "unknown", "no body named"


def status(f: Figure) -> tuple[str, str]:
    """The figure's status (actual, authorized, planned, needed, pledged, received, negated)."""
    left, right = re.split(r"[,;:—–]\s", _left(f))[-1], _right(f)
    sentence = f.text[f.sentence[0] : f.start]
    kind = "money" if f.money else "count"
    # "I recommend ... with the current authorized strength of 2,370", "it might be necessary
    # to go above the current ceiling of 1,721": the current one is stated, not proposed
    restated = re.search(
        r"\b(?:current|existing|present)\s+(?:\w+\s+){0,2}"
        r"(?:strengths?|ceilings?|levels?)\s+(?:of|at|is|stands at)\s+"
        r"(?:[^.;]{0,40}\band\s+)?(?:some\s+|about\s+)?$",
        left,
        re.I,
    )
    for rule in _compiled("status"):
        if rule.get("unit") and rule["unit"] != kind:
            continue
        if restated and rule["status"] == "planned":
            continue
        if (
            rule.get("sentence")
            and f.whole_sentence
            and re.search(rule["sentence"], sentence, re.I)
        ):
            return rule["status"], f"{rule['name']}: the sentence proposes or supposes"
        if rule["left"] is not None and rule["left"].search(left):
            return rule["status"], f"{rule['name']}: marker before it"
    for rule in _compiled("status"):
        if rule.get("unit") and rule["unit"] != kind:
            continue
        if rule["right"] is not None and rule["right"].search(right):
            return rule["status"], f"{rule['name']}: marker after it"
    return "actual", "actual: no marker of another status"


def aggregation(f: Figure, concept: str | None) -> tuple[str | None, str]:
    """A stock at a date, a flow within a period, or a cumulative total since a start."""
    rules = _rules()["aggregation"]
    if re.search(rules["cumulative"], _left(f) + " " + _right(f)[:60], re.I):
        return "cumulative", "cumulative: since, to date, so far"
    if concept in rules["stock"]:
        return "stock", f"stock: {concept} are counted at a date"
    if concept in rules["flow"]:
        return "flow", f"flow: {concept} are counted within a period"
    return None, "none: what it counts has no known aggregation"


def scope(f: Figure, concept: str | None, previous: str | None) -> tuple[str, str]:
    """The whole or a part; a breakdown's part with a concept of its own ("a civilian component
    comprising 321 international staff") is that concept's whole."""
    rules = _rules()["scope"]
    left, right = _left(f), _right(f)
    if m := re.search(rules["part_left"], left, re.I):
        breakdown = re.match(
            r"(?i)including|of whom|of which|among|comprising|consisting|out of", m.group().strip()
        )
        if breakdown and concept in SPECIFIC and concept != previous:
            return "whole", "whole: a breakdown's part that has a concept of its own"
        return "part", f"part: '{m.group().strip()[:40]}' before it"
    if re.search(rules["whole"], left, re.I):
        return "whole", "whole: a total, overall, or the strength of the whole"
    if not f.money and re.search(rules["part_in_brackets"], left):
        return "part", "part: in brackets after another figure (a breakdown)"
    if m := re.search(rules["part_right"], right):
        return "part", f"part: '{m.group().strip()[:40]}' after it"
    return "whole", "whole: nothing restricts it"


# Concepts specific enough to stand on their own inside a breakdown of something larger.
SPECIFIC = {
    "police",
    "troops",
    "military_observers",
    "staff_international",
    "staff_national",
    "staff_civilian",
    "killed",
    "injured",
    "returnees",
    "idps",
    "refugees",
}


# --- dates ---------------------------------------------------------------------------------


def _year(text: str | None, month: int, day: int | None, report: Report) -> int | None:
    if text:
        return int(text)
    if report.issued is None:
        return None
    if day is not None:
        found = day_before_or_on(day, month, report.issued)
        return found.year if found else None
    return report.issued.year if month <= report.issued.month else report.issued.year - 1


def _day(m: re.Match, report: Report, d: str = "d", mo: str = "m", y: str = "y") -> str | None:
    month = month_number(m.group(mo))
    year = _year(m.group(y), month, int(m.group(d)), report)
    return iso_day(m.group(d), m.group(mo), str(year)) if year else None


def _interval(m: re.Match, report: Report) -> str | None:
    end = _day(m, report, "d2", "m2", "y2")  # "between 1 June and 2 August": the report's year
    if end is None:
        return None
    year1 = m.group("y1") or (
        end[:4] if month_number(m.group("m1")) <= int(end[5:7]) else str(int(end[:4]) - 1)
    )
    start = iso_day(m.group("d1"), m.group("m1"), year1)
    return f"{start}/{end}" if start else None


# Between a figure and a date that follows it: only its own words, no other figure.
_OWN_WORDS = re.compile(r"[^\d;,(]{0,40}(?:\([^)]{0,30}\)[^\d;,]{0,30})?")


def _date_near(
    text: str, start: int, end: int, rules: dict, report: Report
) -> tuple[str, str] | None:
    """The date of the figure at text[start:end]: one right after it (before any other
    figure: 'from 1,641 at the end of July to 1,480 by 7 January'), else the last before it,
    else the first after it. Days first, then months."""
    found = []
    for name in ("day_month_year", "month_year"):
        for m in rules[name]["pattern"].finditer(text):
            value = _day(m, report) if name == "day_month_year" else _month(m, report)
            # "extended until 15 April 2017", "since inception to 30 November": the end of
            # something else's period, not the figure's date
            if value is None or re.search(
                r"\b(?:until|till|up to|to|through)\s*$",
                text[: m.start("d" if name == "day_month_year" else "m")],
                re.I,
            ):
                continue
            since = re.search(
                r"\b(?:since|from)\s*$",
                text[: m.start("d" if name == "day_month_year" else "m")],
                re.I,
            )
            if since and report.issued and name == "day_month_year":
                value, name_used = f"{value}/{report.issued.isoformat()}", f"{name} after 'since'"
            else:
                name_used = name
            found.append((m.start(), m.end(), value, name_used))
    if not found:
        return None
    after = [x for x in found if x[0] >= end and _OWN_WORDS.fullmatch(text[end : x[0]])]
    if after:
        return after[0][2], after[0][3] + " right after it"
    before = [x for x in found if x[1] <= start]
    if before:
        return before[-1][2], before[-1][3]
    # "1,195 officers, including 79 women, deployed as at 20 September": an explicit anchor
    anchored = [
        x for x in found if x[0] >= end and re.match(r"(?i)as (?:at|of)\b", text[x[0] : x[0] + 6])
    ]
    return (anchored[0][2], anchored[0][3] + " (as at, after it)") if anchored else None


def _month(m: re.Match, report: Report) -> str | None:
    """'in March 2005' as 2005-03; 'at the beginning of March' as its first day, 'at the end
    of July' as its last."""
    month = month_number(m.group("m"))
    year = _year(m.group("y"), month, None, report)
    if year is None:
        return None
    edge = re.search(r"\b(beginning|start|end)\s+of\b", m.group(), re.I)
    last = calendar.monthrange(year, month)[1]
    if edge is not None:
        return date(year, month, 1 if edge.group(1).lower() != "end" else last).isoformat()
    if re.match(r"since\b", m.group(), re.I) and report.issued:
        return f"{date(year, month, 1).isoformat()}/{report.issued.isoformat()}"
    return f"{date(year, month, 1).isoformat()}/{date(year, month, last).isoformat()}"


def year_interval(year: int) -> str:
    """A year as the interval of its days: 2001 is 2001-01-01/2001-12-31."""
    return f"{year}-01-01/{year}-12-31"


_QUARTERS = {"first": 1, "second": 4, "third": 7, "fourth": 10, "last": 10}


def _quarter(text: str, pos: int) -> str | None:
    """'in the first quarter of 2002' before or right after the figure, as an interval."""
    m = None
    for m in re.finditer(r"\b(first|second|third|fourth|last) quarter of (\d{4})\b", text, re.I):
        if m.end() <= pos:
            continue
        break
    if m is None:
        return None
    first, year = _QUARTERS[m.group(1).lower()], int(m.group(2))
    end = date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    return f"{date(year, first, 1).isoformat()}/{end.isoformat()}"


def as_of(
    f: Figure,
    report: Report,
    concept: str | None = None,
    state: str | None = None,
    before: str = "",
) -> tuple[str | None, str]:
    """The date or period the figure refers to (ISO 8601), and the rule that says so."""
    rules = {r["name"]: r for r in _compiled("as_of")}
    s0, s1 = f.sentence
    c0, c1 = f.clause
    # "UNMOP consists of 28 observers (see annex)": the annex's table is as at its own date
    if report.annex_date and re.search(r"\bsee annex\b", f.text[s0:s1], re.I):
        return report.annex_date.isoformat(), "annex_date: the date of the annex it points to"
    # "from the current 1,023 officers": its own word dates it, whatever dates follow
    if report.issued and re.search(
        r"\b(?:current|currently|present|presently)\s+(?:\w+\s+)?$",
        f.text[max(c0, f.start - 40) : f.start],
        re.I,
    ):
        return report.issued.isoformat(), "current: 'current' right before it: date of issue"
    for lo, hi, where in ((c0, c1, "clause"), (s0, s1, "sentence")):
        text, pos = f.text[lo:hi], f.start - lo
        if m := rules["period_from_to"]["pattern"].search(text):
            if (value := _interval(m, report)) is not None:
                return value, f"period_from_to (in its {where})"
        if rules["same_date"]["pattern"].search(text):
            earlier = before + "\n" + f.text[max(0, s0 - 3000) : s0]
            if (value := _last_date(earlier[-3000:], report)) is not None:
                return value, "same_date: the last date stated before it"
        if found := _date_near(text, pos, pos + f.end - f.start, rules, report):
            value, rule = found
            return value, f"{rule} (in its {where})"
    if m := rules["year_in_brackets"]["pattern"].match(f.text, f.end):
        return year_interval(int(m.group("y"))), "year_in_brackets"
    current = rules["current"]["pattern"]
    if report.issued and (
        current.search(f.text[c0 : f.start]) or current.search(f.text[f.end : c1][:40])
    ):
        return report.issued.isoformat(), "current: present tense or 'current': date of issue"
    if (quarter := _quarter(f.text[s0:s1], f.start - s0)) is not None:
        return quarter, "quarter: 'in the first quarter of 2002'"
    since = re.search(
        r"\bsince (?:the (?:beginning|start) of )?(\d{4})\b", f.text[s0 : f.start], re.I
    )
    if since and report.issued:
        return (
            f"{since.group(1)}-01-01/{report.issued.isoformat()}",
            "since_year: from then to the report's date of issue",
        )
    if f.year is not None:
        return year_interval(f.year), "figure_year: the year the extractor gave the figure"
    if state == "authorized" and not f.money and report.issued:
        return (
            report.issued.isoformat(),
            "ceiling_in_force: a ceiling no date limits, in force when the report was issued",
        )
    if concept in _rules()["paragraph_date_for"]:
        if found := _date_near(
            f.text[max(0, f.sentence[0] - 3000) : f.sentence[0]],
            min(f.sentence[0], 3000),
            min(f.sentence[0], 3000),
            rules,
            report,
        ):
            return found[0], "paragraph_date: an incident's date stated before it in its paragraph"
    return None, "none: nothing ties a date to it"


def _last_date(text: str, report: Report) -> str | None:
    """The last day-month date stated in a text (for 'as of the same date')."""
    pattern = {r["name"]: r for r in _compiled("as_of")}["day_month_year"]["pattern"]
    last = None
    for m in pattern.finditer(text):
        last = _day(m, report) or last
    return last


def decide(f: Figure, report: Report, previous: str | None = None, before: str = "") -> Facts:
    """Every fact of one figure. previous: what the figure before it in its sentence counts;
    before: the end of the previous paragraph ('as of the same date' may point there)."""
    concept, why_counted = counted(f, report)
    facts = Facts(counted=concept)
    facts.why["counted"] = why_counted
    facts.holder, facts.why["holder"] = holder(f, concept, report)
    facts.status, facts.why["status"] = status(f)
    facts.aggregation, facts.why["aggregation"] = aggregation(f, concept)
    facts.scope, facts.why["scope"] = scope(f, concept, previous)
    facts.as_of, facts.why["as_of"] = as_of(f, report, concept, facts.status, before)
    if facts.why["status"].startswith("change_from") and report.issued:
        facts.as_of = report.issued.isoformat()
        facts.why["as_of"] = "change_from: the value a planned change starts from, now"
    return facts

"""What the landing page shows, as plain data: missions, indicators, reports and series.

Every function takes published rows (dicts of strings, as read from the CSV tables) and returns
sorted, plain values, so the same tables always give the same page. The explorer's data is
embedded in the page as one JSON object (see `explorer_data`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from pipeline.dataset.schema import list_items

ODS_URL = "https://documents.un.org/api/symbol/access?s={symbol}&l=en&t=pdf"
# Strength figures: a mission with any of these gets one of them charted first.
STRENGTH = (
    "MILITARY_STRENGTH",
    "POLICE_STRENGTH",
    "MILITARY_OBSERVERS",
    "CIVILIAN_STAFF_INTERNATIONAL",
    "CIVILIAN_STAFF_NATIONAL",
)
# One series row as embedded in the page. To keep the page small, `sources` and `date_issued`
# are '' when they are the row's report and its date, and `shown_because` is a number: its
# place in the list of distinct reasons.
ROW_FIELDS = (
    "period",
    "value",
    "value_max",
    "qualifier",
    "document_id",
    "sources",
    "date_issued",
    "n_reports",
    "shown_because",
    "unit",
    "ref_area",
)
# The columns of a series' CSV download, as in data/series.csv.
CSV_FIELDS = (
    "indicator",
    "subject",
    "ref_area",
    "period",
    "value",
    "value_max",
    "unit",
    "qualifier",
    "document_id",
    "date_issued",
    "sources",
    "n_reports",
    "shown_because",
)
# A file named like a Security Council symbol: UNMIT_S_2010_522 is S/2010/522.
_SYMBOL_IN_NAME = re.compile(r"_(S)_((?:\d{4}_)?\d+)$")


def report_url(symbol: str) -> str:
    """The UN Official Document System's address of a document symbol (its English PDF)."""
    return ODS_URL.format(symbol=quote(symbol.strip(), safe="/"))


def document_symbol(doc: dict) -> str:
    """A report's first printed symbol, or the one its file is named after, or ''."""
    symbol = next(iter(list_items(doc.get("symbols"))), "")
    if symbol:
        return symbol
    m = _SYMBOL_IN_NAME.search(doc.get("document_id", ""))
    return f"{m.group(1)}/{m.group(2).replace('_', '/')}" if m else ""


def subject_of(doc: dict) -> str:
    """The mission (or office) a report is about, as the series name it (series.py's rule)."""
    return doc.get("subject") or doc.get("subject_name") or doc["document_id"]


@dataclass(frozen=True)
class Report:
    """One report, as the page lists and links it."""

    document_id: str
    mission: str
    symbol: str
    date: str
    title: str

    @property
    def url(self) -> str:
        """The report's address, or '' when it has no symbol."""
        return report_url(self.symbol) if self.symbol else ""


def reports(documents: list[dict]) -> list[Report]:
    """Every report, by mission, then date and id."""
    out = [
        Report(
            d["document_id"],
            subject_of(d),
            document_symbol(d),
            d.get("date_issued") or "",
            d.get("title") or d["document_id"],
        )
        for d in documents
    ]
    return sorted(out, key=lambda r: (r.mission, r.date, r.document_id))


@dataclass(frozen=True)
class Mission:
    """A mission's coverage: its reports, their years, the indicators with values."""

    code: str
    name: str
    reports: int
    first_year: str
    last_year: str
    indicators: tuple[str, ...]
    default: str


def _default_indicator(counts: dict[str, int]) -> str:
    """The indicator shown first: a strength figure if any, else the one with most values."""
    strength = {k: v for k, v in counts.items() if k in STRENGTH}
    pool = strength or counts
    return min(pool, key=lambda k: (-pool[k], k)) if pool else ""


def missions(documents: list[dict], series: list[dict]) -> list[Mission]:
    """Every mission (or office) with a report, with its coverage, sorted by code."""
    names: dict[str, str] = {}
    years: dict[str, list[str]] = {}
    for d in documents:
        code = subject_of(d)
        names.setdefault(code, d.get("subject_name") or code)
        years.setdefault(code, []).append((d.get("date_issued") or "")[:4])
    counts: dict[str, dict[str, int]] = {}
    for r in series:
        mine = counts.setdefault(r["subject"], {})
        mine[r["indicator"]] = mine.get(r["indicator"], 0) + 1
    out = []
    for code in sorted(set(names) | set(counts)):
        known = sorted(y for y in years.get(code, []) if y)
        mine = counts.get(code, {})
        out.append(
            Mission(
                code,
                names.get(code, code),
                len(years.get(code, [])),
                known[0] if known else "",
                known[-1] if known else "",
                tuple(sorted(mine)),
                _default_indicator(mine),
            )
        )
    return out


def _count(n: float, noun: str) -> str:
    """'1 figure', '6 figures'."""
    return f"{n:g} {noun}{'' if n == 1 else 's'}"


def _share(part: float, whole: float) -> str:
    """'5 of 6 (83 %)'."""
    return f"{part:g} of {whole:g} ({round(100 * part / whole)} %)"


def accuracy_text(measures: dict[str, str]) -> str:
    """A sentence on an indicator's measured accuracy (indicator_accuracy.csv), for lay readers."""
    m = {k: float(v) for k, v in measures.items() if v not in (None, "")}
    if not m.get("key_figures"):
        return "Not measured yet: no report with this indicator has been read by hand."
    parts = [
        f"Checked against {_count(m['key_figures'], 'figure')} read by hand from the reports: "
        f"{_share(m.get('found', 0), m['key_figures'])} are in the series"
    ]
    if m.get("predicted"):
        parts.append(
            f"{_share(m.get('correct', 0), m['predicted'])} of the values shown from those "
            "reports match a hand-read figure"
        )
    if m.get("dated"):
        parts.append(f"the date is right for {_share(m.get('dated_right', 0), m['dated'])}")
    return "; ".join(parts) + "."


def indicator_info(indicators: list[dict], accuracy: list[dict]) -> dict[str, dict]:
    """Per indicator code: name, unit, definition, periodicity, limitations, accuracy."""
    measured: dict[str, dict[str, str]] = {}
    for r in accuracy:
        measured.setdefault(r["indicator"], {})[r["measure"]] = r["value"]
    return {
        r["indicator"]: {
            "name": r.get("name") or r["indicator"],
            "unit": r.get("unit") or "",
            "description": r.get("description") or "",
            "periodicity": r.get("periodicity") or "",
            "limitations": r.get("limitations") or "",
            "accuracy": accuracy_text(measured.get(r["indicator"], {})),
        }
        for r in sorted(indicators, key=lambda r: r["indicator"])
    }


def _text(value: object) -> str:
    """A published value as its text ('' for none)."""
    return "" if value is None else str(value)


def _row(r: dict, dates: dict[str, str], reasons: dict[str, int]) -> list:
    """A series row as embedded (ROW_FIELDS): what its report says is left out."""
    doc = r["document_id"]
    out = {f: _text(r.get(f)) for f in ROW_FIELDS}
    out["sources"] = "" if out["sources"] == doc else out["sources"]
    out["date_issued"] = "" if out["date_issued"] == dates.get(doc) else out["date_issued"]
    out["shown_because"] = reasons[out["shown_because"]]
    return [out[f] for f in ROW_FIELDS]


def _series(series: list[dict], documents: list[dict]) -> tuple[list[str], dict]:
    """The distinct reasons, and mission -> indicator -> rows (ROW_FIELDS) sorted by period."""
    reasons = sorted({_text(r.get("shown_because")) for r in series})
    index = {reason: i for i, reason in enumerate(reasons)}
    dates = {d["document_id"]: d.get("date_issued") or "" for d in documents}
    out: dict[str, dict[str, list[list]]] = {}
    for r in sorted(series, key=lambda r: (r["subject"], r["indicator"], r["period"])):
        rows = out.setdefault(r["subject"], {}).setdefault(r["indicator"], [])
        rows.append(_row(r, dates, index))
    return reasons, out


def explorer_data(
    documents: list[dict], series: list[dict], indicators: list[dict], accuracy: list[dict]
) -> dict:
    """Everything the explorer draws from, as one JSON-ready object."""
    info = indicator_info(indicators, accuracy)
    reasons, by_mission = _series(series, documents)
    shown = [m for m in missions(documents, series) if m.indicators]
    sizes = Counter((r["subject"], r["indicator"]) for r in series)
    for code in sorted({r["indicator"] for r in series} - set(info)):  # not in the codelist
        info[code] = indicator_info([{"indicator": code}], [])[code]
    return {
        "fields": list(ROW_FIELDS),
        "csv": list(CSV_FIELDS),
        "reasons": reasons,
        "missions": [
            {
                "code": m.code,
                "name": m.name,
                "indicators": list(m.indicators),
                "default": m.default,
            }
            for m in shown
        ],
        # shown first: the mission whose first series is the longest
        "first": min(shown, key=lambda m: (-sizes[m.code, m.default], m.code)).code
        if shown
        else "",
        "indicators": info,
        "reports": {
            r.document_id: {"symbol": r.symbol, "date": r.date, "title": r.title, "url": r.url}
            for r in reports(documents)
        },
        "series": by_mission,
    }


@dataclass(frozen=True)
class Download:
    """One file of the package."""

    path: str
    title: str
    description: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Release:
    """The release being described: its descriptor, changelog, date and address."""

    package: dict
    changelog: str
    date: str | None
    url: str = ""

    @property
    def title(self) -> str:
        """The dataset's title."""
        return self.package.get("title", self.package["name"])

    @property
    def version(self) -> str:
        """The release's version."""
        return str(self.package.get("version"))


@dataclass
class Page:
    """What the landing page shows, each part computed from the published rows."""

    release: Release
    files: list[Download]
    reports: list[Report]
    missions: list[Mission]
    explorer: dict
    indicators: list[dict]
    accuracy: list[dict] = field(default_factory=list)

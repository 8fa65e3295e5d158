"""Series: metrics mapped to the indicator codelist (schemas/indicators.yaml), one value per
indicator, subject, area and reference date across reports.

When several reports state a figure for the same indicator, subject, area and date, the latest
report (by date of issue, then document id) wins and every source is kept in `sources`; within
one report the metric found by the codelist's earlier rule wins, then the first in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

CODELIST = Path(__file__).resolve().parents[2] / "schemas" / "indicators.yaml"
NOT_APPLICABLE = "_Z"  # SDMX's code for 'not applicable': no country for the figure
# Units converted to the indicator's unit: (target, factor).
CONVERSIONS = {("kg", "tonne"): 0.001, ("t", "tonne"): 1.0}
MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
          "December")
_AS_AT = re.compile(rf"\b[Aa]s (?:of|at) (\d{{1,2}}) ({MONTHS})(?:,? (\d{{4}}))?\b")


@dataclass(frozen=True)
class Rule:
    """One way a metric maps to an indicator."""

    rule_id: str
    units: tuple[str, ...]
    entity: re.Pattern | None = None
    sentence: re.Pattern | None = None
    not_sentence: re.Pattern | None = None
    section: re.Pattern | None = None

    def matches(self, metric: dict) -> bool:
        """Whether every condition of the rule holds for a metrics row."""
        sentence = metric.get("sentence") or ""
        return bool(
            (not self.units or metric.get("unit") in self.units)
            and (self.entity is None or self.entity.search((metric.get("entity") or "").lower()))
            and (self.sentence is None or self.sentence.search(sentence))
            and (self.not_sentence is None or not self.not_sentence.search(sentence))
            and (self.section is None or self.section.search(metric.get("theme") or "")))


@dataclass(frozen=True)
class Indicator:
    """One entry of the codelist."""

    code: str
    name: str
    description: str
    unit: str
    area: str
    rules: tuple[Rule, ...]
    mapping: list


@dataclass(frozen=True)
class Match:
    """A metric mapped to an indicator, with the rule that matched."""

    indicator: str
    metric_id: str
    rule: str
    rank: int  # position of the rule in the codelist's mapping (0 = first)


def _pattern(text: str | None) -> re.Pattern | None:
    return re.compile(text, re.I) if text else None


@cache
def codelist(path: Path = CODELIST) -> tuple[Indicator, ...]:
    """The indicators of the codelist, in its order."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for item in data["indicators"]:
        rules = tuple(
            Rule(f"{item['code']}#{n}", tuple(r.get("unit", ())), _pattern(r.get("entity")),
                 _pattern(r.get("sentence")), _pattern(r.get("not_sentence")),
                 _pattern(r.get("section")))
            for n, r in enumerate(item["mapping"], start=1))
        out.append(Indicator(item["code"], item["name"], " ".join(item["description"].split()),
                             item["unit"], item.get("area", "subject"), rules,
                             item["mapping"]))
    return tuple(out)


def indicator_rows(indicators: tuple[Indicator, ...] | None = None) -> list[dict]:
    """The `indicators` table: the codelist with its mapping rules as JSON."""
    import json

    return [{"indicator": i.code, "name": i.name, "description": i.description, "unit": i.unit,
             "area": i.area, "mapping": json.dumps(i.mapping, ensure_ascii=False)}
            for i in indicators or codelist()]


def match_metric(metric: dict, indicators: tuple[Indicator, ...] | None = None) -> list[Match]:
    """Every indicator a metric maps to (at most one rule each: the first that matches)."""
    found = []
    for ind in indicators or codelist():
        for rank, rule in enumerate(ind.rules):
            if rule.matches(metric):
                found.append(Match(ind.code, metric["metric_id"], rule.rule_id, rank))
                break
    return found


def reference_date(metric: dict, document: dict) -> str | None:
    """The date or year a figure refers to: 'as at 7 January' in its sentence (the year from
    the report), else the end of the report's period, else the metric's or report's year."""
    issued = document.get("date_issued")
    end = document.get("period_end") or issued
    if m := _AS_AT.search(metric.get("sentence") or ""):
        day, month, year = m.groups()
        if year is None and end:
            year = end[:4]
            candidate = date.fromisoformat(f"{year}-{_month(month):02d}-{int(day):02d}")
            if issued and candidate > date.fromisoformat(issued):
                year = str(int(year) - 1)  # 'as at 20 December' in a report issued in January
        if year:
            try:
                return date(int(year), _month(month), int(day)).isoformat()
            except ValueError:
                pass
    if document.get("period_end"):
        return str(document["period_end"])
    year = metric.get("year") or document.get("reporting_year")
    if year:
        return str(int(year))
    return str(issued) if issued else None


def _month(name: str) -> int:
    return MONTHS.split("|").index(name.title()) + 1


def _area(ind: Indicator, metric_countries: list[str], document: dict) -> str:
    if ind.area == "metric" and len(metric_countries) == 1:
        return metric_countries[0]
    return document.get("subject_country") or NOT_APPLICABLE


def _value(value, unit: str | None, target: str):
    factor = CONVERSIONS.get((unit, target))
    if value is None or factor is None:
        return value
    return value * factor


def build_series(metrics: list[dict], countries: dict[str, list[str]],
                 documents: dict[str, dict],
                 indicators: tuple[Indicator, ...] | None = None) -> list[dict]:
    """The `series` rows from metrics rows, their countries (metric_id -> ISO3 codes) and the
    documents rows (document_id -> row with subject, subject_country, period and dates)."""
    indicators = indicators or codelist()
    by_code = {i.code: i for i in indicators}
    candidates: dict[tuple, list[tuple]] = {}
    for metric in metrics:
        doc = documents.get(metric["document_id"], {})
        for match in match_metric(metric, indicators):
            ind = by_code[match.indicator]
            period = reference_date(metric, doc)
            if period is None:
                continue
            subject = doc.get("subject") or doc.get("subject_name") or metric["document_id"]
            key = (ind.code, subject, _area(ind, countries.get(metric["metric_id"], []), doc),
                   period)
            # Latest report first; within a report the earlier rule, then the first mention.
            order = (_desc(str(doc.get("date_issued") or "")), _desc(metric["document_id"]),
                     match.rank, metric.get("char_start") or 0)
            candidates.setdefault(key, []).append((order, metric, match, ind))
    rows = []
    for key in sorted(candidates):
        ranked = sorted(candidates[key], key=lambda c: c[0])
        _, metric, match, ind = ranked[0]
        doc = documents.get(metric["document_id"], {})
        rows.append({
            "indicator": key[0], "subject": key[1], "ref_area": key[2], "period": key[3],
            "value": _value(metric["value"], metric.get("unit"), ind.unit),
            "value_max": _value(metric.get("value_max"), metric.get("unit"), ind.unit),
            "unit": ind.unit if (metric.get("unit"), ind.unit) in CONVERSIONS
            else metric.get("unit"),
            "qualifier": metric.get("qualifier"),
            "document_id": metric["document_id"],
            "date_issued": doc.get("date_issued"),
            "metric_id": metric["metric_id"],
            "rule": match.rule,
            "sources": "; ".join(dict.fromkeys(c[1]["metric_id"] for c in ranked)),
            "n_reports": len({c[1]["document_id"] for c in ranked}),
        })
    return rows


def _desc(text: str) -> tuple:
    """A sort key that orders strings in descending order."""
    return tuple(-ord(ch) for ch in text) + (1,)


# The tables derived from the loaded ones when a release's database is built, in load order.
DERIVED = ("indicators", "series")
_METRIC_COLUMNS = ("metric_id", "document_id", "sentence", "unit", "entity", "theme", "value",
                   "value_max", "qualifier", "year", "char_start")
_DOCUMENT_COLUMNS = ("document_id", "date_issued", "reporting_year", "period_end", "subject",
                     "subject_name", "subject_country")


def _records(con, sql: str) -> list[dict]:
    """Rows of a query as dicts, dates as ISO strings (as build_series expects)."""
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [{k: v.isoformat() if isinstance(v, date) else v for k, v in zip(names, r,
                                                                            strict=True)}
            for r in cur.fetchall()]


def derived_rows(con) -> dict[str, list[dict]]:
    """The `indicators` and `series` rows from a database's documents, metrics and countries.
    Figures without a value or unit are not observations and are left out."""
    metrics = _records(con, f"SELECT {', '.join(_METRIC_COLUMNS)} FROM metrics "
                            "ORDER BY document_id, char_start, metric_id")
    countries: dict[str, list[str]] = {}
    for row in _records(con, "SELECT metric_id, iso3 FROM metric_countries "
                             "WHERE iso3 IS NOT NULL ORDER BY metric_id, iso3"):
        countries.setdefault(row["metric_id"], []).append(row["iso3"])
    documents = {d["document_id"]: d for d in _records(
        con, f"SELECT {', '.join(_DOCUMENT_COLUMNS)} FROM documents ORDER BY document_id")}
    series = [r for r in build_series(metrics, countries, documents)
              if r["value"] is not None and r["unit"]]
    return {"indicators": indicator_rows(), "series": series}


def store_derived(con) -> dict[str, int]:
    """Create and fill the derived tables in a database (inside the caller's transaction)."""
    import pyarrow as pa

    from pipeline.dataset.schema import DUCKDB_TYPES, ddl, load

    counts = {}
    for name, rows in derived_rows(con).items():
        schema = load(name)
        con.execute(ddl(schema))
        if rows:
            incoming = pa.Table.from_pylist([{c: r.get(c) for c in schema.columns}
                                             for r in rows])
            select = ", ".join(f'CAST("{f["name"]}" AS {DUCKDB_TYPES[f["type"]]})'
                               for f in schema.fields)
            con.register("derived_rows", incoming)
            con.execute(f'INSERT INTO "{name}" SELECT {select} FROM derived_rows')
            con.unregister("derived_rows")
        counts[name] = len(rows)
    return counts

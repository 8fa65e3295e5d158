"""Series: metrics mapped to the indicator codelist (schemas/indicators.yaml) on their facts
(what they count, whose they are, status, aggregation, scope), one value per indicator,
subject, area and period across reports.

A value's period is the figure's own date or interval (the metric's `as_of`); a figure with no
date of its own is left out (and counted in the indicator's coverage), never dated by its
report. When several figures state a value for the same key, every one is kept in
`series_revisions` with its report; the series shows the latest report's (by date of issue,
then document id), within a report the one found by the codelist's earlier rule, then the
first in the text, and says so in `shown_because`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from pipeline.dataset.schema import SCHEMA_DIR

CODELIST = SCHEMA_DIR / "indicators.yaml"
NOT_APPLICABLE = "_Z"  # SDMX's code for 'not applicable': no country for the figure
# Units converted to the indicator's unit: (target, factor).
CONVERSIONS = {("kg", "tonne"): 0.001, ("t", "tonne"): 1.0}
FACTS = ("unit", "counted", "holder", "status", "aggregation", "scope")
DEFAULTS = {"holder": ("subject",), "status": ("actual",), "scope": ("whole",)}


@dataclass(frozen=True)
class Rule:
    """One way a metric maps to an indicator: the facts it must have (None: any)."""

    rule_id: str
    conditions: tuple[tuple[str, tuple[str, ...] | None], ...]
    examples: tuple[dict, ...] = ()

    def matches(self, metric: dict) -> bool:
        """Whether the metric has every fact the rule asks for."""
        return all(
            allowed is None or metric.get(fact) in allowed for fact, allowed in self.conditions
        )

    def misses(self, metric: dict) -> list[str]:
        """The facts of a metric that keep this rule from taking it, in words."""
        return [
            f"{fact}={metric.get(fact)!r} not in {list(allowed)}"
            for fact, allowed in self.conditions
            if allowed is not None and metric.get(fact) not in allowed
        ]


@dataclass(frozen=True)
class Indicator:
    """One entry of the codelist, with its metadata for people."""

    code: str
    name: str
    description: str
    unit: str
    area: str
    rules: tuple[Rule, ...]
    mapping: list
    periodicity: str = ""
    extraction: str = ""
    limitations: str = ""


@dataclass(frozen=True)
class Match:
    """A metric mapped to an indicator, with the rule that matched."""

    indicator: str
    metric_id: str
    rule: str
    rank: int  # position of the rule in the codelist's mapping (0 = first)


def _rule(code: str, n: int, spec: dict) -> Rule:
    conditions = tuple(
        (fact, tuple(spec[fact]) if fact in spec else DEFAULTS.get(fact)) for fact in FACTS
    )
    return Rule(f"{code}#{n}", conditions, tuple(spec.get("examples", ())))


def _text(value) -> str:
    return " ".join(str(value or "").split())


@cache
def codelist(path: Path = CODELIST) -> tuple[Indicator, ...]:
    """The indicators of the codelist, in its order."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for item in data["indicators"]:
        rules = tuple(_rule(item["code"], n, r) for n, r in enumerate(item["mapping"], start=1))
        mapping = [{k: v for k, v in r.items() if k != "examples"} for r in item["mapping"]]
        out.append(
            Indicator(
                item["code"],
                item["name"],
                _text(item["description"]),
                item["unit"],
                item.get("area", "subject"),
                rules,
                mapping,
                _text(item.get("periodicity")),
                _text(item.get("extraction")),
                _text(item.get("limitations")),
            )
        )
    return tuple(out)


def indicator_rows(
    indicators: tuple[Indicator, ...] | None = None,
    series: list[dict] | None = None,
    undated: dict[str, int] | None = None,
) -> list[dict]:
    """The `indicators` table: the codelist with its metadata, mapping rules as JSON and its
    coverage in the series (subjects, first and last period, observations, figures left out
    for having no date of their own)."""
    rows = []
    for i in indicators or codelist():
        mine = [r for r in series or () if r["indicator"] == i.code]
        periods = sorted(str(r["period"]) for r in mine)
        rows.append(
            {
                "indicator": i.code,
                "name": i.name,
                "description": i.description,
                "unit": i.unit,
                "periodicity": i.periodicity,
                "extraction": i.extraction,
                "limitations": i.limitations,
                "area": i.area,
                "mapping": json.dumps(i.mapping, ensure_ascii=False, sort_keys=True),
                "subjects": "; ".join(sorted({r["subject"] for r in mine})) or None,
                "first_period": periods[0] if periods else None,
                "last_period": periods[-1] if periods else None,
                "observations": len(mine),
                "undated_left_out": (undated or {}).get(i.code, 0),
            }
        )
    return rows


def match_metric(metric: dict, indicators: tuple[Indicator, ...] | None = None) -> list[Match]:
    """Every indicator a metric maps to (at most one rule each: the first that matches)."""
    found = []
    for ind in indicators or codelist():
        for rank, rule in enumerate(ind.rules):
            if rule.matches(metric):
                found.append(Match(ind.code, metric["metric_id"], rule.rule_id, rank))
                break
    return found


def why_not(metric: dict, indicators: tuple[Indicator, ...] | None = None) -> str:
    """Why no indicator takes a metric: the nearest rule (fewest facts missing) and its misses."""
    best = None
    for ind in indicators or codelist():
        for rule in ind.rules:
            misses = rule.misses(metric)
            if best is None or len(misses) < len(best[1]):
                best = (rule.rule_id, misses)
    if best is None:
        return "no indicator"
    return f"no indicator; nearest {best[0]}: " + "; ".join(best[1])


DERIVED = ("indicators", "series", "series_revisions")
_METRIC_COLUMNS = (
    "metric_id",
    "document_id",
    "unit",
    "value",
    "value_max",
    "qualifier",
    "char_start",
    "counted",
    "as_of",
    "status",
    "holder",
    "aggregation",
    "scope",
)
_DOCUMENT_COLUMNS = (
    "document_id",
    "date_issued",
    "reporting_year",
    "period_end",
    "subject",
    "subject_name",
    "subject_country",
)


def _records(con, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a query as dicts, dates as ISO strings (as build_series expects)."""
    cur = con.execute(sql, params) if params else con.execute(sql)
    names = [d[0] for d in cur.description]
    return [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in zip(names, r, strict=True)}
        for r in cur.fetchall()
    ]


# The metrics an indicator takes, kept per report so that the derived tables are built from
# these (a few percent of the metrics) and a release reads only its changed reports' metrics.
OBSERVATIONS = "observations"
_BATCH_DOCUMENTS = 200  # reports matched at a time: bounds the metrics held in memory


def create_observations(con) -> None:
    """The observations table (the metrics columns build_series reads), if missing."""
    cols = ", ".join(_METRIC_COLUMNS)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {OBSERVATIONS} AS "
        f"SELECT {cols}, NULL::VARCHAR AS matches FROM metrics LIMIT 0"
    )


def fill_observations(con, document_ids: list[str] | None = None) -> int:
    """Add the metrics with a value that some indicator takes, of the given reports (None:
    every report), matched a batch of reports at a time. Returns the rows added."""
    create_observations(con)
    if document_ids is None:
        document_ids = [r[0] for r in con.execute("SELECT document_id FROM documents").fetchall()]
    document_ids = sorted(set(document_ids))
    cols = ", ".join(_METRIC_COLUMNS)
    added = 0
    for start in range(0, len(document_ids), _BATCH_DOCUMENTS):
        batch = document_ids[start : start + _BATCH_DOCUMENTS]
        metrics = _records(
            con,
            f"SELECT {cols} FROM metrics WHERE value IS NOT NULL "
            f"AND document_id IN (SELECT unnest(?::VARCHAR[]))",
            [batch],
        )
        taken = {m["metric_id"]: found for m in metrics if (found := match_metric(m))}
        if taken:
            _insert_observations(con, taken)
        added += len(taken)
    return added


def _insert_observations(con, taken: dict[str, list[Match]]) -> None:
    """Insert metrics with the indicators they map to, kept so that the derived tables are
    rebuilt without matching every observation again."""
    import pyarrow as pa

    cols = ", ".join(f"m.{c}" for c in _METRIC_COLUMNS)
    matches = pa.table(
        {
            "metric_id": list(taken),
            "matches": [
                json.dumps([[x.indicator, x.rule, x.rank] for x in found])
                for found in taken.values()
            ],
        }
    )
    con.register("taken_matches", matches)
    con.execute(
        f"INSERT INTO {OBSERVATIONS} SELECT {cols}, t.matches FROM metrics m "
        "JOIN taken_matches t ON t.metric_id = m.metric_id"
    )
    con.unregister("taken_matches")


def stored_matches(metric: dict) -> list[Match]:
    """The indicators an observation was found to map to when it was stored."""
    return [
        Match(code, metric["metric_id"], rule, rank)
        for code, rule, rank in json.loads(metric["matches"])
    ]


def drop_observations(con, document_ids: list[str]) -> None:
    """Forget the observations of reports whose rows go away."""
    create_observations(con)
    con.execute(
        f"DELETE FROM {OBSERVATIONS} WHERE document_id IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(document_ids)],
    )


def derived_rows(con) -> dict[str, list[dict]]:
    """The `indicators` and `series` rows from a database's documents and observations (the
    metrics an indicator takes, see fill_observations) and their countries. Figures without
    a value or unit are not observations and are left out."""
    metrics = _records(
        con,
        f"SELECT {', '.join(_METRIC_COLUMNS)}, matches FROM {OBSERVATIONS} "
        "ORDER BY document_id, char_start, metric_id",
    )
    found = {m["metric_id"]: stored_matches(m) for m in metrics}
    for m in metrics:
        del m["matches"]
    countries: dict[str, list[str]] = {}
    for row in _records(
        con,
        f"SELECT c.metric_id, c.iso3 FROM metric_countries c JOIN {OBSERVATIONS} o "
        "USING (metric_id) WHERE c.iso3 IS NOT NULL ORDER BY c.metric_id, c.iso3",
    ):
        countries.setdefault(row["metric_id"], []).append(row["iso3"])
    documents = {
        d["document_id"]: d
        for d in _records(
            con, f"SELECT {', '.join(_DOCUMENT_COLUMNS)} FROM documents ORDER BY document_id"
        )
    }
    from pipeline.dataset.series_rows import build_series  # it builds on this module

    series, revisions = build_series(metrics, countries, documents, found=found)
    undated: dict[str, int] = {}
    for metric in metrics:
        if metric.get("value") is not None and not metric.get("as_of"):
            for match in found[metric["metric_id"]]:
                undated[match.indicator] = undated.get(match.indicator, 0) + 1
    return {
        "indicators": indicator_rows(series=series, undated=undated),
        "series": series,
        "series_revisions": revisions,
    }


def store_derived(con) -> dict[str, int]:
    """Create and fill (or refill) the derived tables in a database from its observations
    (inside the caller's transaction)."""
    import pyarrow as pa

    from pipeline.dataset.schema import ddl, duckdb_type, load

    counts = {}
    for name, rows in derived_rows(con).items():
        schema = load(name)
        con.execute(ddl(schema))
        con.execute(f'DELETE FROM "{name}"')  # refilled: a release updates them in a copy
        if rows:
            incoming = pa.Table.from_pylist([{c: r.get(c) for c in schema.columns} for r in rows])
            select = ", ".join(f'CAST("{f["name"]}" AS {duckdb_type(f)})' for f in schema.fields)
            con.register("derived_rows", incoming)
            con.execute(f'INSERT INTO "{name}" SELECT {select} FROM derived_rows')
            con.unregister("derived_rows")
        counts[name] = len(rows)
    return counts

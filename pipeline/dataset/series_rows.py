"""Series rows: each dated value an indicator takes, ranked, the latest report's shown and
every report's kept as a revision."""

from __future__ import annotations

from pipeline.dataset.series import (
    CONVERSIONS,
    NOT_APPLICABLE,
    Indicator,
    codelist,
    match_metric,
)


def _area(ind: Indicator, metric_countries: list[str], document: dict) -> str:
    if ind.area == "metric" and len(metric_countries) == 1:
        return metric_countries[0]
    return document.get("subject_country") or NOT_APPLICABLE


def _value(value, unit: str | None, target: str):
    factor = CONVERSIONS.get((unit, target))
    if value is None or factor is None:
        return value
    return value * factor


def _desc(text: str) -> tuple:
    """A sort key that orders strings in descending order."""
    return tuple(-ord(ch) for ch in text) + (1,)


def _candidates(
    metrics: list[dict],
    countries: dict[str, list[str]],
    documents: dict[str, dict],
    indicators: tuple[Indicator, ...],
    found: dict[str, list] | None = None,
) -> dict[tuple, list[tuple]]:
    """Every dated value an indicator takes, by series key (indicator, subject, area, period),
    each with the order that ranks it: latest report first; within a report the earlier
    rule, then the first mention."""
    by_code = {i.code: i for i in indicators}
    candidates: dict[tuple, list[tuple]] = {}
    for metric in metrics:
        if metric.get("value") is None or not metric.get("as_of"):
            continue
        doc = documents.get(metric["document_id"], {})
        matches = found[metric["metric_id"]] if found else match_metric(metric, indicators)
        for match in matches:
            ind = by_code[match.indicator]
            subject = doc.get("subject") or doc.get("subject_name") or metric["document_id"]
            area = _area(ind, countries.get(metric["metric_id"], []), doc)
            key = (ind.code, subject, area, metric["as_of"])
            order = (
                _desc(str(doc.get("date_issued") or "")),
                _desc(metric["document_id"]),
                match.rank,
                metric.get("char_start") or 0,
            )
            candidates.setdefault(key, []).append((order, metric, match, ind))
    return candidates


def _series_row(key: tuple, ranked: list[tuple], documents: dict[str, dict]) -> dict:
    """The series row of a key: the first ranked value, and the reports that gave one."""
    _, metric, match, ind = ranked[0]
    reports = list(dict.fromkeys(c[1]["document_id"] for c in ranked))
    return {
        "indicator": key[0],
        "subject": key[1],
        "ref_area": key[2],
        "period": key[3],
        "value": _value(metric["value"], metric.get("unit"), ind.unit),
        "value_max": _value(metric.get("value_max"), metric.get("unit"), ind.unit),
        "unit": ind.unit if (metric.get("unit"), ind.unit) in CONVERSIONS else metric.get("unit"),
        "qualifier": metric.get("qualifier"),
        "document_id": metric["document_id"],
        "date_issued": documents.get(metric["document_id"], {}).get("date_issued"),
        "metric_id": metric["metric_id"],
        "rule": match.rule,
        "sources": "; ".join(reports),
        "n_reports": len(reports),
        "n_revisions": len(ranked),
        "shown_because": _shown_because(ranked, len({c[1]["value"] for c in ranked}) > 1),
    }


def _revision_rows(key: tuple, ranked: list[tuple], documents: dict[str, dict]) -> list[dict]:
    """Every value of a key, in rank order; the first is the one shown."""
    return [
        {
            "indicator": key[0],
            "subject": key[1],
            "ref_area": key[2],
            "period": key[3],
            "revision": n,
            "value": _value(m["value"], m.get("unit"), i.unit),
            "qualifier": m.get("qualifier"),
            "document_id": m["document_id"],
            "date_issued": documents.get(m["document_id"], {}).get("date_issued"),
            "metric_id": m["metric_id"],
            "rule": mt.rule,
            "shown": n == 0,
        }
        for n, (_, m, mt, i) in enumerate(ranked)
    ]


def build_series(
    metrics: list[dict],
    countries: dict[str, list[str]],
    documents: dict[str, dict],
    indicators: tuple[Indicator, ...] | None = None,
    found: dict[str, list] | None = None,
) -> tuple[list[dict], list[dict]]:
    """The `series` rows and their `series_revisions` (every value of every key) from metrics
    rows, their countries (metric_id -> ISO3 codes) and the documents rows (document_id ->
    row with subject, subject_country and date of issue). found: the indicators each metric
    maps to, when they are known already (else each metric is matched)."""
    candidates = _candidates(metrics, countries, documents, indicators or codelist(), found)
    rows, revisions = [], []
    for key in sorted(candidates):
        ranked = sorted(candidates[key], key=lambda c: c[0])
        rows.append(_series_row(key, ranked, documents))
        revisions += _revision_rows(key, ranked, documents)
    return rows, revisions


def _shown_because(ranked: list[tuple], disagree: bool) -> str:
    """Why the series shows the value it shows, in words."""
    if len(ranked) == 1:
        return "the only figure for this date"
    reports = {c[1]["document_id"] for c in ranked}
    what = "values differ" if disagree else "same value"
    if len(reports) > 1:
        return f"{what}: the latest report of {len(reports)} that state it"
    return f"{what}: the first figure in its report found by the earliest rule"


# The tables derived from the loaded ones when a release's database is built, in load order.

"""Front-matter metadata, the indicator codelist, the series and its SDMX-CSV export."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.read.metadata import parse_metadata, read_metadata

ROOT = Path(__file__).resolve().parent.parent
FRONT = ROOT / "tests" / "data" / "front_matter"

# Real front matter copied from corpus PDFs (tests/data/front_matter/, read with pypdfium2 or
# `pdftotext -layout`): symbols, date issued, period, subject (acronym, ISO3) and title.
CASES = {
    "UNMIT_S_2007_50.pdfium": (
        ("S/2007/50",),
        "2007-02-01",
        ("2006-08-09", "2007-01-26"),
        ("UNMIT", "TLS"),
        "Report of the Secretary-General on the United Nations Integrated Mission in Timor-Leste",
    ),
    "UNMIT_S_2012_765.layout": (  # 'from 7 January through 20 September 2012': year implied
        ("S/2012/765",),
        "2012-10-15",
        ("2012-01-07", "2012-09-20"),
        ("UNMIT", "TLS"),
        "Report of the Secretary-General on the United Nations Integrated Mission in Timor-Leste",
    ),
    "MINUSTAH_S_2010_200.pdfium": (  # 'since my report of 1 September 2009 (...) until ...'
        ("S/2010/200",),
        "2010-02-22",
        ("2009-09-01", "2010-04-15"),
        ("MINUSTAH", "HTI"),
        "Report of the Secretary-General on the United Nations Stabilization Mission in Haiti",
    ),
    "MINUJUSTH_S_2018_527.pdfium": (  # the mission's name above 'Report of the ...'
        ("S/2018/527",),
        "2018-06-01",
        (None, None),
        ("MINUJUSTH", "HTI"),
        "United Nations Mission for Justice Support in Haiti",
    ),
    "MINUNGUA_A_51_695_S_1996_998.layout": (  # joint symbols on two lines; 3-line title
        ("A/51/695", "S/1996/998"),
        "1996-11-26",
        (None, None),
        ("MINUGUA", "GTM"),
        "United Nations Mission for the Verification of Human Rights and of Compliance with "
        "the Commitments of the Comprehensive Agreement on Human Rights in Guatemala",
    ),
    "UNMIBH_S_1997_224.layout": (  # old layout: 'Distr. GENERAL', symbol, then the date
        ("S/1997/224",),
        "1997-03-14",
        (None, None),
        ("UNMIBH", "BIH"),
        "REPORT OF THE SECRETARY-GENERAL PURSUANT TO SECURITY COUNCIL RESOLUTION 1088 (1996)",
    ),
    "UNMOP_S_1997_1019.pdfium": (  # Prevlaka is no country; the acronym comes in para. 2
        ("S/1997/1019",),
        "1997-12-30",
        (None, None),
        (None, None),
        "REPORT OF THE SECRETARY-GENERAL ON THE UNITED NATIONS MISSION OF OBSERVERS IN PREVLAKA",
    ),
    "ONUCA_A_44_886_S_21029.pdfium": (  # OCR'd text layer: 's/21029', no title
        ("A/44/806", "S/21029"),
        "1989-12-21",
        (None, None),
        (None, None),
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_front_matter_of_real_corpus_layouts(name):
    symbols, issued, period, (subject, country), title = CASES[name]
    md = read_metadata((FRONT / f"{name}.txt").read_text(encoding="utf-8"))
    assert md.symbols == symbols
    assert md.date_issued == issued
    assert (md.period_start, md.period_end) == period
    assert (md.subject, md.subject_country) == (subject, country)
    assert md.title == title
    if period == (None, None):
        assert "no reporting period found in the front matter" in md.warnings
    if title is None:
        assert "no title found in the front matter" in md.warnings


def test_first_report_knows_what_and_when_it_reports():
    md = read_metadata((ROOT / "raw" / "unodc-activities-report-2021.txt").read_text("utf-8"))
    assert md.title == "Activities of the United Nations Office on Drugs and Crime"
    assert (md.subject, md.subject_name) == ("UNODC", "United Nations Office on Drugs and Crime")
    assert md.date_issued == "2022-01-10"
    assert md.reporting_year == 2021
    assert md.agenda_items == ("4", "6", "8")
    # '* E/CN.7/2022/1.' under the agenda is a footnote: the symbol of the agenda, not ours.
    assert md.symbols == ()
    assert md.warnings == ("no document symbol found in the front matter",)


def test_an_agenda_line_is_never_the_title():
    header = (
        "United Nations   S/2031/7\nSecurity Council   Distr.: General\n4 May 2031\n"
        "Original: English\nItem 4 of the provisional agenda\n"
        "Report of the Secretary-General on the United Nations Mission in Ruritania\n"
        "(for the period from 16 September 2030 to 21 March 2031)\n"
    )
    md = parse_metadata(header)
    assert md.title == "Report of the Secretary-General on the United Nations Mission in Ruritania"
    assert (md.period_start, md.period_end) == ("2030-09-16", "2031-03-21")
    assert md.symbols == ("S/2031/7",)
    assert md.agenda_items == ("4",)


def test_missing_fields_are_warned_about():
    md = parse_metadata("Some notes without a masthead\n")
    assert md.title is None and md.symbols == () and md.date_issued is None
    assert set(md.warnings) == {
        "no report family claims it: read by the generic rules",
        "no title found in the front matter",
        "no document symbol found in the front matter",
        "no date of issue found in the front matter",
        "no reporting period found in the front matter",
        "no subject (mission or organisation) found in the front matter",
    }


def test_joint_symbols_on_one_line_and_a_period_across_years():
    header = (
        "A/47/1012-S/26416\n12 March 1993\nReport of the Secretary-General\n"
        "for the period from 16 September 2002 to 21 March 2003\n"
    )
    md = parse_metadata(header)
    assert md.symbols == ("A/47/1012", "S/26416")
    assert (md.period_start, md.period_end) == ("2002-09-16", "2003-03-21")


# --- indicators and series -------------------------------------------------------------------

from datetime import date  # noqa: E402

from pipeline.dataset import sdmx  # noqa: E402
from pipeline.dataset.series import (  # noqa: E402
    codelist,
    indicator_rows,
    match_metric,
    why_not,
)
from pipeline.dataset.series_rows import build_series  # noqa: E402
from pipeline.extract.explain import explain  # noqa: E402
from pipeline.extract.facts import Report  # noqa: E402

# Sentences as printed in the UNMIT reports S/2007/50, S/2008/26 and S/2011/32.
S2007 = (
    "As of 26 January 2007, UNMIT consisted of a civilian component comprised of 156 "
    "international staff members (52 women), 382 national staff (64 women) and 1,313 police "
    "officers (79 women), as well as 33 military liaison and staff officers (1 woman)."
)
S2008 = (
    "With the completion of the elections and the departure of the fifth formed police unit "
    "from Portugal dedicated to electoral security, UNMIT police strength decreased from "
    "1,641 at the end of July to 1,480 (77 women) by 7 January 2008."
)
S2011 = (
    "There was a planned reduction in the UNMIT police strength during the reporting period, "
    "with 1,480 officers (including 76 women) deployed as at 7 January, 523 of whom were in "
    "the formed police units."
)
DOCS = {
    "UNMIT_S_2007_50": {
        "document_id": "UNMIT_S_2007_50",
        "subject": "UNMIT",
        "subject_country": "TLS",
        "date_issued": "2007-02-01",
    },
    "UNMIT_S_2008_26": {
        "document_id": "UNMIT_S_2008_26",
        "subject": "UNMIT",
        "subject_country": "TLS",
        "date_issued": "2008-01-17",
    },
    "UNMIT_S_2011_32": {
        "document_id": "UNMIT_S_2011_32",
        "subject": "UNMIT",
        "subject_country": "TLS",
        "date_issued": "2011-01-25",
    },
    "UNMIT_S_2011_99": {
        "document_id": "UNMIT_S_2011_99",
        "subject": "UNMIT",
        "subject_country": "TLS",
        "date_issued": "2011-03-01",
    },
}
UNMIT = "United Nations Integrated Mission in Timor-Leste"


def _report(spec: dict | None = None, doc: str | None = None) -> Report:
    if doc is not None:
        return Report(date.fromisoformat(DOCS[doc]["date_issued"]), "UNMIT", UNMIT)
    spec = {
        "issued": "2005-07-15",
        "subject": "UNMIS",
        "name": "United Nations Mission in the Sudan",
        **(spec or {}),
    }
    return Report(date.fromisoformat(spec["issued"]), spec["subject"], spec["name"])


def _metrics(doc: str, sentence: str, offset: int = 0) -> list[dict]:
    """The sentence's metrics as rows of `metrics`, read by the real extractor."""
    rows = []
    for m in explain(sentence, _report(doc=doc)).metrics:
        row = m.as_record()
        row.update(
            document_id=doc,
            metric_id=f"{doc}:{offset + m.char_start}",
            char_start=offset + m.char_start,
        )
        rows.append(row)
    return rows


def _figure(rows: list[dict], quote: str) -> dict:
    return next(r for r in rows if r["quote"] == quote)


def test_codelist_is_data_with_codes_names_units_rules_and_metadata():
    codes = [i.code for i in codelist()]
    assert len(codes) == len(set(codes))
    for wanted in (
        "POLICE_STRENGTH",
        "POLICE_AUTHORIZED",
        "MILITARY_STRENGTH",
        "MILITARY_OBSERVERS",
        "CASUALTIES_KILLED",
        "REFUGEES",
        "RETURNEES",
        "DISPLACED",
        "BUDGET_APPROPRIATION",
        "CONTRIBUTIONS_UNPAID",
        "CONTRIBUTIONS",
        "PEOPLE_TRAINED",
        "COUNTRIES_SUPPORTED",
        "SEIZURES",
    ):
        assert wanted in codes
    for r in indicator_rows():
        assert all(
            r[k]
            for k in (
                "name",
                "description",
                "unit",
                "mapping",
                "periodicity",
                "extraction",
                "limitations",
            )
        ), r["indicator"]
    # the codelist maps on facts, never on a sentence's words
    text = Path(ROOT / "schemas" / "indicators.yaml").read_text(encoding="utf-8")
    assert "sentence:" not in text and "entity:" not in text


CODELIST_EXAMPLES = [
    (i.code, rule.rule_id, ex) for i in codelist() for rule in i.rules for ex in rule.examples
]


@pytest.mark.parametrize(
    ("code", "rule", "example"),
    CODELIST_EXAMPLES,
    ids=[f"{r}:{n}" for n, (_, r, _) in enumerate(CODELIST_EXAMPLES)],
)
def test_codelist_example(code: str, rule: str, example: dict) -> None:
    """Every example in schemas/indicators.yaml maps to its indicator (or to none)."""
    ex = explain(example["text"], _report(example.get("report")))
    metric = next(m for m in ex.metrics if example["figure"] in m.quote)
    row = metric.as_record()
    found = [m.indicator for m in match_metric({**row, "metric_id": "x"})]
    want = example.get("indicator", code)
    assert found == ([want] if want else []), f"{found} != {want}: {row} {why_not(row)}"
    if "period" in example:
        assert metric.as_of == example["period"]


def test_every_indicator_with_a_fact_rule_has_an_example():
    covered = {code for code, _, _ in CODELIST_EXAMPLES}
    assert len(covered) >= 12


def test_a_metric_maps_on_its_facts_with_the_rule_that_matched():
    rows = _metrics("UNMIT_S_2007_50", S2007)
    police, observers = _figure(rows, "1,313"), _figure(rows, "33")
    assert [(m.indicator, m.rule) for m in match_metric(police)] == [
        ("POLICE_STRENGTH", "POLICE_STRENGTH#1")
    ]
    assert [m.indicator for m in match_metric(observers)] == ["MILITARY_OBSERVERS"]
    assert [m.indicator for m in match_metric(_figure(rows, "156"))] == [
        "CIVILIAN_STAFF_INTERNATIONAL"
    ]
    assert match_metric(_figure(rows, "52")) == []  # women: a part, counted by no rule
    assert police["as_of"] == "2007-01-26" and police["holder"] == "subject"
    assert "nearest POLICE" in why_not(_figure(rows, "52")) or "no indicator" in why_not(
        _figure(rows, "52")
    )


def test_a_change_gives_two_figures_each_with_its_own_date():
    rows = _metrics("UNMIT_S_2008_26", S2008)
    before, after = _figure(rows, "1,641"), _figure(rows, "1,480")
    assert after["as_of"] == "2008-01-07"
    assert before["as_of"] == "2007-07-31"  # "at the end of July"
    assert [m.indicator for m in match_metric(after)] == ["POLICE_STRENGTH"]


def test_series_latest_report_wins_and_every_figure_is_a_revision():
    metrics = [
        *_metrics("UNMIT_S_2007_50", S2007),
        *_metrics("UNMIT_S_2011_32", S2011),
        # a later report restating the figure for the same date, with another value
        *_metrics(
            "UNMIT_S_2011_99",
            S2011.replace("1,480", "1,481").replace("as at 7 January", "as at 7 January 2011"),
        ),
    ]
    rows, revisions = build_series(metrics, {}, DOCS)
    police = [r for r in rows if r["indicator"] == "POLICE_STRENGTH"]
    assert [(r["period"], r["value"], r["document_id"], r["n_reports"]) for r in police] == [
        ("2007-01-26", 1313.0, "UNMIT_S_2007_50", 1),
        ("2011-01-07", 1481.0, "UNMIT_S_2011_99", 2),
    ]
    assert police[1]["sources"] == "UNMIT_S_2011_99; UNMIT_S_2011_32"
    assert police[1]["shown_because"].startswith("values differ: the latest report")
    kept = [
        (r["value"], r["document_id"], r["shown"])
        for r in revisions
        if r["indicator"] == "POLICE_STRENGTH" and r["period"] == "2011-01-07"
    ]
    assert kept == [(1481.0, "UNMIT_S_2011_99", True), (1480.0, "UNMIT_S_2011_32", False)]
    assert {r["subject"] for r in rows} == {"UNMIT"} and {r["ref_area"] for r in rows} == {"TLS"}


def test_a_figure_without_a_date_of_its_own_is_left_out():
    rows = _metrics("UNMIT_S_2011_32", "The police component had 1,480 officers.")
    assert rows[0]["as_of"] is None
    assert build_series(rows, {}, DOCS) == ([], [])


def test_seizures_in_kilograms_are_converted_to_tonnes():
    rows = _metrics("UNMIT_S_2007_50", "Customs officers seized 2,500 kg of cocaine in 2006.")
    series, _ = build_series(rows, {rows[0]["metric_id"]: ["PER"]}, DOCS)
    assert [
        (r["indicator"], r["value"], r["unit"], r["ref_area"], r["period"]) for r in series
    ] == [("SEIZURES", 2.5, "tonne", "PER", "2006-01-01/2006-12-31")]


def test_sdmx_csv_reads_back_into_the_same_observations():
    metrics = [*_metrics("UNMIT_S_2007_50", S2007), *_metrics("UNMIT_S_2011_32", S2011)]
    rows, _ = build_series(metrics, {}, DOCS)
    assert len(rows) >= 3
    data = sdmx.sdmx_csv(rows)
    header = data.decode().splitlines()[0].split(",")
    assert header[:7] == [
        "STRUCTURE",
        "STRUCTURE_ID",
        "ACTION",
        "INDICATOR",
        "SUBJECT",
        "REF_AREA",
        "TIME_PERIOD",
    ]
    assert "UNIT_MEASURE" in header and "OBS_QUALIFIER" in header
    cols = [c[4] for c in sdmx.COMPONENTS]
    assert sdmx.read_observations(data) == [{c: r[c] for c in cols} for r in rows]
    assert sdmx.sdmx_csv(rows) == data  # deterministic


def test_data_structure_definition_is_sdmx_ml_with_a_fixed_header():
    xml = sdmx.structure_xml()
    assert xml == sdmx.structure_xml()
    text = xml.decode()
    assert "DataStructure" in text and 'id="DSD_SERIES"' in text
    for dim in ("INDICATOR", "REF_AREA", "TIME_PERIOD", "UNIT_MEASURE", "OBS_QUALIFIER"):
        assert f'id="{dim}"' in text


def test_every_table_and_column_in_duckdb_has_a_comment(tmp_path):
    import duckdb

    from pipeline.dataset.schema import all_schemas, ddl
    from pipeline.dataset.store import comment_schema

    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    from pipeline.dataset.schema import load

    for schema in [*all_schemas(), load("indicators"), load("series"), load("series_revisions")]:
        con.execute(ddl(schema))
    comment_schema(con)
    tables = dict(
        con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal").fetchall()
    )
    columns = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE NOT internal AND table_name IN (SELECT table_name FROM "
        "duckdb_tables())"
    ).fetchall()
    names = {s.name for s in all_schemas()} | {"indicators", "series", "series_revisions"}
    assert set(tables) == names and all(tables.values())
    assert len(columns) == sum(len(load(n).fields) for n in names)
    assert all(comment for _, _, comment in columns)
    assert tables["documents"].startswith("One row per report")


def test_release_plan_is_data_bumped_and_dated(tmp_path):
    from pipeline.dataset import release_date as rel

    planned = rel.plan("1.2.3", "minor", on="2026-05-04", note="UNMIT reports added")
    assert (planned.version, planned.date) == ("1.3.0", "2026-05-04")
    assert rel.bump("1.2.3", "major") == "2.0.0" and rel.bump("1.2.3", "patch") == "1.2.4"
    path = tmp_path / "release.json"
    rel.write(planned, path)
    first = path.read_bytes()
    rel.write(rel.read(path), path)
    assert path.read_bytes() == first and rel.read(path) == planned
    assert rel.heading("1.3.0", planned) == "## 1.3.0 (2026-05-04)"
    assert rel.heading("1.2.3", planned) == "## 1.2.3"
    with pytest.raises(ValueError):
        rel.plan("1.2.3", "minor", on="4 May 2026")

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
        ("S/2007/50",), "2007-02-01", ("2006-08-09", "2007-01-26"), ("UNMIT", "TLS"),
        "Report of the Secretary-General on the United Nations Integrated Mission in "
        "Timor-Leste"),
    "UNMIT_S_2012_765.layout": (  # 'from 7 January through 20 September 2012': year implied
        ("S/2012/765",), "2012-10-15", ("2012-01-07", "2012-09-20"), ("UNMIT", "TLS"),
        "Report of the Secretary-General on the United Nations Integrated Mission in "
        "Timor-Leste"),
    "MINUSTAH_S_2010_200.pdfium": (  # 'since my report of 1 September 2009 (...) until ...'
        ("S/2010/200",), "2010-02-22", ("2009-09-01", "2010-04-15"), ("MINUSTAH", "HTI"),
        "Report of the Secretary-General on the United Nations Stabilization Mission in Haiti"),
    "MINUJUSTH_S_2018_527.pdfium": (  # the mission's name above 'Report of the ...'
        ("S/2018/527",), "2018-06-01", (None, None), ("MINUJUSTH", "HTI"),
        "United Nations Mission for Justice Support in Haiti"),
    "MINUNGUA_A_51_695_S_1996_998.layout": (  # joint symbols on two lines; 3-line title
        ("A/51/695", "S/1996/998"), "1996-11-26", (None, None), ("MINUGUA", "GTM"),
        "United Nations Mission for the Verification of Human Rights and of Compliance with "
        "the Commitments of the Comprehensive Agreement on Human Rights in Guatemala"),
    "UNMIBH_S_1997_224.layout": (  # old layout: 'Distr. GENERAL', symbol, then the date
        ("S/1997/224",), "1997-03-14", (None, None), ("UNMIBH", "BIH"),
        "REPORT OF THE SECRETARY-GENERAL PURSUANT TO SECURITY COUNCIL RESOLUTION 1088 (1996)"),
    "UNMOP_S_1997_1019.pdfium": (  # Prevlaka is no country; the acronym comes in para. 2
        ("S/1997/1019",), "1997-12-30", (None, None), (None, None),
        "REPORT OF THE SECRETARY-GENERAL ON THE UNITED NATIONS MISSION OF OBSERVERS IN "
        "PREVLAKA"),
    "ONUCA_A_44_886_S_21029.pdfium": (  # OCR'd text layer: 's/21029', no title
        ("A/44/806", "S/21029"), "1989-12-21", (None, None), (None, None), None),
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
    header = ("United Nations   S/2031/7\nSecurity Council   Distr.: General\n4 May 2031\n"
              "Original: English\nItem 4 of the provisional agenda\n"
              "Report of the Secretary-General on the United Nations Mission in Ruritania\n"
              "(for the period from 16 September 2030 to 21 March 2031)\n")
    md = parse_metadata(header)
    assert md.title == "Report of the Secretary-General on the United Nations Mission in Ruritania"
    assert (md.period_start, md.period_end) == ("2030-09-16", "2031-03-21")
    assert md.symbols == ("S/2031/7",)
    assert md.agenda_items == ("4",)


def test_missing_fields_are_warned_about():
    md = parse_metadata("Some notes without a masthead\n")
    assert md.title is None and md.symbols == () and md.date_issued is None
    assert set(md.warnings) == {
        "no title found in the front matter", "no document symbol found in the front matter",
        "no date of issue found in the front matter",
        "no reporting period found in the front matter",
        "no subject (mission or organisation) found in the front matter"}


def test_joint_symbols_on_one_line_and_a_period_across_years():
    header = ("A/47/1012-S/26416\n12 March 1993\nReport of the Secretary-General\n"
              "for the period from 16 September 2002 to 21 March 2003\n")
    md = parse_metadata(header)
    assert md.symbols == ("A/47/1012", "S/26416")
    assert (md.period_start, md.period_end) == ("2002-09-16", "2003-03-21")

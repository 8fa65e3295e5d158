"""Report families as folders: each family's patterns match their examples, each family claims
its real reports, and a family added as a folder reads its reports with its own furniture,
labels and front matter (while a report no family claims is read by the generic rules)."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from pipeline.extract.metrics import extract
from pipeline.extract.structure import is_furniture, parse
from pipeline.read import families
from pipeline.read.ingest import ReportError, ingest, list_reports
from pipeline.read.options import ReadOptions
from pipeline.rows import to_rows
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
OPTIONS = ReadOptions(ocr_cache=ROOT / "ocr")  # scans from the committed OCR snapshots


def _rule_cases(family: families.Family) -> list[tuple[str, str, str, bool]]:
    """(slot, rule, line, should match) for every example and counterexample of a family."""
    return [
        (slot, rule.name, line, wanted)
        for slot, rule in family.rules()
        for wanted, lines in ((True, rule.examples), (False, rule.counterexamples))
        for line in lines
    ]


def _match(family: families.Family, slot: str, rule: str, line: str) -> bool:
    """Whether the rule named `rule` in `slot` matches the line (one rule by that name)."""
    (found,) = [r for s, r in family.rules() if s == slot and r.name == rule]
    return bool(found.pattern.search(line))


CASES = [
    (name, *case) for name, fam in sorted(families.load().items()) for case in _rule_cases(fam)
]


@pytest.mark.parametrize(("family", "slot", "rule", "line", "wanted"), CASES)
def test_every_pattern_of_every_family_matches_its_examples(family, slot, rule, line, wanted):
    assert _match(families.get(family), slot, rule, line) is wanted


def test_every_pattern_has_an_example_and_every_family_says_what_it_reads():
    for name, family in families.load().items():
        assert family.description, name
        for slot, rule in family.rules():
            if rule.pattern.pattern != "(?!)":  # the generic family's 'never' slots
                assert rule.examples, f"{name}: {slot} {rule.name} has no example"
    # Every family fills every slot its parent (in the end: generic) has.
    generic = families.get(families.GENERIC)
    for family in families.load().values():
        assert set(family.patterns) == set(generic.patterns)


def _expected_family(path: Path) -> str:
    return "unodc_annual_report" if path.name.startswith("unodc") else "un_sg_report"


@pytest.mark.parametrize("path", list_reports(RAW, (RAW / "manifest.csv",)), ids=lambda p: p.name)
def test_each_family_claims_its_real_reports(path):
    """The Secretary-General's reports of the 1990s (typewritten, often scanned) and of the
    2000s are claimed by un_sg_report; the UNODC annual report by its own family."""
    doc = ingest(path, OPTIONS)
    assert doc.family is not None and doc.family.name == _expected_family(path)
    assert parse(doc).family == doc.family.name
    assert "no report family claims it" not in " ".join(doc.metadata.warnings)


def test_the_un_family_takes_running_heads_the_generic_rules_keep():
    un, generic = families.get("un_sg_report"), families.get(families.GENERIC)
    for line in ("S/25719 English Page 4", "E/CN.7/2022/2", "V.22-00123 (E)", "*2200123*"):
        assert is_furniture(line, un) and not is_furniture(line, generic), line
    for line in ("3/17", "Page 12", "14"):
        assert is_furniture(line, un) and is_furniture(line, generic), line


# --- a family added as a folder ------------------------------------------------------------

# A made-up institution's report format: its own masthead ('Ref.', 'Issued:'), paragraph labels
# ('§12'), chapter headings, and a running head and foot on every page.
FAMILY_YAML = r"""
name: ruritanian_audit_report
description: Audit reports of the Ruritanian Audit Office, paragraphs labelled '§1'.
detect:
  min_score: 2
  rules:
    - name: audit_office
      pattern: '^RURITANIAN AUDIT OFFICE$'
      flags: m
      score: 2
      examples: ["RURITANIAN AUDIT OFFICE"]
patterns:
  front_matter_end:
    pattern: '^(?:§1\s|Chapter 1\b)'
    flags: m
    examples: ["Chapter 1 – Scope", "§1 The audit"]
  symbol_line:
    pattern: '^Ref\. (RAO/\d{4}/\d+)$'
    examples: ["Ref. RAO/2031/17"]
  symbol_token:
    pattern: '(RAO/\d{4}/\d+)'
    examples: ["RAO/2031/17"]
  issue_start:
    pattern: '^Issued:'
    examples: ["Issued: 4 May 2031"]
  paragraph:
    pattern: '§(\d{1,5})[ \t]+(?=\S)'
    examples: ["§12 The auditors"]
    not: ["12. The auditors"]
  label_only:
    pattern: '§(\d{1,5})[ \t]*$'
    examples: ["§7"]
  heading_1:
    pattern: 'Chapter (\d{1,2}) – (\S.{0,200})$'
    examples: ["Chapter 2 – Findings"]
lists:
  masthead:
    - {name: office, pattern: 'RURITANIAN AUDIT OFFICE$', examples: ["RURITANIAN AUDIT OFFICE"]}
    - {name: issued, pattern: 'Issued:', examples: ["Issued: 4 May 2031"]}
  running_lines:
    - name: running_head
      pattern: 'RAO/\d{4}/\d+ · .+ · page \d+$'
      examples: ["RAO/2031/17 · Annual audit · page 2"]
    - name: running_foot
      pattern: 'Ruritanian Audit Office — for official use$'
      examples: ["Ruritanian Audit Office — for official use"]
"""

REPORT = """\
RURITANIAN AUDIT OFFICE
Ref. RAO/2031/17
Issued: 4 May 2031

Annual audit of the Ruritanian Rail Company

Report of the Auditor-General

Chapter 1 – Scope

§1 The audit covered the financial year 2030 of the company, which ran 412 trains a day
on 1,200 kilometres of line.
§2 The auditors visited 37 stations and
Ruritanian Audit Office — for official use

RAO/2031/17 · Annual audit · page 2
interviewed 85 staff.

Chapter 2 – Findings

§3 Ticket revenue rose by 12 per cent to 48 million crowns.
§4 The company employed 9,400 people at the end of the year.
Ruritanian Audit Office — for official use
"""


@pytest.fixture
def audit_report(tmp_path: Path) -> tuple[Path, Path]:
    """A folder of families holding the made-up family, and a report in its format."""
    folder = tmp_path / "families" / "ruritanian_audit_report"
    folder.mkdir(parents=True)
    (folder / "family.yaml").write_text(textwrap.dedent(FAMILY_YAML), encoding="utf-8")
    report = tmp_path / "raw" / "rao-2031-17.txt"
    report.parent.mkdir()
    report.write_text(REPORT, encoding="utf-8")
    return tmp_path / "families", report


def test_a_family_added_as_a_folder_reads_its_reports(audit_report):
    folder, report = audit_report
    options = Settings.from_env({"INDICATORS_FAMILIES": str(folder)}).read_options()
    family = families.get("ruritanian_audit_report", options.families)
    for slot, rule, line, wanted in _rule_cases(family):  # its examples are tests too
        assert _match(family, slot, rule, line) is wanted, (slot, rule, line)

    doc = ingest(report, options)
    assert doc.family.name == "ruritanian_audit_report"
    md = doc.metadata
    assert md.symbols == ("RAO/2031/17",)
    assert md.date_issued == "2031-05-04"
    assert md.title == "Annual audit of the Ruritanian Rail Company"
    structure = parse(doc)
    assert [p.number for p in structure.paragraphs] == [1, 2, 3, 4]
    assert structure.paragraphs[1].text == (
        "The auditors visited 37 stations and interviewed 85 staff."
    )
    texts = " ".join(p.text for p in structure.paragraphs)
    assert "official use" not in texts and "page 2" not in texts  # running head and foot out
    assert [(s.number, s.title) for s in structure.sections] == [
        ("1", "Scope"),
        ("2", "Findings"),
    ]
    assert structure.warnings == []
    metrics = extract(structure)
    assert {m.value for m in metrics} >= {412, 37, 85, 12, 48_000_000, 9400}
    assert to_rows(doc, structure, metrics)["documents"][0]["family"] == "ruritanian_audit_report"


def test_a_report_no_family_claims_is_read_by_the_generic_rules_with_a_warning(
    audit_report, caplog
):
    _, report = audit_report
    with caplog.at_level(logging.WARNING, logger="pipeline.read.families"):
        doc = ingest(report, OPTIONS)
    assert doc.family.name == families.GENERIC
    assert "rao-2031-17.txt: no report family claims it" in caplog.text
    assert families.UNCLAIMED in doc.metadata.warnings
    assert doc.metadata.symbols == () and doc.metadata.date_issued == "2031-05-04"
    with pytest.raises(ReportError, match="no numbered paragraphs"):
        parse(doc)  # '§1' is no label of the generic rules


def test_a_family_folder_that_is_not_there_is_named(tmp_path):
    with pytest.raises(ValueError, match="INDICATORS_FAMILIES names .*nowhere, which is not"):
        families.load((str(tmp_path / "nowhere"),))


def test_a_family_extending_a_missing_one_is_named(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "family.yaml").write_text("name: broken\nextends: nowhere\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no report family 'nowhere'"):
        families.load((str(folder),))

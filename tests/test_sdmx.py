"""SDMX and the package's description: the structure message, its codelists, the SDMX-CSV
file's Table Schema, and sources that resolve outside the repository."""

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from pipeline.dataset import sdmx
from pipeline.dataset.package import sdmx_resources

ROOT = Path(__file__).resolve().parent.parent
NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
}


def _row(indicator: str, area: str, issued: str, **extra) -> dict:
    """A series row as the series table holds it."""
    row = {
        "indicator": indicator,
        "subject": "UNMIT",
        "ref_area": area,
        "period": "2007-01-01",
        "value": 117.0,
        "unit": "count",
        "qualifier": None,
        "value_max": None,
        "document_id": "UNMIT_S_2007_50",
        "metric_id": "m1",
        "rule": "r",
        "date_issued": issued,
    }
    return dict(row, **extra)


ROWS = [
    _row("MILITARY_STRENGTH", "TLS", "2007-02-01"),
    _row("BUDGET", "_Z", "2008-06-30", unit="USD", value=9.5e6, period="2007-07-01/2008-06-30"),
    _row("MILITARY_STRENGTH", "HTI", "2006-01-01", qualifier="about"),
]
INDICATORS = [
    {"indicator": "MILITARY_STRENGTH", "name": "Military strength"},
    {"indicator": "BUDGET", "name": "Approved budget"},
    {"indicator": "UNUSED", "name": "An indicator with no values yet"},
]


def _codelists(xml: bytes) -> dict[str, dict[str, str]]:
    """Codelist id -> {code: name} of a structure message."""
    root = ET.fromstring(xml)
    return {
        cl.get("id"): {c.get("id"): c.find("com:Name", NS).text for c in cl.findall("str:Code", NS)}
        for cl in root.iterfind(".//str:Codelists/str:Codelist", NS)
    }


def test_structure_message_has_a_header_from_the_data():
    xml = sdmx.structure_xml(ROWS, INDICATORS)
    assert xml == sdmx.structure_xml(list(reversed(ROWS)), INDICATORS)  # same bytes
    header = ET.fromstring(xml).find("mes:Header", NS)
    assert header.find("mes:ID", NS).text == "DSD_SERIES_20080630"
    assert header.find("mes:Test", NS).text == "false"
    assert header.find("mes:Prepared", NS).text == "2008-06-30T00:00:00Z"  # newest report
    assert header.find("mes:Sender", NS).get("id") == sdmx.SENDER
    empty = ET.fromstring(sdmx.structure_xml([], INDICATORS)).find("mes:Header", NS)
    assert empty.find("mes:Prepared", NS).text == "2000-01-01T00:00:00Z"  # never the clock


def test_codelists_hold_every_code_the_sdmx_csv_uses():
    xml = sdmx.structure_xml(ROWS, INDICATORS)
    lists = _codelists(xml)
    assert lists["CL_INDICATOR"]["MILITARY_STRENGTH"] == "Military strength"
    assert "UNUSED" in lists["CL_INDICATOR"]  # the whole codelist, not only the codes used
    assert lists["CL_AREA"] == {"HTI": "Haiti", "TLS": "Timor-Leste", "_Z": "Not applicable"}
    assert lists["CL_UNIT"]["USD"] == "US Dollar"
    rows = list(csv.DictReader(io.StringIO(sdmx.sdmx_csv(ROWS).decode())))
    for column, codelist in (("INDICATOR", "CL_INDICATOR"), ("REF_AREA", "CL_AREA")):
        assert {r[column] for r in rows} <= set(lists[codelist])
    # The dimensions refer to their codelists.
    root = ET.fromstring(xml)
    for dim, codelist in (("INDICATOR", "CL_INDICATOR"), ("REF_AREA", "CL_AREA")):
        ref = root.find(f".//str:Dimension[@id='{dim}']//str:Enumeration/Ref", NS)
        assert (ref.get("id"), ref.get("agencyID")) == (codelist, sdmx.AGENCY)


def test_sdmx_csv_follows_its_table_schema(tmp_path):
    from frictionless import Package

    data = sdmx.sdmx_csv(ROWS)
    dsd = sdmx.structure_xml(ROWS, INDICATORS)
    (tmp_path / "series.sdmx.csv").write_bytes(data)
    (tmp_path / "series.dsd.xml").write_bytes(dsd)
    resources = sdmx_resources("series.sdmx.csv", data, "series.dsd.xml", dsd)
    schema = resources[0]["schema"]
    header = data.decode().splitlines()[0].split(",")
    assert header == [f["name"] for f in schema["fields"]]
    assert header[:3] == ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
    report = Package({"resources": resources}, basepath=str(tmp_path)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # A row that breaks the schema is caught: the check can fail.
    (tmp_path / "series.sdmx.csv").write_bytes(data.replace(b",117.0,", b",many,", 1))
    bad = dict(resources[0], hash=None, bytes=None)
    bad = {k: v for k, v in bad.items() if v is not None}
    assert not Package({"resources": [bad]}, basepath=str(tmp_path)).validate().valid


def _documents_db(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A database whose documents table holds (document_id, title, source_file, symbols)."""
    from pipeline.dataset.store import ensure_schema

    con = duckdb.connect()
    ensure_schema(con)
    for did, title, src, symbols in rows:
        con.execute(
            "INSERT INTO documents (document_id, title, symbols, source_file, format, family, "
            "sha256, size_bytes, paragraphs, footnotes, metrics, extractor_version) "
            "VALUES (?, ?, ?, ?, 'pdf', 'generic', ?, 1, 0, 0, 0, 'x')",
            [did, title, symbols, src, "a" * 64],
        )
    return con


def test_sources_name_the_official_url_of_each_report(tmp_path):
    from pipeline.release import sources

    manifest = tmp_path / "manifest.csv"
    lines = (ROOT / "raw" / "manifest.csv").read_text(encoding="utf-8").splitlines()
    manifest.write_text(
        "\n".join([lines[0], *(x for x in lines if x.startswith(("ONUCA_A_44", "unodc-")))]) + "\n",
        encoding="utf-8",
    )
    con = _documents_db(
        [
            ("ONUCA_A_44_886_S_21029", "Joint", "ONUCA_A_44_886_S_21029.pdf", None),
            ("UNMIT_S_2010_85", "Not listed", "UNMIT_S_2010_85.pdf", ["S/2010/85"]),
            ("unodc-activities-report-2021", None, "unodc-activities-report-2021.txt", None),
        ]
    )
    got = {s["x-file"]: s for s in sources(con, manifest)}
    joint = got["raw/ONUCA_A_44_886_S_21029.pdf"]
    assert joint["path"] == "https://documents.un.org/api/symbol/access?s=A/44/886&l=en&t=pdf"
    assert joint["version"] == "sha256:" + "a" * 64 and joint["title"].startswith("Joint")
    # Not in the manifest: the URL is built from the printed symbol.
    assert got["raw/UNMIT_S_2010_85.pdf"]["path"].startswith("https://documents.un.org/")
    # No symbol and no URL in the manifest: no path that would not resolve.
    assert "path" not in got["raw/unodc-activities-report-2021.txt"]


@pytest.mark.slow
def test_a_release_describes_its_sdmx_sources_and_lists(tmp_path, workspace, instance):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.dataset.checks import frictionless_errors
    from pipeline.orchestrate import run_in_process
    from pipeline.settings import Settings

    raw = workspace / "raw"
    name = "UNMOP_S_1996_180.pdf"
    shutil.copy(ROOT / "raw" / name, raw / name)
    lines = (ROOT / "raw" / "manifest.csv").read_text(encoding="utf-8").splitlines()
    (raw / "manifest.csv").write_text(
        "\n".join([lines[0], *(x for x in lines if x.startswith((name, "unodc-")))]) + "\n",
        encoding="utf-8",
    )
    summary = run_in_process(Settings.from_env(), instance=instance)
    assert summary.success, summary.errors
    published = workspace / "published"
    package = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    by_file = {s["x-file"]: s for s in package["sources"]}
    assert by_file[f"raw/{name}"]["path"].startswith("https://documents.un.org/")
    assert all(s.get("path", "https://").startswith("https://") for s in package["sources"])

    resources = {r["name"]: r for r in package["resources"]}
    docs = resources["documents-parquet"]
    table = pa.concat_tables([pq.read_table(published / p) for p in docs["path"]])
    assert table.schema.field("symbols").type == pa.list_(pa.string())
    assert table.schema.field("symbols").metadata[b"description"]
    assert ["S/1996/180"] in table.column("symbols").to_pylist()

    dsd = (published / resources["series-dsd"]["path"]).read_bytes()
    lists = _codelists(dsd)
    sdmx_path = published / resources["series-sdmx"]["path"]
    rows = list(csv.DictReader(io.StringIO(sdmx_path.read_text(encoding="utf-8"))))
    assert {r["INDICATOR"] for r in rows} <= set(lists["CL_INDICATOR"])
    assert {r["REF_AREA"] for r in rows} <= set(lists["CL_AREA"])
    header = sdmx_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [f["name"] for f in resources["series-sdmx"]["schema"]["fields"]]
    assert frictionless_errors(published) == []

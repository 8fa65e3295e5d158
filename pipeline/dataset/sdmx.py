"""SDMX: the series as SDMX-CSV 2.0 with its data structure definition (SDMX-ML 2.1), via pysdmx.

Dimensions INDICATOR, SUBJECT, REF_AREA and TIME_PERIOD; measure OBS_VALUE; attributes
UNIT_MEASURE, OBS_QUALIFIER, OBS_VALUE_MAX, SOURCE_DOCUMENT, SOURCE_METRIC and MAPPING_RULE.
INDICATOR, REF_AREA and UNIT_MEASURE take their codes from codelists in the structure
message (CL_INDICATOR, CL_AREA, CL_UNIT). The message's header is taken from the data (its
date is the newest report's), so the same series give the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

AGENCY = "UNREPORTS"
DSD_ID = "DSD_SERIES"
DSD_VERSION = "1.0"
STRUCTURE = f"datastructure={AGENCY}:{DSD_ID}({DSD_VERSION})"
CONCEPT_URN = f"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:CS_SERIES({DSD_VERSION})"
SENDER = "UNREPORTS"  # the sender of the structure message: this pipeline, as the agency
# A fixed date for a message made from no report (an empty release): never the clock.
NO_DATE = date(2000, 1, 1)
NOT_APPLICABLE = "_Z"  # SDMX's code for "not applicable" (REF_AREA of a figure of no country)
# Each coded component and its codelist: (component id, codelist id, codelist name).
CODELISTS = [
    ("INDICATOR", "CL_INDICATOR", "Indicators (schemas/indicators.yaml)"),
    ("REF_AREA", "CL_AREA", "Reference areas (ISO 3166-1 alpha-3)"),
    ("UNIT_MEASURE", "CL_UNIT", "Units of measure"),
]
# (id, role, required, dtype name, series column, name)
COMPONENTS = [
    ("INDICATOR", "D", True, "STRING", "indicator", "Indicator (codelist: indicators table)"),
    ("SUBJECT", "D", True, "STRING", "subject", "Mission or organisation reported on"),
    ("REF_AREA", "D", True, "STRING", "ref_area", "Reference area (ISO 3166-1 alpha-3; _Z none)"),
    ("TIME_PERIOD", "D", True, "PERIOD", "period", "Reference date or year"),
    ("OBS_VALUE", "M", True, "DOUBLE", "value", "Observation value"),
    ("UNIT_MEASURE", "A", True, "STRING", "unit", "Unit of measure"),
    ("OBS_QUALIFIER", "A", False, "STRING", "qualifier", "Qualifier printed with the figure"),
    ("OBS_VALUE_MAX", "A", False, "DOUBLE", "value_max", "Upper bound of a range"),
    ("SOURCE_DOCUMENT", "A", True, "STRING", "document_id", "Report the value is taken from"),
    ("SOURCE_METRIC", "A", True, "STRING", "metric_id", "Metric the value is taken from"),
    ("MAPPING_RULE", "A", True, "STRING", "rule", "Codelist rule that mapped the metric"),
]


def schema(codelists: dict | None = None):
    """The data structure definition of the series, as a pysdmx Schema; codelists: the
    Codelist of each coded component (by component id), for the structure message."""
    from pysdmx.model import Component, Components, Concept, DataType, Role, Schema

    codelists = codelists or {}
    comps = [
        Component(
            id=cid,
            required=req,
            role=Role(role),
            concept=Concept(
                id=cid, name=name, dtype=getattr(DataType, dtype), urn=f"{CONCEPT_URN}.{cid}"
            ),
            name=name,
            attachment_level="O" if role == "A" else None,
            local_codes=codelists.get(cid),
        )
        for cid, role, req, dtype, _, name in COMPONENTS
    ]
    return Schema(
        context="datastructure",
        agency=AGENCY,
        id=DSD_ID,
        version=DSD_VERSION,
        components=Components(comps),
    )


def dsd(codelists: dict | None = None):
    """The data structure definition as a maintainable artefact (for the SDMX-ML message)."""
    from pysdmx.model import DataStructureDefinition

    s = schema(codelists)
    return DataStructureDefinition(
        id=DSD_ID,
        agency=AGENCY,
        version=DSD_VERSION,
        components=s.components,
        name="Indicator series read from United Nations reports",
        description="One observation per indicator, subject, reference area and date.",
    )


def area_name(code: str) -> str:
    """A reference area's English name (ISO 3166-1 via pycountry); the code when unknown."""
    import pycountry

    if code == NOT_APPLICABLE:
        return "Not applicable"
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def unit_name(code: str) -> str:
    """A unit's name: an ISO 4217 currency's (pycountry), else the unit code itself."""
    import pycountry

    currency = pycountry.currencies.get(alpha_3=code) if len(code) == 3 else None
    return currency.name if currency else code


def codes(series: list[dict], indicators: list[dict]) -> dict[str, dict[str, str]]:
    """The codes (id -> name) of each codelist: every indicator of the codelist (and any the
    series use beyond it), and the areas and units the series use."""
    named = {r["indicator"]: r.get("name") or r["indicator"] for r in indicators}
    used = {r["indicator"]: r["indicator"] for r in series}
    areas = {r.get("ref_area") or NOT_APPLICABLE for r in series}
    units = {r["unit"] for r in series if r.get("unit")}
    return {
        "CL_INDICATOR": used | named,
        "CL_AREA": {a: area_name(a) for a in areas},
        "CL_UNIT": {u: unit_name(u) for u in units},
    }


def codelists(series: list[dict], indicators: list[dict]) -> dict:
    """The pysdmx Codelist of each coded component, codes in id order (stable bytes)."""
    from pysdmx.model import Code, Codelist

    found = codes(series, indicators)
    return {
        cid: Codelist(
            id=cl_id,
            agency=AGENCY,
            version=DSD_VERSION,
            name=name,
            items=[Code(id=k, name=v) for k, v in sorted(found[cl_id].items())],
        )
        for cid, cl_id, name in CODELISTS
    }


def prepared(series: list[dict]) -> datetime:
    """The message's date: the newest report's date of issue in the series (not the clock)."""
    dates = [str(r["date_issued"])[:10] for r in series if r.get("date_issued")]
    day = date.fromisoformat(max(dates)) if dates else NO_DATE
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# SDMX-CSV 2.0's leading columns: what the rows are described by, and what to do with them
# (I: information, as a dissemination file's rows are; A, R, D, M for a data exchange).
LEADING_FIELDS = [
    {
        "name": "STRUCTURE",
        "type": "string",
        "description": "The kind of structure the rows follow (a data structure definition).",
        "constraints": {"required": True, "enum": ["datastructure"]},
    },
    {
        "name": "STRUCTURE_ID",
        "type": "string",
        "description": "The data structure definition (agency:id(version)), in the series-dsd "
        "resource.",
        "constraints": {"required": True, "enum": [f"{AGENCY}:{DSD_ID}({DSD_VERSION})"]},
    },
    {
        "name": "ACTION",
        "type": "string",
        "description": "What a receiver does with the row; I: information only.",
        "constraints": {"required": True, "enum": ["I", "A", "R", "D", "M"]},
    },
]


def table_schema() -> dict:
    """The Table Schema of the SDMX-CSV file: the leading columns, then each component of the
    structure in order (coded ones name their codelist in the description)."""
    coded = {cid: cl_id for cid, cl_id, _ in CODELISTS}
    fields = [dict(f) for f in LEADING_FIELDS]
    for cid, role, req, dtype, col, name in COMPONENTS:
        kind = {"D": "dimension", "M": "measure", "A": "attribute"}[role]
        where = f"; codes in {coded[cid]}" if cid in coded else ""
        field = {
            "name": cid,
            "type": "number" if dtype == "DOUBLE" else "string",
            "description": f"{name} ({kind}; series.{col}{where}).",
        }
        if req:
            field["constraints"] = {"required": True}
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def _frame(rows: list[dict]) -> pd.DataFrame:
    """The series rows as SDMX columns, in the order of the structure."""
    data = {cid: [r.get(col) for r in rows] for cid, _, _, _, col, _ in COMPONENTS}
    frame = pd.DataFrame(data, columns=[c[0] for c in COMPONENTS])
    for cid, _, _, dtype, _, _ in COMPONENTS:
        if dtype == "DOUBLE":
            frame[cid] = frame[cid].astype("float64")
    return frame


def sdmx_csv(rows: list[dict]) -> bytes:
    """The series as SDMX-CSV 2.0 (UTF-8, '\\n' line ends)."""
    from pysdmx.io.csv.sdmx20.writer import write
    from pysdmx.io.pd import PandasDataset

    dataset = PandasDataset(structure=schema(), data=_frame(rows))
    text = write([dataset])
    return text.replace("\r\n", "\n").encode("utf-8")


def structure_xml(series: list[dict] | None = None, indicators: list[dict] | None = None) -> bytes:
    """The structure message (SDMX-ML 2.1): the concepts, the codelists of the indicators,
    areas and units, and the data structure definition referencing them; its header's id and
    date are the newest report's, so the same series give the same bytes."""
    from pysdmx.io.xml.sdmx21.writer.structure import write
    from pysdmx.model import ConceptScheme, Organisation
    from pysdmx.model.message import Header

    series, indicators = series or [], indicators or []
    when = prepared(series)
    header = Header(
        id=f"{DSD_ID}_{when:%Y%m%d}",
        test=False,
        prepared=when,
        sender=Organisation(id=SENDER, name="Report indicators pipeline"),
    )
    coded = codelists(series, indicators)
    concepts = ConceptScheme(
        id="CS_SERIES",
        agency=AGENCY,
        version=DSD_VERSION,
        name="Concepts of the indicator series",
        items=[c.concept for c in schema().components],
    )
    return write([concepts, *coded.values(), dsd(coded)], header=header).encode("utf-8")


def read_observations(data: bytes) -> list[dict]:
    """Observations read back from SDMX-CSV 2.0, keyed by the series' column names."""
    from pysdmx.io.csv.sdmx20.reader import read

    (dataset,) = read(data.decode("utf-8"))
    frame = dataset.data
    out = []
    for rec in frame.to_dict("records"):
        row = {}
        for cid, _, _, dtype, col, _ in COMPONENTS:
            value = rec.get(cid)
            if value in ("", "NaN", None) or (isinstance(value, float) and value != value):
                row[col] = None
            elif dtype == "DOUBLE":
                row[col] = float(value)
            else:
                row[col] = str(value)
        out.append(row)
    return out

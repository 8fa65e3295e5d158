"""SDMX: the series as SDMX-CSV 2.0 with its data structure definition (SDMX-ML 2.1), via pysdmx.

Dimensions INDICATOR, SUBJECT, REF_AREA and TIME_PERIOD; measure OBS_VALUE; attributes
UNIT_MEASURE, OBS_QUALIFIER, OBS_VALUE_MAX, SOURCE_DOCUMENT, SOURCE_METRIC and MAPPING_RULE.
The header of the structure message is fixed (id and date), so the same series give the
same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

AGENCY = "UNREPORTS"
DSD_ID = "DSD_SERIES"
DSD_VERSION = "1.0"
STRUCTURE = f"datastructure={AGENCY}:{DSD_ID}({DSD_VERSION})"
CONCEPT_URN = f"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:CS_SERIES({DSD_VERSION})"
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


def schema():
    """The data structure definition of the series, as a pysdmx Schema."""
    from pysdmx.model import Component, Components, Concept, DataType, Role, Schema

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


def dsd():
    """The data structure definition as a maintainable artefact (for the SDMX-ML message)."""
    from pysdmx.model import DataStructureDefinition

    s = schema()
    return DataStructureDefinition(
        id=DSD_ID,
        agency=AGENCY,
        version=DSD_VERSION,
        components=s.components,
        name="Indicator series read from United Nations reports",
        description="One observation per indicator, subject, reference area and date.",
    )


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


def structure_xml() -> bytes:
    """The data structure definition as an SDMX-ML 2.1 structure message, with a fixed header."""
    from pysdmx.io.xml.sdmx21.writer.structure import write
    from pysdmx.model import ConceptScheme
    from pysdmx.model.message import Header

    header = Header(id="DSD_SERIES", prepared=datetime(2000, 1, 1, tzinfo=UTC))
    concepts = ConceptScheme(
        id="CS_SERIES",
        agency=AGENCY,
        version=DSD_VERSION,
        name="Concepts of the indicator series",
        items=[c.concept for c in schema().components],
    )
    return write([concepts, dsd()], header=header).encode("utf-8")


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

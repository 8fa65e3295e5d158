"""The schema facts the extractor owns: unit and qualifier enums, the year range.

They are generated from the rule files into schemas/fields.json (the shared field definitions
every table schema merges), so the schema and the extractor cannot disagree; a contract test
checks it. Regenerate with ``python -m pipeline.extract.contract --write``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline.extract.rules import load, qualifier_names, year_range
from pipeline.extract.units import unit_codes

FIELDS_JSON = Path(__file__).resolve().parents[2] / "schemas" / "fields.json"  # in a checkout


def constraints() -> dict[str, dict]:
    """Field name -> the constraints the rule files decide."""
    low, high = year_range()
    facts = load("facts")
    return {
        "unit": {"enum": unit_codes()},
        "qualifier": {"enum": qualifier_names()},
        "year": {"minimum": low, "maximum": high},
        "counted": {"enum": [r["name"] for r in facts["counted"]]},
        "status": {"enum": list(dict.fromkeys(r["status"] for r in facts["status"]))},
        "holder": {
            "enum": [
                "subject",
                "unknown",
                "other_mission",
                *(b["name"] for b in facts["holders"]["other_bodies"]),
            ]
        },
    }


def write(path: Path = FIELDS_JSON) -> bool:
    """Write the generated constraints into fields.json; True if it changed."""
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    for name, generated in constraints().items():
        doc["fields"][name].setdefault("constraints", {}).update(generated)
    new = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    if "--write" in sys.argv:
        print("schemas/fields.json", "updated" if write() else "unchanged")
    else:
        print(json.dumps(constraints(), indent=2))

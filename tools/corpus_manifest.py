"""Write the collection's manifest (raw/manifest.csv): the 183 corpus reports and the UNODC report.

    INDICATORS_OCR_CACHE=ocr/ python tools/corpus_manifest.py [--corpus ../shared/corpus]

Symbols and missions come from the corpus's file names (as its MANIFEST.csv reads them), dates
from each report's front matter as the pipeline reads it (never by OCR: a scan without an OCR
snapshot keeps the year of its symbol, marked), sizes and sha256 from the files themselves.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from dataclasses import replace
from pathlib import Path

from pipeline.manifest import (
    entry_for,
    mission_from_name,
    needs_ocr,
    read_reports,
    symbols_from_name,
    write_manifest,
)
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
UNODC = "unodc-activities-report-2021.txt"
UNODC_NOTE = (
    "no document symbol is printed in this text conversion, and the text names no URL of the "
    "report on unodc.org: url left empty"
)


def corpus_entries(corpus: Path, settings: Settings) -> list:
    """One entry per report of the corpus's MANIFEST.csv."""
    rows = list(csv.DictReader(open(corpus / "MANIFEST.csv", encoding="utf-8")))
    paths = [corpus / r["file"] for r in rows]
    readings = read_reports(paths, settings)
    out = []
    for row, path in zip(rows, paths, strict=True):
        symbols = symbols_from_name(path.name)
        notes = []
        if "/".join(symbols) != row["symbol_from_file_name"]:
            notes.append(f"the file name reads {row['symbol_from_file_name']}")
        reading = readings[path]
        entry = entry_for(
            path,
            symbols,
            reading,
            hashlib.sha256(path.read_bytes()).hexdigest(),
            mission=mission_from_name(path.name) or row["mission"],
            mission_name=row["mission_name"],
            notes=tuple(notes),
        )
        if needs_ocr(reading):  # unread: some pages (all, for a scan) need OCR
            entry = replace(entry, text_layer="partly" if row["text_layer"] == "yes" else "no")
        out.append(entry)
    return out


def unodc_entry(raw: Path, settings: Settings):
    """The UNODC annual report 2021 (a text file: no symbol printed, no URL named)."""
    path = raw / UNODC
    reading = read_reports([path], settings)[path]
    return entry_for(
        path,
        (),
        reading,
        hashlib.sha256(path.read_bytes()).hexdigest(),
        mission="UNODC",
        mission_name="United Nations Office on Drugs and Crime",
        notes=(UNODC_NOTE,),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    settings = Settings.from_env()
    entries = corpus_entries(args.corpus, settings) + [unodc_entry(settings.raw_dir, settings)]
    write_manifest(settings.manifest, entries)
    dated = sum(e.date_source == "front matter" for e in entries)
    years = sum(e.date_source == "symbol year" for e in entries)
    print(
        f"{settings.manifest}: {len(entries)} reports, {dated} dated from their front matter, "
        f"{years} by their symbol's year, {len(entries) - dated - years} without a date"
    )


if __name__ == "__main__":
    main()

"""What a release costs at two collection sizes: full run, no-op, one changed, one added and
one removed report; peak memory of the whole process tree; bytes written into published/.

Usage (from the project root)::

    nice -n 10 .venv/bin/python benchmarks/releases.py --reports 1000 10000

The collection: the reports of raw/ read once through the pipeline's own reader into text
(Document.text, page furniture already out), then N `.txt` files cycling through those texts,
each with a distinct last line ("Copy k.") so that every file has distinct bytes and is read
as a report of its own: the runs really see N distinct raw files, read in milliseconds each
instead of a PDF's seconds (--chars cuts each text shorter still). Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from runs import timed_run  # noqa: E402


def texts(raw: Path, chars: int | None = None) -> list[tuple[str, str]]:
    """(stem, text) of every report in raw/ that reads, read once; with chars, each cut at
    the first paragraph break after that many characters (cheaper to extract)."""
    from pipeline.read.ingest import ingest
    from pipeline.settings import Settings

    options = Settings.from_env().read_options()  # scans from the repository's OCR snapshots

    out = []
    for path in sorted(raw.iterdir()):
        if path.suffix.lower() not in (".pdf", ".txt", ".md") or path.name == "manifest.csv":
            continue
        try:
            text = ingest(path, options).text
            cut = text.find("\n\n", chars) if chars else -1
            out.append((path.stem, text[:cut] if cut > 0 else text))
        except Exception as err:  # noqa: BLE001 - a report that does not read is left out
            print(f"  left out {path.name}: {err}")
    return out


def make_collection(sources: list[tuple[str, str]], n: int, raw: Path) -> list[Path]:
    """n text files cycling through the sources, each with its own last line."""
    raw.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(n):
        stem, text = sources[k % len(sources)]
        path = raw / f"r{k:05d}-{stem}.txt"
        path.write_text(f"{text}\n\nCopy {k}.\n", encoding="utf-8")
        out.append(path)
    return out


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under folder: (inode, mtime in ns, size)."""
    out = {}
    for path in folder.rglob("*"):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(folder))] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


def written(before: dict, after: dict) -> tuple[int, int, int, int]:
    """(files new or rewritten, their bytes, the database's share of them, files kept as
    they were: same inode and mtime)."""
    new = {p: v for p, v in after.items() if before.get(p, (None, None))[:2] != v[:2]}
    db = sum(v[2] for p, v in new.items() if p.startswith("indicators.duckdb"))
    kept = sum(1 for p, v in after.items() if p in before and before[p][:2] == v[:2])
    return len(new), sum(v[2] for v in new.values()), db, kept


def step(work: Path, label: str, change) -> None:
    """Apply a change to raw/, run, print time, memory and what was written."""
    before = snapshot(work / "published")
    change()
    seconds, peak, out = timed_run(work, "--workers", "2")
    files, size, db, kept = written(before, snapshot(work / "published"))
    summary = next((ln.strip() for ln in out.splitlines() if ln.startswith("reports:")), "?")
    print(
        f"  {label:<20} {seconds:7.1f} s  peak {peak / 2**20:6,.0f} MiB  "
        f"wrote {files} files, {size / 1e6:8.2f} MB ({db / 1e6:.2f} MB of it the database), "
        f"{kept} files untouched; {summary}",
        flush=True,
    )


def database_copy(work: Path) -> None:
    """What copying the published database (the incremental load's first step) costs."""
    db = work / "published" / "indicators.duckdb"
    start = time.perf_counter()
    shutil.copyfile(db, work / "copy.duckdb")
    seconds = time.perf_counter() - start
    (work / "copy.duckdb").unlink()
    print(f"  copying the database: {db.stat().st_size / 1e6:,.0f} MB in {seconds:.2f} s")


def measure(sources: list[tuple[str, str]], n: int, tmp: Path) -> None:
    """Every figure at one collection size."""
    work = tmp / f"ws{n}"
    start = time.perf_counter()
    paths = make_collection(sources, n, work / "raw")
    mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{n:,} reports ({mb:,.0f} MB of text), prepared in {time.perf_counter() - start:.1f} s")
    step(work, "full run", lambda: None)
    step(work, "no-op", lambda: None)
    middle = paths[n // 2]
    step(work, "one changed", lambda: middle.write_text(middle.read_text() + "Changed.\n"))
    extra = work / "raw" / f"r{n:05d}-added.txt"
    step(work, "one added", lambda: extra.write_text(paths[1].read_text() + "Added.\n"))
    step(work, "one removed", lambda: paths[n // 3].unlink())
    database_copy(work)
    shutil.rmtree(work)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--chars", type=int, help="cut each report's text after this many characters")
    args = ap.parse_args()
    start = time.perf_counter()
    sources = texts(ROOT / "raw", args.chars)
    print(f"{len(sources)} reports of raw/ read into text in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        for n in args.reports:
            measure(sources, n, Path(tmp))


if __name__ == "__main__":
    main()

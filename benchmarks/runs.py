"""Full run against no-op run, and peak memory on a 20 MB report.

Usage (from the project root)::

    .venv/bin/python benchmarks/runs.py            # both measurements
    .venv/bin/python benchmarks/runs.py --mb 5     # a smaller large report

1. ``indicators run`` on a scratch raw/ holding ``--docs`` variants of the first report (each
   with one figure changed, so none is a duplicate): first on an empty database (full run),
   then again with nothing changed (no-op run: every report's sha256 and extractor version are
   already stored, so nothing is extracted and nothing is rewritten). Each is a subprocess,
   start-up included.
2. A report of about ``--mb`` megabytes (the first report's body repeated with continuing
   paragraph numbers) processed by ingest -> parse -> extract -> validate in one child process;
   its peak resident memory (ru_maxrss) is printed with the time.

Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "indicators"
sys.path.insert(0, str(ROOT / "benchmarks"))


def timed_run(workdir: Path) -> float:
    """Wall time of one `indicators run` on the scratch workspace."""
    env = dict(os.environ, INDICATORS_RAW=str(workdir / "raw"),
               INDICATORS_PUBLISHED=str(workdir / "published"),
               INDICATORS_DB=str(workdir / "published" / "indicators.duckdb"),
               DAGSTER_HOME=str(ROOT), INDICATORS_DAGSTER_STATE=str(workdir / ".dagster"))
    start = time.perf_counter()
    subprocess.run([str(CLI), "run"], cwd=workdir, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def large_report(mb: float, path: Path) -> int:
    """Write a report of about mb megabytes; returns its size in bytes."""
    from extraction import repeated

    text = (ROOT / "raw" / "unodc-activities-report-2021.txt").read_text(encoding="utf-8")
    times = max(1, round(mb * 1_000_000 / len(text.encode())))
    path.write_text(repeated(text, times), encoding="utf-8")
    return path.stat().st_size


def child_process(path: Path) -> None:
    """Process one report (in this child) and print time and peak memory."""
    from pipeline.dataset.validate import validate_document
    from pipeline.run import process_document

    start = time.perf_counter()
    validated = validate_document(process_document(path))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{path.stat().st_size / 1e6:.1f} MB report: {len(validated.frames['paragraphs']):,} "
          f"paragraphs, {len(validated.frames['metrics']):,} metrics in {seconds:.1f} s, "
          f"peak memory {peak_mb:,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="size of the large report")
    ap.add_argument("--docs", type=int, default=20, help="reports in the run benchmark")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_process(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "raw").mkdir()
        text = (ROOT / "raw" / "unodc-activities-report-2021.txt").read_text(encoding="utf-8")
        for k in range(args.docs):
            variant = text.replace("over 5 million", f"over {5 + k} million")
            (work / "raw" / f"report-{k:03d}.txt").write_text(variant, encoding="utf-8")
        full = timed_run(work)
        noop = timed_run(work)
        print(f"{args.docs} reports: full run {full:.2f} s, no-op run {noop:.2f} s "
              f"(no-op is {noop / full:.0%} of full, start-up included)")
        big = work / "large-report.txt"
        size = large_report(args.mb, big)
        print(f"wrote {size / 1e6:.1f} MB test report")
        subprocess.run([sys.executable, __file__, "--child", str(big)], check=True)


if __name__ == "__main__":
    main()

"""Runs at scale: N text-layer PDFs through `indicators run`, against pypdfium2 alone.

Usage (from the project root)::

    .venv/bin/python benchmarks/runs.py                 # 1,000 reports, 2 workers
    .venv/bin/python benchmarks/runs.py --reports 200   # smaller
    .venv/bin/python benchmarks/runs.py --one-worker    # also a full run with 1 worker

The corpus's PDFs that have a text layer (../shared/corpus/pdf) are repeated until there are
``--reports`` files, each copy with distinct bytes (a PDF comment appended after %%EOF, which
readers ignore), so none is a duplicate. Measured, each as a subprocess, start-up included:

1. pypdfium2 alone reading every page's text of the same files, in 1 and in 2 processes;
2. ``indicators run --workers 2`` on an empty workspace (full run), its peak memory (the
   whole process tree's resident memory, sampled from /proc every 0.2 s);
3. the same command again with nothing changed (no-op rerun);
4. one report changed (one more comment appended): the run must read only that one;
5. with ``--one-worker``, a full run with ``--workers 1`` on a fresh workspace.

Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "indicators"  # the interpreter's environment
CORPUS = ROOT.parent / "shared" / "corpus" / "pdf"


def text_layer_pdfs(folder: Path) -> list[Path]:
    """The PDFs the corpus manifest lists with a text layer (scans need OCR: another matter)."""
    import csv

    with open(folder.parent / "MANIFEST.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        folder.parent / r["file"]
        for r in rows
        if r["text_layer"] == "yes" and (folder.parent / r["file"]).exists()
    ]


def make_corpus(sources: list[Path], n: int, raw: Path) -> list[Path]:
    """n files cycling through sources, each with a distinct trailing comment."""
    raw.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(n):
        src = sources[k % len(sources)]
        path = raw / f"r{k:04d}-{src.name}"  # the name kept: it says "Add.1" for addenda
        path.write_bytes(src.read_bytes() + f"\n% copy {k}\n".encode())
        out.append(path)
    return out


def _pdfium_text(path: str) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    n = sum(len(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf)))
    pdf.close()
    return n


def pdfium_alone(paths: list[Path], processes: int) -> tuple[float, int]:
    """Seconds for pypdfium2 to read every page's text of every file, and characters read."""
    start = time.perf_counter()
    if processes == 1:
        chars = sum(_pdfium_text(str(p)) for p in paths)
    else:
        with Pool(processes) as pool:
            chars = sum(pool.map(_pdfium_text, [str(p) for p in paths], chunksize=8))
    return time.perf_counter() - start, chars


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def timed_run(work: Path, *args: str) -> tuple[float, int, str]:
    """Wall time, peak process-tree memory and output of one `indicators run`."""
    home = work / ".dagster-home"  # Dagster's files stay in the workspace
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = dict(
        os.environ,
        INDICATORS_RAW=str(work / "raw"),
        INDICATORS_PUBLISHED=str(work / "published"),
        INDICATORS_DB=str(work / "published" / "indicators.duckdb"),
        INDICATORS_ARTIFACTS=str(work / "artifacts"),
        DAGSTER_HOME=str(home),
        INDICATORS_DAGSTER_STATE=str(work / ".dagster"),
        COLUMNS="120",
    )
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(CLI), "run", *args],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode not in (0, 2):
        raise RuntimeError(f"indicators run exited {proc.returncode}:\n{out[-3000:]}")
    return seconds, peak[0], out


def _summary_line(out: str) -> str:
    return next((line.strip() for line in out.splitlines() if line.startswith("reports:")), "?")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--one-worker", action="store_true", help="also a full run with 1 worker")
    args = ap.parse_args()
    sources = text_layer_pdfs(CORPUS)
    print(f"{len(sources)} text-layer PDFs in {CORPUS}; {args.reports} reports")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "ws"
        paths = make_corpus(sources, args.reports, work / "raw")
        mb = sum(p.stat().st_size for p in paths) / 1e6
        alone1, chars = pdfium_alone(paths, 1)
        alone2, _ = pdfium_alone(paths, args.workers)
        print(
            f"pypdfium2 alone: {alone1:.1f} s in 1 process, {alone2:.1f} s in "
            f"{args.workers} ({chars / 1e6:.0f} M characters, {mb:.0f} MB of PDF)"
        )
        full, peak, out = timed_run(work, "--workers", str(args.workers))
        print(
            f"full run, {args.workers} workers: {full:.1f} s = {full / alone2:.1f}x "
            f"pypdfium2 alone in {args.workers} processes ({full / alone1:.1f}x in 1); "
            f"peak memory {peak / 2**20:,.0f} MiB; {_summary_line(out)}"
        )
        noop, peak_noop, out = timed_run(work, "--workers", str(args.workers))
        print(
            f"no-op rerun: {noop:.1f} s, peak memory {peak_noop / 2**20:,.0f} MiB; "
            f"{_summary_line(out)}"
        )
        with open(paths[len(paths) // 2], "ab") as f:
            f.write(b"% changed\n")
        one, peak_one, out = timed_run(work, "--workers", str(args.workers))
        print(
            f"one changed report: {one:.1f} s, peak memory {peak_one / 2**20:,.0f} MiB; "
            f"{_summary_line(out)}"
        )
        if args.one_worker:
            fresh = Path(tmp) / "ws1"
            shutil.copytree(work / "raw", fresh / "raw")
            single, peak1, out = timed_run(fresh, "--workers", "1")
            print(
                f"full run, 1 worker: {single:.1f} s (2 workers: {full:.1f} s, "
                f"{single / full:.2f}x faster with 2); peak memory {peak1 / 2**20:,.0f} MiB; "
                f"{_summary_line(out)}"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()

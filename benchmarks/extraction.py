"""Throughput of this project's extractor against quantulum3 on the same report text.

Usage (from the project root)::

    .venv/bin/python benchmarks/extraction.py
    .venv/bin/python benchmarks/extraction.py --path raw/other-report.txt --repeat 3
    .venv/bin/python benchmarks/extraction.py --cli-bytes 2000000 --quantulum-unit whole

What is timed, all in one process except the CLI run:

* ours: ``ingest -> parse -> extract`` over a temporary file holding the text;
* quantulum3: ``parser.parse`` over every blank-line separated block of the same text
  (``--quantulum-unit paragraph``, the default) or over the whole text in one call
  (``--quantulum-unit whole``; much slower, quantulum3 is superlinear in input length);
* the CLI end to end: ``indicators extract FILE --format jsonl`` as a subprocess on a file of
  about ``--cli-bytes`` bytes (default 1 MB), against quantulum3's time extrapolated from its
  measured characters per second to the same number of characters.

The text is the report repeated ``--repeat`` times (default 5, about 350 KB for the UNODC
report; the whole run takes well under a minute). Copies after the first repeat only the body
(from paragraph 1 on) and renumber its paragraphs to continue the numbering: the parser treats
a paragraph number that goes backwards as continued text, so plain repetition would merge every
copy into the report's last paragraph.

One-off start-up costs (quantulum3 loading its classifier, our first pattern compilation and
country tables) are measured with a warm-up call and printed separately, not counted in the
throughput figures. The script prints figures only; it asserts nothing.

Measured after issue 10 (rules as data, unit registry, text2num), on the 2-core machine under a
load average of about 8: ours 397,000 chars/s against quantulum3's 17,100 (23x); the CLI on a
1 MB file 4.7 s against quantulum3's extrapolated 56 s (12x). The budget is at least 10x.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "raw" / "unodc-activities-report-2021.txt"
CLI = ROOT / ".venv" / "bin" / "indicators"
_NUMBER_BEFORE = re.compile(r"(\d{1,4})(\.[ \t]+)$")


def _renumbered_body(text: str, offset: int) -> str:
    """The body of text (from paragraph 1 on) with every paragraph number raised by offset.

    Only the numbers the parser itself reads as paragraph numbers are changed, so numbered
    headings ("1. Drug trafficking") keep their numbers and stay headings.
    """
    from pipeline.extract.structure import parse
    from pipeline.read.ingest import Document

    doc = Document(
        document_id="bench",
        source_file="bench.txt",
        format="txt",
        text=text,
        sha256="0" * 64,
        size_bytes=len(text.encode()),
    )
    paragraphs = parse(doc).paragraphs
    out: list[str] = []
    pos = None
    for par in paragraphs:
        m = _NUMBER_BEFORE.search(text, max(0, par.char_start - 12), par.char_start)
        if m is None:
            continue
        if pos is None:
            pos = text.rfind("\n", 0, m.start()) + 1  # the body starts at paragraph 1's line
        out.append(text[pos : m.start()])
        out.append(str(int(m.group(1)) + offset))
        pos = m.start(1) + len(m.group(1))
    out.append(text[pos:])
    return "".join(out)


def repeated(text: str, times: int) -> str:
    """The report followed by times - 1 renumbered copies of its body."""
    from pipeline.extract.structure import parse
    from pipeline.read.ingest import Document

    doc = Document(
        document_id="bench",
        source_file="bench.txt",
        format="txt",
        text=text,
        sha256="0" * 64,
        size_bytes=len(text.encode()),
    )
    last = parse(doc).paragraphs[-1].number
    parts = [text.rstrip("\n")]
    parts.extend(_renumbered_body(text, k * last).rstrip("\n") for k in range(1, times))
    return "\n\n".join(parts) + "\n"


def run_ours(path: Path) -> tuple[float, int, int]:
    """Seconds for ingest -> parse -> extract on path; metric and paragraph counts."""
    from pipeline.extract.metrics import extract
    from pipeline.extract.structure import parse
    from pipeline.read.ingest import ingest

    started = time.perf_counter()
    structure = parse(ingest(path))
    metrics = extract(structure)
    return time.perf_counter() - started, len(metrics), len(structure.paragraphs)


def run_quantulum(text: str, unit: str) -> tuple[float, int]:
    """Seconds for quantulum3 over the text (per block or whole); quantity count."""
    from quantulum3 import parser

    blocks = [b for b in text.split("\n\n") if b.strip()] if unit == "paragraph" else [text]
    found = 0
    started = time.perf_counter()
    for block in blocks:
        found += len(parser.parse(block))
    return time.perf_counter() - started, found


def _rate(chars: int, seconds: float) -> str:
    return f"{chars / seconds:>12,.0f} chars/s" if seconds > 0 else "         inf chars/s"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--path", type=Path, default=DEFAULT_PATH, help="report text file")
    ap.add_argument("--repeat", type=int, default=5, help="copies of the report (default 5)")
    ap.add_argument(
        "--quantulum-unit",
        choices=["paragraph", "whole"],
        default="paragraph",
        help="call quantulum3 per blank-line block (default) or on the whole text",
    )
    ap.add_argument(
        "--cli-bytes",
        type=int,
        default=1_000_000,
        help="approximate size of the CLI test file (default 1 MB)",
    )
    ap.add_argument("--no-cli", action="store_true", help="skip the CLI run")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")

    source = args.path.read_text(encoding="utf-8")
    text = repeated(source, max(args.repeat, 1))
    chars = len(text)
    print(
        f"input: {args.path.name} x{args.repeat} = {chars:,} chars ({len(text.encode()):,} bytes)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.txt"
        warm.write_text(source[:20_000], encoding="utf-8")
        started = time.perf_counter()
        run_ours(warm)
        ours_warm = time.perf_counter() - started
        path = Path(tmp) / "bench.txt"
        path.write_text(text, encoding="utf-8")
        ours_s, n_metrics, n_pars = run_ours(path)

    started = time.perf_counter()
    from quantulum3 import parser

    parser.parse("A warm-up call: 3 kg of heroin and 12 per cent.")
    q_warm = time.perf_counter() - started
    q_s, n_quant = run_quantulum(text, args.quantulum_unit)

    print(f"warm-up (not counted): ours {ours_warm:.2f} s, quantulum3 {q_warm:.2f} s")
    print(
        f"ours       (ingest+parse+extract): {ours_s:8.2f} s  {_rate(chars, ours_s)}  "
        f"{n_metrics:,} metrics in {n_pars:,} paragraphs"
    )
    print(
        f"quantulum3 (parse per {args.quantulum_unit:9}): {q_s:8.2f} s  {_rate(chars, q_s)}  "
        f"{n_quant:,} quantities"
    )
    print(f"speed ratio ours/quantulum3 (chars/s): {q_s / ours_s:.1f}x")

    if args.no_cli:
        return
    times = max(1, round(args.cli_bytes / len(source.encode())))
    big = repeated(source, times)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-1mb.txt"
        path.write_text(big, encoding="utf-8")
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        started = time.perf_counter()
        proc = subprocess.run(
            [str(CLI), "extract", str(path), "--format", "jsonl"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        cli_s = time.perf_counter() - started
    lines = proc.stdout.count("\n")
    q_extrapolated = len(big) / (chars / q_s)
    print(f"CLI file: x{times} = {len(big):,} chars ({len(big.encode()):,} bytes)")
    print(
        f"CLI `indicators extract --format jsonl` wall time: {cli_s:.2f} s "
        f"(exit {proc.returncode}, {lines:,} records)"
    )
    if proc.returncode:
        print(proc.stderr.strip()[-500:], file=sys.stderr)
    print(
        f"quantulum3 extrapolated to the same text: {q_extrapolated:.2f} s "
        f"(+ {q_warm:.2f} s model load)"
    )
    print(f"speed ratio CLI/quantulum3 (time): {q_extrapolated / cli_s:.1f}x")


if __name__ == "__main__":
    main()

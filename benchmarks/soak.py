"""Soak: kill `indicators run --workers 2` at random moments, check every state it leaves.

    .venv/bin/python benchmarks/soak.py [--kills 50] [--workers 2] [--seed 1]

In a temporary workspace, each round changes raw/ (reports added or removed, so that every
run has a release to make), starts a run and SIGKILLs its whole process group (parallel
workers included) after a random delay between 0 and the median time of a finished run;
rounds go on until N runs were killed mid-run (a run that finishes first is a round too). After each
kill the published folder is checked with both validators: `indicators validate` (frictionless
plus the sha256 of every file) and `frictionless validate`. At the end the last raw/ state is
run to completion and its data files must be byte-identical to those of a clean run made from
the same raw/ in a fresh workspace (the version and changelog differ by design: the soaked
workspace has made many releases). Prints figures; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"


def env(ws: Path) -> dict:
    """The pipeline's settings pointed into the workspace."""
    out = dict(
        os.environ,
        INDICATORS_RAW=str(ws / "raw"),
        INDICATORS_PUBLISHED=str(ws / "published"),
        INDICATORS_DB=str(ws / "published" / "indicators.duckdb"),
        INDICATORS_DAGSTER_STATE=str(ws / ".dagster"),
        DAGSTER_HOME=str(ROOT),
    )
    out.pop("INDICATORS_KILL_AT", None)
    return out


def workspace(parent: Path, name: str) -> Path:
    """A workspace whose raw/ holds the seed report."""
    ws = parent / name
    (ws / "raw").mkdir(parents=True)
    shutil.copy(REPORT, ws / "raw" / REPORT.name)
    return ws


def set_raw(ws: Path, extra: int) -> None:
    """raw/: the seed report plus `extra` variants of it (each a new document)."""
    text = REPORT.read_text(encoding="utf-8")
    wanted = {f"variant-{i}.txt" for i in range(extra)}
    for path in (ws / "raw").glob("variant-*.txt"):
        if path.name not in wanted:
            path.unlink()
    for i in range(extra):
        path = ws / "raw" / f"variant-{i}.txt"
        if not path.exists():
            path.write_text(
                text.replace("over 5 million", f"over {10 + i} million"), encoding="utf-8"
            )


def start_run(ws: Path, workers: int) -> subprocess.Popen:
    """`indicators run` in its own process group, so that a kill reaches its workers too."""
    return subprocess.Popen(
        [str(BIN / "indicators"), "run", "--workers", str(workers)],
        cwd=ws,
        env=env(ws),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def validators(ws: Path) -> list[str]:
    """Problems both validators find in the published folder (none when nothing is there)."""
    published = ws / "published"
    if not (published / "datapackage.json").exists():
        return [] if not (published / "data").exists() else ["data/ without datapackage.json"]
    problems = []
    ours = subprocess.run(
        [str(BIN / "indicators"), "validate"], cwd=ws, env=env(ws), capture_output=True, text=True
    )
    if ours.returncode:
        problems.append("indicators validate: " + (ours.stdout + ours.stderr)[-500:])
    theirs = subprocess.run(
        [str(BIN / "frictionless"), "validate", "--json", str(published / "datapackage.json")],
        capture_output=True,
        text=True,
    )
    if theirs.returncode:
        problems.append("frictionless validate: " + theirs.stdout[-500:])
    return problems


def data_files(ws: Path) -> dict[str, bytes]:
    """The bytes of every data file the current release names (files of older releases are
    kept until `indicators gc`, so the soaked folder holds more)."""
    from pipeline.dataset.shards import resource_paths

    published = ws / "published"
    package = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    paths = sorted({p for r in package["resources"] for p in resource_paths(r)})
    return {p: (published / p).read_bytes() for p in paths}


def descriptor_without_history(ws: Path) -> dict:
    """datapackage.json without the version (which counts the releases made)."""
    package = json.loads((ws / "published" / "datapackage.json").read_text(encoding="utf-8"))
    package.pop("version")
    return package


def main() -> int:
    """Run the soak and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variants", type=int, default=3, help="most extra reports in raw/")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        return soak(tmp, args, rng)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def soak(tmp: Path, args, rng: random.Random) -> int:
    """The kill rounds, then the final comparison with a clean run."""
    ws = workspace(tmp, "soaked")
    set_raw(ws, 1)
    started = time.perf_counter()
    first = start_run(ws, args.workers)
    out, _ = first.communicate()
    full = time.perf_counter() - started
    print(f"unhurried run: {full:.1f} s (exit {first.returncode})")
    failures, killed_mid_run, finished, sealed, seconds_validating = [], 0, 0, 0, 0.0
    durations = [full]  # of runs that finished: kill delays are drawn from what a run takes
    extra, rounds = 1, 0
    while killed_mid_run < args.kills and rounds < 3 * args.kills:
        rounds += 1
        extra = rng.choice([n for n in range(args.variants + 1) if n != extra])
        set_raw(ws, extra)
        delay = rng.uniform(0, sorted(durations)[len(durations) // 2])
        proc = start_run(ws, args.workers)
        t = time.perf_counter()
        try:
            proc.wait(timeout=delay)
            finished += 1
            durations.append(time.perf_counter() - t)
            what = "finished first"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, no cleanup
            proc.wait()
            killed_mid_run += 1
            what = "killed"
        proc.stdout.close()
        sealed += (ws / "published" / ".staging" / "COMPLETE").exists()
        t = time.perf_counter()
        problems = validators(ws)
        seconds_validating += time.perf_counter() - t
        state = "VALID" if not problems else "INVALID"
        print(
            f"round {rounds:3d}: {extra} variants, {what} at {delay:5.1f} s -> {state}", flush=True
        )
        failures += [f"round {rounds}: {p}" for p in problems]
    # The last state, run to completion, against a clean run of the same raw/ elsewhere.
    final = start_run(ws, args.workers)
    final_out, _ = final.communicate()
    clean = workspace(tmp, "clean")
    set_raw(clean, extra)
    reference = start_run(clean, args.workers)
    reference.communicate()
    failures += [f"final: {p}" for p in validators(ws)]
    same_data = data_files(ws) == data_files(clean)
    same_descriptor = descriptor_without_history(ws) == descriptor_without_history(clean)
    if not same_data:
        failures.append("final data files differ from a clean run's")
    if not same_descriptor:
        failures.append("final datapackage.json differs from a clean run's beyond the version")
    version = json.loads((ws / "published" / "datapackage.json").read_text())["version"]
    print()
    print(
        f"rounds: {rounds}; runs killed mid-run: {killed_mid_run}; runs that finished before "
        f"their kill: {finished}; workers: {args.workers}"
    )
    print(
        f"states checked with both validators: {rounds}, invalid: "
        f"{sum(1 for f in failures if f.startswith('round'))}, "
        f"left sealed mid-swap (rolled forward by the next run): {sealed}"
    )
    print(f"validation time: {seconds_validating:.1f} s in all")
    print(
        f"final run exit {final.returncode}, version {version}; data files byte-identical "
        f"to a clean run's: {same_data}; descriptor identical apart from the version: "
        f"{same_descriptor}"
    )
    for f in failures:
        print("FAILED", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

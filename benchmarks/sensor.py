"""The raw-folder sensor's work at 10,000 files: hashing every file once, then a tick with
nothing changed (the stat cache: only size, mtime and inode are read).

Usage: .venv/bin/python benchmarks/sensor.py [--files 10000] [--kb 300]
Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from pipeline.definitions import _fingerprints
from pipeline.settings import Settings


def _make(raw: Path, files: int, kb: int) -> None:
    """Files of distinct bytes (about the size of a report's PDF)."""
    block = os.urandom(kb * 1024)
    for i in range(files):
        (raw / f"report-{i:06d}.txt").write_bytes(block + str(i).encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--kb", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        _make(raw, args.files, args.kb)
        settings = Settings.from_env(raw=raw, state=Path(tmp) / "state")
        for label in ("first tick (every file hashed)", "next tick (nothing changed)"):
            started = time.perf_counter()
            found = _fingerprints(settings)
            print(f"{label}: {len(found)} files, {time.perf_counter() - started:.2f} s")
        (raw / "report-000000.txt").write_bytes(b"changed")
        started = time.perf_counter()
        _fingerprints(settings)
        print(f"tick after one file changed: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()

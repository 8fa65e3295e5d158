"""Swap a staged release into published/ so that published/data is never missing."""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
from pathlib import Path

from pipeline.dataset.faults import checkpoint

STAGING = ".staging"
COMPLETE = "COMPLETE"  # written last into the staging folder; holds the new data folder's inode
FILES = (
    "CHANGELOG.md",
    "README.md",
    "index.html",  # swapped after data/,
    "datapackage.json",
)  # the descriptor last
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE).
    False where the system or file system cannot (the caller then falls back)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl without it
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this file system cannot exchange
        return False
    raise OSError(err, f"cannot swap {a} and {b}: {os.strerror(err)}")


def mark_complete(staging: Path) -> None:
    """Seal a fully written staging folder: from now on recover() rolls it forward."""
    inode = os.stat(staging / "data").st_ino
    tmp = staging / (COMPLETE + ".tmp")
    tmp.write_text(str(inode), encoding="utf-8")
    os.replace(tmp, staging / COMPLETE)


def _staged_data_waiting(staging: Path) -> bool:
    """True while staging/data still holds the new release (not yet swapped in)."""
    data = staging / "data"
    if not data.is_dir():
        return False
    marker = (staging / COMPLETE).read_text(encoding="utf-8").strip()
    return not marker or str(os.stat(data).st_ino) == marker


def _swap_data(published: Path, staging: Path) -> None:
    """Put staging/data in place of published/data: one atomic exchange where possible."""
    target = published / "data"
    if not _staged_data_waiting(staging):
        return  # already exchanged before an interruption
    if not target.exists():
        os.replace(staging / "data", target)
    elif not exchange(staging / "data", target):
        # No exchange on this file system: two renames, with a short window without data/.
        old = published / ".old"
        old.mkdir(exist_ok=True)
        shutil.rmtree(old / "data", ignore_errors=True)
        os.replace(target, old / "data")
        os.replace(staging / "data", target)


def swap(published: Path, staging: Path) -> None:
    """Move a sealed staging folder into place; every step can be redone by recover()."""
    _swap_data(published, staging)
    checkpoint("swap-data")
    for name in FILES:  # each one rename; the descriptor last, because it commits
        if (staging / name).exists():
            os.replace(staging / name, published / name)
    shutil.rmtree(staging)
    shutil.rmtree(published / ".old", ignore_errors=True)


def recover(published: Path) -> None:
    """Finish or undo an interrupted publish: roll forward if the staging copy is sealed."""
    staging = Path(published) / STAGING
    if (staging / COMPLETE).exists():
        swap(Path(published), staging)
    elif staging.exists():
        shutil.rmtree(staging)
    old = Path(published) / ".old"
    if old.exists():
        if not (Path(published) / "data").exists() and (old / "data").is_dir():
            os.replace(old / "data", Path(published) / "data")  # killed mid-fallback
        shutil.rmtree(old, ignore_errors=True)

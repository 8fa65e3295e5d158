"""Swap a staged release into published/: new files moved in, the descriptor last."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipeline.dataset.faults import checkpoint

STAGING = ".staging"
COMPLETE = "COMPLETE"  # written last into the staging folder, once it is validated
FILES = (
    "CHANGELOG.md",
    "README.md",
    "index.html",  # swapped after data/,
    "datapackage.json",
)  # the descriptor last


def mark_complete(staging: Path) -> None:
    """Seal a fully written and validated staging folder: from now on recover() rolls it
    forward."""
    tmp = staging / (COMPLETE + ".tmp")
    tmp.write_text("sealed\n", encoding="utf-8")
    os.replace(tmp, staging / COMPLETE)


def _move_tree(staging: Path, published: Path, folder: str) -> None:
    """Move every staged file under a folder into place. Data files are named by their
    content, so none replaces a file an older descriptor names with other bytes; moving one
    that is already in place (a redone swap) changes nothing."""
    root = staging / folder
    if not root.is_dir():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        target = published / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        checkpoint("swap-file")


def swap(published: Path, staging: Path) -> None:
    """Move a sealed staging folder into place; every step can be redone by recover(). The
    new data files first, then the old releases' descriptors and the pages, the descriptor
    last: until it is replaced, readers see the previous release whole."""
    _move_tree(staging, published, "data")
    checkpoint("swap-data")
    _move_tree(staging, published, "releases")
    for name in FILES:  # each one rename; the descriptor last, because it commits
        if (staging / name).exists():
            os.replace(staging / name, published / name)
    shutil.rmtree(staging)
    shutil.rmtree(published / ".old", ignore_errors=True)


def recover(published: Path) -> None:
    """Finish or undo an interrupted publish: roll forward if the staging copy is sealed,
    else remove it (files it had not moved in yet are named by no descriptor)."""
    staging = Path(published) / STAGING
    if (staging / COMPLETE).exists():
        swap(Path(published), staging)
    elif staging.exists():
        shutil.rmtree(staging)
    old = Path(published) / ".old"
    if old.exists():  # left by releases before files were sharded
        if not (Path(published) / "data").exists() and (old / "data").is_dir():
            os.replace(old / "data", Path(published) / "data")
        shutil.rmtree(old, ignore_errors=True)

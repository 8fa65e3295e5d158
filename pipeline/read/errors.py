"""The error every reader raises for a report it cannot read."""

from __future__ import annotations

from pathlib import Path


class ReportError(ValueError):
    """A report that cannot be processed; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{Path(path).name}: {problem}")

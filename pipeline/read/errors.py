"""The error every reader raises for a report it cannot read."""

from __future__ import annotations

from pathlib import Path


class ReportError(ValueError):
    """A report that cannot be processed; the message names the file and the problem.

    lasting: the file itself is at fault (remembered until the file or the code changes);
    False when the environment is (a missing program, a limit, a timeout): tried again on the
    next run.
    """

    def __init__(self, path: str | Path, problem: str, lasting: bool = True) -> None:
        self.path = str(path)
        self.problem = problem
        self.lasting = lasting
        super().__init__(f"{Path(path).name}: {problem}")


class EnvironmentProblem(ReportError):
    """A report that could not be read here and now: a missing program, a limit, a timeout."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(path, problem, lasting=False)

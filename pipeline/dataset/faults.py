"""Fault injection points: INDICATORS_KILL_AT=<name> kills the process there (for crash tests)."""

import os
import signal

from pipeline.settings import kill_point


def checkpoint(name: str) -> None:
    """Die at once (SIGKILL, no cleanup) when a crash test asks for a crash here."""
    if kill_point() == name:
        os.kill(os.getpid(), signal.SIGKILL)

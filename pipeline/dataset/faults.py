"""Fault injection points: INDICATORS_KILL_AT=<name> kills the process there (for crash tests)."""

import os
import signal


def checkpoint(name: str) -> None:
    """Die at once (SIGKILL, no cleanup) when the environment asks for a crash here."""
    if os.environ.get("INDICATORS_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)

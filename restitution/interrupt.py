"""SIGTERM handled like Ctrl-C: `Terminated` (a KeyboardInterrupt) is raised in the main thread,
so the stage in progress is abandoned through the same `finally` blocks (the session lock is
released, temporary files removed) and the command ends with one line instead of dying silently."""

from __future__ import annotations

import signal
import threading
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The process was sent SIGTERM."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def on_sigterm() -> None:
    """Make SIGTERM raise `Terminated` in this process (only the main thread may set handlers)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)

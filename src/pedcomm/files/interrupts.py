"""Interrupted runs clean up: SIGINT, SIGTERM and SIGHUP become an exception while an output is claimed.

The exception unwinds through pedcomm.files.outputs, whose context managers remove the temporary
and release the lock. While an output is being swapped into place the signal is held back and
delivered right after, so an interruption never leaves a half-replaced output. A run killed with
SIGKILL cannot clean up: its lock is released by the kernel, and the next run on the same output
removes its temporaries (pedcomm.files.outputs.Destination.recover).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Interrupted(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP arrived while an output was claimed (its temporaries are removed)."""

    def __init__(self, signum: int, completed: bool = False):
        super().__init__(signum)
        self.signum = signum
        self.completed = completed  # the signal was held back while an output was put in place


_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))
_held: list[int] = []  # signals that arrived while an output was being swapped in
_holding = [False]


def _handler(signum, frame):
    if _holding[0]:
        _held.append(signum)
        return
    raise Interrupted(signum)


@contextmanager
def catching() -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into Interrupted while an output is claimed (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:
        for s in _SIGNALS:
            previous[s] = signal.signal(s, _handler)
    except (ValueError, OSError):  # pragma: no cover - embedded interpreters
        pass
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def held() -> Iterator[None]:
    """Hold signals back while the output is swapped in; deliver them afterwards."""
    _holding[0] = True
    try:
        yield
    finally:
        _holding[0] = False
        if _held:
            signum = _held[0]
            _held.clear()
            raise Interrupted(signum, completed=True)



"""The steps of opening a model, announced by readers for whoever listens (the window's status bar).

A reader wraps a slow step in `with stage(SHAPES):`; the window opens a model inside `listening(callback)` and
the callback hears each stage as it begins, and the one before again when it ends. The listener belongs to the
thread that opens the model, so two opens in two threads never hear each other, and the command line, which
never listens, pays a thread-local lookup and prints nothing.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

READING = "reading"   # decoding the file into nodes and values (where every open starts)
SHAPES = "shapes"     # working out tensor shapes (alone, or while the graph is built from a program)

Listener = Callable[[str], None]

_local = threading.local()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Report the stages of the opens run by this thread to `listener` until the block ends."""
    previous = (getattr(_local, "listener", None), getattr(_local, "stage", READING))
    _local.listener, _local.stage = listener, READING
    try:
        yield
    finally:
        _local.listener, _local.stage = previous


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Announce that the block is the `name` step of the open; when it ends the enclosing step is announced
    again, unless it ends by an exception (the open fails in this step, and the listener keeps hearing so)."""
    listener: Optional[Listener] = getattr(_local, "listener", None)
    if listener is None:
        yield
        return
    enclosing = _local.stage
    _local.stage = name
    if name != enclosing:
        listener(name)
    try:
        yield
    finally:
        _local.stage = enclosing
    if name != enclosing:
        listener(enclosing)

"""Pausing the cyclic garbage collector while a big model's objects are built.

Reading, grouping and laying out a 100,000-node graph allocate millions of small objects that form no
reference cycles (or few, freed when the work ends): the cyclic collector would only rescan the growing heap
again and again, a third of the time on big graphs. Reference counting still frees everything else.
Threads may pause it concurrently; it is switched back on when the last of them is done.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_pausing = 0           # how many pauses are active
_was_enabled = False   # the collector's state when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    global _pausing, _was_enabled
    with _lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.enable()

"""Background work for the Tk window: a worker thread per task, results handed back through a queue.

Tk is single-threaded: the worker never touches a widget. The UI polls the queue with `after` and calls
`done`/`failed` on the Tk thread. Cancel marks the task; its result is dropped when it arrives (the reader
itself cannot be interrupted, but the window is free at once).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

POLL_MS = 25


@dataclass
class Task:
    label: str
    visible: bool                  # shown in the status bar with a progress bar and Cancel
    done: Callable[[Any], None]
    failed: Callable[[BaseException], None]
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()


class TaskRunner:
    """Runs callables in daemon threads; `on_busy(task or None)` reports the visible task to the window."""

    def __init__(self, widget, on_busy: Callable[[Optional[Task]], None]):
        self.widget = widget
        self.on_busy = on_busy
        self.results: queue.Queue = queue.Queue()
        self.current: Optional[Task] = None   # the visible task
        self.pending = 0
        self._polling = None
        self._shown_label = ""

    def run(self, label: str, work: Callable[[Task], Any], done: Callable[[Any], None],
            failed: Callable[[BaseException], None], visible: bool = True) -> Task:
        """Start `work(task)` in a thread; a new visible task replaces (cancels) the previous one."""
        task = Task(label, visible, done, failed)
        if visible:
            if self.current is not None:
                self.current.cancel()
            self.current = task
            self._shown_label = task.label
            self.on_busy(task)
        self.pending += 1
        threading.Thread(target=self._work, args=(task, work), daemon=True, name=f"litenetron: {label}").start()
        if self._polling is None:
            self._polling = self.widget.after(POLL_MS, self._poll)
        return task

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()
            self.current = None
            self.on_busy(None)

    @property
    def busy(self) -> bool:
        return self.pending > 0

    def _work(self, task: Task, work: Callable[[Task], Any]) -> None:
        try:
            self.results.put((task, True, work(task)))
        except BaseException as error:  # handed to the UI, which shows the reason
            self.results.put((task, False, error))

    def _poll(self) -> None:
        self._polling = None
        if self.current is not None and self.current.label != self._shown_label:  # the worker moved on a stage
            self._shown_label = self.current.label
            self.on_busy(self.current)
        while True:
            try:
                task, ok, payload = self.results.get_nowait()
            except queue.Empty:
                break
            self.pending -= 1
            if task is self.current:
                self.current = None
                self.on_busy(None)
            if task.cancelled.is_set():
                continue
            (task.done if ok else task.failed)(payload)
        if self.pending:
            self._polling = self.widget.after(POLL_MS, self._poll)

    def close(self) -> None:
        if self._polling is not None:
            self.widget.after_cancel(self._polling)
            self._polling = None

"""The Find panel (Ctrl+F): search nodes, values and weights by name, operator, dtype or shape."""

from __future__ import annotations

import tkinter
from dataclasses import dataclass
from tkinter import ttk
from typing import Callable, List, Optional

from ..model import Argument, Graph, Node, Value, format_shape

RESULT_LIMIT = 1000


@dataclass
class Match:
    kind: str                           # "node" | "value" | "weight" | "input" | "output"
    text: str                           # what the result list shows
    detail: str
    node: Optional[Node] = None         # the box to show: this node ...
    argument: Optional[Argument] = None  # ... or this graph input/output pill


def _type_text(value: Value) -> str:
    kind = value.type or (value.initializer.type if value.initializer is not None else None)
    if kind is None:
        return ""
    return f"{kind.dtype or '?'} {format_shape(kind.shape)}"


def _normalise(text: str) -> str:
    # "3x3" finds shapes drawn "3×3"
    return text.lower().replace("x", "×").replace("*", "×")


def search(graph: Graph, query: str, limit: int = RESULT_LIMIT) -> List[Match]:
    """Everything in `graph` whose name, operator, dtype or shape contains `query` (case-insensitive)."""
    needle = query.strip().lower()
    if not needle:
        return []
    shaped = _normalise(needle)

    def hit(*texts: str) -> bool:
        return any(needle in text.lower() or shaped in _normalise(text) for text in texts if text)

    matches: List[Match] = []
    for kind, arguments in (("input", graph.inputs), ("output", graph.outputs)):
        for argument in arguments:
            for value in argument.values:
                if hit(argument.name, value.name, _type_text(value)):
                    matches.append(Match(kind, value.name or argument.name, _type_text(value), argument=argument))
    seen = set()
    for node in graph.nodes:
        if hit(node.name, node.type.name):
            matches.append(Match("node", node.name or node.type.name, node.type.name, node=node))
        for argument in node.inputs + node.outputs:
            for value in argument.values:
                if value.name in seen:
                    continue
                type_text = _type_text(value)
                if hit(value.name, type_text):
                    seen.add(value.name)
                    kind = "weight" if value.initializer is not None else "value"
                    matches.append(Match(kind, value.name, type_text, node=node))
        if len(matches) >= limit:
            break
    return matches[:limit]


class FindPanel(ttk.Frame):
    """Entry + result list; `on_choose(match)` when a result is selected (click, Return, Up/Down)."""

    def __init__(self, parent, on_choose: Callable[[Match], None]):
        super().__init__(parent, padding=(4, 4, 4, 2))
        self.on_choose = on_choose
        self.graph: Optional[Graph] = None
        self.matches: List[Match] = []
        self.query = tkinter.StringVar(master=self)
        self.entry = ttk.Entry(self, textvariable=self.query)
        self.entry.pack(fill="x")
        self.count = ttk.Label(self, text="", foreground="#666666")
        self.count.pack(fill="x")
        self.results = ttk.Treeview(self, columns=("detail",), show="tree", height=8, selectmode="browse")
        self.results.column("#0", width=170, stretch=True)
        self.results.column("detail", width=120, stretch=True)
        self.results.pack(fill="both", expand=True)
        self.query.trace_add("write", lambda *_: self.refresh())
        self.entry.bind("<Down>", lambda _event: self.step(1))
        self.entry.bind("<Up>", lambda _event: self.step(-1))
        self.entry.bind("<Return>", lambda _event: self.step(0))
        self.entry.bind("<Escape>", lambda _event: self.pack_forget())
        self.results.bind("<<TreeviewSelect>>", self._selected)

    def set_graph(self, graph: Optional[Graph]) -> None:
        self.graph = graph
        self.refresh()

    def focus(self) -> None:
        self.entry.focus_set()
        self.entry.select_range(0, "end")

    def refresh(self) -> None:
        self.results.delete(*self.results.get_children())
        self.matches = search(self.graph, self.query.get()) if self.graph is not None else []
        for index, match in enumerate(self.matches):
            self.results.insert("", "end", iid=str(index), text=f"{match.kind}: {match.text}",
                                values=(match.detail,))
        self.count.configure(text=f"{len(self.matches)} found" if self.query.get().strip() else "")

    def step(self, delta: int) -> str:
        """Move the result selection (Up/Down from the entry); Return (0) chooses the current one."""
        if not self.matches:
            return "break"
        selection = self.results.selection()
        index = int(selection[0]) + delta if selection else 0
        index = max(0, min(len(self.matches) - 1, index))
        if selection and str(index) == selection[0]:
            self.on_choose(self.matches[index])
        else:
            self.results.selection_set(str(index))
        self.results.see(str(index))
        return "break"

    def _selected(self, _event) -> None:
        selection = self.results.selection()
        if selection:
            self.on_choose(self.matches[int(selection[0])])

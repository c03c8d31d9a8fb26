"""The Find panel (Ctrl+F): search nodes, values and weights by name, operator, dtype or shape."""

from __future__ import annotations

import re
import tkinter
from dataclasses import dataclass, field
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
    value: Optional[Value] = None       # a connection: its edge is selected


def _type_text(value: Value) -> str:
    kind = value.type or (value.initializer.type if value.initializer is not None else None)
    if kind is None:
        return ""
    return f"{kind.dtype or '?'} {format_shape(kind.shape)}"


def _normalise(text: str) -> str:
    # "3x3" and "1,3,224,224" find shapes drawn "3×3" and "1×3×224×224"
    return text.lower().replace("x", "×").replace("*", "×")


_SHAPE_LIST = re.compile(r"^[\w?]+(?:\s*,\s*[\w?]+)+$")


@dataclass
class Query:
    """A parsed Find query: every term must match (in any of an item's texts); quoted ones exactly."""
    terms: List[str] = field(default_factory=list)   # lower case, matched as substrings
    exact: List[str] = field(default_factory=list)   # lower case, equal to a whole text

    def __bool__(self) -> bool:
        return bool(self.terms or self.exact)

    def matches(self, *texts: str) -> bool:
        lowered = [text.lower() for text in texts if text]
        shaped = [_normalise(text) for text in lowered]
        for term in self.terms:
            if not any(term in text for text in lowered) and not any(_normalise(term) in t for t in shaped):
                return False
        return all(phrase in lowered for phrase in self.exact)


def parse_query(text: str) -> Query:
    """`conv 3x3` → two terms; `"conv1"` → exact; `1,3,224,224` → the shape `1×3×224×224`."""
    query = Query()
    for quoted, plain in re.findall(r'"([^"]*)"?|(\S+)', text.strip()):
        if quoted:
            query.exact.append(quoted.lower())
        elif plain:
            query.terms.append(plain.lower())
    if len(query.terms) == 1 and _SHAPE_LIST.match(query.terms[0]):
        query.terms = ["×".join(part.strip() for part in query.terms[0].split(","))]
    elif not query.exact and _SHAPE_LIST.match(text.strip()):   # "1, 3, 224, 224" with spaces
        query.terms = ["×".join(part.strip() for part in text.strip().lower().split(","))]
    return query


KINDS = ("nodes", "connections", "weights")


def search(graph: Graph, query: str, limit: int = RESULT_LIMIT, kinds=KINDS) -> List[Match]:
    """Everything in `graph` whose name, operator, dtype or shape matches `query` (see parse_query), each value
    once; `kinds` picks among nodes, connections (values and graph inputs/outputs) and weights."""
    parsed = parse_query(query)
    if not parsed:
        return []
    matches: List[Match] = []
    seen = set()
    if "connections" in kinds:
        for kind, arguments in (("input", graph.inputs), ("output", graph.outputs)):
            for argument in arguments:
                for value in argument.values:
                    if parsed.matches(argument.name, value.name, _type_text(value)):
                        seen.add(value.name)
                        matches.append(Match(kind, value.name or argument.name, _type_text(value),
                                             argument=argument))
    for node in graph.nodes:
        if "nodes" in kinds and parsed.matches(node.name, node.type.name):
            matches.append(Match("node", node.name or node.type.name, node.type.name, node=node))
        for argument in node.inputs + node.outputs:
            for value in argument.values:
                if value.name in seen:
                    continue
                kind = "weight" if value.initializer is not None else "value"
                if ("weights" if kind == "weight" else "connections") not in kinds:
                    continue
                type_text = _type_text(value)
                if parsed.matches(value.name, type_text):
                    seen.add(value.name)
                    matches.append(Match(kind, value.name, type_text, node=node,
                                         value=value if kind == "value" else None))
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
        toggles = ttk.Frame(self)
        toggles.pack(fill="x")
        self.kinds = {kind: tkinter.BooleanVar(master=self, value=True) for kind in KINDS}
        self.toggles = {kind: ttk.Checkbutton(toggles, text=kind.capitalize(), variable=self.kinds[kind],
                                              command=self.refresh) for kind in KINDS}
        for toggle in self.toggles.values():
            toggle.pack(side="left", padx=(0, 6))
        self.count = ttk.Label(toggles, text="", foreground="#666666")
        self.count.pack(side="right")
        table = ttk.Frame(self)
        table.pack(fill="both", expand=True)
        self.results = ttk.Treeview(table, columns=("detail",), show="tree", height=8, selectmode="browse")
        self.results.column("#0", width=170, stretch=True)
        self.results.column("detail", width=120, stretch=True)
        self.scrollbar = ttk.Scrollbar(table, orient="vertical", command=self.results.yview)
        self.results.configure(yscrollcommand=self.scrollbar.set)
        self.scrollbar.pack(side="right", fill="y")
        self.results.pack(side="left", fill="both", expand=True)
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
        kinds = tuple(kind for kind in KINDS if self.kinds[kind].get())
        self.matches = search(self.graph, self.query.get(), kinds=kinds) if self.graph is not None else []
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

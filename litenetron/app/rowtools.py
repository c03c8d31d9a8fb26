"""Make every row of a ttk.Treeview readable and copyable: columns sized to their content, a horizontal
scrollbar, the whole text of a cell on hover, and Copy (Ctrl+C, right-click menu)."""

from __future__ import annotations

import tkinter
import tkinter.font
from tkinter import ttk
from typing import Callable, Dict, Optional, Sequence

COLUMN_PADDING = 24     # pixels around a cell's text (Tk's own padding and the tree indicator)
INDENT = 20             # a child row's indentation in the tree column
MAX_COLUMN = 900        # a column never grows wider than this; its cells show the rest on hover
TOOLTIP_DELAY_MS = 350
TOOLTIP_WRAP = 520


def cell_texts(tree: ttk.Treeview, iid: str) -> Sequence[str]:
    """(name, value, type …) of a row as drawn."""
    return (str(tree.item(iid, "text")),) + tuple(str(v) for v in tree.item(iid, "values"))


class Tooltip:
    """A small borderless window next to the pointer showing a text in full."""

    def __init__(self, widget: tkinter.Widget):
        self.widget = widget
        self.window: Optional[tkinter.Toplevel] = None
        self.label: Optional[tkinter.Label] = None
        self.text = ""

    def show(self, text: str, x_root: int, y_root: int) -> None:
        if self.window is None:
            self.window = tkinter.Toplevel(self.widget)
            self.window.wm_overrideredirect(True)
            self.label = tkinter.Label(self.window, justify="left", background="#ffffe6", foreground="#222222",
                                       relief="solid", borderwidth=1, wraplength=TOOLTIP_WRAP, padx=4, pady=2)
            self.label.pack()
        assert self.label is not None
        self.text = text
        self.label.configure(text=text)
        self.window.wm_geometry(f"+{x_root + 14}+{y_root + 18}")
        self.window.deiconify()
        self.window.lift()

    def hide(self) -> None:
        self.text = ""
        if self.window is not None:
            self.window.withdraw()

    @property
    def visible(self) -> bool:
        return bool(self.text) and self.window is not None and self.window.winfo_viewable()


class ReadableTree:
    """Adds sizing, hover text and Copy to `tree`; `full_text(iid, column)` may give more than the cell shows."""

    def __init__(self, tree: ttk.Treeview, full_text: Callable[[str, int], str]):
        self.tree = tree
        self.full_text = full_text
        self.tooltip = Tooltip(tree)
        self._pending: Optional[str] = None
        self._hover: tuple = ()
        self.menu = tkinter.Menu(tree, tearoff=False)
        self.menu.add_command(label="Copy Value", command=lambda: self.copy(1))
        self.menu.add_command(label="Copy Name", command=lambda: self.copy(0))
        self.menu.add_command(label="Copy Row", command=lambda: self.copy(None))
        tree.bind("<Motion>", self._motion, add="+")
        tree.bind("<Leave>", lambda _e: self._cancel_hover(), add="+")
        tree.bind("<Control-c>", lambda _e: self.copy(1) or "break")
        tree.bind("<Control-C>", lambda _e: self.copy(1) or "break")
        tree.bind("<Button-3>", self._context_menu)

    # -- sizing -------------------------------------------------------------------------------------------

    def fit_columns(self) -> None:
        """Each column as wide as its widest text (up to MAX_COLUMN): nothing is cut at the default width."""
        font = tkinter.font.nametofont("TkDefaultFont")
        heading = tkinter.font.nametofont("TkHeadingFont")
        columns = ["#0"] + list(self.tree.cget("columns"))
        widths: Dict[str, int] = {c: heading.measure(str(self.tree.heading(c, "text"))) for c in columns}

        def visit(parent: str, depth: int) -> None:
            for iid in self.tree.get_children(parent):
                for index, text in enumerate(cell_texts(self.tree, iid)):
                    width = font.measure(text) + (INDENT * (depth + 1) if index == 0 else 0)
                    column = columns[index] if index < len(columns) else None
                    if column is not None and width > widths[column]:
                        widths[column] = width
                visit(iid, depth + 1)

        visit("", 0)
        for column in columns:
            self.tree.column(column, width=min(MAX_COLUMN, widths[column] + COLUMN_PADDING),
                             minwidth=40, stretch=False)

    # -- hover --------------------------------------------------------------------------------------------

    def cell_at(self, x: int, y: int) -> tuple:
        row = self.tree.identify_row(y)
        column = self.tree.identify_column(x)
        if not row or not column:
            return ()
        return row, int(column.lstrip("#"))

    def _motion(self, event) -> None:
        cell = self.cell_at(event.x, event.y)
        if cell == self._hover:
            return
        self._cancel_hover()
        self._hover = cell
        if cell:
            self._pending = self.tree.after(TOOLTIP_DELAY_MS, lambda: self._show(cell, event.x_root, event.y_root))

    def _show(self, cell: tuple, x_root: int, y_root: int) -> None:
        self._pending = None
        row, column = cell
        if not self.tree.exists(row):
            return
        text = self.full_text(row, column)
        shown = cell_texts(self.tree, row)[column] if column < len(cell_texts(self.tree, row)) else ""
        if text and (text != shown or self._cut(row, column, shown)):
            self.tooltip.show(text, x_root, y_root)

    def _cut(self, row: str, column: int, text: str) -> bool:
        """Is the cell narrower than its text?"""
        name = "#0" if column == 0 else self.tree.cget("columns")[column - 1]
        font = tkinter.font.nametofont("TkDefaultFont")
        return font.measure(text) + COLUMN_PADDING // 2 > int(self.tree.column(name, "width"))

    def _cancel_hover(self) -> None:
        if self._pending is not None:
            self.tree.after_cancel(self._pending)
            self._pending = None
        self._hover = ()
        self.tooltip.hide()

    # -- copy ---------------------------------------------------------------------------------------------

    def copy(self, column: Optional[int]) -> None:
        """Copy the selected row's value (column 1), name (0) or the whole row (None) to the clipboard."""
        selection = self.tree.selection()
        if not selection:
            return
        iid = selection[0]
        texts = [self.full_text(iid, index) for index in range(len(cell_texts(self.tree, iid)))]
        if column is None:
            text = "\t".join(t for t in texts if t)
        else:
            text = texts[column] if column < len(texts) else ""
            if not text:  # a section or a row without a value: its name
                text = texts[0]
        self.tree.clipboard_clear()
        self.tree.clipboard_append(text)

    def _context_menu(self, event) -> None:
        row = self.tree.identify_row(event.y)
        if not row:
            return
        self.tree.selection_set(row)
        self.tree.focus(row)
        self.menu.tk_popup(event.x_root, event.y_root)

"""View ▸ Theme: Light / Dark for the whole window (ttk styles, menus, text panes) and the graph canvas."""

from __future__ import annotations

import tkinter
from tkinter import ttk
from typing import Dict, Iterable, Tuple

WINDOW_DARK = "#262626"
FIELD_DARK = "#1F1F1F"
TEXT_DARK = "#E0E0E0"
MUTED_DARK = "#9A9A9A"
SELECT_DARK = "#2F5A8A"

# (style, option) → dark value; the light values are read back before the first switch.
DARK_STYLE: Dict[Tuple[str, str], str] = {
    (".", "background"): WINDOW_DARK,
    (".", "foreground"): TEXT_DARK,
    (".", "fieldbackground"): FIELD_DARK,
    (".", "troughcolor"): FIELD_DARK,
    (".", "bordercolor"): "#3A3A3A",
    (".", "lightcolor"): "#333333",
    (".", "darkcolor"): "#1A1A1A",
    ("Treeview", "background"): FIELD_DARK,
    ("Treeview", "fieldbackground"): FIELD_DARK,
    ("Treeview", "foreground"): TEXT_DARK,
    ("Treeview.Heading", "background"): "#333333",
    ("Treeview.Heading", "foreground"): TEXT_DARK,
    ("TButton", "background"): "#383838",
    ("TEntry", "fieldbackground"): FIELD_DARK,
    ("TCombobox", "fieldbackground"): FIELD_DARK,
    ("TScrollbar", "troughcolor"): FIELD_DARK,   # clam gives scrollbars their own light trough and thumb
    ("TScrollbar", "background"): "#4A4A4A",
    ("TScrollbar", "arrowcolor"): TEXT_DARK,
    ("TProgressbar", "troughcolor"): FIELD_DARK,
}
TEXT_WIDGET_DARK = {"background": FIELD_DARK, "foreground": TEXT_DARK, "insertbackground": TEXT_DARK}
MENU_DARK = {"background": WINDOW_DARK, "foreground": TEXT_DARK, "activebackground": SELECT_DARK,
             "activeforeground": "#FFFFFF"}


class Theme:
    def __init__(self, root: tkinter.Tk):
        self.root = root
        self.style = ttk.Style(root)
        self.name = "light"
        self._light_style = {key: self.style.lookup(*key) for key in DARK_STYLE}
        self._light_widgets: Dict[str, Dict[str, str]] = {}

    def apply(self, name: str, canvas, widgets: Iterable[tkinter.Widget], menus: Iterable[tkinter.Menu]) -> None:
        dark = name == "dark"
        self.name = "dark" if dark else "light"
        for (style_name, option), value in DARK_STYLE.items():
            light = self._light_style[(style_name, option)]
            self.style.configure(style_name, **{option: value if dark else (light or "")})
        selected = SELECT_DARK if dark else self.style.lookup("Treeview", "selectbackground") or "#4a6984"
        self.style.map("Treeview", background=[("selected", selected)])
        for widget in list(widgets) + list(menus):
            wanted = MENU_DARK if isinstance(widget, tkinter.Menu) else TEXT_WIDGET_DARK
            key = str(widget)
            if key not in self._light_widgets:
                self._light_widgets[key] = {option: str(widget.cget(option)) for option in wanted}
            widget.configure(**(wanted if dark else self._light_widgets[key]))
        canvas.set_dark(dark)

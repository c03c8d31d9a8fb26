"""Menus and keyboard shortcuts, both built from the one command table in keys.py."""

from __future__ import annotations

import tkinter
from pathlib import Path
from typing import Callable, Dict, List

from .keys import COMMANDS, MENUS, RECENT_ACCELERATOR, RECENT_SEQUENCE

# Widgets where plain editing keys (Backspace…) belong to the text, not to the viewer.
TEXT_WIDGETS = ("Entry", "TEntry", "Text", "TCombobox", "Spinbox", "TSpinbox")


class Menus:
    """The menubar; `dispatch(name)` runs a command; `checks` holds the View option variables."""

    def __init__(self, root: tkinter.Tk, dispatch: Callable[[str], None], open_recent: Callable[[int], None]):
        self.root = root
        self.dispatch = dispatch
        self.open_recent = open_recent
        self.menubar = tkinter.Menu(root, tearoff=False)
        self.menus: Dict[str, tkinter.Menu] = {}
        self.checks: Dict[str, tkinter.BooleanVar] = {}
        self.radios: Dict[str, tkinter.StringVar] = {}   # submenu title → the chosen radio value
        self.submenus: Dict[str, tkinter.Menu] = {}
        for title in MENUS:
            menu = tkinter.Menu(self.menubar, tearoff=False)
            self.menubar.add_cascade(label=title, menu=menu, underline=0)
            self.menus[title] = menu
        self.recent = tkinter.Menu(self.menus["File"], tearoff=False)
        for command in COMMANDS:
            menu = self.menus[command.menu]
            if command.separator_before:
                menu.add_separator()
            if command.submenu:
                menu = self._submenu(menu, command)
            if command.radio:
                menu.add_radiobutton(label=command.label, accelerator=command.accelerator, value=command.radio,
                                     variable=self.radios[command.submenu],
                                     command=lambda name=command.name: self.dispatch(name))
            elif command.check:
                variable = tkinter.BooleanVar(master=root, value=False)
                self.checks[command.check] = variable
                # the menu toggles the variable itself; the handler reads it
                menu.add_checkbutton(label=command.label, accelerator=command.accelerator, variable=variable,
                                     command=lambda name=command.name: self.dispatch(name, from_menu=True))
            else:
                menu.add_command(label=command.label, accelerator=command.accelerator,
                                 command=lambda name=command.name: self.dispatch(name))
            if command.name == "open":
                menu.add_cascade(label="Open Recent", menu=self.recent)
            for sequence in command.sequences:
                root.bind(sequence, lambda event, c=command: self._key(event, c.name, c.text_key))
        for number in range(1, 10):
            root.bind(RECENT_SEQUENCE.format(number), lambda event, n=number: self._recent_key(n))
        root.configure(menu=self.menubar)

    def _submenu(self, parent: tkinter.Menu, command) -> tkinter.Menu:
        if command.submenu not in self.submenus:
            menu = tkinter.Menu(parent, tearoff=False)
            parent.add_cascade(label=command.submenu, menu=menu)
            self.submenus[command.submenu] = menu
            self.radios[command.submenu] = tkinter.StringVar(master=self.root, value=command.radio)
        return self.submenus[command.submenu]

    def _key(self, event, name: str, text_key: bool):
        if text_key and event.widget.winfo_class() in TEXT_WIDGETS:
            return None
        self.dispatch(name)
        return "break"

    def _recent_key(self, number: int) -> str:
        self.open_recent(number - 1)
        return "break"

    def set_recent(self, paths: List[str]) -> None:
        self.recent.delete(0, "end")
        for index, path in enumerate(paths):
            self.recent.add_command(label=f"{index + 1}  {Path(path).name}", accelerator=RECENT_ACCELERATOR.format(
                index + 1), command=lambda i=index: self.open_recent(i))
        if not paths:
            self.recent.add_command(label="(none)", state="disabled")

    def enable(self, has_model: bool) -> None:
        """Grey out the commands that need an open model."""
        needs_model = {"close", "export_png", "export_svg", "find", "zoom_in", "zoom_out", "actual_size", "fit",
                       "back", "toggle_properties", "compare", "partner", "reload", "copy"}
        for command in COMMANDS:
            if command.name in needs_model and not command.submenu:
                self.menus[command.menu].entryconfigure(command.label, state="normal" if has_model else "disabled")

"""The welcome screen shown when no model is open: Open Model…, Open Sample and the recent files."""

from __future__ import annotations

import tkinter
from pathlib import Path
from tkinter import ttk
from typing import Callable, List

from .. import __version__
from .icons import icon_path

RECENT_STYLE = "Recent.Toolbutton"


def short_path(path: str) -> str:
    """`/home/me/models/a/model.onnx` → `~/models/a/model.onnx`: where it is, not only its name."""
    try:
        return "~/" + Path(path).relative_to(Path.home()).as_posix()
    except ValueError:
        return path


class Welcome(ttk.Frame):
    def __init__(self, parent, open_model: Callable[[], None], open_sample: Callable[[], None],
                 open_path: Callable[[str], None]):
        super().__init__(parent, padding=40)
        self.open_path = open_path
        inner = ttk.Frame(self)
        inner.place(relx=0.5, rely=0.42, anchor="center")
        path = icon_path(128)
        self.logo = tkinter.PhotoImage(master=self, file=str(path)) if path else None
        if self.logo is not None:
            ttk.Label(inner, image=self.logo).pack(pady=(0, 12))
        ttk.Label(inner, text="litenetron", font=("TkDefaultFont", 20, "bold")).pack()
        ttk.Label(inner, text="A viewer for neural network models", foreground="#666666").pack(pady=(2, 0))
        self.version = ttk.Label(inner, text=f"version {__version__}", foreground="#888888")
        self.version.pack(pady=(2, 18))
        buttons = ttk.Frame(inner)
        buttons.pack()
        self.open_button = ttk.Button(buttons, text="Open Model…", command=open_model, width=16)
        self.open_button.pack(side="left", padx=6)
        self.sample_button = ttk.Button(buttons, text="Open Sample", command=open_sample, width=16)
        self.sample_button.pack(side="left", padx=6)
        ttk.Style(self).configure(RECENT_STYLE, anchor="w")   # a list reads from the left
        self.recent = ttk.Frame(inner)
        self.recent.pack(pady=(24, 0), fill="x")

    def set_recent(self, paths: List[str]) -> None:
        for child in self.recent.winfo_children():
            child.destroy()
        if not paths:
            return
        ttk.Label(self.recent, text="Recent", font="TkHeadingFont").pack(anchor="w")
        for index, path in enumerate(paths):
            ttk.Button(self.recent, text=f"{index + 1}  {short_path(path)}", style=RECENT_STYLE,
                       command=lambda p=path: self.open_path(p)).pack(anchor="w", fill="x")

"""The Tk viewer: `run_app(path)` opens the main window (welcome screen when `path` is None)."""

from __future__ import annotations

from typing import Optional


def run_app(path: Optional[str] = None) -> int:
    import tkinter

    from .window import MainWindow

    try:
        root = tkinter.Tk(className="litenetron")
    except tkinter.TclError as error:
        import sys

        print(f"litenetron: error: cannot open a window ({error})", file=sys.stderr)
        return 1
    window = MainWindow(root)
    if path:
        window.open_path(path)
    root.mainloop()
    return 0

"""The app icon: found next to the package (source tree) or inside it (installed package data)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import litenetron


def icons_dir() -> Optional[Path]:
    package = Path(litenetron.__file__).resolve().parent
    for folder in (package.parent / "icons", package / "icons"):
        if (folder / "litenetron-32.png").is_file():
            return folder
    return None


def icon_path(size: int) -> Optional[Path]:
    folder = icons_dir()
    path = folder / f"litenetron-{size}.png" if folder else None
    return path if path is not None and path.is_file() else None


def load_icons(root, sizes=(16, 32, 48, 64, 128)) -> List:
    """tk.PhotoImages of the icon (kept alive by the caller); empty when the files are missing or unreadable."""
    import tkinter

    images = []
    for size in sizes:
        path = icon_path(size)
        if path is None:
            continue
        try:
            images.append(tkinter.PhotoImage(master=root, file=str(path)))
        except tkinter.TclError:
            continue
    return images


def set_window_icon(root) -> List:
    """Give the window the app icon; returns the images to keep alive (Tk does not hold a reference)."""
    import tkinter

    images = load_icons(root)
    if images:
        try:
            root.iconphoto(True, *images)
        except tkinter.TclError:
            return []
    return images

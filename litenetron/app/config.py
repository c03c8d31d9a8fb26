"""The viewer's small settings file: the recently opened models (Ctrl+1…9)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List

RECENT_LIMIT = 9


def config_dir() -> Path:
    """Where the settings live: $XDG_CONFIG_HOME (or ~/.config), %APPDATA% on Windows."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "litenetron"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "litenetron"


def _recent_file() -> Path:
    return config_dir() / "recent.json"


def load_recent() -> List[str]:
    """The recent model paths, newest first; a missing or damaged file means none."""
    try:
        entries = json.loads(_recent_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, str)][:RECENT_LIMIT]


def save_recent(paths: List[str]) -> None:
    """Write the list; failing to write settings must never stop the viewer."""
    target = _recent_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(paths[:RECENT_LIMIT], indent=1), encoding="utf-8")
    except OSError:
        pass


def add_recent(path: str) -> List[str]:
    """Move `path` (absolute) to the front of the recent list, save and return the list."""
    path = str(Path(path).resolve())
    paths = [path] + [entry for entry in load_recent() if entry != path]
    save_recent(paths)
    return paths[:RECENT_LIMIT]


def remove_recent(path: str) -> List[str]:
    paths = [entry for entry in load_recent() if entry != path]
    save_recent(paths)
    return paths

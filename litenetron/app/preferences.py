"""Preferences that persist between sessions, in the config folder beside the recent files: the View options,
the mouse-wheel mode, the theme, the window size and the sidebar width."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Dict

from .config import config_dir

WHEEL_MODES = ("scroll", "zoom")
THEMES = ("light", "dark")
_GEOMETRY = re.compile(r"^\d{2,5}x\d{2,5}$")


@dataclass
class Preferences:
    view: Dict[str, bool] = field(default_factory=dict)   # ViewOptions field → value
    wheel: str = "scroll"
    theme: str = "light"
    geometry: str = ""       # "1280x820"
    sidebar_width: int = 0   # pixels; 0: the default share of the window

    def view_options(self, defaults):
        """`defaults` (a ViewOptions) with the saved values that still name one of its boolean fields."""
        names = {f.name for f in fields(defaults)}
        known = {k: v for k, v in self.view.items() if k in names and isinstance(v, bool)}
        return type(defaults)(**{**asdict(defaults), **known})


def _file():
    return config_dir() / "preferences.json"


def load() -> Preferences:
    """The saved preferences; a missing, damaged or foreign file gives the defaults (value by value)."""
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Preferences()
    if not isinstance(data, dict):
        return Preferences()
    prefs = Preferences()
    if isinstance(data.get("view"), dict):
        prefs.view = {str(k): v for k, v in data["view"].items() if isinstance(v, bool)}
    if data.get("wheel") in WHEEL_MODES:
        prefs.wheel = data["wheel"]
    if data.get("theme") in THEMES:
        prefs.theme = data["theme"]
    if isinstance(data.get("geometry"), str) and _GEOMETRY.match(data["geometry"]):
        prefs.geometry = data["geometry"]
    width = data.get("sidebar_width")
    if isinstance(width, int) and not isinstance(width, bool) and 0 <= width <= 10000:
        prefs.sidebar_width = width
    return prefs


def save(prefs: Preferences) -> None:
    """Write them; failing to write settings must never stop the viewer."""
    target = _file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(asdict(prefs), indent=1, sort_keys=True), encoding="utf-8")
    except OSError:
        pass

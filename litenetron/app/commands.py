"""The window's commands for inspecting (issue 12): theme, reload, full screen, wheel mode, Copy, the
properties toggle, selection history and saving preferences. A mixin of MainWindow, kept apart so the window
module stays small; every name it uses is an attribute of MainWindow."""

from __future__ import annotations

from . import preferences
from .sidebar import LINK_COLOUR

DARK_LINK_COLOUR = "#7FB2F0"


class InspectCommands:
    def command_toggle_properties(self) -> None:
        """Ctrl+Enter: the model's properties, or back to the graph's when they are shown."""
        if self.model is not None and self.sidebar.title.cget("text") == "Model Properties" and self.graph:
            self.canvas.select(None, None)
            self.show_selection(None, None)
        else:
            self.command_properties()

    def command_history_back(self) -> None:
        self.navigator.back()

    def command_history_forward(self) -> None:
        self.navigator.forward()

    def command_theme_light(self) -> None:
        self.set_theme("light")

    def command_theme_dark(self) -> None:
        self.set_theme("dark")

    def set_theme(self, name: str) -> None:
        self.menus.radios["Theme"].set(name)
        menus = [self.menus.menubar, *self.menus.menus.values(), *self.menus.submenus.values(), self.menus.recent]
        self.theme.apply(name, self.canvas.canvas, [self.sidebar.preview], menus)
        dark = self.theme.name == "dark"
        self.sidebar.tree.tag_configure("link", foreground=DARK_LINK_COLOUR if dark else LINK_COLOUR)
        self.sidebar.set_dark(dark)
        self.canvas.minimap.set_dark(dark)
        self.canvas.redraw()
        self.prefs.theme = self.theme.name
        self.save_preferences()

    def command_reload(self) -> None:
        if self.path:
            self.open_path(self.path)

    def command_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen   # kept here: without a window manager Tk reports no state
        self.root.attributes("-fullscreen", self.fullscreen)

    def command_wheel_mode(self) -> None:
        self.canvas.wheel_zooms = not self.canvas.wheel_zooms
        self.message.configure(text=f"Mouse wheel {'zooms' if self.canvas.wheel_zooms else 'scrolls'}")
        self.save_preferences()

    def command_copy(self) -> None:
        """Edit ▸ Copy: the sidebar row chosen, else the name of what is selected on the canvas."""
        if self.sidebar.tree.selection():
            self.sidebar.readable.copy(1)
            return
        text = ""
        if self.canvas.selected_box is not None and self.scene is not None:
            box = self.scene.boxes[self.canvas.selected_box]
            text = (box.node.name or box.node.type.name) if box.node is not None else box.title
        elif self.canvas.selected_edge is not None and self.scene is not None:
            text = self.scene.edges[self.canvas.selected_edge].value.name
        if text:
            self.root.clipboard_clear()
            self.root.clipboard_append(text)

    def save_preferences(self) -> None:
        prefs = self.prefs
        prefs.view = {name: bool(getattr(self.options, name)) for name in self.menus.checks}
        prefs.wheel = "zoom" if self.canvas.wheel_zooms else "scroll"
        if self.root.winfo_width() > 1 and not self.fullscreen:
            prefs.geometry = f"{self.root.winfo_width()}x{self.root.winfo_height()}"
        if self.panes.winfo_ismapped():
            prefs.sidebar_width = max(0, self.panes.winfo_width() - self.panes.sashpos(0))
        preferences.save(prefs)

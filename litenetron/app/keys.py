"""The one table of commands: menu placement, labels and keyboard shortcuts (Netron's keys).

Menus and key bindings are both built from COMMANDS, so a shortcut shown in a menu is always the one that works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class Command:
    name: str                      # handler name on the window: `command_<name>`
    menu: str                      # "File", "Edit", "View", "Help"
    label: str
    accelerator: str = ""          # shown in the menu
    sequences: Tuple[str, ...] = ()  # Tk event sequences bound on the main window
    check: str = ""                # a view option toggled by this command (a check menu item)
    separator_before: bool = False
    text_key: bool = False         # also an editing key: ignored while a text entry has the focus
    submenu: str = ""              # placed in this cascade of `menu` (created where its first command is)
    radio: str = ""                # a radio item: the value its submenu's choice takes


COMMANDS: Tuple[Command, ...] = (
    Command("open", "File", "Open…", "Ctrl+O", ("<Control-o>", "<Control-O>")),
    Command("close", "File", "Close", "Ctrl+W", ("<Control-w>", "<Control-W>")),
    Command("export_png", "File", "Export as PNG…", "Ctrl+Shift+E", ("<Control-Shift-E>", "<Control-E>"),
            separator_before=True),
    Command("export_svg", "File", "Export as SVG…", "Ctrl+Alt+E", ("<Control-Alt-e>", "<Control-Alt-E>")),
    Command("compare", "File", "Compare With…", separator_before=True),
    Command("reload", "File", "Reload", "F5", ("<F5>",), separator_before=True),
    Command("quit", "File", "Quit", "Ctrl+Q", ("<Control-q>", "<Control-Q>"), separator_before=True),
    Command("copy", "Edit", "Copy", "Ctrl+C", ("<Control-c>",), text_key=True),
    Command("find", "Edit", "Find…", "Ctrl+F", ("<Control-f>", "<Control-F>")),
    Command("toggle_attributes", "View", "Show Attributes", "Ctrl+D", ("<Control-d>",), check="show_attributes"),
    Command("toggle_weights", "View", "Show Weights", "Ctrl+I", ("<Control-i>",), check="show_weights"),
    Command("toggle_names", "View", "Show Names", "Ctrl+U", ("<Control-u>",), check="show_names"),
    Command("toggle_horizontal", "View", "Horizontal", "Ctrl+K", ("<Control-k>",), check="horizontal"),
    Command("colour_category", "View", "Operator Category", submenu="Colour By", radio="category",
            separator_before=True),
    Command("colour_macs", "View", "MACs", submenu="Colour By", radio="macs"),
    Command("colour_parameters", "View", "Parameters", submenu="Colour By", radio="parameters"),
    Command("colour_bytes", "View", "Output Bytes", submenu="Colour By", radio="bytes"),
    Command("theme_light", "View", "Light", submenu="Theme", radio="light"),
    Command("theme_dark", "View", "Dark", submenu="Theme", radio="dark"),
    Command("partner", "View", "Show Partner in Compared Model", "Ctrl+J", ("<Control-j>", "<Control-J>")),
    Command("expand_all", "View", "Expand All", separator_before=True),
    Command("collapse_all", "View", "Collapse All"),
    Command("expand_to_level", "View", "Expand to Level…"),
    Command("toggle_minimap", "View", "Minimap", "Ctrl+Shift+M", ("<Control-M>",)),
    Command("zoom_in", "View", "Zoom In", "Shift+Up",
            ("<Shift-Up>", "<Control-plus>", "<Control-equal>", "<Control-KP_Add>"), separator_before=True),
    Command("zoom_out", "View", "Zoom Out", "Shift+Down", ("<Shift-Down>", "<Control-minus>", "<Control-KP_Subtract>")),
    Command("actual_size", "View", "Actual Size", "Shift+Backspace", ("<Shift-BackSpace>",), text_key=True),
    Command("fit", "View", "Fit to Window"),
    Command("wheel_mode", "View", "Mouse Wheel: Scroll / Zoom", "Ctrl+M", ("<Control-m>",), separator_before=True),
    Command("fullscreen", "View", "Full Screen", "F11", ("<F11>",)),
    Command("back", "View", "Back", "Backspace", ("<BackSpace>",), separator_before=True, text_key=True),
    Command("history_back", "View", "Previous Selection", "Alt+Left", ("<Alt-Left>",)),
    Command("history_forward", "View", "Next Selection", "Alt+Right", ("<Alt-Right>",)),
    Command("toggle_properties", "View", "Model / Graph Properties", "Ctrl+Enter",
            ("<Control-Return>", "<Control-KP_Enter>")),
    Command("about", "Help", "About litenetron"),
)

COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}

MENUS = ("File", "Edit", "View", "Help")

# Ctrl+1…9 reopen the recent files listed under File ▸ Open Recent.
RECENT_SEQUENCE = "<Control-Key-{}>"
RECENT_ACCELERATOR = "Ctrl+{}"

"""setup.cfg lists packages by hand (the icons live outside the source tree, which `packages = find:` cannot
map): every package folder of the source tree must be in that list, or an installed copy would miss it."""

from __future__ import annotations

import configparser

from conftest import REPO


def test_every_package_folder_is_installed():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    listed = {line.strip() for line in config["options"]["packages"].splitlines() if line.strip()}
    folders = {".".join(path.parent.relative_to(REPO).parts) for path in (REPO / "litenetron").rglob("__init__.py")}
    assert folders - listed == set(), "add these packages to setup.cfg"
    assert "litenetron.icons" in listed and (REPO / "icons").is_dir()

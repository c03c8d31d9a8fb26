"""Each family declares its display name and extensions once; the README's formats table and the Open
dialog agree with those declarations."""

from __future__ import annotations

import re

from conftest import REPO
from litenetron.formats import FAMILIES, family_modules, file_types


def test_every_family_declares_its_name_and_extensions():
    modules = list(family_modules())
    assert len(modules) == len(FAMILIES)
    for module in modules:
        assert isinstance(module.NAME, str) and module.NAME, module.__name__
        assert isinstance(module.EXTENSIONS, tuple) and module.EXTENSIONS, module.__name__
        for extension in module.EXTENSIONS:
            # a suffix (".onnx") or a whole file name ("__model__"), never a pattern or a path
            assert extension and extension == extension.strip(), module.__name__
            assert not any(char in extension for char in "*?/\\ "), extension


def _readme_rows() -> dict:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and cells[0] not in ("family", "---"):
            rows[cells[0]] = cells[1]
    return rows


def test_readme_formats_table_matches_the_declarations():
    rows = _readme_rows()
    declared = dict(file_types())
    for name, extensions in declared.items():
        assert name in rows, f"README formats table has no row for {name}"
        named = re.findall(r"`(\.[A-Za-z0-9.]+)`", rows[name])
        assert named, name
        for extension in named:
            assert extension in extensions, f"README lists {extension} for {name}; the family does not declare it"

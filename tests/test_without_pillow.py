"""Without Pillow (or numpy): `--info` and SVG export work with the standard library; PNG export says in one
line that it needs Pillow."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from conftest import REPO
from litenetron.render.font_table import TableFonts
from litenetron.render.fonts import PillowFonts, find_font_files

SAMPLE = REPO / "litenetron" / "samples" / "resblock.onnx"
_BLOCKED_CLI = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PIL", "numpy", "onnx", "google"):
            raise ImportError(f"{name} is blocked for this test")
sys.meta_path.insert(0, Block())
from litenetron.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def _cli_without_pillow(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _BLOCKED_CLI, *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def test_info_and_svg_export_need_only_the_standard_library(tmp_path):
    info = _cli_without_pillow(str(SAMPLE), "--info")
    assert info.returncode == 0, info.stderr
    assert "nodes:" in info.stdout
    target = tmp_path / "graph.svg"
    export = _cli_without_pillow(str(SAMPLE), "--export", str(target))
    assert export.returncode == 0, export.stderr
    root = ElementTree.parse(target).getroot()
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Conv" in texts and "Relu" in texts
    assert "DejaVu Sans" in root.get("font-family", "") + ElementTree.tostring(root, encoding="unicode")[:2000]


def test_png_export_without_pillow_says_so_in_one_line(tmp_path):
    target = tmp_path / "graph.png"
    result = _cli_without_pillow(str(SAMPLE), "--export", str(target))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"litenetron: error: {target}: PNG export needs Pillow (pip install pillow); SVG export works without it"]
    assert not target.exists()


@pytest.mark.parametrize("text_style", ["title", "row", "row_name", "label"])
def test_built_in_widths_match_the_font(text_style):
    files = find_font_files()
    if files is None or files[0] != "DejaVu Sans":
        pytest.skip("DejaVu Sans is not installed: nothing to compare the built-in table with")
    # Measured large, where hinting no longer rounds every advance up to a whole pixel.
    pillow, table = PillowFonts(8.0), TableFonts()
    for text in ("Conv", "BatchNormalization", "weight ⟨64×3×7×7⟩", "resnet/layer1/0/conv1", "W_{ij} = 0.25"):
        expected_width, expected_height = pillow.measure(text, text_style)
        width, height = table.measure(text, text_style)
        assert width == pytest.approx(expected_width, rel=0.03, abs=0.5), text
        assert height == pytest.approx(expected_height, rel=0.05)
        assert table.ascent(text_style) == pytest.approx(pillow.ascent(text_style), rel=0.05)

"""PNG and SVG export: valid files that show the scene, the pixel cap, graph choice, the CLI path, the corpus."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from argparse import Namespace
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from test_scene import conv_bn_relu

from conftest import CORPUS, REPO, manifest_rows, require_corpus, run_cli
from litenetron import style
from litenetron.formats import open_model
from litenetron.model import Argument, Graph, Model, ModelError, Node, OpType, TensorType, Value
from litenetron.render import png
from litenetron.render.export import export_graph, export_model, select_graph
from litenetron.render.fonts import PillowFonts
from litenetron.scene import ViewOptions, build_scene

SVG = "{http://www.w3.org/2000/svg}"


def _args(**overrides) -> Namespace:
    values = dict(graph=None, horizontal=False, show_attributes=False, show_names=False, hide_weights=False,
                  scale=2.0)
    values.update(overrides)
    return Namespace(**values)


def _colours(image: Image.Image) -> set:
    return {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20)}


def test_png_shows_the_boxes(tmp_path):
    path = tmp_path / "graph.png"
    export_graph(conv_bn_relu(), path, ViewOptions(), scale=2.0)
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG" and image.mode == "RGB"
        scene = build_scene(conv_bn_relu(), ViewOptions(), PillowFonts(2.0).measure)
        assert image.width >= scene.width * 2 and image.height >= scene.height * 2
        colours = _colours(image)
    assert (255, 255, 255) in colours and len(colours) > 10  # not blank
    assert (0x33, 0x55, 0x88) in colours and (0x70, 0x29, 0x21) in colours  # Conv and Relu headers


def test_png_strips_match_one_piece(tmp_path, monkeypatch):
    whole, striped = tmp_path / "whole.png", tmp_path / "striped.png"
    export_graph(conv_bn_relu(), whole, ViewOptions(show_attributes=True))
    monkeypatch.setattr(png, "STRIP_BYTES", 1)  # 16-row strips
    export_graph(conv_bn_relu(), striped, ViewOptions(show_attributes=True))
    with Image.open(whole) as a, Image.open(striped) as b:
        assert a.size == b.size
        difference = ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0]
    assert difference < 0.5


def test_png_pixel_cap_reduces_the_scale(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(png, "MAX_PIXELS", 40_000)
    path = tmp_path / "capped.png"
    export_graph(conv_bn_relu(), path, ViewOptions(), scale=4.0)
    with Image.open(path) as image:
        assert image.width * image.height <= 40_000 * 1.01
    message = capsys.readouterr().err
    assert "drawing it at scale" in message and ".svg" in message


def test_svg_is_valid_xml_with_every_box(tmp_path):
    graph = conv_bn_relu()
    graph.nodes[2].name = 'relu <"&">'
    path = tmp_path / "graph.svg"
    export_graph(graph, path, ViewOptions(show_names=True))
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{SVG}svg" and root.get("viewBox", "").startswith("0 0 ")
    boxes = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("box ")]
    assert len(boxes) == 5
    assert sorted(g.get("class") for g in boxes) == ["box input", "box node", "box node", "box node", "box output"]
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert 'relu <"&">' in texts and "conv_out" in texts
    title = next(text for text in root.iter(f"{SVG}text") if text.text == "conv1")
    assert title.get("font-weight") == ("bold" if style.FONTS["title"].bold else "normal")
    assert "DejaVu Sans" in root.get("font-family") or "sans-serif" in root.get("font-family")
    export_graph(conv_bn_relu(), path, ViewOptions())
    texts = ["".join(text.itertext()) for text in ElementTree.parse(path).getroot().iter(f"{SVG}text")]
    assert "W ⟨32×3×3×3⟩" in texts and "?×32×224×224" in texts
    edges = [p for p in ElementTree.parse(path).getroot().iter(f"{SVG}path") if p.get("class") == "edge"]
    assert len(edges) == 4


def test_bad_extension_and_graph_choice(tmp_path):
    model = Model("test", graphs=[Graph("main", nodes=conv_bn_relu().nodes), Graph("second")], path="m.onnx")
    with pytest.raises(ModelError, match=r"\.png or \.svg"):
        export_model(model, tmp_path / "x.jpg", _args())
    assert select_graph(model, None).name == "main"
    assert select_graph(model, "second").name == "second"
    assert select_graph(model, "1").name == "second"
    model.functions.append(Graph("helper"))
    assert select_graph(model, "helper") is model.functions[0]
    with pytest.raises(ModelError, match="no graph 'third'.*0: main, 1: second"):
        select_graph(model, "third")
    with pytest.raises(ModelError, match="no graph '2'"):
        select_graph(model, "2")
    with pytest.raises(ModelError, match="no graph"):
        export_model(Model("empty"), tmp_path / "x.png", _args())


def test_export_model_uses_the_options(tmp_path):
    model = Model("test", graphs=[conv_bn_relu()])
    plain, wide = tmp_path / "plain.svg", tmp_path / "wide.svg"
    export_model(model, plain, _args())
    export_model(model, wide, _args(horizontal=True, hide_weights=True, show_attributes=True))

    def size(path: Path):
        root = ElementTree.parse(path).getroot()
        return float(root.get("width")), float(root.get("height"))

    assert (size(plain)[0] < size(plain)[1]) and (size(wide)[0] > size(wide)[1])
    texts = ["".join(text.itertext()) for text in ElementTree.parse(wide).getroot().iter(f"{SVG}text")]
    assert "kernel_shape = 3, 3" in texts and "W ⟨32×3×3×3⟩" not in texts


def test_control_edges_are_dashed_in_svg(tmp_path):
    x = Value("x", TensorType("float32", (2,)))
    first = Node("first", OpType("Identity"), inputs=[Argument("x", [x])], outputs=[Argument("y", [Value("y")])])
    second = Node("second", OpType("NoOp", "Control"), inputs=[Argument("deps", [Value("^first")])])
    path = tmp_path / "control.svg"
    export_graph(Graph(inputs=[Argument("x", [x])], nodes=[first, second]), path, ViewOptions())
    edges = [p for p in ElementTree.parse(path).getroot().iter(f"{SVG}path") if p.get("class") == "edge"]
    assert [bool(edge.get("stroke-dasharray")) for edge in edges] == [False, True]


def test_export_never_imports_tkinter(tmp_path):
    script = (
        "import sys\n"
        "from argparse import Namespace\n"
        "from litenetron.__main__ import main\n"
        f"assert main(['--sample', '--export', {str(tmp_path / 'x.png')!r}]) == 0\n"
        f"assert main(['--sample', '--export', {str(tmp_path / 'x.svg')!r}]) == 0\n"
        "assert 'tkinter' not in sys.modules, 'tkinter was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr


def test_cli_export(tmp_path):
    out = tmp_path / "sample.png"
    result = run_cli("--sample", "--export", str(out), "--show-attributes")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.width > 100 and image.height > 100
    result = run_cli("--sample", "--export", str(tmp_path / "sample.gif"))
    assert result.returncode == 1 and ".png or .svg" in result.stderr
    result = run_cli("--sample", "--export", str(tmp_path / "x.svg"), "--graph", "7")
    assert result.returncode == 1 and "no graph '7'" in result.stderr


ONNX_FILES = [row["path"] for row in manifest_rows("onnx") if row["path"].endswith(".onnx")]


@pytest.mark.parametrize("relative", ONNX_FILES or ["(corpus missing)"])
def test_corpus_onnx_exports(relative, tmp_path):
    require_corpus()
    model = open_model(CORPUS / relative)
    path = tmp_path / "graph.svg"
    export_graph(model.graphs[0], path, ViewOptions())
    root = ElementTree.parse(path).getroot()
    boxes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "box node"]
    assert len(boxes) == len(model.graphs[0].nodes)


def test_empty_graph_and_self_loop(tmp_path):
    export_graph(Graph(), tmp_path / "empty.png", ViewOptions())
    export_graph(Graph(), tmp_path / "empty.svg", ViewOptions())
    with Image.open(tmp_path / "empty.png") as image:
        assert image.size[0] > 0 and image.size[1] > 0
    value = Value("v", TensorType("float32", (1,)))
    loop = Node("loop", OpType("Loop", "Control"), inputs=[Argument("x", [value])], outputs=[Argument("y", [value])])
    export_graph(Graph(nodes=[loop]), tmp_path / "loop.svg", ViewOptions())
    edges = [p for p in ElementTree.parse(tmp_path / "loop.svg").getroot().iter(f"{SVG}path")
             if p.get("class") == "edge"]
    assert len(edges) == 1


def test_pillow_default_font_when_no_system_font(tmp_path, monkeypatch):
    from litenetron.render import fonts

    monkeypatch.setattr(fonts, "find_font_files", lambda: None)
    bundled = fonts.PillowFonts(2.0)
    assert bundled.family == "sans-serif"
    assert bundled.text("W ⟨32×3⟩") == "W <32x3>"  # glyphs the bundled font lacks
    width, height = bundled.measure("W ⟨32×3×3×3⟩", "row")
    assert width > 0 and height > 0
    export_graph(conv_bn_relu(), tmp_path / "fallback.png", ViewOptions())
    with Image.open(tmp_path / "fallback.png") as image:
        assert len(_colours(image)) > 10


def test_system_font_is_found_when_installed():
    from litenetron.render import fonts

    found = fonts.find_font_files()
    if found is None:
        pytest.skip("no DejaVu/Liberation/Arial font on this machine")
    family, regular, bold = found
    assert regular.is_file() and bold.is_file() and family in ("DejaVu Sans", "Liberation Sans", "Arial")
    assert fonts.PillowFonts(1.0).family == family


def test_fit_scale_caps_pixels_and_sides(monkeypatch):
    assert png.fit_scale(100, 100, 2.0) == 2.0
    scale = png.fit_scale(20_000, 20_000, 2.0)
    assert (20_000 * scale) ** 2 <= png.MAX_PIXELS and scale > 0.7
    scale = png.fit_scale(100, 2_000_000, 2.0)
    assert 2_000_000 * scale <= png.MAX_SIDE and scale > 0.4


def test_failed_export_leaves_no_file(tmp_path, monkeypatch):
    def broken(*_):
        raise MemoryError("out of memory")

    monkeypatch.setattr(png, "_draw_box", broken)
    path = tmp_path / "broken.png"
    with pytest.raises(MemoryError):
        export_graph(conv_bn_relu(), path, ViewOptions())
    assert not path.exists()
    with pytest.raises(ModelError, match="positive"):
        export_graph(conv_bn_relu(), path, ViewOptions(), scale=0)

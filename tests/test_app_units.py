"""The viewer's parts that need no window: command table, file filters, recent files, statistics, search and
the canvas grid index."""

from __future__ import annotations

import numpy
import pytest

from litenetron.model import Graph, Node, OpType, Tensor, Value


def test_every_command_has_a_handler():
    from litenetron.app.keys import COMMANDS
    from litenetron.app.window import MainWindow
    from litenetron.scene import ViewOptions

    for command in COMMANDS:
        if command.check:
            assert hasattr(ViewOptions(), command.check), command.name
        else:
            assert hasattr(MainWindow, f"command_{command.name}"), command.name


def test_file_dialog_filter_lists_every_extension():
    from litenetron.app.window import file_types
    from litenetron.formats import family_modules

    filters = dict(file_types())
    patterns = filters["All model files"].split()
    for module in family_modules():  # each family's own declaration, not a copy of it
        for extension in module.EXTENSIONS:
            assert (f"*{extension}" if extension.startswith(".") else extension) in patterns, module.__name__
        assert module.NAME in filters
    for once_missing in ("*.pickle", "*.ckpt", "*.tar", "*.paddle", "*.graphdef", "*.pbtext", "__model__"):
        assert once_missing in patterns
    assert "*.savedmodel" not in patterns  # a SavedModel is a folder's saved_model.pb
    assert list(filters)[-1] == "All files" and filters["All files"] == "*"


def test_recent_files_config(tmp_path, monkeypatch):
    from litenetron.app import config

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config.load_recent() == []
    for index in range(12):
        config.add_recent(str(tmp_path / f"m{index}.onnx"))
    paths = config.load_recent()
    assert len(paths) == 9 and paths[0].endswith("m11.onnx")
    config.add_recent(str(tmp_path / "m5.onnx"))
    assert config.load_recent()[0].endswith("m5.onnx") and len(config.load_recent()) == 9
    (tmp_path / "litenetron" / "recent.json").write_text("{broken")
    assert config.load_recent() == []


def test_statistics_and_histogram():
    from litenetron.app.stats import compute_stats, histogram_png

    array = numpy.array([[0.0, 1.0, numpy.nan], [numpy.inf, -2.0, 0.0]], dtype=numpy.float32)
    stats = compute_stats(array)
    assert stats.count == 6 and stats.nans == 1 and stats.infs == 1
    assert stats.minimum == -2.0 and stats.maximum == 1.0
    assert stats.mean == pytest.approx(-0.25) and stats.std == pytest.approx(numpy.std([0, 1, -2, 0]))
    assert stats.zeros == pytest.approx(100 * 2 / 6)
    assert sum(stats.histogram) == 4
    assert histogram_png(stats).startswith(b"\x89PNG")
    assert compute_stats(numpy.arange(100, dtype=numpy.int64)).preview.endswith(", 63, …]")
    cube = numpy.arange(2 * 10 * 12).reshape(2, 10, 12)
    lines = compute_stats(cube).preview.splitlines()   # shaped like the tensor: the first matrix, cut
    assert lines[0] == "[0, :, :]" and lines[-1] == "…" and len(lines) == 10
    assert lines[2] == "[" + ", ".join(str(v) for v in cube[0, 1, :8]) + ", …]"
    assert compute_stats(numpy.float32(2.5)).preview == "2.5"
    assert compute_stats(numpy.array(["a", "b"])).minimum is None


def test_statistics_of_ml_dtypes_floats():
    import ml_dtypes

    from litenetron.app.stats import compute_stats

    for dtype in (ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn):
        stats = compute_stats(numpy.array([-1.5, 0.0, 2.0, numpy.nan], dtype=dtype))
        assert (stats.minimum, stats.maximum, stats.nans) == (-1.5, 2.0, 1) and sum(stats.histogram) == 3


def test_search_by_name_op_dtype_and_shape():
    from litenetron.app.find import search
    from litenetron.model import Argument, TensorType

    weight = Value("conv.W", TensorType("float32", (8, 3, 3, 3)),
                   initializer=Tensor("conv.W", "float32", (8, 3, 3, 3)))
    conv = Node("conv1", OpType("Conv"), [Argument("X", [Value("image", TensorType("float32", (1, 3, 8, 8)))]),
                                          Argument("W", [weight])],
                [Argument("Y", [Value("features", TensorType("float16", (1, 8, 6, 6)))])])
    relu = Node("act", OpType("Relu"), [Argument("X", [Value("features")])], [Argument("Y", [Value("out")])])
    graph = Graph("g", nodes=[conv, relu])
    assert [m.node for m in search(graph, "relu")] == [relu]
    assert [(m.kind, m.text) for m in search(graph, "8x3x3")] == [("weight", "conv.W")]
    assert [m.text for m in search(graph, "float16")] == ["features"]
    assert search(graph, "CONV1")[0].node is conv
    assert search(graph, "  ") == []


def test_grid_index_finds_only_nearby_boxes():
    from litenetron.render.tk_canvas import SceneIndex
    from litenetron.scene import Box, Edge, Scene, ViewOptions

    boxes = [Box(i, "node", "x", "#000", "#fff", [], x=0, y=i * 1000.0, width=50, height=30) for i in range(50)]
    edges = [Edge(i, i, i + 1, Value(f"v{i}"), "", [(25, i * 1000.0 + 30), (25, (i + 1) * 1000.0)])
             for i in range(49)]
    index = SceneIndex(Scene(Graph(), ViewOptions(), boxes, edges, 50, 50_000))
    found_boxes, found_edges = index.query(0, 9_900, 100, 10_100)
    assert found_boxes == {10}
    assert found_edges == {9, 10}

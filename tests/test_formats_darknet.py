"""Darknet reader: cfg parsing, layer shapes, lazy .weights and the corpus counts."""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, output_values, require_corpus
from litenetron.formats import open_model
from litenetron.formats.darknet import parse_cfg
from litenetron.model import ModelError

TINY_CFG = """\
[net]
# a comment
width=8
height = 8
channels=3

[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=2
size=1
stride=1
pad=1 ; trailing comment is not a value here
activation=linear

[route]
layers=-1,-3

[upsample]
stride=2

[connected]
output=5
activation=relu

[mystery]
"""

# Arrays in file order: conv0 biases, scales, mean, variance, weights; conv2 biases, weights; connected.
TINY_SIZES = [4, 4, 4, 4, 4 * 3 * 3 * 3, 2, 2 * 4 * 1 * 1, 5, 5 * (6 * 8 * 8)]


def _write_model(folder, extra_floats=0, version=(0, 2, 5)):
    cfg = folder / "tiny.cfg"
    cfg.write_text(TINY_CFG)
    total = sum(TINY_SIZES) + extra_floats
    values = np.arange(total, dtype="<f4")
    major, minor, revision = version
    seen = struct.pack("<Q", 7) if major * 10 + minor >= 2 else struct.pack("<I", 7)
    (folder / "tiny.weights").write_bytes(struct.pack("<3i", major, minor, revision) + seen + values.tobytes())
    return cfg, values


def _weights(model):
    return [value.initializer for node in model.graphs[0].nodes for _, value in node.weights()]


def test_parse_cfg_sections_and_comments():
    sections = parse_cfg(TINY_CFG)
    assert [s.type for s in sections] == ["net", "convolutional", "maxpool", "convolutional", "route",
                                          "upsample", "connected", "mystery"]
    assert sections[0].options["height"] == "8"
    assert sections[4].ints("layers") == [-1, -3]


def test_cfg_alone_has_shapes_and_no_parameters(tmp_path):
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY_CFG)
    model = open_model(cfg)
    graph = model.graphs[0]
    assert graph.node_count() == 7
    assert graph.parameters() == 0
    shapes = [node.outputs[0].values[0].type.shape for node in graph.nodes]
    assert shapes == [(4, 8, 8), (4, 4, 4), (2, 4, 4), (6, 4, 4), (6, 8, 8), (5,), (5,)]
    route = graph.nodes[3]
    assert [v.name for a in route.inputs for v in a.values] == ["2", "0"]
    assert [n.type.name for n in graph.nodes[0].chain] == ["batch_normalize", "leaky"]
    assert graph.nodes[-1].type.name == "mystery"
    weights = _weights(model)
    assert [w.shape for w in weights][:5] == [(4,), (4,), (4,), (4,), (4, 3, 3, 3)]
    with pytest.raises(ModelError):
        weights[0].data()


@pytest.mark.parametrize("version", [(0, 2, 5), (0, 1, 0)])
def test_weights_are_read_lazily_at_their_offsets(tmp_path, version):
    cfg, values = _write_model(tmp_path, version=version)
    for path in (cfg, tmp_path / "tiny.weights"):
        model = open_model(path)
        assert model.graphs[0].parameters() == sum(TINY_SIZES)
        weights = _weights(model)
        assert [w.size for w in weights] == TINY_SIZES
        start = 0
        for tensor, size in zip(weights, TINY_SIZES):
            np.testing.assert_array_equal(tensor.data().ravel(), values[start:start + size])
            start += size
        assert weights[4].data().shape == (4, 3, 3, 3)


@pytest.mark.parametrize("extra", [3, -7])
def test_weights_total_must_match_cfg(tmp_path, extra):
    cfg, _ = _write_model(tmp_path, extra_floats=extra)
    with pytest.raises(ModelError, match=f"{abs(extra)} {'more' if extra > 0 else 'fewer'}"):
        open_model(cfg)


def test_bad_route_is_a_clear_error(tmp_path):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text("[net]\nwidth=4\nheight=4\nchannels=1\n[route]\nlayers=-5\n")
    with pytest.raises(ModelError, match="refers to layer -5"):
        open_model(cfg)


def test_other_cfg_files_are_not_claimed(tmp_path):
    cfg = tmp_path / "setup.cfg"
    cfg.write_text("[metadata]\nname = x\n")
    with pytest.raises(ModelError, match="not a model"):
        open_model(cfg)


def _sections_in(path):
    """Independent count: section headers other than [net]/[network] in the raw text."""
    names = re.findall(r"^\s*\[([^\]]+)\]", path.read_text(errors="replace"), re.MULTILINE)
    return sum(1 for name in names if name.strip().lower() not in ("net", "network"))


@pytest.mark.corpus
@pytest.mark.parametrize("row", manifest_rows("darknet"), ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    path = corpus / row["path"]
    graph = open_model(path).graphs[0]
    assert_manifest_counts(graph, row)
    assert graph.node_count() == _sections_in(path.with_suffix(".cfg"))
    for value in output_values(graph):
        assert all(isinstance(d, int) and d > 0 for d in value.type.shape)


@pytest.mark.corpus
def test_cli_info_json_with_weights():
    require_corpus()
    path = CORPUS / "darknet" / "BUG1989__tengine_test_data" / "yolo-fastest-1.1.weights"
    graph = cli_info(path)["graphs"][0]
    assert (graph["nodes"], graph["parameters"]) == (131, 346062)
    assert graph["inputs"][0]["shape"] == [3, 320, 320]
    first = open_model(path).graphs[0].nodes[0]
    weights = dict((a.name, v.initializer) for a, v in first.weights())
    assert weights["weights"].data().shape == weights["weights"].shape


def test_weights_without_cfg_is_a_clear_error(tmp_path):
    _write_model(tmp_path)
    (tmp_path / "tiny.cfg").unlink()
    with pytest.raises(ModelError, match="tiny.cfg beside them"):
        open_model(tmp_path / "tiny.weights")

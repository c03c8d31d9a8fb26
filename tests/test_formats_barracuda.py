"""Barracuda reader: a `.nn` written by our own encoder, and the corpus counts."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.formats import open_model
from litenetron.model import ModelError


def _string(text: str) -> bytes:
    return struct.pack("<i", len(text)) + text.encode("latin-1")


def _ints(values) -> bytes:
    return struct.pack("<i", len(values)) + struct.pack(f"<{len(values)}i", *values)


def _layer(name, kind, activation=0, inputs=(), tensors=(), strides=(), axis=-1, alpha=1.0):
    blob = _string(name) + struct.pack("<iiii", kind, activation, 0, 0)
    blob += _ints([0, 0, 0, 0]) + _ints(list(strides)) + _ints([]) + struct.pack("<iffi", axis, alpha, 0.0, 0)
    blob += struct.pack("<i", len(inputs)) + b"".join(_string(i) for i in inputs)
    blob += struct.pack("<i", len(tensors))
    for tensor_name, shape, offset, length in tensors:
        blob += _string(tensor_name) + _ints(list(shape)) + struct.pack("<qii", offset, 4, length)
    return blob


KERNEL = np.arange(8, dtype="<f4").reshape(4, 1, 1, 2)
BIAS = np.array([0.5, -0.5], dtype="<f4")
CONSTANT = np.array([3.0], dtype="<f4")


def write_nn(path, truncate=0):
    blob = struct.pack("<ii", 16, 0)
    blob += struct.pack("<i", 1) + _string("obs") + _ints([-1, 1, 1, 4])
    blob += struct.pack("<i", 1) + _string("out")
    blob += struct.pack("<i", 1) + _ints([1, 1, 1, 2]) + _string("memory_in") + _string("dense")
    layers = [
        _layer("const", 255, tensors=[("const", (1, 1, 1, 1), 10, 1)]),
        _layer("dense", 1, activation=1, inputs=["obs"],
               tensors=[("dense/kernel", (4, 1, 1, 2), 0, 8), ("dense/bias", (1, 1, 1, 2), 8, 2)]),
        _layer("add", 100, inputs=["dense", "const", "memory_in"]),
        _layer("out", 50, activation=9, inputs=["add"]),
    ]
    blob += struct.pack("<i", len(layers)) + b"".join(layers)
    weights = KERNEL.tobytes() + BIAS.tobytes() + CONSTANT.tobytes()
    path.write_bytes((blob + weights)[:len(blob + weights) - truncate])
    return path


def test_tiny_model(tmp_path):
    model = open_model(write_nn(tmp_path / "tiny.nn"))
    assert model.format == "Barracuda v16"
    graph = model.graphs[0]
    assert graph.node_count() == 4  # the Load layer counts although it is drawn as a weight
    assert graph.operators() == {"Load": 1, "Dense": 1, "Add": 1, "Activation": 1}
    assert graph.parameters() == 8 + 2 + 1
    assert [node.type.name for node in graph.nodes] == ["Dense", "Add", "Activation"]
    dense, add, out = graph.nodes
    weights = {a.name: v.initializer for a, v in dense.weights()}
    np.testing.assert_array_equal(weights["kernel"].data(), KERNEL)
    np.testing.assert_array_equal(weights["bias"].data().ravel(), BIAS)
    assert [c.type.name for c in dense.chain] == ["Relu"]
    assert [c.type.name for c in out.chain] == ["Swish"]
    assert [v.name for v in add.inputs[0].values] == ["dense", "const", "memory_in"]
    np.testing.assert_array_equal(add.inputs[0].values[1].initializer.data().ravel(), CONSTANT)
    assert [a.name for a in graph.inputs] == ["obs", "memory_in"]
    assert graph.inputs[0].values[0].type.shape == (None, 1, 1, 4)
    assert model.metadata == [("memory memory_in", "dense ⟨1×1×1×2⟩")]
    assert [node.outputs[0].values[0].type.shape for node in graph.nodes] == [(None, 1, 1, 2)] * 3


def test_truncated_weights_are_an_error(tmp_path):
    with pytest.raises(ModelError, match="past the end"):
        open_model(write_nn(tmp_path / "cut.nn", truncate=4))


def test_truncated_structure_is_an_error(tmp_path):
    path = write_nn(tmp_path / "cut.nn")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ModelError):
        open_model(path)


@pytest.mark.corpus
@pytest.mark.parametrize("row", manifest_rows("barracuda"), ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    graph = open_model(corpus / row["path"]).graphs[0]
    assert_manifest_counts(graph, row)
    for node in graph.nodes:
        for _, value in node.weights():
            assert value.initializer.size is None or value.initializer.count == value.initializer.size
        assert node.outputs[0].values[0].type is not None  # every edge has a shape
        if node.type.name == "Dense":  # the inferred input width agrees with the stored kernel
            kernel = node.inputs[1].values[0].initializer
            assert node.inputs[0].values[0].type.shape[-1] == kernel.shape[0]


@pytest.mark.corpus
def test_cli_and_weights():
    require_corpus()
    path = CORPUS / "barracuda" / "reinforcement-learning-kr__rl_bootcamp" / "GridWorldLearning.nn"
    graph = cli_info(path)["graphs"][0]
    assert (graph["nodes"], graph["parameters"]) == (22, 676412)
    assert graph["inputs"][0]["shape"] == ["?", 84, 84, 3]
    conv = open_model(path).graphs[0].nodes[0]
    kernel = dict((a.name, v.initializer) for a, v in conv.weights())["kernel"]
    assert kernel.data().shape == (8, 8, 3, 16) and np.isfinite(kernel.data()).all()

"""ncnn reader: text and binary params, weight storage tags in the .bin (our own writer), corpus counts."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs.binary import BinaryError
from litenetron.codecs.flatbuffers import FlatBufferError
from litenetron.formats import ncnn, open_model
from litenetron.model import ModelError

ROWS = [row for row in manifest_rows("ncnn") if row["path"].endswith(".param")]
COMPANIONS = [row for row in manifest_rows("ncnn") if row["path"].endswith(".bin")]

PARAM = """7767517
6 6
Input            data    0 1 data 0=8 1=8 2=3
Convolution      conv    1 1 data c 0=4 1=3 11=3 4=1 5=1 6=108 9=1
ConvolutionDepthWise dw  1 1 c d 0=4 1=3 11=3 4=1 5=0 6=36 7=4
BatchNorm        bn      1 1 d e 0=4 1=1.0e-05
Slice            sl      1 2 e f g -23300=2,-233,-233 1=0
InnerProduct     fc      1 1 f h 0=2 1=1 2=128
"""

CONV = np.linspace(-1, 1, 108, dtype="float32").reshape(4, 3, 3, 3)
CONV_BIAS = np.array([1, 2, 3, 4], dtype="float32")
DW = np.arange(36, dtype="int8").reshape(4, 1, 3, 3)
BN = [np.full(4, k, dtype="float32") for k in (1, 2, 3, 4)]
TABLE = np.linspace(-2, 2, 256, dtype="float32")
FC_INDEX = np.arange(128, dtype="uint8")[::-1].copy()
FC_BIAS = np.array([0.5, -0.5], dtype="float32")

def open_strictly(path):
    """Open with the family module itself: a bad file may raise ModelError or a codec's decode error, and
    nothing else (open_model would wrap our bugs as ModelError and hide them)."""
    try:
        return ncnn.read(path)
    except (ModelError, BinaryError, FlatBufferError, struct.error):
        return None


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _weights() -> bytes:
    blob = struct.pack("<I", 0x01306B47) + _pad4(CONV.astype("float16").tobytes()) + CONV_BIAS.tobytes()
    blob += struct.pack("<I", 0x000D4B38) + _pad4(DW.tobytes())
    blob += b"".join(array.tobytes() for array in BN)
    blob += bytes([1, 0, 0, 0]) + TABLE.tobytes() + _pad4(FC_INDEX.tobytes()) + FC_BIAS.tobytes()
    return blob


def _write(folder, param=PARAM, weights=None):
    (folder / "net.param").write_text(param)
    (folder / "net.bin").write_bytes(_weights() if weights is None else weights)
    return folder / "net.param"


def _binary_param(layers) -> bytes:
    """Our own writer of the binary param: (type index, bottoms, tops, {id: int or list}) per layer."""
    blob = struct.pack("<iii", 7767517, len(layers), 0)
    for kind, bottoms, tops, params in layers:
        blob += struct.pack("<iii", kind, len(bottoms), len(tops)) + struct.pack(f"<{len(bottoms + tops)}i",
                                                                                 *bottoms, *tops)
        for key, value in params.items():
            if isinstance(value, list):
                blob += struct.pack("<ii", -23300 - key, len(value)) + struct.pack(f"<{len(value)}i", *value)
            elif isinstance(value, float):
                blob += struct.pack("<if", key, value)
            else:
                blob += struct.pack("<ii", key, value)
        blob += struct.pack("<i", -233)
    return blob


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts(row):
    require_corpus()
    assert_manifest_counts(cli_info(CORPUS / row["path"])["graphs"][0], row)
    model = open_model(CORPUS / row["path"])
    assert [key for key, _ in model.metadata] == ["weights"]  # the layers account for the whole .bin


@pytest.mark.parametrize("row", COMPANIONS, ids=[row["path"] for row in COMPANIONS])
def test_weights_file_names_the_param_to_open(row):
    require_corpus()
    with pytest.raises(ModelError, match=r"open .*\.param instead"):
        open_model(CORPUS / row["path"])


def test_storage_tags_decode_to_the_values_written(tmp_path):
    graph = open_model(_write(tmp_path)).graphs[0]
    assert graph.node_count() == 5 and graph.parameters() == 108 + 4 + 36 + 16 + 128 + 2
    weights = {tensor.name: tensor for tensor in graph.tensors()}
    conv = weights["conv.weight"]
    assert conv.dtype == "float16" and conv.shape == (4, 3, 3, 3)
    np.testing.assert_array_equal(conv.data(), CONV.astype("float16"))
    np.testing.assert_array_equal(weights["conv.bias"].data(), CONV_BIAS)
    assert weights["dw.weight"].dtype == "int8"
    np.testing.assert_array_equal(weights["dw.weight"].data(), DW)
    for array, name in zip(BN, ("slope", "mean", "variance", "bias")):
        np.testing.assert_array_equal(weights[f"bn.{name}"].data(), array)
    fc = weights["fc.weight"]
    assert fc.layout == "quantized" and fc.shape == (2, 64)
    np.testing.assert_array_equal(fc.data(), TABLE[FC_INDEX].reshape(2, 64))
    np.testing.assert_array_equal(weights["fc.bias"].data(), FC_BIAS)


def test_graph_structure(tmp_path):
    graph = open_model(_write(tmp_path)).graphs[0]
    assert graph.inputs[0].values[0].type.shape == (3, 8, 8)
    assert [argument.values[0].name for argument in graph.outputs] == ["g", "h"]
    conv, dw, bn, slice_, fc = graph.nodes
    assert [link.type.name for link in conv.chain] == ["ReLU"] and dw.chain == []
    assert conv.type.category == "Layer" and bn.type.category == "Normalization"
    settings_ = {a.name: a.value for a in conv.attributes}
    assert settings_["num_output"] == 4 and settings_["weight_data_size"] == 108
    assert {a.name: a.value for a in bn.attributes}["eps"] == pytest.approx(1e-5)
    assert {a.name: a.value for a in slice_.attributes}["slices"] == [-233, -233]
    assert conv.outputs[0].values[0] is dw.inputs[0].values[0]


def test_binary_param_reads_like_the_text(tmp_path):
    layers = [(16, [], [0], {0: 8, 1: 8, 2: 3}),
              (6, [0], [1], {0: 4, 1: 3, 11: 3, 4: 1, 5: 1, 6: 108, 9: 1}),
              (42, [1], [2], {0: 4, 1: 3, 11: 3, 4: 1, 5: 0, 6: 36, 7: 4}),
              (2, [2], [3], {0: 4, 1: 1e-5}),
              (31, [3], [4, 5], {0: [-233, -233], 1: 0}),
              (15, [4], [6], {0: 2, 1: 1, 2: 128})]
    (tmp_path / "net.param.bin").write_bytes(_binary_param(layers))
    (tmp_path / "net.bin").write_bytes(_weights())
    model = open_model(tmp_path / "net.param.bin")
    graph = model.graphs[0]
    assert [node.type.name for node in graph.nodes] == ["Convolution", "ConvolutionDepthWise", "BatchNorm",
                                                         "Slice", "InnerProduct"]
    assert graph.parameters() == 294
    bn = {a.name: a.value for a in graph.nodes[2].attributes}
    assert bn["eps"] == pytest.approx(1e-5)
    np.testing.assert_array_equal(next(graph.nodes[0].weights())[1].initializer.data(), CONV.astype("float16"))
    # the weights file now names the binary param as the file to open
    with pytest.raises(ModelError, match="open net.param.bin instead"):
        open_model(tmp_path / "net.bin")


def test_bin_too_short_or_too_long(tmp_path):
    with pytest.raises(ModelError, match="ends before InnerProduct 'fc' bias"):
        open_model(_write(tmp_path, weights=_weights()[:-4]))
    model = open_model(_write(tmp_path, weights=_weights() + b"\0" * 8))
    assert ("warning", "net.bin holds 8 bytes more than the layers' size parameters account for (a layer "
                       "whose weights this reader does not know?)") in model.metadata


def test_param_alone_counts_its_size_parameters(tmp_path):
    path = tmp_path / "alone.param"
    path.write_text(PARAM)
    graph = open_model(path).graphs[0]
    assert graph.parameters() == 294
    assert all(tensor.loader is None for tensor in graph.tensors())


def test_opening_reads_no_weight_bytes(tmp_path, monkeypatch):
    calls = []
    real = ncnn.array_loader

    def counting(*args):
        load = real(*args)
        return lambda: calls.append(1) or load()

    monkeypatch.setattr(ncnn, "array_loader", counting)
    graph = open_model(_write(tmp_path)).graphs[0]
    assert calls == []
    next(graph.nodes[0].weights())[1].initializer.data()
    assert calls == [1]


@pytest.mark.parametrize("text, reason", [
    ("7767517\n2 2\nInput data 0 1 data\n", "declares 2 layers but lists 1"),
    ("7767517\n1 1\nInput data 0 3 data\n", "fewer blobs"),
    ("7767517\n1 1\nInput data 0 1 data 0=abc\n", "not a number"),
    ("7767517\n1 1\nSlice s 1 1 a b -23300=3,1,2\n", "declares 3 values but lists 2"),
    ("7767517\n1 1\nInput data 0 1 data zz\n", "not id=value"),
    ("7767517\n", "layer_count blob_count"),
])
def test_malformed_text_param(tmp_path, text, reason):
    path = tmp_path / "bad.param"
    path.write_text(text)
    with pytest.raises(ModelError, match=reason):
        open_model(path)


def test_truncated_corpus_files_give_model_error(tmp_path):
    require_corpus()
    source = CORPUS / ROWS[0]["path"]
    text, weights = source.read_bytes(), source.with_suffix(".bin").read_bytes()
    for cut in (len(text) // 3, len(text) // 2, len(text) - 40):
        (tmp_path / "m.param").write_bytes(text[:cut])
        with pytest.raises(ModelError):
            open_model(tmp_path / "m.param")
    (tmp_path / "m.param").write_bytes(text)
    (tmp_path / "m.bin").write_bytes(weights[:len(weights) // 2])
    with pytest.raises(ModelError, match="ends before"):
        open_model(tmp_path / "m.param")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_binary_param(tmp_path_factory, tail):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "x.param.bin").write_bytes(struct.pack("<i", 7767517) + tail)
    (folder / "x.bin").write_bytes(tail[::-1])
    open_strictly(folder / "x.param.bin")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Convolution", "InnerProduct", "BatchNorm", "Input", "Slice", "1", "0", "a",
                                 "0=3", "6=-1", "-23300=2,1", "5=1", "2=99999999999", "=", "1=1.5e3"]),
                max_size=40), st.binary(max_size=64))
def test_random_text_param(tmp_path_factory, tokens, weights):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "x.param").write_text("7767517\n1 1\n" + " ".join(tokens) + "\n")
    (folder / "x.bin").write_bytes(weights)
    open_strictly(folder / "x.param")

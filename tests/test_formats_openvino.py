"""OpenVINO IR reader: corpus counts, Const weights from the .bin, fp16 decompression folding, hostile XML."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.codecs.binary import BinaryError
from litenetron.codecs.flatbuffers import FlatBufferError
from litenetron.formats import open_model, openvino
from litenetron.model import ModelError

ROWS = [row for row in manifest_rows("openvino") if row["path"].endswith(".xml")]
COMPANIONS = [row for row in manifest_rows("openvino") if row["path"].endswith(".bin")]

WEIGHT = np.arange(4 * 3 * 3 * 3, dtype="float16").reshape(4, 3, 3, 3)
BIAS = np.array([1, -2, 3, -4], dtype="float32").reshape(1, 4, 1, 1)

def open_strictly(path):
    """Open with the family module itself: a bad file may raise ModelError or a codec's decode error, and
    nothing else (open_model would wrap our bugs as ModelError and hide them)."""
    try:
        return openvino.read(path)
    except (ModelError, BinaryError, FlatBufferError, struct.error):
        return None


def _port(port_id, dims, precision="FP32", names=""):
    extra = f' names="{names}"' if names else ""
    return (f'<port id="{port_id}" precision="{precision}"{extra}>'
            + "".join(f"<dim>{d}</dim>" for d in dims) + "</port>")


def _ir(tmp_path, bin_bytes=None, shape_attr="4, 3, 3, 3"):
    """A Parameter → Convolution(fp16 weight via Convert) → Add(bias) → Result net, with its .bin."""
    weight_size = WEIGHT.nbytes
    xml = f"""<?xml version="1.0"?>
<!-- written by the test -->
<net name="tiny" version="11">
<layers>
<layer id="0" name="image" type="Parameter" version="opset1"><data shape="1,3,8,8" element_type="f32"/>
<output>{_port(0, (1, 3, 8, 8), names="image")}</output></layer>
<layer id="1" name="w" type="Const" version="opset1">
<data element_type="f16" shape="{shape_attr}" offset="0" size="{weight_size}"/>
<output>{_port(0, (4, 3, 3, 3), "FP16")}</output></layer>
<layer id="2" name="w/decompress" type="Convert" version="opset1"><data destination_type="f32"/>
<input>{_port(0, (4, 3, 3, 3), "FP16")}</input><output>{_port(1, (4, 3, 3, 3))}</output></layer>
<layer id="3" name="conv" type="Convolution" version="opset1"><data strides="1, 1" pads_begin="1, 1"/>
<input>{_port(0, (1, 3, 8, 8))}{_port(1, (4, 3, 3, 3))}</input><output>{_port(2, (1, 4, 8, 8))}</output></layer>
<layer id="4" name="b" type="Const" version="opset1">
<data element_type="f32" shape="1, 4, 1, 1" offset="{weight_size}" size="{BIAS.nbytes}"/>
<output>{_port(0, (1, 4, 1, 1))}</output></layer>
<layer id="5" name="add" type="Add" version="opset1"><data auto_broadcast="numpy"/>
<input>{_port(0, (1, 4, 8, 8))}{_port(1, (1, 4, 1, 1))}</input>
<output>{_port(2, (1, 4, 8, 8), names="logits")}</output></layer>
<layer id="6" name="out" type="Result" version="opset1"><input>{_port(0, (1, 4, 8, 8))}</input></layer>
</layers>
<edges>
<edge from-layer="0" from-port="0" to-layer="3" to-port="0"/>
<edge from-layer="1" from-port="0" to-layer="2" to-port="0"/>
<edge from-layer="2" from-port="1" to-layer="3" to-port="1"/>
<edge from-layer="3" from-port="2" to-layer="5" to-port="0"/>
<edge from-layer="4" from-port="0" to-layer="5" to-port="1"/>
<edge from-layer="5" from-port="2" to-layer="6" to-port="0"/>
</edges>
<rt_info><info name="OpenVINO Runtime" value="test"/><conversion_parameters><framework value="onnx"/>
</conversion_parameters></rt_info>
</net>
"""
    (tmp_path / "tiny.xml").write_text(xml)
    (tmp_path / "tiny.bin").write_bytes(WEIGHT.tobytes() + BIAS.tobytes() if bin_bytes is None else bin_bytes)
    return tmp_path / "tiny.xml"


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts(row):
    require_corpus()
    assert_manifest_counts(cli_info(CORPUS / row["path"])["graphs"][0], row)


@pytest.mark.parametrize("row", COMPANIONS, ids=[row["path"] for row in COMPANIONS])
def test_weights_file_names_the_graph_to_open(row):
    require_corpus()
    with pytest.raises(ModelError, match=r"open .*\.xml instead"):
        open_model(CORPUS / row["path"])


def test_fixture_graph_weights_and_folding(tmp_path):
    model = open_model(_ir(tmp_path))
    assert model.format == "OpenVINO IR v11" and model.imports == ["opset1"]
    assert model.producer == "OpenVINO test (from onnx)"
    graph = model.graphs[0]
    # The Convert is counted (the file stores it) but not drawn: the fp16 tensor sits in the convolution.
    assert graph.operators() == {"Convert": 1, "Convolution": 1, "Add": 1}
    assert [node.type.name for node in graph.nodes] == ["Convolution", "Add"]
    assert graph.parameters() == WEIGHT.size + BIAS.size
    conv, add = graph.nodes
    (argument, value), = conv.weights()
    assert argument.name == "filter" and value.initializer.dtype == "float16"
    np.testing.assert_array_equal(value.initializer.data(), WEIGHT)
    np.testing.assert_array_equal(next(add.weights())[1].initializer.data(), BIAS)
    assert conv.type.category == "Layer" and conv.type.domain == "opset1"
    assert conv.outputs[0].values[0] is add.inputs[0].values[0]  # the edge between them
    assert add.inputs[0].values[0].type.shape == (1, 4, 8, 8)
    assert graph.inputs[0].values[0].type.dtype == "float32"
    assert graph.outputs[0].values[0].name == "logits"
    assert {"strides": "1, 1", "pads_begin": "1, 1"} == {a.name: a.value for a in conv.attributes}


def test_opening_reads_no_weight_bytes(tmp_path, monkeypatch):
    calls = []
    real = openvino._loader

    def counting(*args):
        load = real(*args)
        return lambda: calls.append(1) or load()

    monkeypatch.setattr(openvino, "_loader", counting)
    graph = open_model(_ir(tmp_path)).graphs[0]
    assert calls == []
    graph.nodes[0].inputs[1].values[0].initializer.data()
    assert calls == [1]


def test_missing_bin_still_opens(tmp_path):
    path = _ir(tmp_path)
    (tmp_path / "tiny.bin").unlink()
    model = open_model(path)
    assert model.graphs[0].parameters() == WEIGHT.size + BIAS.size
    with pytest.raises(ModelError):
        next(model.graphs[0].nodes[0].weights())[1].initializer.data()


def test_constant_past_the_end_of_the_bin(tmp_path):
    with pytest.raises(ModelError, match="holds only 10"):
        open_model(_ir(tmp_path, bin_bytes=b"0123456789"))


def test_generic_xml_is_not_claimed(tmp_path):
    path = tmp_path / "settings.xml"
    path.write_text('<?xml version="1.0"?><settings><net name="x"/></settings>')
    assert not openvino.match(path, path.read_bytes())
    with pytest.raises(ModelError, match="not a model"):
        open_model(path)


def test_entities_are_refused(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text('<?xml version="1.0"?><net name="a" version="11"><!DOCTYPE lol [<!ENTITY a "aaaa">]>'
                    "<layers/></net>")
    with pytest.raises(ModelError, match="DTD"):
        open_model(path)


def test_truncated_and_corrupted_corpus_files_give_model_error(tmp_path):
    require_corpus()
    text = (CORPUS / ROWS[0]["path"]).read_bytes()
    (tmp_path / "m.bin").write_bytes((CORPUS / ROWS[0]["path"]).with_suffix(".bin").read_bytes()[:100])
    rng = np.random.default_rng(1)
    for cut in [20, 100, len(text) // 3, len(text) // 2, len(text) - 10]:
        (tmp_path / "m.xml").write_bytes(text[:cut])
        with pytest.raises(ModelError):
            open_model(tmp_path / "m.xml")
    for _ in range(30):  # flipped bytes either still parse (then open) or give ModelError
        data = bytearray(text)
        for position in rng.integers(0, len(data), 20):
            data[position] = int(rng.integers(32, 127))
        (tmp_path / "m.xml").write_bytes(bytes(data))
        open_strictly(tmp_path / "m.xml")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_after_a_net_root(tmp_path_factory, tail):
    path = tmp_path_factory.mktemp("fuzz") / "x.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<net name="n" version="11">' + tail)
    open_strictly(path)


def _body(tag, op):
    return (f'<{tag}><layers>'
            f'<layer id="0" name="{tag}_in" type="Parameter" version="opset1"><data shape="2" element_type="f32"/>'
            f'<output>{_port(0, (2,))}</output></layer>'
            f'<layer id="1" name="{tag}_op" type="{op}" version="opset1"><input>{_port(0, (2,))}</input>'
            f'<output>{_port(1, (2,))}</output></layer>'
            f'<layer id="2" name="{tag}_out" type="Result" version="opset1"><input>{_port(0, (2,))}</input></layer>'
            '</layers><edges><edge from-layer="0" from-port="0" to-layer="1" to-port="0"/>'
            '<edge from-layer="1" from-port="1" to-layer="2" to-port="0"/></edges></' + tag + '>')


def test_if_bodies_are_nested_graphs(tmp_path):
    xml = f"""<?xml version="1.0"?>
<net name="branching" version="11"><layers>
<layer id="0" name="cond" type="Parameter" version="opset1"><data shape="" element_type="boolean"/>
<output>{_port(0, (), "BOOL")}</output></layer>
<layer id="1" name="x" type="Parameter" version="opset1"><data shape="2" element_type="f32"/>
<output>{_port(0, (2,))}</output></layer>
<layer id="2" name="if" type="If" version="opset8"><input>{_port(0, (), "BOOL")}{_port(1, (2,))}</input>
<output>{_port(2, (2,))}</output>
<port_map><input external_port_id="1" internal_layer_id="0"/></port_map>
{_body("then_body", "ReLU")}{_body("else_body", "Sigmoid")}</layer>
<layer id="3" name="out" type="Result" version="opset1"><input>{_port(0, (2,))}</input></layer>
</layers><edges>
<edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
<edge from-layer="1" from-port="0" to-layer="2" to-port="1"/>
<edge from-layer="2" from-port="2" to-layer="3" to-port="0"/>
</edges></net>"""
    path = tmp_path / "branch.xml"
    path.write_text(xml)
    model = open_model(path)
    graph = model.graphs[0]
    assert graph.operators() == {"If": 1} and model.imports == ["opset1", "opset8"]
    (node,) = graph.nodes
    assert node.type.category == "Control"
    assert [(body.name, [n.type.name for n in body.nodes]) for body in node.graphs] == [
        ("if/then_body", ["ReLU"]), ("if/else_body", ["Sigmoid"])]
    assert [a.name for a in graph.inputs] == ["cond", "x"] and graph.outputs[0].name == "out"

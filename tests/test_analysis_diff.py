"""Model diff: nodes pair by name, then by structure, so renamed and simplified exports still line up."""

from __future__ import annotations

import json

import pytest

from conftest import CORPUS, require_corpus, run_cli
from litenetron.analysis.diff import diff_graphs, diff_summary
from litenetron.formats import open_model

RESNET = "onnx/onnx__onnx/light_resnet50.onnx"
RFB = "onnx/Linzaer__Ultra-Light-Fast-Generic-Face-Detector-1MB/version-RFB-320.onnx"
TFLITE = "tflite/tensorflow__tflite-micro/"


@pytest.mark.corpus
def test_a_model_against_itself_has_no_difference():
    require_corpus()
    graph = open_model(CORPUS / RESNET).graphs[0]
    diff = diff_graphs(graph, open_model(CORPUS / RESNET).graphs[0])
    assert len(diff.pairs) == len(graph.nodes) and not diff.added and not diff.removed and not diff.changed


@pytest.mark.corpus
def test_renamed_nodes_pair_by_structure(tmp_path):
    import onnx
    require_corpus()
    proto = onnx.load(CORPUS / RESNET)
    for index, node in enumerate(proto.graph.node):
        node.name = f"renamed_{len(proto.graph.node) - index}"
    onnx.save(proto, tmp_path / "renamed.onnx")
    a, b = open_model(CORPUS / RESNET).graphs[0], open_model(tmp_path / "renamed.onnx").graphs[0]
    diff = diff_graphs(a, b)
    assert not diff.added and not diff.removed
    assert {pair.how for pair in diff.pairs} <= {"structure", "name"}
    assert all(pair.a.type.name == pair.b.type.name for pair in diff.pairs)
    # the pairs follow the wiring: the k-th Conv of A is the k-th Conv of B
    order = {id(node): index for index, node in enumerate(a.nodes)}
    assert all(order[id(pair.a)] == index for index, pair in enumerate(diff.pairs))


@pytest.mark.corpus
def test_onnxslim_output_pairs_with_its_source_and_folded_batch_norms_are_removed(tmp_path):
    onnx = pytest.importorskip("onnx")
    onnxslim = pytest.importorskip("onnxslim")
    require_corpus()
    onnx.save(onnxslim.slim(str(CORPUS / RFB)), tmp_path / "slim.onnx")
    a, b = open_model(CORPUS / RFB).graphs[0], open_model(tmp_path / "slim.onnx").graphs[0]
    diff = diff_graphs(a, b)
    removed = {node.type.name for node in diff.removed}
    assert "BatchNormalization" in removed
    assert sum(node.type.name == "BatchNormalization" for node in a.nodes) == \
        sum(node.type.name == "BatchNormalization" for node in diff.removed)
    convs = [pair for pair in diff.pairs if pair.b.type.name == "Conv"]
    assert len(convs) == sum(node.type.name == "Conv" for node in b.nodes)
    assert sum(pair.how == "structure" for pair in diff.pairs) > len(convs)
    # folding a batch norm into a convolution changes its weights: the diff says by how much
    folded = [item for pair in convs for item in pair.weights if item.max_abs_diff]
    assert folded and all(item.max_abs_diff > 0 for item in folded)


@pytest.mark.corpus
@pytest.mark.parametrize("pair", [("hello_world_float.tflite", "hello_world_int8.tflite"),
                                  ("trained_lstm.tflite", "trained_lstm_int8.tflite")])
def test_float_and_int8_tflite_twins_pair_every_layer_and_report_dtype_changes(pair):
    require_corpus()
    a, b = (open_model(CORPUS / TFLITE / name).graphs[0] for name in pair)
    diff = diff_graphs(a, b)
    assert len(diff.pairs) == len(b.nodes) - sum(node.type.name in ("Quantize", "Dequantize") for node in b.nodes)
    dtypes = {(item.a_dtype, item.b_dtype) for change in diff.changed for item in change.weights}
    assert ("float32", "int8") in dtypes
    # int8 weights are compared after de-quantizing: the differences are of the weights' own scale
    summary = diff_summary(diff)
    assert summary["weights_compared"] > 0 and summary["max_abs_diff"] < 100


@pytest.mark.corpus
def test_cli_diff_prints_a_summary_and_json(tmp_path):
    require_corpus()
    a, b = CORPUS / TFLITE / "hello_world_float.tflite", CORPUS / TFLITE / "hello_world_int8.tflite"
    text = run_cli(str(a), str(b), "--diff")
    assert text.returncode == 0, text.stderr
    assert "3 matched" in text.stdout and "float32 → int8" in text.stdout
    report = json.loads(run_cli(str(a), str(b), "--diff", "--json").stdout)
    assert report["matched"] == 3 and report["added"] == [] and len(report["changed"]) == 3
    assert report["changed"][0]["weights"][0]["a_dtype"] == "float32"
    missing = run_cli(str(a), "--diff")
    assert missing.returncode == 1 and "two models" in missing.stderr
    stray = run_cli(str(a), str(b))
    assert stray.returncode == 1 and "--diff" in stray.stderr

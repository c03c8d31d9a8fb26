"""Opening an ONNX file fast: no `import onnx` on the way to the first picture, the generated operator schema
table standing in for `onnx.defs`, and onnx's shape inference (the fallback) isolated in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import onnx
import pytest
from onnx import TensorProto, defs, helper

from conftest import REPO, require_corpus
from litenetron.formats import onnx_metadata, onnx_shapes, open_model
from litenetron.formats.schemas import onnx_ops_generate

EINSUM = helper.make_model(helper.make_graph(
    [helper.make_node("Einsum", ["a", "b"], ["y"], equation="ij,jk->ik"),
     helper.make_node("Relu", ["y"], ["z"])], "einsum",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, [3, 5])],
    [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)]), opset_imports=[helper.make_opsetid("", 17)])


# --- the schema table ----------------------------------------------------------------------------------------

def test_the_committed_table_is_what_the_generator_writes_from_this_onnx():
    if onnx_metadata.table_version() != onnx.__version__:
        pytest.skip(f"table from onnx {onnx_metadata.table_version()}, installed {onnx.__version__}")
    assert onnx_ops_generate.generate() == onnx_ops_generate.OUTPUT.read_text(encoding="utf-8")


def _reference_defaults(schema) -> dict:
    values = {}
    for name, attribute in schema.attributes.items():
        if attribute.default_value is not None and attribute.default_value.name:
            value = helper.get_attribute_value(attribute.default_value)
            if isinstance(value, bytes):
                value = value.decode()
            elif isinstance(value, list):
                value = [item.decode() if isinstance(item, bytes) else item for item in value]
            values[name] = value
    return values


def test_table_lookups_answer_what_onnx_defs_answers_at_every_opset():
    """With the onnx release the table came from, at every opset; with another release (an older onnx on an
    older Python), at the opsets both know."""
    checked = 0
    last_opset = defs.onnx_opset_version()
    for schema in defs.get_all_schemas():
        for opset in range(1, last_opset + 1):
            try:
                expected = defs.get_schema(schema.name, opset, schema.domain)
            except Exception:  # noqa: BLE001 - not defined yet at this opset
                assert onnx_metadata.op_schema(schema.name, schema.domain, opset) is None
                continue
            ours = onnx_metadata.op_schema(schema.name, schema.domain, opset)
            assert ours is not None and ours.since_version == expected.since_version, (schema.name, opset)
            assert [name for name, _ in ours.inputs] == [p.name for p in expected.inputs]
            assert [name for name, _ in ours.outputs] == [p.name for p in expected.outputs]
            assert [variadic for _, variadic in ours.inputs] == [
                str(p.option).endswith("Variadic") for p in expected.inputs]
            assert ours.defaults == _reference_defaults(expected), (schema.name, opset)
            assert set(ours.attribute_types) == set(expected.attributes)
            checked += 1
    assert checked > 3000


def test_documentation_still_comes_from_onnx_defs_on_demand(tmp_path):
    path = tmp_path / "einsum.onnx"
    onnx.save(EINSUM, str(path))
    relu = open_model(path).graphs[0].nodes[1]
    assert relu.type.documentation == "" and relu.type.has_documentation()
    text = relu.type.describe()   # onnx.defs' summary, then the sections Netron shows
    assert text.startswith(defs.get_schema("Relu", 17).doc.strip())
    assert "## Inputs" in text and "## Outputs" in text and "## Type Constraints" in text
    assert relu.type.version == 14


# --- no onnx on the way to the first picture -----------------------------------------------------------------

@pytest.mark.gui
def test_the_first_paint_of_an_onnx_file_imports_no_onnx_numpy_or_protobuf(tmp_path, display):
    """The real window, started as the user starts it, reports the modules loaded when its first scene is
    drawn: the standard library, tkinter and ours; not onnx, ml_dtypes, numpy, google.protobuf or PIL."""
    sample = REPO / "litenetron" / "samples" / "resblock.onnx"
    report = tmp_path / "paint.json"
    env = {**os.environ, "DISPLAY": display, "LITENETRON_FIRST_PAINT": str(report), "PYTHONPATH": str(REPO),
           "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "litenetron", str(sample)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["boxes"] >= 18
    heavy = {"onnx", "ml_dtypes", "numpy", "google", "PIL"} & set(data["modules"])
    assert heavy == set(), f"the first paint imported {sorted(heavy)}"


def test_opening_the_corpus_onnx_files_imports_no_onnx():
    root = require_corpus()
    paths = [str(path) for path in sorted((root / "onnx").rglob("*.onnx"))
             if "OneHotEncoder" not in path.name and "logreg" not in path.name]  # ml operators: onnx fallback
    script = ("import sys; from litenetron.formats import open_model\n"
              "for path in sys.argv[1:]: open_model(path)\n"
              "print(sorted({n.split('.')[0] for n in sys.modules} & {'onnx', 'numpy', 'google', 'ml_dtypes'}))")
    result = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]" and len(paths) >= 10


# --- the fallback in a child process -------------------------------------------------------------------------

def _open_einsum(tmp_path):
    path = tmp_path / "einsum.onnx"
    onnx.save(EINSUM, str(path))
    model = open_model(path)
    values = {value.name: value for node in model.graphs[0].nodes for argument in node.outputs
              for value in argument.values}
    return model, values


def test_the_fallback_types_what_our_rules_do_not_know(tmp_path):
    model, values = _open_einsum(tmp_path)
    assert values["y"].type.shape == (2, 5) and values["z"].type.shape == (2, 5)
    assert "shape inference" not in dict(model.metadata)


def test_a_crash_in_onnx_shape_inference_leaves_the_viewer_standing(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_shapes, "CHILD_COMMAND",
                        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"])
    model, values = _open_einsum(tmp_path)
    note = dict(model.metadata)["shape inference"]
    assert "crashed (SIGSEGV)" in note and "Einsum" in note
    assert values["y"].type is None or values["y"].type.shape is None   # stored shapes only: none here


def test_a_hang_in_onnx_shape_inference_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_shapes, "CHILD_COMMAND", [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(onnx_shapes, "FALLBACK_TIMEOUT", 1.0)
    monkeypatch.setattr(onnx_shapes.infer_types_isolated, "__defaults__", (1.0,))
    model, _ = _open_einsum(tmp_path)
    assert "took longer than 1 s" in dict(model.metadata)["shape inference"]


def test_the_corpus_model_that_crashes_old_onnx_opens(tmp_path):
    """coreml_OneHotEncoder_BikeSharing.onnx segfaults onnx 1.19's shape inference (Python 3.9): its ml
    operators have no rule of ours, so the fallback runs, in a child."""
    path = require_corpus() / "onnx" / "onnx__onnxmltools" / "coreml_OneHotEncoder_BikeSharing.onnx"
    model = open_model(path)
    assert len(model.graphs[0].nodes) == 26
    note = dict(model.metadata).get("shape inference", "")
    assert note == "" or note.startswith("onnx shape inference crashed")

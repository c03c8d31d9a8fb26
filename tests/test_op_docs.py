"""Our own operator documentation tables (formats/op_docs.py + formats/schemas/*_docs.py): each family's common
operators are documented with the sections the ONNX docs have, every attribute name a reader shows for a
documented operator is named in its documentation, and opening a model imports none of the tables."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import manifest_rows, require_corpus
from litenetron.formats import open_model
from litenetron.formats.op_docs import DOCUMENTED, documentation_source, markdown
from litenetron.model import ModelError

REPO = Path(__file__).resolve().parents[1]

# corpus format → doc family, and operators the family's corpus models must show documented
FAMILIES = {
    "tflite": ("tflite", {"Conv2D", "DepthwiseConv2D", "FullyConnected", "Add", "Softmax", "Reshape", "Quantize"}),
    "keras": ("keras", {"Dense", "Conv2D", "Dropout", "BatchNormalization", "LSTM", "Embedding", "MaxPooling2D"}),
    "caffe": ("caffe", {"Convolution", "Pooling", "InnerProduct", "ReLU", "BatchNorm", "Scale", "Eltwise", "LRN"}),
    "tensorflow": ("tensorflow", {"Conv2D", "MatMul", "BiasAdd", "Const", "Identity", "VariableV2", "Reshape",
                                  "ConcatV2", "MaxPool", "Relu"}),
    "pytorch": ("torch", {"conv2d", "linear", "relu", "batch_norm"}),
}


def code_names(text: str) -> set:
    """The names a documentation text sets in `code`."""
    return set(re.findall(r"`([^`]+)`", text))


def documented_nodes(corpus_format: str):
    """(op name, attribute names, documentation) of every node of the format's corpus models whose type has
    documentation from our tables, bodies included."""
    root = require_corpus()
    found = []

    def walk(graph, depth=0):
        for node in graph.nodes:
            if node.type.has_documentation():
                found.append((node.type.name, {a.name for a in node.attributes}, node.type))
            for body in (node.graphs or []) if depth < 3 else []:
                walk(body, depth + 1)

    for row in manifest_rows(corpus_format):
        try:
            model = open_model(root / row["path"])
        except ModelError:
            continue  # companion files, solvers, mean images: not networks
        for graph in model.graphs:
            walk(graph)
    return found


@pytest.mark.parametrize("corpus_format", sorted(FAMILIES))
def test_corpus_nodes_are_documented_and_their_attributes_named_in_the_docs(corpus_format):
    family, expected = FAMILIES[corpus_format]
    nodes = documented_nodes(corpus_format)
    seen = {name for name, _, _ in nodes}
    assert expected <= seen, f"undocumented in the corpus: {sorted(expected - seen)}"
    missing = defaultdict(set)
    for name, attributes, op_type in nodes:
        text = op_type.describe()
        assert text.strip(), name
        missing[name] |= attributes - code_names(text)
    assert not {name: names for name, names in missing.items() if names}, "attributes the docs do not name"
    conv = next(op_type for name, _, op_type in nodes if name in ("Conv2D", "conv2d", "Convolution"))
    text = conv.describe()
    for section in ("## Attributes", "## Inputs", "## Outputs"):
        assert section in text


def test_tflite_conv_doc_names_the_reader_attributes_with_types_and_defaults():
    nodes = documented_nodes("tflite")
    conv = next(op_type for name, _, op_type in nodes if name == "Conv2D")
    text = conv.describe()
    assert "- `padding`: *Padding*, default 'SAME' — " in text
    assert "- `stride_w`: *int* — " in text and "- `dilation_h_factor`: *int*, default 1 — " in text
    assert "- `filter`: " in text and "- `bias`: " in text


def test_the_name_index_is_the_tables_keys_and_every_entry_renders():
    for family, names in DOCUMENTED.items():
        table = importlib.import_module(f"litenetron.formats.schemas.{family}_docs")
        assert set(table.OPERATORS) == names, family
        for name in names:
            text = documentation_source(family, name)()
            assert text.split("\n", 1)[0].strip(), (family, name)
    assert documentation_source("tflite", "NoSuchOperator") is None
    assert documentation_source("nofamily", "Conv2D") is None


def test_markdown_renders_the_onnx_layout():
    text = markdown("Adds things.", [("alpha", "float", 1.0, "scale"), ("axis", "int", None, "where")],
                    [("x", "left")], [("y", "sum")], common="Also `name`.")
    assert text == ("Adds things.\n\n## Attributes\n\n- `alpha`: *float*, default 1.0 — scale\n"
                    "- `axis`: *int* — where\n\n## Inputs\n\n- `x`: left\n\n## Outputs\n\n- `y`: sum\n\nAlso `name`.")


def test_opening_models_of_every_documented_family_imports_no_doc_table():
    require_corpus()
    paths = []
    for corpus_format in FAMILIES:
        rows = [row for row in manifest_rows(corpus_format) if int(row["nodes"] or 0) > 0]
        paths += [str(require_corpus() / row["path"]) for row in rows[:3]]
    script = ("import sys; from litenetron.formats import open_model\n"
              "for path in sys.argv[1:]:\n"
              "    model = open_model(path)\n"
              "    assert any(n.type.has_documentation() for g in model.graphs for n in g.nodes), path\n"
              "print(sorted(name for name in sys.modules\n"
              "             if name.startswith('litenetron.formats.schemas.') and name.endswith('_docs')))")
    result = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]" and len(paths) >= 10


@pytest.mark.gui
def test_the_window_imports_a_doc_table_only_when_the_documentation_opens(display, tmp_path):
    """The real window in a fresh process: after the first picture of a TFLite model and after a node is clicked
    (its Documentation button shown), no table is imported; the button's click imports the TFLite one."""
    model = require_corpus() / "tflite" / "generated" / "small_cnn.tflite"
    script = f"""
import json, sys, tkinter
sys.path.insert(0, {str(REPO / 'tests')!r})
from test_app import click_box, settle
from litenetron.app.window import MainWindow

def tables():
    return sorted(n for n in sys.modules if n.startswith("litenetron.formats.schemas.") and n.endswith("_docs"))

root = tkinter.Tk()
root.geometry("1200x800+0+0")
window = MainWindow(root)
root.update()
window.open_path({str(model)!r})
settle(window)
painted = tables()
click_box(window, next(b for b in window.scene.boxes if b.node is not None and b.node.type.name == "Conv2D"))
button = window.sidebar.doc_button
selected = tables() if button.winfo_ismapped() else "no Documentation button"
x, y = button.winfo_width() // 2, button.winfo_height() // 2
button.event_generate("<Enter>", x=x, y=y)
for event in ("<ButtonPress-1>", "<ButtonRelease-1>"):
    button.event_generate(event, x=x, y=y, button=1)
root.update()
print(json.dumps([painted, selected, tables(), window.sidebar.doc_window.title()]))
root.destroy()
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO),
                                 "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    painted, selected, opened, title = json.loads(result.stdout.strip().splitlines()[-1])
    assert painted == [] and selected == []
    assert opened == ["litenetron.formats.schemas.tflite_docs"] and title.startswith("Conv2D — ")

"""The viewer on weights-only files (GGUF, safetensors, NumPy): real window, real clicks, sidebar read back and
compared with the reference readers."""

from __future__ import annotations

import gguf
import numpy
import pytest
import safetensors.numpy
from test_app import box_of, click_box, config_home, key, open_via_dialog, pump, tree_value, window  # noqa: F401

from conftest import CORPUS, require_corpus

pytestmark = [pytest.mark.gui, pytest.mark.corpus]


def _weight_stats(window, iid: str = "weight:0") -> tuple:  # noqa: F811
    pump(window.root, lambda: window.sidebar.tree.exists(f"{iid}:min"))
    low, high = (float(text) for text in tree_value(window, f"{iid}:min").split(" / "))
    mean, std = (float(text) for text in tree_value(window, f"{iid}:mean").split(" ± "))
    return low, high, mean, std


def test_gguf_quantized_weight_statistics_and_properties(window, monkeypatch):  # noqa: F811
    require_corpus()
    path = CORPUS / "gguf/generated/llama_tiny_q4_k_m.gguf"
    open_via_dialog(window, monkeypatch, path)
    box = box_of(window, lambda b: b.node is not None and b.node.name == "blk.0.attn_q")
    click_box(window, box)
    assert tree_value(window, "node.type") == "Linear"
    reference = next(t for t in gguf.GGUFReader(path).tensors if t.name == "blk.0.attn_q.weight")
    values = gguf.quants.dequantize(reference.data, reference.tensor_type).astype(numpy.float64)
    expected = (values.min(), values.max(), values.mean(), values.std())
    assert _weight_stats(window) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert reference.tensor_type.name in tree_value(window, "weight:0:quant")
    assert window.sidebar.histogram_image is not None
    key(window, "<Control-Return>")
    assert tree_value(window, "model.format") == "GGUF v3"
    metadata = {window.sidebar.tree.item(iid, "text"): tree_value(window, iid)
                for iid in window.sidebar.tree.get_children("metadata")}
    assert metadata["general.architecture"] == '"llama"'
    assert metadata["tokenizer.ggml.tokens"].startswith("[") and "strings]" in metadata["tokenizer.ggml.tokens"]


def test_safetensors_float16_weight_statistics(window, monkeypatch):  # noqa: F811
    require_corpus()
    path = CORPUS / "safetensors/generated/mobilenet_v3_small_f16.safetensors"
    open_via_dialog(window, monkeypatch, path)
    box = box_of(window, lambda b: b.node is not None and b.node.name == "features.0.0")
    click_box(window, box)
    assert tree_value(window, "node.type") == "Conv2d"
    values = safetensors.numpy.load_file(path)["features.0.0.weight"].astype(numpy.float64)
    expected = (values.min(), values.max(), values.mean(), values.std())
    assert _weight_stats(window) == pytest.approx(expected, rel=1e-3, abs=1e-4)


def test_npz_weight_statistics(window, monkeypatch):  # noqa: F811
    require_corpus()
    path = CORPUS / "npz/generated/bert_tiny_state_dict_compressed.npz"
    open_via_dialog(window, monkeypatch, path)
    box = box_of(window, lambda b: b.node is not None and b.node.name == "embeddings.word_embeddings")
    click_box(window, box)
    values = numpy.load(path)["embeddings.word_embeddings.weight"].astype(numpy.float64)
    expected = (values.min(), values.max(), values.mean(), values.std())
    assert _weight_stats(window) == pytest.approx(expected, rel=1e-5, abs=1e-6)

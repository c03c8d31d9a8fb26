"""safetensors reader: corpus counts, values against the `safetensors` package, every dtype through its
writer, sharded indexes, companion files, malformed input and lazy data."""

from __future__ import annotations

import json
import struct

import ml_dtypes
import numpy as np
import pytest
import safetensors
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.formats import open_model
from litenetron.formats import safetensors as reader
from litenetron.model import ModelError

ROWS = manifest_rows("safetensors")
COUNTED = [row for row in ROWS if row["parameters"]]
COMPANIONS = [row for row in ROWS if not row["parameters"]]
SHARDED = "safetensors/generated/llama_tiny_sharded"


def _tensors(model):
    return {tensor.name: tensor for tensor in model.graphs[0].tensors()}


@pytest.mark.corpus
@pytest.mark.parametrize("row", COUNTED, ids=[row["path"] for row in COUNTED])
def test_corpus_counts(row):
    require_corpus()
    assert_manifest_counts(cli_info(CORPUS / row["path"])["graphs"][0], row)


@pytest.mark.corpus
@pytest.mark.parametrize("row", COMPANIONS, ids=[row["path"] for row in COMPANIONS])
def test_companion_files_name_the_file_to_open(row):
    require_corpus()
    with pytest.raises(ModelError, match="open model.safetensors.index.json"):
        open_model(CORPUS / row["path"])


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["squeezenet1_1_f32", "mobilenet_v3_small_f16",
                                  "llama_tiny_sharded/model-00001-of-00002"])
def test_corpus_values_match_the_safetensors_package(name):
    require_corpus()
    path = CORPUS / f"safetensors/generated/{name}.safetensors"
    expected = safetensors.numpy.load_file(path)
    ours = _tensors(open_model(path))
    assert set(ours) == set(expected)
    for key, array in expected.items():
        values = ours[key].data()
        assert values.dtype == array.dtype and values.shape == array.shape == ours[key].shape
        np.testing.assert_array_equal(values, array)


@pytest.mark.corpus
def test_corpus_bfloat16_values_match_the_package_bits():
    """numpy has no bfloat16, so the package is asked for the raw bytes of each tensor's range."""
    require_corpus()
    path = CORPUS / "safetensors/generated/gpt2_tiny_bf16.safetensors"
    with safetensors.safe_open(path, framework="numpy") as handle:
        metadata = handle.metadata()
    ours = open_model(path)
    assert dict(ours.metadata)["format"] == metadata["format"]
    blob = path.read_bytes()
    length = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + length])
    assert dict(ours.metadata)["tensors"] == f"{len(header) - 1} ({len(header) - 1} bfloat16)"
    for key, tensor in _tensors(ours).items():
        begin, end = header[key]["data_offsets"]
        values = tensor.data()
        assert values.dtype == ml_dtypes.bfloat16 and values.shape == tuple(header[key]["shape"])
        assert values.tobytes() == blob[8 + length + begin:8 + length + end]


@pytest.mark.corpus
def test_index_opens_every_shard_and_groups_by_module():
    require_corpus()
    folder = CORPUS / SHARDED
    model = open_model(folder / "model.safetensors.index.json")
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    tensors = _tensors(model)
    assert set(tensors) == set(index["weight_map"])
    expected = {}
    for shard in set(index["weight_map"].values()):
        expected.update(safetensors.numpy.load_file(folder / shard))
    for key, array in expected.items():
        np.testing.assert_array_equal(tensors[key].data(), array)
    names = [node.name for node in model.graphs[0].nodes]
    assert names.index("model.layers.0.self_attn.q_proj") < names.index("model.layers.1.self_attn.q_proj")
    q_proj = next(node for node in model.graphs[0].nodes if node.name == "model.layers.1.self_attn.q_proj")
    assert q_proj.type.name == "Linear" and [a.name for a in q_proj.inputs if a.name != "input"] == ["weight"]
    assert open_model(folder).graphs[0].parameters() == model.graphs[0].parameters()  # the folder opens it too
    properties = dict(model.metadata)
    assert properties["total_size"] == str(index["metadata"]["total_size"])
    assert properties["config.model_type"] == "llama" and model.producer.startswith("transformers ")


# The names releases before TensorSpec (the newest on Python 3.9 is 0.7) take for the file's dtype codes.
_OLD_API_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
                  "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16",
                  "U8": "uint8", "BOOL": "bool", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
                  "C64": "complex64"}


def _write(path, arrays, metadata=None):
    """A file written by the safetensors package itself: name → (its dtype name, array of the bytes)."""
    if not hasattr(safetensors, "TensorSpec"):   # an older release: plain dicts and its own dtype names
        tensors = {name: {"dtype": _OLD_API_NAMES.get(dtype, dtype), "shape": list(array.shape),
                          "data": array.tobytes()} for name, (dtype, array) in arrays.items()}
        try:
            safetensors.serialize_file(tensors, str(path), metadata)
        except safetensors.SafetensorError as error:
            pytest.skip(f"this safetensors release cannot write it ({error})")
        return path
    specs = {name: safetensors.TensorSpec(dtype=dtype, shape=array.shape, data_ptr=array.ctypes.data,
                                          data_len=array.nbytes)
             for name, (dtype, array) in arrays.items()}
    safetensors.serialize_file(specs, str(path), metadata=metadata)
    return path


def _header(path) -> dict:
    blob = path.read_bytes()
    return json.loads(blob[8:8 + struct.unpack("<Q", blob[:8])[0]])


DTYPE_ARRAYS = {
    "F64": np.linspace(-2, 2, 6, dtype=np.float64), "F32": np.linspace(-2, 2, 6, dtype=np.float32),
    "F16": np.linspace(-2, 2, 6, dtype=np.float16), "BF16": np.linspace(-2, 2, 6).astype(ml_dtypes.bfloat16),
    "F8_E4M3": np.linspace(-2, 2, 6).astype(ml_dtypes.float8_e4m3fn),
    "F8_E5M2": np.linspace(-2, 2, 6).astype(ml_dtypes.float8_e5m2),
    "F8_E8M0": np.array([0.5, 1, 2, 4, 8, 16]).astype(ml_dtypes.float8_e8m0fnu),
    "F8_E4M3FNUZ": np.linspace(-2, 2, 6).astype(ml_dtypes.float8_e4m3fnuz),
    "F8_E5M2FNUZ": np.linspace(-2, 2, 6).astype(ml_dtypes.float8_e5m2fnuz),
    "C64": np.array([1 + 2j, -1j, 3, 0, 2.5, -1], dtype=np.complex64),
    "I64": np.arange(-3, 3, dtype=np.int64), "I32": np.arange(-3, 3, dtype=np.int32),
    "I16": np.arange(-3, 3, dtype=np.int16), "I8": np.arange(-3, 3, dtype=np.int8),
    "U64": np.arange(6, dtype=np.uint64) * 2 ** 60, "U32": np.arange(6, dtype=np.uint32) * 2 ** 30,
    "U16": np.arange(6, dtype=np.uint16) * 9999, "U8": np.arange(6, dtype=np.uint8) * 40,
    "BOOL": np.array([True, False, True, True, False, False]),
}


@pytest.mark.parametrize("code", sorted(DTYPE_ARRAYS))
def test_every_dtype_written_by_the_package(tmp_path, code):
    array = DTYPE_ARRAYS[code].reshape(2, 3)
    path = _write(tmp_path / "x.safetensors", {"layer.weight": (array.dtype.name, array)}, {"note": "dtype test"})
    assert _header(path)["layer.weight"]["dtype"] == code
    model = open_model(path)
    [tensor] = model.graphs[0].tensors()
    assert tensor.shape == (2, 3) and tensor.size == 6
    values = tensor.data()
    assert values.dtype == array.dtype
    assert values.tobytes() == array.tobytes()
    assert dict(model.metadata)["note"] == "dtype test"


def test_float4_is_unpacked_low_nibble_first(tmp_path):
    values = np.array([0.5, 1, -2, 6], dtype=np.float32).astype(ml_dtypes.float4_e2m1fn)
    codes = values.view(np.uint8)
    packed = (codes[0::2] | (codes[1::2] << 4)).astype(np.uint8)
    path = _write(tmp_path / "f4.safetensors", {"w": ("float4_e2m1fn_x2", packed)})
    assert _header(path)["w"] == {"dtype": "F4", "shape": [4], "data_offsets": [0, 2]}
    [tensor] = open_model(path).graphs[0].tensors()
    np.testing.assert_array_equal(tensor.data().astype(np.float32), values.astype(np.float32))


def test_opening_reads_no_tensor_bytes(tmp_path, monkeypatch):
    """A 2 GiB sparse file: only its header is read on open."""
    header = json.dumps({"big.weight": {"dtype": "F32", "shape": [2 ** 14, 2 ** 15],
                                        "data_offsets": [0, 2 ** 31]}}).encode()
    path = tmp_path / "big.safetensors"
    with path.open("wb") as stream:
        stream.write(struct.pack("<Q", len(header)) + header)
        stream.truncate(8 + len(header) + 2 ** 31)
    calls = []
    monkeypatch.setattr("litenetron.codecs.archive.read_range", lambda *args: calls.append(args))
    model = open_model(path)
    assert model.graphs[0].parameters() == 2 ** 29 and calls == []


def _raw_file(path, header: dict, data: bytes = b""):
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


@pytest.mark.parametrize("header, data, reason", [
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}, bytes(12), "needs 8"),
    ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8), "data section"),
    ({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4), "shape"),
    ({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, bytes(4), "spans"),
    ({"w": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}}, bytes(4), "dtype"),
    ({"w": [1, 2]}, b"", "JSON object"),
    ({"__metadata__": [1]}, b"", "__metadata__"),
])
def test_inconsistent_headers_are_model_errors(tmp_path, header, data, reason):
    with pytest.raises(ModelError, match=reason):
        open_model(_raw_file(tmp_path / "bad.safetensors", header, data))


def test_unknown_dtype_is_shown_but_not_decoded(tmp_path):
    path = _raw_file(tmp_path / "x.safetensors", {"w": {"dtype": "F6_E2M3", "shape": [4],
                                                        "data_offsets": [0, 3]}}, bytes(3))
    [tensor] = open_model(path).graphs[0].tensors()
    assert tensor.size == 4
    with pytest.raises(ModelError, match="not decoded"):
        tensor.data()


def test_index_with_escaping_or_missing_shard_is_an_error(tmp_path):
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": {"w": "../outside.safetensors"}}))
    with pytest.raises(ModelError, match="not a file beside the index"):
        open_model(index)
    index.write_text(json.dumps({"weight_map": {"w": "absent.safetensors"}}))
    with pytest.raises(ModelError, match="missing"):
        open_model(index)
    index.write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        open_model(index)


def test_huge_header_length_is_refused_before_reading(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(struct.pack("<Q", 2 ** 40) + b'{"a": 1}')
    with pytest.raises(ModelError, match="header declares"):
        open_model(path)


@pytest.mark.corpus
def test_truncated_corpus_files_are_model_errors(tmp_path):
    require_corpus()
    blob = (CORPUS / "safetensors/generated/gpt2_tiny_bf16.safetensors").read_bytes()
    path = tmp_path / "cut.safetensors"
    for cut in (0, 4, 9, 100, 2000, 2712, len(blob) - 1):
        path.write_bytes(blob[:cut])
        with pytest.raises(ModelError):
            open_model(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_headers_are_model_errors(tmp_path, text):
    path = tmp_path / "random.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    try:
        for tensor in open_model(path).graphs[0].tensors():
            tensor.data()
    except ModelError:
        pass


def test_match_by_structure_without_the_extension(tmp_path):
    path = _write(tmp_path / "weights.bin", {"w": ("float32", np.ones(2, dtype=np.float32))})
    assert reader.match(path, path.read_bytes()[:4096])
    assert open_model(path).format == "safetensors"


@pytest.mark.corpus
@pytest.mark.parametrize("name, first, last", [
    ("llama_tiny_sharded/model.safetensors.index.json", "model.embed_tokens", "lm_head"),
    ("gpt2_tiny_bf16.safetensors", "transformer.wpe", "lm_head"),
    ("mobilenet_v3_small_f16.safetensors", "features.0.0", "classifier.3"),
])
def test_alphabetical_files_are_drawn_in_reading_order(name, first, last):
    """Embeddings first, blocks by number (each block's parts in computing order), heads last."""
    require_corpus()
    nodes = open_model(CORPUS / "safetensors/generated" / name).graphs[0].nodes
    names = [node.name for node in nodes]
    assert names[0] == first and names[-1] == last
    if "llama" in name:
        block = [n.split(".", 3)[-1] for n in names if n.startswith("model.layers.1.")]
        assert block == ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                         "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj",
                         "mlp.down_proj"]
        assert [n.type.name for n in nodes[:3]] == ["Embedding", "RMSNorm", "Linear"]
    if "features" in first:
        assert names.index("features.2.block.0.0") < names.index("features.10.block.0.0")
        rows = [argument.name for argument in nodes[1].inputs if argument.name != "input"]
        assert rows == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]

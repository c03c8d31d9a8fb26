"""GGUF reader: corpus counts, dequantization against the `gguf` package, files written by `gguf.GGUFWriter`,
hand-built version 1 files, malformed input, lazy tensor data."""

from __future__ import annotations

import struct

import gguf  # in the test extra: the reference writer, reader and dequantizer
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.formats import gguf as gguf_format
from litenetron.formats import open_model
from litenetron.formats.gguf_quants import GGML_TYPES, dequantize
from litenetron.model import ModelError

ROWS = manifest_rows("gguf")
TYPES_BY_NAME = {kind.name: kind for kind in GGML_TYPES.values()}
# Types the reference package dequantizes and we do too.
REFERENCE_TYPES = ("Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL",
                   "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4", "BF16", "F16", "F32")


def _tensors(model):
    return {tensor.name: tensor for tensor in model.graphs[0].tensors()}


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts(row):
    require_corpus()
    assert_manifest_counts(open_model(CORPUS / row["path"]).graphs[0], row)


@pytest.mark.corpus
def test_cli_counts_one_corpus_file():
    require_corpus()
    row = next(row for row in ROWS if "q4_k_m" in row["path"])
    summary = cli_info(CORPUS / row["path"])
    assert summary["format"] == "GGUF v3"
    assert_manifest_counts(summary["graphs"][0], row)


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_tensors_match_the_gguf_reader(row):
    """Names, numpy-order shapes, types and dequantized values equal the gguf package's."""
    require_corpus()
    path = CORPUS / row["path"]
    reference = {tensor.name: tensor for tensor in gguf.GGUFReader(path).tensors}
    ours = _tensors(open_model(path))
    assert set(ours) == set(reference)
    for name, tensor in ours.items():
        expected = reference[name]
        assert tensor.shape == tuple(int(d) for d in reversed(expected.shape)), name
        assert tensor.size == int(expected.n_elements)
        kind = expected.tensor_type.name
        assert (tensor.quantization or {}).get("ggml type", kind) == kind
        values = tensor.data()
        want = gguf.quants.dequantize(expected.data, expected.tensor_type)
        assert values.shape == want.shape == tensor.shape
        np.testing.assert_array_equal(values.astype(np.float32), want.astype(np.float32), err_msg=name)


@pytest.mark.corpus
def test_corpus_metadata_is_summarised_in_the_properties():
    require_corpus()
    path = CORPUS / "gguf/generated/llama_tiny_q4_k_m.gguf"
    model = open_model(path)
    properties = dict(model.metadata)
    reader = gguf.GGUFReader(path)
    assert properties["general.architecture"] == '"llama"'
    assert model.imports == ["llama"]
    tokens = reader.fields["tokenizer.ggml.tokens"]
    count = len(tokens.data)
    first = bytes(tokens.parts[tokens.data[0]]).decode()
    assert properties["tokenizer.ggml.tokens"].startswith(f"[{count} strings] {first!r}".replace("'", '"'))
    assert len(properties["tokenizer.ggml.tokens"]) < 400
    context = reader.fields["llama.context_length"]
    assert properties["llama.context_length"] == str(int(context.parts[context.data[0]][0]))
    keys = [key for key, _ in model.metadata]
    assert keys.index("general.architecture") < keys.index("llama.context_length") < \
        keys.index("tokenizer.ggml.tokens")
    assert "Q6_K" in properties["tensors"] and "Q4_K" in properties["tensors"]
    assert properties["general.file_type"] == "Q4_K_M (15)" and model.version == "Q4_K_M"


@pytest.mark.corpus
def test_corpus_iq_type_shows_shape_and_is_decoded_or_honestly_not():
    require_corpus()
    tensors = _tensors(open_model(CORPUS / "gguf/generated/llama_tiny_iq4_xs.gguf"))
    quantized = [t for t in tensors.values() if t.quantization and t.quantization["ggml type"] == "IQ4_XS"]
    assert quantized and all(t.layout == "quantized" and t.shape for t in quantized)


@pytest.mark.corpus
def test_vocabulary_only_file_is_one_tokenizer_box():
    require_corpus()
    graph = open_model(CORPUS / "gguf/generated/llama_vocab_only.gguf").graphs[0]
    assert graph.parameters() == 0
    [node] = graph.nodes
    assert node.type.name == "Tokenizer"
    assert any(attribute.name == "ggml.tokens" and "strings]" in attribute.value for attribute in node.attributes)


def _random_blocks(kind, n_blocks: int, seed: int) -> bytes:
    """Random block bytes whose fp16/fp32 scale fields are finite (random bits would make NaN/Inf)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(n_blocks, kind.block_bytes), dtype=np.uint8)
    scale = rng.uniform(-2, 2, size=(n_blocks, 2)).astype(np.float16).view(np.uint8)
    scale_fields = {"Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0], "Q2_K": [80, 82],
                    "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208], "IQ4_NL": [0], "IQ4_XS": [0],
                    "TQ1_0": [52], "TQ2_0": [64]}
    for start in scale_fields.get(kind.name, []):
        blocks[:, start:start + 2] = scale[:, :2]
    return blocks.tobytes()


@pytest.mark.parametrize("name", [n for n in REFERENCE_TYPES if TYPES_BY_NAME[n].block > 1])
def test_every_quantized_type_dequantizes_like_the_reference(name):
    kind = TYPES_BY_NAME[name]
    n_blocks = 24
    raw = _random_blocks(kind, n_blocks, seed=len(name))
    shape = (3, n_blocks * kind.block // 3)
    ours = dequantize(raw, kind, shape)
    quant_type = gguf.GGMLQuantizationType[name]
    theirs = gguf.quants.dequantize(np.frombuffer(raw, dtype=np.uint8).reshape(3, -1), quant_type)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape == shape
    np.testing.assert_array_equal(ours, theirs)


def test_q8_k_is_scale_times_int8():
    kind = TYPES_BY_NAME["Q8_K"]
    rng = np.random.default_rng(8)
    scales = rng.uniform(-1, 1, size=2).astype("<f4")
    values = rng.integers(-128, 128, size=(2, 256), dtype=np.int8)
    sums = values.reshape(2, 16, 16).sum(axis=-1).astype("<i2")
    raw = b"".join(scales[i].tobytes() + values[i].tobytes() + sums[i].tobytes() for i in range(2))
    assert len(raw) == 2 * kind.block_bytes
    np.testing.assert_array_equal(dequantize(raw, kind, (512,)), (values * scales[:, None]).reshape(512))


def test_undecoded_type_says_so():
    kind = TYPES_BY_NAME["IQ2_XXS"]
    with pytest.raises(ModelError, match="not decoded"):
        dequantize(bytes(kind.block_bytes), kind, (kind.block,))


def _write(path, tensors=(), metadata=(), alignment=None, endianess=None):
    options = {"endianess": endianess} if endianess is not None else {}
    writer = gguf.GGUFWriter(str(path), arch="llama", **options)
    if alignment:
        writer.add_custom_alignment(alignment)
    for key, value in metadata:
        writer.add_key_value(key, *value) if isinstance(value, tuple) else writer.add_array(key, value)
    for name, array, raw_dtype in tensors:
        writer.add_tensor(name, array, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_written_file_metadata_types_shapes_and_alignment(tmp_path):
    types = gguf.GGUFValueType
    weight = np.arange(2 * 3 * 64, dtype=np.float32).reshape(2, 3, 64)
    q8 = gguf.quants.quantize(np.linspace(-1, 1, 4 * 64, dtype=np.float32).reshape(4, 64),
                              gguf.GGMLQuantizationType.Q8_0)
    metadata = [
        ("test.u8", (200, types.UINT8)), ("test.i8", (-5, types.INT8)), ("test.u16", (60000, types.UINT16)),
        ("test.i16", (-300, types.INT16)), ("test.i32", (-70000, types.INT32)),
        ("test.u64", (2 ** 40, types.UINT64)), ("test.i64", (-(2 ** 40), types.INT64)),
        ("test.f32", (0.5, types.FLOAT32)), ("test.f64", (0.25, types.FLOAT64)),
        ("test.bool", (True, types.BOOL)), ("test.text", ("hello", types.STRING)),
        ("test.short", [1, 2, 3]), ("test.nested", [[1, 2], [3]]),
        ("tokenizer.ggml.tokens", [f"tok{i}" for i in range(100_000)]),
    ]
    path = _write(tmp_path / "x.gguf", [("blk.0.attn_q.weight", weight, None), ("blk.0.ffn_up.weight", q8,
                                                                                 gguf.GGMLQuantizationType.Q8_0)],
                  metadata, alignment=64)
    model = open_model(path)
    properties = dict(model.metadata)
    assert properties["test.u8"] == "200" and properties["test.i8"] == "-5" and properties["test.u16"] == "60000"
    assert properties["test.i16"] == "-300" and properties["test.i32"] == "-70000"
    assert properties["test.u64"] == str(2 ** 40) and properties["test.i64"] == str(-(2 ** 40))
    assert properties["test.f32"] == "0.5" and properties["test.f64"] == "0.25"
    assert properties["test.bool"] == "True" and properties["test.text"] == '"hello"'
    assert properties["test.short"] == "[1, 2, 3]" and properties["test.nested"] == "[[1, 2], [3]]"
    assert properties["tokenizer.ggml.tokens"] == '[100000 strings] "tok0", "tok1", "tok2", "tok3", "tok4", ' \
                                                  '"tok5", "tok6", "tok7", …'
    assert properties["general.alignment"] == "64"
    tensors = _tensors(model)
    np.testing.assert_array_equal(tensors["blk.0.attn_q.weight"].data(), weight)
    assert tensors["blk.0.ffn_up.weight"].shape == (4, 64)
    np.testing.assert_array_equal(tensors["blk.0.ffn_up.weight"].data(),
                                  gguf.quants.dequantize(q8, gguf.GGMLQuantizationType.Q8_0))
    [node_q, node_up] = model.graphs[0].nodes
    assert node_q.name == "blk.0.attn_q" and tensors["blk.0.attn_q.weight"].shape == (2, 3, 64)
    assert node_up.name == "blk.0.ffn_up" and node_up.type.name == "Linear"
    assert [argument.name for argument in node_up.inputs if argument.name != "input"] == ["weight"]


def test_big_endian_file_is_refused_clearly(tmp_path):
    path = _write(tmp_path / "be.gguf", [("w", np.ones(4, dtype=np.float32), None)],
                  endianess=gguf.GGUFEndian.BIG)
    with pytest.raises(ModelError, match="big-endian"):
        open_model(path)


def _v1_file(tensor_dims=(8, 2)) -> bytes:
    """A version 1 file by hand: counts, string lengths and dimensions are uint32."""
    def string(text):
        return struct.pack("<I", len(text)) + text.encode()
    blob = b"GGUF" + struct.pack("<III", 1, 1, 1)
    blob += string("general.architecture") + struct.pack("<I", 8) + string("llama")
    blob += string("w") + struct.pack("<I", len(tensor_dims)) + struct.pack(f"<{len(tensor_dims)}I", *tensor_dims)
    blob += struct.pack("<IQ", 0, 0)
    blob += bytes(-len(blob) % 32)
    return blob + np.arange(16, dtype="<f4").tobytes()


def test_version_1_file(tmp_path):
    path = tmp_path / "v1.gguf"
    path.write_bytes(_v1_file())
    model = open_model(path)
    assert model.format == "GGUF v1"
    np.testing.assert_array_equal(_tensors(model)["w"].data(), np.arange(16, dtype=np.float32).reshape(2, 8))


def test_opening_reads_no_tensor_bytes(tmp_path, monkeypatch):
    """A sparse 2 GiB tensor: opening reads only the header (read_range is what data() uses)."""
    path = _write(tmp_path / "small.gguf", [("w", np.ones((4, 32), dtype=np.float32), None)])
    big = tmp_path / "big.gguf"
    blob = bytearray(path.read_bytes())
    at = blob.index(struct.pack("<QQ", 32, 4))  # the dims, fastest first
    blob[at:at + 16] = struct.pack("<QQ", 2 ** 27, 4)
    header_end = len(blob) - 4 * 32 * 4
    with big.open("wb") as stream:
        stream.write(blob[:header_end])
        stream.truncate(header_end + 2 ** 27 * 4 * 4)
    calls = []
    monkeypatch.setattr("litenetron.codecs.archive.read_range", lambda *args: calls.append(args))
    model = open_model(big)
    assert model.graphs[0].parameters() == 2 ** 29 and calls == []


@pytest.mark.corpus
def test_truncated_and_corrupted_corpus_files_are_model_errors(tmp_path):
    require_corpus()
    blob = (CORPUS / "gguf/generated/llama_tiny_q4_0.gguf").read_bytes()
    path = tmp_path / "bad.gguf"
    rng = np.random.default_rng(0)
    for cut in (5, 12, 30, 100, 1000, 5000, 20000, len(blob) - 100):
        path.write_bytes(blob[:cut])
        with pytest.raises(ModelError):
            open_model(path)
    for _ in range(40):
        corrupted = bytearray(blob[:30000])
        for at in rng.integers(8, len(corrupted), size=4):
            corrupted[at] = rng.integers(0, 256)
        path.write_bytes(bytes(corrupted) + blob[30000:])
        try:
            for tensor in open_model(path).graphs[0].tensors():
                try:
                    tensor.data()
                except ModelError:
                    pass
        except ModelError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_after_the_magic_are_model_errors(tmp_path, tail):
    path = tmp_path / "random.gguf"
    path.write_bytes(b"GGUF" + tail)
    try:
        open_model(path)
    except ModelError:
        pass


def test_match_only_claims_the_magic(tmp_path):
    assert gguf_format.match(tmp_path / "x.bin", b"GGUF\x03\0\0\0")
    assert not gguf_format.match(tmp_path / "x.gguf", b"\x00" * 16)


@pytest.mark.corpus
def test_tensors_are_drawn_embedding_blocks_output():
    require_corpus()
    nodes = open_model(CORPUS / "gguf/generated/llama_tiny_q4_k_m.gguf").graphs[0].nodes
    names = [node.name for node in nodes]
    assert names[0] == "token_embd" and names[-2:] == ["output_norm", "output"]
    assert [n for n in names if n.startswith("blk.0.")] == [
        "blk.0.attn_norm", "blk.0.attn_q", "blk.0.attn_k", "blk.0.attn_v", "blk.0.attn_output", "blk.0.ffn_norm",
        "blk.0.ffn_gate", "blk.0.ffn_up", "blk.0.ffn_down"]
    assert [node.type.category for node in nodes[:3]] == ["Transform", "Normalization", "Layer"]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64"])
def test_plain_element_types_written_by_the_package(tmp_path, dtype):
    array = (np.arange(-6, 6) * 3).astype(dtype).reshape(3, 4)
    path = _write(tmp_path / "plain.gguf", [("w.weight", array, None)])
    [tensor] = _tensors(open_model(path)).values()
    reference = next(iter(gguf.GGUFReader(path).tensors))
    assert tensor.dtype == dtype and tensor.layout == "dense" and tensor.shape == (3, 4)
    values = tensor.data()
    assert values.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(values, array)
    np.testing.assert_array_equal(values, np.asarray(reference.data).reshape(3, 4))


def _v3_with_value(value: bytes) -> bytes:
    """A version 3 file with one metadata entry `x` whose typed value is `value`, and no tensors."""
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"x" + value


@pytest.mark.parametrize("value, reason", [
    (struct.pack("<I", 9) + (struct.pack("<IQ", 9, 1)) * 20 + struct.pack("<IQ", 4, 0), "nested too deeply"),
    (struct.pack("<IIQ", 9, 8, 2 ** 40), "does not fit"),
    (struct.pack("<IIQ", 9, 4, 2 ** 61), "does not fit"),
    (struct.pack("<IQ", 8, 2 ** 50), "does not fit"),
    (struct.pack("<I", 77), "unknown metadata value type"),
])
def test_hostile_metadata_is_refused_before_allocating(tmp_path, value, reason):
    path = tmp_path / "hostile.gguf"
    path.write_bytes(_v3_with_value(value))
    with pytest.raises(ModelError, match=reason):
        open_model(path)


def test_alignment_must_be_a_power_of_two(tmp_path):
    path = tmp_path / "align.gguf"
    blob = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 17) + b"general.alignment"
    path.write_bytes(blob + struct.pack("<II", 4, 48))
    with pytest.raises(ModelError, match="power of two"):
        open_model(path)

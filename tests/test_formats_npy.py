"""NumPy .npy / .npz reader: corpus counts, values against `numpy.load(allow_pickle=False)`, every header version
and dtype kind numpy writes, object arrays refused, malformed input, lazy data."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CORPUS, assert_manifest_counts, cli_info, manifest_rows, require_corpus
from litenetron.formats import npy as reader
from litenetron.formats import open_model
from litenetron.model import ModelError

ROWS = manifest_rows("npy") + manifest_rows("npz")


def _tensors(model):
    return {tensor.name: tensor for tensor in model.graphs[0].tensors()}


@pytest.mark.corpus
@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_corpus_counts_and_values(row):
    require_corpus()
    path = CORPUS / row["path"]
    assert_manifest_counts(cli_info(path)["graphs"][0], row)
    tensors = _tensors(open_model(path))
    loaded = np.load(path, allow_pickle=False)
    expected = dict(loaded.items()) if path.suffix == ".npz" else {path.stem: loaded}
    assert set(tensors) == set(expected)
    for name, array in expected.items():
        values = tensors[name].data()
        assert values.dtype == array.dtype and values.shape == array.shape == tensors[name].shape
        np.testing.assert_array_equal(values, array)


@pytest.mark.corpus
def test_npz_state_dict_groups_by_module():
    require_corpus()
    graph = open_model(CORPUS / "npz/generated/gpt2_tiny_state_dict.npz").graphs[0]
    names = [node.name for node in graph.nodes]
    assert "transformer.h.0.ln_1" in names and "transformer.wte" in names
    node = graph.nodes[names.index("transformer.h.0.ln_1")]
    assert [argument.name for argument in node.inputs if argument.name != "input"] == ["weight", "bias"]


def _save(path, array, version=None):
    with path.open("wb") as stream:
        np.lib.format.write_array(stream, array, version=version, allow_pickle=False)
    return path


ARRAYS = {
    "f32": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4),
    "f64_big_endian": np.linspace(-1, 1, 12).astype(">f8").reshape(4, 3),
    "f16": np.arange(6, dtype=np.float16),
    "i64_big_endian": np.arange(-3, 3).astype(">i8"),
    "u16": np.arange(5, dtype=np.uint16) * 1000,
    "i8": np.arange(-4, 4, dtype=np.int8),
    "bool": np.array([[True, False], [False, True]]),
    "c64": np.array([1 + 2j, -1j], dtype=np.complex64),
    "c128_big_endian": np.array([1 + 2j, -1j]).astype(">c16"),
    "fortran": np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4)),
    "scalar": np.array(7.5, dtype=np.float32),
    "empty": np.zeros((0, 5), dtype=np.float32),
    "unicode": np.array(["ab", "cde"]),
    "bytes": np.array([b"xy", b"z"]),
    "datetime": np.array(["2024-01-01", "2025-06-30"], dtype="datetime64[D]"),
    "structured": np.array([(1.0, [1, 2, 3]), (2.0, [4, 5, 6])], dtype=[("x", "<f4"), ("pos", ">i2", (3,))]),
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_every_header_version_and_dtype(tmp_path, name, version):
    array = ARRAYS[name]
    path = _save(tmp_path / f"{name}.npy", array, version)
    model = open_model(path)
    assert model.format == f"NumPy .npy v{version[0]}.{version[1]}"
    [tensor] = model.graphs[0].tensors()
    assert tensor.shape == array.shape and tensor.size == array.size
    values = tensor.data()
    np.testing.assert_array_equal(values, np.load(path, allow_pickle=False))
    if array.dtype.names is None and array.dtype.kind in "biufc":
        assert values.dtype.isnative and tensor.dtype == array.dtype.newbyteorder("=").name
    if name == "structured":
        assert tensor.dtype == "struct{x: float32, pos: int16[3]}"
    if name == "fortran":
        assert "Fortran order" in tensor.location


def test_object_arrays_are_refused_never_unpickled(tmp_path, monkeypatch):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    import pickle
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(ModelError, match="holds pickled Python objects"):
        open_model(path)
    archive = tmp_path / "mixed.npz"
    np.savez(archive, good=np.ones(3), bad=np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(ModelError, match="pickled Python objects"):
        open_model(archive)
    structured = tmp_path / "structured_object.npy"
    np.save(structured, np.array([(1, None)], dtype=[("a", "<i4"), ("b", "O")]), allow_pickle=True)
    with pytest.raises(ModelError, match="pickled Python objects"):
        open_model(structured)


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_stored_and_deflated_members(tmp_path, compressed):
    arrays = {"encoder.0.weight": np.ones((4, 3, 3, 3), dtype=np.float32), "encoder.0.bias": np.arange(4.0),
              "head.weight": np.arange(12, dtype=np.float16).reshape(3, 4)}
    path = tmp_path / "state.npz"
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    model = open_model(path)
    tensors = _tensors(model)
    for name, array in arrays.items():
        np.testing.assert_array_equal(tensors[name].data(), array)
        assert ("deflated" in tensors[name].location) == compressed
    assert [node.name for node in model.graphs[0].nodes] == ["encoder.0", "head"]
    assert [node.type.name for node in model.graphs[0].nodes] == ["Conv2d", "Linear"]
    assert model.graphs[0].parameters() == sum(array.size for array in arrays.values())
    assert dict(model.metadata)["arrays"] == "3 (1 float32, 1 float64, 1 float16)"


def test_npz_of_plain_names_is_one_box(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, x=np.ones(2), y=np.zeros((2, 2)))
    [node] = open_model(path).graphs[0].nodes
    assert [argument.name for argument in node.inputs] == ["x", "y"]


def test_opening_reads_no_array_bytes(tmp_path, monkeypatch):
    """A 2 GiB sparse .npy and a stored .npz member: only headers are read on open."""
    path = tmp_path / "big.npy"
    header = _save(tmp_path / "small.npy", np.zeros((2, 2), dtype=np.float32)).read_bytes()[:128]
    header = header.replace(b"(2, 2)", b"(2**1,)".replace(b"2**1", b"536870912")).ljust(127)[:127] + b"\n"
    with path.open("wb") as stream:
        stream.write(header)
        stream.truncate(128 + 2 ** 31)
    calls = []
    monkeypatch.setattr("litenetron.codecs.archive.read_range", lambda *args: calls.append(args))
    assert open_model(path).graphs[0].parameters() == 2 ** 29 and calls == []
    archive = tmp_path / "stored.npz"
    np.savez(archive, w=np.ones(1000))
    assert open_model(archive).graphs[0].parameters() == 1000 and calls == []


def _with_header(text: bytes, version: int = 1) -> bytes:
    width = "<H" if version == 1 else "<I"
    return reader.MAGIC + bytes([version, 0]) + struct.pack(width, len(text)) + text


@pytest.mark.parametrize("text, reason", [
    (b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "needs 8 bytes"),
    (b"{'descr': '<f4', 'fortran_order': False}", "lacks"),
    (b"{'descr': '<f4', 'fortran_order': 1, 'shape': (2,)}", "fortran_order"),
    (b"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "shape"),
    (b"{'descr': '<q9', 'fortran_order': False, 'shape': (2,)}", "dtype"),
    (b"__import__('os').system('true')", "not a Python literal"),
    (b"[" * 5000, "not a Python literal"),
    (b"{'descr': [('a', 3)], 'fortran_order': False, 'shape': ()}", "dtype"),
])
def test_bad_headers_are_model_errors(tmp_path, text, reason):
    path = tmp_path / "bad.npy"
    path.write_bytes(_with_header(text) + b"\0\0\0\0")
    with pytest.raises(ModelError, match=reason):
        open_model(path)


def test_header_length_is_bounded(tmp_path):
    path = tmp_path / "long.npy"
    path.write_bytes(reader.MAGIC + bytes([2, 0]) + struct.pack("<I", 2 ** 31))
    with pytest.raises(ModelError, match="longer than"):
        open_model(path)


@pytest.mark.corpus
def test_truncated_and_corrupted_corpus_archives_are_model_errors(tmp_path):
    require_corpus()
    rng = np.random.default_rng(1)
    for name in ("npz/generated/bert_tiny_state_dict_compressed.npz", "npz/generated/gpt2_tiny_state_dict.npz",
                 "npy/generated/conv1_weight_f32.npy"):
        blob = (CORPUS / name).read_bytes()
        path = tmp_path / ("bad" + name[-4:])
        for cut in (3, 10, 60, 200, len(blob) // 2, len(blob) - 30):
            path.write_bytes(blob[:cut])
            with pytest.raises(ModelError):
                for tensor in open_model(path).graphs[0].tensors():
                    tensor.data()
        for _ in range(30):
            corrupted = bytearray(blob)
            for at in rng.integers(0, len(corrupted), size=6):
                corrupted[at] = rng.integers(0, 256)
            path.write_bytes(bytes(corrupted))
            try:
                for tensor in open_model(path).graphs[0].tensors():
                    tensor.data()
            except ModelError:
                pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200), st.sampled_from([1, 2, 3]))
def test_random_headers_are_model_errors(tmp_path, text, version):
    path = tmp_path / "random.npy"
    path.write_bytes(_with_header(text, version) + bytes(64))
    try:
        for tensor in open_model(path).graphs[0].tensors():
            tensor.data()
    except ModelError:
        pass


def test_npz_member_that_is_not_an_array(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("w.npy", b"not an array at all")
    path = tmp_path / "x.npz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ModelError, match="member 'w.npy'"):
        open_model(path)

"""Errors tell the truth: a bad file is a one-line ModelError, a bug of ours is an internal error, never the
file's fault; the fuzzer counts internal errors as crashes."""

from __future__ import annotations

import importlib
import struct
import sys
from pathlib import Path

import pytest

from conftest import REPO
from litenetron.__main__ import main
from litenetron.codecs.errors import CodecError
from litenetron.formats import FAMILIES, open_model
from litenetron.model import DECODE_ERRORS, ModelError, Tensor

SAMPLE = REPO / "litenetron" / "samples" / "resblock.onnx"
sys.path.insert(0, str(REPO / "benchmarks"))
import fuzz  # noqa: E402  (benchmarks/ is not a package)


def test_every_codec_error_is_a_codec_error():
    from litenetron.codecs import archive, binary, flatbuffers, hdf5_io, pickle_objects, protobuf
    from litenetron.formats import tensorflow_bundle
    for error in (archive.ArchiveError, binary.BinaryError, flatbuffers.FlatBufferError, hdf5_io.Hdf5Error,
                  pickle_objects.PickleError, protobuf.ProtobufError, tensorflow_bundle.BundleError):
        assert issubclass(error, CodecError), error


@pytest.mark.parametrize("bug", [TypeError, KeyError, AttributeError, IndexError, ValueError, NotImplementedError])
def test_decode_errors_do_not_include_what_signals_a_bug(bug):
    assert not issubclass(bug, DECODE_ERRORS)


def _onnx_read_raises(monkeypatch, error: BaseException) -> None:
    onnx_family = importlib.import_module("litenetron.formats.onnx")

    def broken(path: Path):
        raise error
    monkeypatch.setattr(onnx_family, "read", broken)


def test_a_reader_bug_is_an_internal_error_not_a_bad_file(monkeypatch, capsys):
    _onnx_read_raises(monkeypatch, TypeError("unsupported operand type(s) for +: 'int' and 'str'"))
    with pytest.raises(TypeError):
        open_model(SAMPLE)
    assert main([str(SAMPLE), "--info"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"litenetron: internal error reading {SAMPLE} (TypeError: unsupported operand "
                                "type(s) for +: 'int' and 'str'); please report it"]
    assert main([str(SAMPLE), "--info", "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "in broken" in err
    assert err.rstrip().splitlines()[-1].startswith("litenetron: internal error reading")


def test_a_codec_error_is_a_bad_file_with_its_cause_kept(monkeypatch, capsys):
    from litenetron.codecs.protobuf import ProtobufError
    cause = ProtobufError("field 'graph' runs past the end of its message")
    _onnx_read_raises(monkeypatch, cause)
    with pytest.raises(ModelError, match=r"malformed onnx file \(field 'graph' runs past") as caught:
        open_model(SAMPLE)
    assert caught.value.__cause__ is cause
    assert main([str(SAMPLE), "--info"]) == 1
    assert capsys.readouterr().err.startswith("litenetron: error: ")


def test_struct_error_is_a_bad_file(monkeypatch):
    _onnx_read_raises(monkeypatch, struct.error("unpack_from requires a buffer of at least 8 bytes"))
    with pytest.raises(ModelError, match="malformed onnx file"):
        open_model(SAMPLE)


def test_a_match_bug_propagates_but_a_decode_error_there_means_not_claimed(monkeypatch, tmp_path):
    family = importlib.import_module(f"litenetron.formats.{FAMILIES[0]}")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x01\x02\x03 nothing")

    def buggy(path, header):
        raise KeyError("oops")
    monkeypatch.setattr(family, "match", buggy)
    with pytest.raises(KeyError):
        open_model(junk)

    def undecodable(path, header):
        raise struct.error("short")
    monkeypatch.setattr(family, "match", undecodable)
    with pytest.raises(ModelError, match="not a model in any supported format"):
        open_model(junk)


def test_tensor_values_bad_bytes_versus_a_bug():
    def truncated():
        return struct.unpack("<f", b"\x00")
    with pytest.raises(ModelError, match="cannot read the values") as caught:
        Tensor("w", "float32", (1,), loader=truncated).data()
    assert isinstance(caught.value.__cause__, struct.error)

    def buggy():
        return None + 1
    with pytest.raises(TypeError):
        Tensor("w", "float32", (1,), loader=buggy).data()


def test_the_fuzzer_counts_internal_errors_as_crashes():
    line = "litenetron: internal error reading m.onnx (TypeError: boom); please report it\n"
    assert fuzz.classify(2, line) == "crash"
    assert fuzz.classify(1, "litenetron: error: m.onnx: file is empty\n") == "clean"
    assert fuzz.classify(0, "") == "ok"


def test_a_zip_member_that_needs_a_newer_zip_version_is_a_bad_file(tmp_path):
    """Fuzz finding: zipfile raises NotImplementedError ("zip file version 12.8") for a central directory entry
    whose version needed to extract is beyond what it reads; that is a statement about the file."""
    import zipfile

    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model/data.pkl", b"\x80\x02}q\x00.")
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 6, 128)   # version needed to extract: 12.8
    path.write_bytes(bytes(data))
    from litenetron.codecs import archive
    with pytest.raises(archive.ArchiveError, match="zip file version 12.8"):
        archive.open_zip(path)
    with pytest.raises(ModelError):
        open_model(path)


def test_an_elementwise_tnn_layer_over_an_unknown_dimension_leaves_it_unknown():
    """Fuzz finding (kept as a fixture): a TNN Add whose inputs have an unknown dimension broke max()."""
    graph = open_model(REPO / "tests" / "fixtures" / "fuzz" / "tnn_add_with_unknown_dims.tnnproto").graphs[0]
    assert graph.nodes


def test_an_mxnet_symbol_whose_nodes_are_not_objects_is_a_bad_file(tmp_path):
    """Fuzz finding: a chunk deleted from a symbol left numbers in its node list."""
    path = tmp_path / "net-symbol.json"
    path.write_text('{"nodes": [{"op": "null", "name": "data", "inputs": []}, 3], "heads": [[0, 0, 0]]}')
    with pytest.raises(ModelError, match="'nodes' must all be JSON objects"):
        open_model(path)

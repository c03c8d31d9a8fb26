"""One dtype decoder for every reader, checked against ml_dtypes' own conversions and numpy."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from litenetron.codecs.arrays import decode_array
from litenetron.codecs.binary import array_loader
from litenetron.codecs.errors import CodecError

VALUES = np.array([0.5, -1.0, 2.0, 0.0, 1.5, -0.25], dtype=np.float32)


@pytest.mark.parametrize("dtype", ["bfloat16", "float8_e4m3fn", "float8_e5m2", "float16", "float64"])
def test_float_types_decode_like_ml_dtypes(dtype):
    reference = VALUES.astype(getattr(ml_dtypes, dtype, dtype)).reshape(2, 3)
    decoded = decode_array(reference.tobytes(), dtype, (2, 3))
    assert decoded.dtype == reference.dtype and decoded.shape == (2, 3)
    np.testing.assert_array_equal(decoded.astype(np.float32), reference.astype(np.float32))


def test_sub_byte_integers_unpack_low_bits_first():
    # int4 -3, 7 packed in one byte (low nibble first), then -8 alone: 0x7D, 0x08
    decoded = decode_array(bytes([0x7D, 0x08]), "int4", (3,))
    assert decoded.astype(np.int8).tolist() == [-3, 7, -8]
    assert decode_array(bytes([0xE4]), "uint2", (4,)).astype(np.uint8).tolist() == [0, 1, 2, 3]
    assert decode_array(bytes([0x21]), "uint4", None).astype(np.uint8).tolist() == [1, 2]  # unknown shape


def test_quantized_and_unknown_shapes():
    assert decode_array(np.array([1, -2], "<i1").tobytes(), "qint8", (2,)).tolist() == [1, -2]
    assert decode_array(np.arange(4, dtype="<i4").tobytes(), "int32", (None, 2)).tolist() == [0, 1, 2, 3]


def test_byte_counts_that_do_not_fit_the_shape_are_errors():
    with pytest.raises(CodecError, match="expected 24"):
        decode_array(b"\0" * 20, "float32", (2, 3))
    with pytest.raises(CodecError, match="too few"):
        decode_array(b"\0", "int4", (3,))


def test_array_loader_reads_the_types_numpy_lacks(tmp_path):
    values = VALUES.astype(ml_dtypes.bfloat16)
    path = tmp_path / "weights.bin"
    path.write_bytes(b"HEAD" + values.tobytes() + bytes([0x7D, 0x08]))
    loaded = array_loader(path, 4, "bfloat16", (6,))()
    np.testing.assert_array_equal(loaded.astype(np.float32), values.astype(np.float32))
    packed = array_loader(path, 4 + values.nbytes, "int4", (3,))()
    assert packed.astype(np.int8).tolist() == [-3, 7, -8]

"""Element bytes → numpy arrays for every dtype name the readers use, one decoder for all of them: the numpy
types, the ones numpy lacks (bfloat16, float8, float4/6 via ml_dtypes, which onnx installs), sub-byte integers
packed low bits first (int4, uint4, int2, uint2) and TensorFlow's quantized integers. numpy is imported only
when values are decoded."""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple

from ..model import Dim, ModelError
from .errors import CodecError

# Sub-byte types are stored packed, low bits first.
PACKED_BITS = {"int4": 4, "uint4": 4, "float4_e2m1fn": 4, "int2": 2, "uint2": 2}
# Types numpy lacks; ml_dtypes provides them.
ML_DTYPES = {"bfloat16", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
             "float8_e4m3b11fnuz", "int4", "uint4", "float4_e2m1fn", "int2", "uint2", "float6_e2m3fn",
             "float6_e3m2fn"}
# TensorFlow's quantized types are plain integers on disk.
_QUANTIZED = {"qint8": "int8", "quint8": "uint8", "qint16": "int16", "quint16": "uint16", "qint32": "int32"}


def numpy_dtype(dtype: str):
    """The little-endian numpy dtype of one of our dtype names."""
    import numpy as np
    if dtype in ML_DTYPES:
        try:
            import ml_dtypes
        except ImportError:
            raise ModelError(dtype, "reading this data type needs the ml_dtypes package") from None
        return np.dtype(getattr(ml_dtypes, dtype))
    if dtype == "string":
        return np.dtype(object)
    try:
        return np.dtype(_QUANTIZED.get(dtype, dtype)).newbyteorder("<")
    except TypeError:
        raise CodecError(f"values of type {dtype!r} cannot be decoded") from None


def item_bits(dtype: str) -> int:
    """Bits one element takes on disk (0 for strings, whose size is not fixed)."""
    if dtype in PACKED_BITS:
        return PACKED_BITS[dtype]
    if dtype == "string":
        return 0
    return numpy_dtype(dtype).itemsize * 8


def unpack_bits(raw, count: int, bits: int, dtype: str):
    """Sub-byte values packed into bytes, low bits first → one element per value."""
    import numpy as np
    data = np.frombuffer(raw, dtype=np.uint8)
    per_byte = 8 // bits
    if data.size * per_byte < count:
        raise CodecError(f"{dtype} values: {data.size} bytes are too few for {count} {bits}-bit values")
    mask = (1 << bits) - 1
    parts = [(data >> (bits * k)) & mask for k in range(per_byte)]
    values = np.stack(parts, axis=-1).reshape(-1)[:count]
    if dtype.startswith("float"):  # the bits are a bit pattern, not a number
        return values.astype(np.uint8).view(numpy_dtype(dtype))
    if dtype.startswith("int"):  # sign-extend
        values = values.astype(np.int8)
        values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values).astype(np.int8)
    return values.astype(numpy_dtype(dtype)) if dtype in ML_DTYPES else values


def _known(shape: Optional[Tuple[Dim, ...]]) -> bool:
    return shape is not None and all(isinstance(d, int) and d >= 0 for d in shape)


def decode_array(raw, dtype: str, shape: Optional[Tuple[Dim, ...]]) -> Any:
    """The values of `raw` as an array of `shape` (flat when the shape is not fully known); the byte count
    must match a known shape exactly."""
    import numpy as np
    known = _known(shape)
    count = math.prod(shape) if known else None
    if dtype in PACKED_BITS:
        bits = PACKED_BITS[dtype]
        values = unpack_bits(raw, len(raw) * 8 // bits if count is None else count, bits, dtype)
        return values.reshape(shape) if known else values
    target = numpy_dtype(dtype)
    if count is not None and len(raw) != count * target.itemsize:
        raise CodecError(f"{dtype} values: {len(raw)} bytes, expected {count * target.itemsize} for shape "
                         f"{tuple(shape)}")
    if len(raw) % target.itemsize:
        raise CodecError(f"{dtype} values: {len(raw)} bytes are not a whole number of elements")
    array = np.frombuffer(raw, dtype=target)
    return array.reshape(shape) if known else array

"""ONNX TensorProto → lazy `Tensor`: inline raw bytes, typed value lists, external data, sparse tensors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

from ..codecs.arrays import ML_DTYPES as _ML_DTYPES
from ..codecs.arrays import PACKED_BITS as _PACKED_BITS
from ..codecs.arrays import decode_array, item_bits, numpy_dtype
from ..codecs.arrays import unpack_bits as _unpack_bits
from ..codecs.protobuf import BytesRef, Message, PackedRef, to_bytes
from ..model import ModelError, Tensor
from .schemas.onnx import DATA_TYPES

EXTERNAL = 1  # TensorProto.DataLocation

# Storage width of the values that live in int32_data as raw bit patterns.
_BIT_PATTERN_TYPES = {"float16": "<u2", "bfloat16": "<u2"}


def _decode_raw(raw: bytes, dtype: str, shape, count: int):
    return decode_array(raw, dtype, shape)


def _typed_values(proto: Message, field: str):
    values = proto.get(field)
    if values is None:
        return []
    return values.array() if isinstance(values, PackedRef) else values


def _decode_typed(proto: Message, dtype: str, field: str, shape, count: int):
    import numpy as np
    values = _typed_values(proto, field)
    if dtype == "string":
        strings = [to_bytes(item) for item in values]
        return np.array(strings, dtype=object).reshape(shape)
    if dtype.startswith("complex"):
        pairs = np.asarray(values, dtype=np.float32 if dtype == "complex64" else np.float64)
        return (pairs[0::2] + 1j * pairs[1::2]).astype(dtype).reshape(shape)
    if dtype in _PACKED_BITS:  # int32_data holds the packed bytes, one byte per int32
        raw = np.asarray(values, dtype=np.int64).astype(np.uint8).tobytes()
        return _unpack_bits(raw, count, _PACKED_BITS[dtype], dtype).reshape(shape)
    array = np.asarray(values)
    if dtype in _BIT_PATTERN_TYPES or dtype in _ML_DTYPES:
        width = _BIT_PATTERN_TYPES.get(dtype, "<u1")
        array = array.astype(np.int64).astype(width).view(numpy_dtype(dtype))
    else:
        array = array.astype(numpy_dtype(dtype))
    if array.size != count:
        raise ModelError(dtype, f"holds {array.size} values, expected {count} for shape {shape}")
    return array.reshape(shape)


def _external_location(proto: Message, folder: Path, model_path: Path) -> tuple:
    entries = {entry.get("key", ""): entry.get("value", "") for entry in proto.external_data}
    location = entries.get("location", "")
    if not location:
        raise ModelError(model_path, f"tensor {proto.name!r} is external but names no location")
    relative = Path(location)
    if relative.is_absolute() or ".." in relative.parts or relative.drive:
        raise ModelError(model_path, f"tensor {proto.name!r}: external data location {location!r} "
                                     "escapes the model's folder")
    target = (folder / relative).resolve()
    if folder.resolve() not in target.parents:
        raise ModelError(model_path, f"tensor {proto.name!r}: external data location {location!r} "
                                     "escapes the model's folder")
    try:
        offset = int(entries.get("offset", 0) or 0)
        length = int(entries["length"]) if entries.get("length") else None
    except ValueError:
        raise ModelError(model_path, f"tensor {proto.name!r}: bad external data offset/length") from None
    if offset < 0 or (length is not None and length < 0):
        raise ModelError(model_path, f"tensor {proto.name!r}: negative external data offset/length")
    return target, offset, length


def _read_external(target: Path, offset: int, length: Optional[int], expected: int, name: str) -> bytes:
    try:
        size = target.stat().st_size
    except OSError:
        raise ModelError(target, f"external data file for tensor {name!r} is missing") from None
    length = expected if length is None else length
    if offset + length > size:
        raise ModelError(target, f"tensor {name!r} needs bytes {offset}..{offset + length}, "
                                 f"the file has {size}")
    with target.open("rb") as stream:
        stream.seek(offset)
        return stream.read(length)


def tensor_from_proto(proto: Message, model_path: Path, name: str = "") -> Tensor:
    """A lazy Tensor for a TensorProto; external locations are validated now, bytes read on data()."""
    data_type = proto.data_type
    dtype, field = DATA_TYPES.get(data_type, (None, ""))
    shape = tuple(proto.dims)
    if any(dim < 0 for dim in shape):
        raise ModelError(model_path, f"tensor {proto.name or name!r} has a negative dimension {shape}")
    count = math.prod(shape)
    tensor_name = proto.name or name
    if dtype is None:
        return Tensor(tensor_name, None, shape, location=f"unknown data type {data_type}")
    if proto.data_location == EXTERNAL:
        target, offset, length = _external_location(proto, model_path.parent, model_path)

        def load():
            expected = math.ceil(count * _item_bits(dtype) / 8)
            return _decode_raw(_read_external(target, offset, length, expected, tensor_name), dtype, shape, count)
        return Tensor(tensor_name, dtype, shape, load, layout="external", location=target.name)
    raw = proto.get("raw_data")
    if raw is not None:
        def load():
            return _decode_raw(to_bytes(raw), dtype, shape, count)
        location = "inline" if not isinstance(raw, BytesRef) else f"inline @{raw.offset}"
        return Tensor(tensor_name, dtype, shape, load, location=location)

    def load_typed():
        return _decode_typed(proto, dtype, field, shape, count)
    return Tensor(tensor_name, dtype, shape, load_typed, location="inline")


_item_bits = item_bits


def sparse_tensor_from_proto(proto: Message, model_path: Path) -> Tensor:
    """A sparse initializer: drawn with its dense shape, values scattered on data()."""
    # `values` collides with dict.values: index the Message instead of using attribute access.
    values = tensor_from_proto(proto.get("values") or Message(), model_path)
    indices = tensor_from_proto(proto.get("indices") or Message(), model_path)
    shape = tuple(proto.dims)
    count = math.prod(shape)

    def load():
        import numpy as np
        dense = np.zeros(count, dtype=numpy_dtype(values.dtype or "float32"))
        flat_values = values.data().reshape(-1)
        index = indices.data()
        if index.ndim == 2:  # one coordinate tuple per value
            index = np.ravel_multi_index(index.T, shape)
        dense[index.reshape(-1)] = flat_values
        return dense.reshape(shape)
    return Tensor(values.name, values.dtype, shape, load, layout="sparse", count=count)

"""MNN's int8 "IDST" weight codings (`IDSTQuan` of Convolution2D / InnerProduct), decoded to float32 with numpy.

Type 1 (what `--weightQuantBits N` writes): `[rank u8][dims u16 or u32 (shapeInt32)][sample count u8, 0 = 256]
[samples int8 ×count][indexes]`, the indexes packed most significant bit first with just enough bits to number
the samples; a weight is the sorted sample its index names. Type 4 keeps one plain int8 per weight. Either way
each output channel has its scale (`alpha`), or a (min, scale) pair when the coding is asymmetric (`readType`
set); `quantScale` multiplies them. Sparse codings (type 2) and integer scales are not decoded.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

from ..codecs.binary import BinaryReader
from ..codecs.flatbuffers import Table, VectorRef
from ..model import ModelError

DENSE, WEIGHT_ONLY = 1, 4


def _raw(vector) -> bytes:
    if isinstance(vector, VectorRef):
        return vector.tobytes()
    return bytes(value & 0xFF for value in vector or [])


def _indexed_weights(data: bytes, shape_int32: bool, name: str):
    """The int8 weights of a type-1 buffer."""
    import numpy as np

    reader = BinaryReader(data)
    rank = reader.uint8()
    if not 0 < rank <= 4:
        raise ModelError(name, f"int8 weight coding declares rank {rank}")
    dims = [reader.uint32() if shape_int32 else reader.uint16() for _ in range(rank)]
    count = math.prod(dims)
    samples = reader.uint8() or 256
    table = np.sort(np.frombuffer(reader.read(samples, "weight samples"), dtype=np.int8))
    bits = max(1, (samples - 1).bit_length())
    packed = np.frombuffer(reader.read(math.ceil(count * bits / 8), "weight indexes"), dtype=np.uint8)
    digits = np.unpackbits(packed)[:count * bits].reshape(count, bits).astype(np.int64)
    indexes = digits @ (1 << np.arange(bits - 1, -1, -1, dtype=np.int64))
    if count and int(indexes.max()) >= samples:
        raise ModelError(name, f"an int8 weight index is past the {samples} samples")
    return table[indexes]


def _scales(quan: Table):
    import numpy as np

    if quan.alpha:
        return np.asarray(quan.alpha.array() if isinstance(quan.alpha, VectorRef) else quan.alpha, dtype=np.float32)
    fp16 = quan.alphaFp16 or []
    raw = fp16.array() if isinstance(fp16, VectorRef) else np.asarray(fp16, dtype="<u2")
    return raw.astype("<u2").view("<f2").astype(np.float32)


def decode(name: str, quan: Table, shape: Tuple[int, ...]):
    """The float32 weights of an IDSTQuan of type 1 or 4, shaped `shape` (one row per output channel)."""
    import numpy as np

    if quan.has_scaleInt:
        raise ModelError(name, "int8 weights with integer scales are not decoded by this viewer")
    data = _raw(quan.buffer)
    if quan.type == DENSE:
        weights = _indexed_weights(data, quan.shapeInt32, name)
    elif quan.type == WEIGHT_ONLY:
        weights = np.frombuffer(data, dtype=np.int8)
    else:
        raise ModelError(name, f"int8 weight coding type {quan.type} is not decoded by this viewer")
    count = math.prod(shape)
    if weights.size != count:
        raise ModelError(name, f"int8 coding holds {weights.size} weights, the layer needs {count}")
    alpha = _scales(quan)
    old_weight_only = quan.type == WEIGHT_ONLY and quan.aMin == 0 and abs(quan.quantScale) < 1e-6
    asymmetric = quan.readType != 0 or old_weight_only
    channels = alpha.size // 2 if asymmetric else alpha.size
    if channels == 0 or count % channels:
        raise ModelError(name, f"{alpha.size} int8 scales do not divide {count} weights into channels")
    if asymmetric:
        clamp_min = quan.aMin or -128
        minimum, scale = alpha[0::2].copy(), alpha[1::2].copy()
        if clamp_min < 0:
            minimum -= clamp_min * scale
    else:
        minimum, scale = np.zeros(channels, dtype=np.float32), alpha
    factor: Optional[float] = None if old_weight_only else quan.quantScale
    if factor is not None and factor != 1.0:
        minimum, scale = minimum * np.float32(factor), scale * np.float32(factor)
    rows = weights.reshape(channels, -1).astype(np.float32)
    return (rows * scale[:, None] + minimum[:, None]).reshape(shape)

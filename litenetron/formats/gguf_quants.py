"""ggml tensor types: block sizes for element counts and byte sizes, and numpy dequantization.

A ggml tensor is stored as a sequence of blocks; each type packs `block` elements into `block_bytes` bytes.
Dequantization works on all blocks at once (an (n_blocks, block_bytes) uint8 view and array arithmetic, no
Python loop per block) and returns float32 in storage order: F32/F16/BF16/F64/I*, Q4_0…Q8_0, the k-quants
Q2_K…Q8_K, IQ4_NL/IQ4_XS, the ternary TQ1_0/TQ2_0 and MXFP4. Types whose codebooks we do not carry (the
other IQ* types) and Q8_1 (never stored in files) have sizes here but no decoder: `dequantize` says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict

from ..model import ModelError

QK_K = 256  # elements per k-quant super-block


@dataclass(frozen=True)
class GgmlType:
    name: str
    block: int  # elements per block
    block_bytes: int
    dtype: str = ""  # our dtype name for the plain element types

    def nbytes(self, count: int) -> int:
        return count // self.block * self.block_bytes


# ggml type id → its layout (ids and sizes from ggml.h / ggml-common.h).
GGML_TYPES: Dict[int, GgmlType] = {t_id: GgmlType(*spec) for t_id, spec in {
    0: ("F32", 1, 4, "float32"), 1: ("F16", 1, 2, "float16"), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
    10: ("Q2_K", QK_K, 84), 11: ("Q3_K", QK_K, 110), 12: ("Q4_K", QK_K, 144), 13: ("Q5_K", QK_K, 176),
    14: ("Q6_K", QK_K, 210), 15: ("Q8_K", QK_K, 292), 16: ("IQ2_XXS", QK_K, 66), 17: ("IQ2_XS", QK_K, 74),
    18: ("IQ3_XXS", QK_K, 98), 19: ("IQ1_S", QK_K, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", QK_K, 110),
    22: ("IQ2_S", QK_K, 82), 23: ("IQ4_XS", QK_K, 136), 24: ("I8", 1, 1, "int8"), 25: ("I16", 1, 2, "int16"),
    26: ("I32", 1, 4, "int32"), 27: ("I64", 1, 8, "int64"), 28: ("F64", 1, 8, "float64"),
    29: ("IQ1_M", QK_K, 56), 30: ("BF16", 1, 2, "bfloat16"), 34: ("TQ1_0", QK_K, 54), 35: ("TQ2_0", QK_K, 66),
    39: ("MXFP4", 32, 17),
}.items()}


def _f16(blocks: Any, start: int) -> Any:
    """The fp16 scale at byte `start` of every block, as float32 of shape (n_blocks, 1)."""
    import numpy as np
    return blocks[:, start:start + 2].copy().view(np.float16).astype(np.float32)


def _nibbles(packed: Any) -> Any:
    """(n, k) bytes → (n, 2, k): low nibbles, then high nibbles (the order ggml lays the elements out in)."""
    import numpy as np
    return np.stack([packed & 0x0F, packed >> 4], axis=1)


def _bits(packed: Any, width: int) -> Any:
    """(n, k) bytes → (n, 8 // width, k): field j of every byte is bits [j*width, (j+1)*width)."""
    import numpy as np
    mask = (1 << width) - 1
    return np.stack([(packed >> (width * j)) & mask for j in range(8 // width)], axis=1)


def _q4_0(b):
    q = _nibbles(b[:, 2:18]).reshape(len(b), 32).astype("f4")
    return (q - 8) * _f16(b, 0)


def _q4_1(b):
    q = _nibbles(b[:, 4:20]).reshape(len(b), 32).astype("f4")
    return q * _f16(b, 0) + _f16(b, 2)


def _high_bits_32(b, start: int):
    """The 32 fifth bits of a Q5 block, one per element, from a little-endian uint32."""
    import numpy as np
    qh = b[:, start:start + 4].copy().view("<u4")
    return ((qh >> np.arange(32, dtype=np.uint32)) & 1).astype(np.uint8)


def _q5_0(b):
    q = _nibbles(b[:, 6:22]).reshape(len(b), 32) | (_high_bits_32(b, 2) << 4)
    return (q.astype("f4") - 16) * _f16(b, 0)


def _q5_1(b):
    q = _nibbles(b[:, 8:24]).reshape(len(b), 32) | (_high_bits_32(b, 4) << 4)
    return q.astype("f4") * _f16(b, 0) + _f16(b, 2)


def _q8_0(b):
    return b[:, 2:34].copy().view("i1").astype("f4") * _f16(b, 0)


def _two_bit_planes(qs):
    """k-quant 2-bit fields: (n, 64) bytes → (n, 256): per 32-byte half, 4 planes of 32 elements each."""
    n = len(qs)
    return _bits(qs.reshape(n * 2, 32), 2).reshape(n, QK_K)


def _q2_k(b):
    n = len(b)
    scales = b[:, 0:16]
    q = _two_bit_planes(b[:, 16:80]).reshape(n, 16, 16).astype("f4")
    d, dmin = _f16(b, 80)[:, :, None], _f16(b, 82)[:, :, None]
    scale = (scales & 0x0F).astype("f4")[:, :, None]
    low = (scales >> 4).astype("f4")[:, :, None]
    return (d * scale * q - dmin * low).reshape(n, QK_K)


def _q3_k(b):
    import numpy as np
    n = len(b)
    hmask, qs, packed = b[:, 0:32], b[:, 32:96], b[:, 96:108]
    low = np.concatenate([packed[:, 0:8] & 0x0F, packed[:, 0:8] >> 4], axis=1)  # scale j's low 4 bits
    high = _bits(packed[:, 8:12], 2).reshape(n, 16)  # scale 4*i + k's high 2 bits sit in byte 8 + k, field i
    scales = ((low | (high << 4)).astype(np.int16) - 32).astype("f4")
    low_bits = _two_bit_planes(qs).astype(np.int16)
    high_bit = _bits(hmask, 1).reshape(n, QK_K).astype(np.int16)  # set → no offset, clear → minus 4
    q = (low_bits - 4 * (1 - high_bit)).astype("f4").reshape(n, 16, 16)
    return (_f16(b, 108)[:, :, None] * scales[:, :, None] * q).reshape(n, QK_K)


def _k_scales(packed):
    """Q4_K/Q5_K: twelve bytes → eight 6-bit scales and eight 6-bit mins per super-block."""
    import numpy as np
    d, m, md = packed[:, 0:4], packed[:, 4:8], packed[:, 8:12]
    scales = np.concatenate([d & 0x3F, (md & 0x0F) | ((d >> 2) & 0x30)], axis=1)
    mins = np.concatenate([m & 0x3F, (md >> 4) | ((m >> 2) & 0x30)], axis=1)
    return scales.astype("f4"), mins.astype("f4")


def _four_bit_chunks(qs):
    """(n, 128) bytes → (n, 8, 32): per 32-byte chunk, 32 low nibbles then 32 high nibbles."""
    n = len(qs)
    return _nibbles(qs.reshape(n * 4, 32)).reshape(n, 8, 32)


def _q4_k(b):
    n = len(b)
    scales, mins = _k_scales(b[:, 4:16])
    q = _four_bit_chunks(b[:, 16:144]).astype("f4")
    d, dmin = _f16(b, 0), _f16(b, 2)
    return ((d * scales)[:, :, None] * q - (dmin * mins)[:, :, None]).reshape(n, QK_K)


def _q5_k(b):
    n = len(b)
    scales, mins = _k_scales(b[:, 4:16])
    high = _bits(b[:, 16:48], 1)  # (n, 8, 32): element 32*j + l takes bit j of byte l
    q = (_four_bit_chunks(b[:, 48:176]) | (high << 4)).astype("f4")
    d, dmin = _f16(b, 0), _f16(b, 2)
    return ((d * scales)[:, :, None] * q - (dmin * mins)[:, :, None]).reshape(n, QK_K)


def _q6_k(b):
    import numpy as np
    n = len(b)
    low = _nibbles(b[:, 0:128].reshape(n * 2, 64)).reshape(n, QK_K)
    high = _two_bit_planes(b[:, 128:192])
    q = ((low | (high << 4)).astype(np.int16) - 32).astype("f4").reshape(n, 16, 16)
    scales = b[:, 192:208].copy().view("i1").astype("f4")[:, :, None]
    return (_f16(b, 208)[:, :, None] * scales * q).reshape(n, QK_K)


def _q8_k(b):
    d = b[:, 0:4].copy().view("<f4")
    return b[:, 4:260].copy().view("i1").astype("f4") * d


# IQ4_NL / IQ4_XS: a 4-bit index into this non-linear table of int8 levels.
_IQ4_LEVELS = (-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113)


def _iq4_nl(b):
    import numpy as np
    q = _nibbles(b[:, 2:18]).reshape(len(b), 32)
    return np.array(_IQ4_LEVELS, dtype="f4")[q] * _f16(b, 0)


def _iq4_xs(b):
    import numpy as np
    n = len(b)
    high = b[:, 2:4].copy().view("<u2")  # (n, 1): 2 high bits per sub-block scale
    low = _nibbles(b[:, 4:8]).transpose(0, 2, 1).reshape(n, 8)  # scale j: nibble j % 2 of byte j // 2
    high = ((high >> (2 * np.arange(8, dtype=np.uint16))) & 3).astype(np.uint8)
    scales = ((low | (high << 4)).astype(np.int16) - 32).astype("f4")
    q = _nibbles(b[:, 8:136].reshape(n * 8, 16)).reshape(n, 8, 32)
    levels = np.array(_IQ4_LEVELS, dtype="f4")[q]
    return ((_f16(b, 0) * scales)[:, :, None] * levels).reshape(n, QK_K)


def _tq2_0(b):
    q = _two_bit_planes(b[:, 0:64]).astype("f4") - 1
    return q * _f16(b, 64)


def _tq1_0(b):
    """Ternary digits packed five per byte (four in the last 4 bytes) as fixed-point fractions of 243."""
    import numpy as np
    n = len(b)

    def digits(packed, count: int):
        powers = np.array([1, 3, 9, 27, 81][:count], dtype=np.uint8)[None, :, None]
        shifted = packed[:, None, :] * powers  # uint8 wrap-around is the encoding: digit k moves to the top
        return shifted.reshape(n, -1)
    q = np.concatenate([digits(b[:, 0:32], 5), digits(b[:, 32:48], 5), digits(b[:, 48:52], 4)], axis=1)
    q = ((q.astype(np.uint16) * 3) >> 8).astype("f4") - 1
    return q * _f16(b, 52)


_FP4_LEVELS = (0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12)  # e2m1 values, doubled


def _mxfp4(b):
    import numpy as np
    e = b[:, 0:1].astype(np.uint32)
    # The E8M0 scale halved (the levels are doubled): 2**(e - 128), subnormal for e < 2.
    bits = np.where(e < 2, np.uint32(0x00200000) << e, (e - 1) << np.uint32(23)).astype(np.uint32)
    q = _nibbles(b[:, 1:17]).reshape(len(b), 32)
    return np.array(_FP4_LEVELS, dtype="f4")[q] * bits.view(np.float32)


_DECODERS: Dict[str, Callable] = {
    "Q4_0": _q4_0, "Q4_1": _q4_1, "Q5_0": _q5_0, "Q5_1": _q5_1, "Q8_0": _q8_0, "Q2_K": _q2_k, "Q3_K": _q3_k,
    "Q4_K": _q4_k, "Q5_K": _q5_k, "Q6_K": _q6_k, "Q8_K": _q8_k, "IQ4_NL": _iq4_nl, "IQ4_XS": _iq4_xs,
    "TQ1_0": _tq1_0, "TQ2_0": _tq2_0, "MXFP4": _mxfp4,
}


def is_decoded(kind: GgmlType) -> bool:
    return bool(kind.dtype) or kind.name in _DECODERS


def dequantize(raw: bytes, kind: GgmlType, shape: tuple) -> Any:
    """The values of a ggml tensor stored in `raw`, as a numpy array of numpy-order `shape` (float32 for the
    block-quantized types, the element type otherwise)."""
    import numpy as np
    count = math.prod(shape)
    if len(raw) != kind.nbytes(count):
        raise ModelError(kind.name, f"holds {len(raw)} bytes, {kind.nbytes(count)} expected for {count} values")
    if kind.dtype:
        from ..codecs.arrays import decode_array
        return decode_array(raw, kind.dtype, shape)
    decoder = _DECODERS.get(kind.name)
    if decoder is None:
        raise ModelError(kind.name, f"ggml type {kind.name} is not decoded by this viewer (its shape and size "
                                    "are shown, its values are not)")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, kind.block_bytes)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/Inf scales in a file give NaN/Inf values
        return decoder(blocks).astype(np.float32, copy=False).reshape(shape)

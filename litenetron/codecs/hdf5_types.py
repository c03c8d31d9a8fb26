"""HDF5 datatype and dataspace messages, and decoding of element bytes into Python or numpy values.

A datatype message starts with a class+version byte, 24 class bit-field bits and the element size, followed
by class-specific properties (which for compound, enum, array and variable-length types contain nested
datatypes). Variable-length elements are (length, global heap collection address, object index) triples.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

from .hdf5_io import MAX_DEPTH, Cursor, FileContext, Hdf5Error

FIXED, FLOAT, TIME, STRING, BITFIELD, OPAQUE, COMPOUND, REFERENCE, ENUM, VLEN, ARRAY = range(11)

_FLOAT_CODES = {2: "e", 4: "f", 8: "d"}
MAX_ELEMENTS = 1 << 31


@dataclass
class Datatype:
    """One HDF5 element type (`cls` is the datatype class number)."""

    cls: int
    size: int
    order: str = "<"
    signed: bool = False
    padding: int = 0  # string padding: 0 null-terminated, 1 null-padded, 2 space-padded
    charset: int = 0  # 0 ASCII, 1 UTF-8
    exponent_bits: int = 0
    base: Optional[Datatype] = None  # enum / array / variable-length element type
    members: List[Tuple[str, Any, Any]] = field(default_factory=list)  # compound (name, offset, type); enum
    dims: Tuple[int, ...] = ()  # array
    vlen_string: bool = False

    @property
    def name(self) -> Optional[str]:
        """Our dtype name ("float32", "int64", "string", "bool", ...), or None for structured types."""
        if self.cls == FIXED:
            return f"{'int' if self.signed else 'uint'}{8 * self.size}"
        if self.cls == FLOAT:
            if self.size == 2 and self.exponent_bits == 8:
                return "bfloat16"
            return f"float{8 * self.size}"
        if self.cls == STRING or (self.cls == VLEN and self.vlen_string):
            return "string"
        if self.cls == ENUM:
            return "bool" if self.is_bool else (self.base.name if self.base else None)
        if self.cls == BITFIELD:
            return f"uint{8 * self.size}"
        if self.cls == ARRAY and self.base is not None:
            return self.base.name
        return None

    @property
    def is_bool(self) -> bool:
        names = sorted(str(name).upper() for name, _, _ in self.members)
        return self.cls == ENUM and self.size == 1 and names == ["FALSE", "TRUE"]

    def numpy(self):
        """The numpy dtype of fixed-size elements (variable-length ones become `object`)."""
        import numpy as np

        if self.cls == FIXED:
            return np.dtype(f"{self.order}{'i' if self.signed else 'u'}{self.size}")
        if self.cls == FLOAT:
            if self.name == "bfloat16":
                return np.dtype(f"{self.order}u2")
            return np.dtype(f"{self.order}f{self.size}")
        if self.cls == STRING:
            return np.dtype(f"S{self.size}")
        if self.cls == ENUM:
            return np.dtype("?") if self.is_bool else self.base.numpy()
        if self.cls == BITFIELD:
            return np.dtype(f"{self.order}u{self.size}")
        if self.cls == COMPOUND:
            return np.dtype({"names": [m[0] for m in self.members], "formats": [m[2].numpy() for m in self.members],
                             "offsets": [m[1] for m in self.members], "itemsize": self.size})
        if self.cls == ARRAY:
            return np.dtype((self.base.numpy(), self.dims))
        if self.cls == VLEN:
            return np.dtype(object)
        return np.dtype(f"V{self.size}")


def parse_datatype(cursor: Cursor, depth: int = 0) -> Datatype:
    """Read one datatype message (including nested member types) from `cursor`."""
    if depth > MAX_DEPTH:
        raise Hdf5Error("datatype nested too deeply")
    head = cursor.uint8()
    cls, version = head & 0x0F, head >> 4
    bits = cursor.uint(3)
    size = cursor.uint32()
    kind = Datatype(cls, size, order=">" if bits & 1 else "<")
    if cls in (FIXED, BITFIELD):
        kind.signed = bool(bits & 0x08)
        cursor.skip(4)  # bit offset, precision
    elif cls == FLOAT:
        kind.order = ">" if bits & 1 else "<"
        cursor.skip(4)  # bit offset, precision
        cursor.skip(1)  # exponent location
        kind.exponent_bits = cursor.uint8()
        cursor.skip(2 + 4)  # mantissa location and size, exponent bias
    elif cls == STRING:
        kind.padding, kind.charset = bits & 0x0F, (bits >> 4) & 0x0F
    elif cls == OPAQUE:
        cursor.skip(_pad8(bits & 0xFF))  # ASCII tag
    elif cls == COMPOUND:
        _parse_compound(cursor, kind, version, bits & 0xFFFF, depth)
    elif cls == REFERENCE:
        pass
    elif cls == ENUM:
        kind.base = parse_datatype(cursor, depth + 1)
        count = bits & 0xFFFF
        names = [_member_name(cursor, version) for _ in range(count)]
        cursor.need(count * kind.base.size, "enum values")
        values = [cursor.uint(kind.base.size) for _ in range(count)]
        kind.members = [(name, value, None) for name, value in zip(names, values)]
    elif cls == VLEN:
        kind.vlen_string = (bits & 0x0F) == 1
        kind.padding, kind.charset = (bits >> 4) & 0x0F, (bits >> 8) & 0x0F
        kind.base = parse_datatype(cursor, depth + 1)
    elif cls == ARRAY:
        rank = cursor.uint8()
        if version < 3:
            cursor.skip(3)
        kind.dims = tuple(cursor.uint32() for _ in range(rank))
        if version < 3:
            cursor.skip(4 * rank)  # permutation (never used)
        kind.base = parse_datatype(cursor, depth + 1)
    elif cls != TIME:
        raise Hdf5Error(f"unknown datatype class {cls}")
    return kind


def _pad8(size: int) -> int:
    return (size + 7) // 8 * 8


def _member_name(cursor: Cursor, version: int) -> str:
    start = cursor.position
    name = cursor.cstring().decode("utf-8", errors="replace")
    if version < 3:  # names are NUL-padded to a multiple of 8 bytes
        cursor.position = start + _pad8(cursor.position - start)
    return name


def _parse_compound(cursor: Cursor, kind: Datatype, version: int, count: int, depth: int) -> None:
    offset_width = max(1, (kind.size.bit_length() + 7) // 8)
    for _ in range(count):
        name = _member_name(cursor, version)
        if version >= 3:
            offset = cursor.uint(offset_width)
        else:
            offset = cursor.uint32()
        if version == 1:
            rank = cursor.uint8()
            cursor.skip(3 + 4 + 4)  # reserved, permutation, reserved
            dims = tuple(cursor.uint32() for _ in range(4))[:rank]
            member = parse_datatype(cursor, depth + 1)
            if rank:
                member = Datatype(ARRAY, member.size * math.prod(dims), base=member, dims=dims)
        else:
            member = parse_datatype(cursor, depth + 1)
        kind.members.append((name, offset, member))


def parse_dataspace(cursor: Cursor) -> Optional[Tuple[int, ...]]:
    """The shape of a dataspace message: () for a scalar, None for a null (empty) dataspace."""
    return parse_dataspace_limits(cursor)[0]


def parse_dataspace_limits(cursor: Cursor) -> Tuple[Optional[Tuple[int, ...]], Tuple[Optional[int], ...]]:
    """(shape, maximum shape) of a dataspace message; an unlimited maximum is None."""
    version = cursor.uint8()
    rank = cursor.uint8()
    flags = cursor.uint8()
    if version == 1:
        cursor.skip(5)
        space_type = 1 if rank else 0
    elif version == 2:
        space_type = cursor.uint8()
    else:
        raise Hdf5Error(f"unsupported dataspace version {version}")
    cursor.need(rank * cursor.context.length_size, "dimensions")
    shape = tuple(cursor.length() for _ in range(rank))
    limits: Tuple[Optional[int], ...] = shape
    if flags & 1:
        unlimited = (1 << (8 * cursor.context.length_size)) - 1
        cursor.need(rank * cursor.context.length_size, "maximum dimensions")
        limits = tuple(None if size == unlimited else size for size in (cursor.length() for _ in range(rank)))
    if space_type == 2:
        return None, ()
    if math.prod(shape) > MAX_ELEMENTS * 64:
        raise Hdf5Error(f"dataspace {shape} is too large")
    return shape, limits


# --- element decoding ---------------------------------------------------------------------------------

def _decode_string(raw: bytes, padding: int, charset: int) -> str:
    if padding == 2:
        raw = raw.rstrip(b" ")
    else:
        stop = raw.find(b"\0")
        raw = raw if stop < 0 else raw[:stop]
    return raw.decode("utf-8" if charset == 1 else "ascii", errors="replace")


def vlen_bytes(context: FileContext, raw: bytes, position: int) -> bytes:
    """The bytes a variable-length element at `raw[position:]` refers to (in the global heap)."""
    from .hdf5_heaps import global_heap_object

    length = struct.unpack_from("<I", raw, position)[0]
    width = context.offset_size
    address = int.from_bytes(raw[position + 4:position + 4 + width], "little")
    index = struct.unpack_from("<I", raw, position + 4 + width)[0]
    if length == 0 or address == 0 or address == (1 << (8 * width)) - 1:
        return b""
    return global_heap_object(context, address, index)


def vlen_size(context: FileContext) -> int:
    return 4 + context.offset_size + 4


def decode_element(context: FileContext, kind: Datatype, raw: bytes, position: int) -> Any:
    """One element of `kind` at `raw[position:]` as a plain Python value."""
    cls = kind.cls
    if cls == FIXED or cls == BITFIELD:
        return int.from_bytes(raw[position:position + kind.size], "little" if kind.order == "<" else "big",
                              signed=kind.signed)
    if cls == FLOAT:
        code = _FLOAT_CODES.get(kind.size)
        if kind.name == "bfloat16":
            bits = int.from_bytes(raw[position:position + 2], "little" if kind.order == "<" else "big")
            return struct.unpack("<f", struct.pack("<I", bits << 16))[0]
        if code is None:
            raise Hdf5Error(f"unsupported float size {kind.size}")
        return struct.unpack_from(kind.order + code, raw, position)[0]
    if cls == STRING:
        return _decode_string(raw[position:position + kind.size], kind.padding, kind.charset)
    if cls == ENUM:
        value = decode_element(context, kind.base, raw, position)
        if kind.is_bool:
            return bool(value)
        for name, member_value, _ in kind.members:
            if member_value == value:
                return name
        return value
    if cls == VLEN:
        data = vlen_bytes(context, raw, position)
        if kind.vlen_string:
            return _decode_string(data, 1 if kind.padding != 2 else 2, kind.charset)
        count = len(data) // max(kind.base.size, 1)
        return [decode_element(context, kind.base, data, i * kind.base.size) for i in range(count)]
    if cls == COMPOUND:
        return {name: decode_element(context, member, raw, position + offset)
                for name, offset, member in kind.members}
    if cls == ARRAY:
        count = math.prod(kind.dims)
        values = [decode_element(context, kind.base, raw, position + i * kind.base.size) for i in range(count)]
        return reshape(values, kind.dims)
    return bytes(raw[position:position + kind.size])


def element_size(context: FileContext, kind: Datatype) -> int:
    return vlen_size(context) if kind.cls == VLEN else kind.size


def decode_values(context: FileContext, kind: Datatype, raw: bytes, shape: Optional[Tuple[int, ...]]) -> Any:
    """All elements of `raw` as Python values: a scalar, or nested lists following `shape`."""
    if shape is None:
        return None
    count = math.prod(shape)
    size = element_size(context, kind)
    if count * size > len(raw):
        raise Hdf5Error(f"{count} elements of {size} bytes do not fit in {len(raw)} bytes of data")
    values = [decode_element(context, kind, raw, i * size) for i in range(count)]
    return values[0] if shape == () else reshape(values, shape)


def reshape(values: list, shape: Tuple[int, ...]) -> list:
    """A flat list → nested lists of `shape` (row-major)."""
    for dim in reversed(shape[1:]):
        values = [values[i:i + dim] for i in range(0, len(values), dim)] if dim else []
    return values

"""Our own FlatBuffers reader, driven by schema tables.

A schema is plain data: ``tables = {name: ((field, type[, default]), ...)}`` with fields in slot order and
``unions = {name: (member table by type code, ...)}``. A type is a scalar name (``bool``, ``byte``, ``ubyte``,
``short``, ``ushort``, ``int``, ``uint``, ``long``, ``ulong``, ``float``, ``double``), ``string``, a table
name, ``[T]`` for a vector of T, ``base:Enum`` for an enum stored as ``base``, or ``union:Name`` (two slots:
the ``ubyte`` type code, then the offset of the member table).

Tables decode into `Table` objects (dicts with attribute access; absent fields read as their defaults).
Scalar vectors longer than `LAZY_THRESHOLD` bytes become `VectorRef` (offset and count into the buffer), so
weight buffers are never copied while the structure is read. Every offset and length is checked against the
buffer, nesting depth is bounded and the total work is capped relative to the buffer size (shared
sub-tables cannot blow up); malformed input raises `FlatBufferError` (a ValueError).
"""

from __future__ import annotations

import struct
from typing import Any, Dict, Optional, Sequence, Tuple

from .errors import CodecError

MAX_DEPTH = 64
LAZY_THRESHOLD = 1024

SCALARS = {
    "bool": "?", "byte": "b", "ubyte": "B", "short": "h", "ushort": "H", "int": "i", "uint": "I", "long": "q",
    "ulong": "Q", "float": "f", "double": "d",
}
_NUMPY = {"bool": "?", "byte": "i1", "ubyte": "u1", "short": "<i2", "ushort": "<u2", "int": "<i4", "uint": "<u4",
          "long": "<i8", "ulong": "<u8", "float": "<f4", "double": "<f8"}
_STRUCTS = {name: struct.Struct("<" + code) for name, code in SCALARS.items()}

Tables = Dict[str, Sequence[tuple]]
Unions = Dict[str, Sequence[str]]


class FlatBufferError(CodecError):
    """The bytes are not a valid FlatBuffer of the expected root table."""


class Table(dict):
    """A decoded table: field name → value, with attribute access; `type_name` names its schema table."""

    type_name = ""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class VectorRef:
    """A scalar vector left in place: `count` items of `type` at `offset` of `source`."""

    __slots__ = ("source", "offset", "count", "type")

    def __init__(self, source, offset: int, count: int, type_name: str):
        self.source, self.offset, self.count, self.type = source, offset, count, type_name

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        return self.count * _STRUCTS[self.type].size

    def tobytes(self) -> bytes:
        return bytes(self.source[self.offset:self.offset + self.nbytes])

    def array(self):
        import numpy as np

        return np.frombuffer(self.tobytes(), dtype=_NUMPY[self.type])

    def tolist(self) -> list:
        """The values as Python numbers, with the standard library alone (structure reading needs no numpy)."""
        packer = _STRUCTS[self.type]
        return [value for (value,) in packer.iter_unpack(self.tobytes())]


def _split_type(type_name: str) -> Tuple[str, bool]:
    """(base type without enum name, is vector)."""
    vector = type_name.startswith("[")
    base = type_name[1:-1] if vector else type_name
    if ":" in base and not base.startswith("union:"):
        base = base.split(":", 1)[0]
    return base, vector


class Reader:
    """Decodes tables of one schema from one buffer (bytes, memoryview or a read-only mmap)."""

    def __init__(self, buffer, tables: Tables, unions: Optional[Unions] = None):
        self.buffer = buffer
        self.size = len(buffer)
        self.tables = tables
        self.unions = unions or {}
        self.budget = 4 * self.size + 100_000

    # --- raw access -------------------------------------------------------------------------------------

    def _scalar(self, type_name: str, position: int):
        packer = _STRUCTS[type_name]
        if position < 0 or position + packer.size > self.size:
            raise FlatBufferError(f"{type_name} at offset {position} is outside the {self.size}-byte buffer")
        return packer.unpack_from(self.buffer, position)[0]

    def _follow(self, position: int) -> int:
        target = position + self._scalar("uint", position)
        if target >= self.size:
            raise FlatBufferError(f"offset at {position} points past the end of the buffer")
        return target

    def _spend(self, amount: int) -> None:
        self.budget -= amount
        if self.budget < 0:
            raise FlatBufferError("structure references far more data than the buffer holds")

    # --- decoding ---------------------------------------------------------------------------------------

    def root(self, table_name: str, position: int = 0) -> Table:
        """The root table whose offset is stored at `position` (0 for a whole file)."""
        return self.table(table_name, self._follow(position), 0)

    def table(self, table_name: str, position: int, depth: int) -> Table:
        if depth > MAX_DEPTH:
            raise FlatBufferError(f"tables nested deeper than {MAX_DEPTH}")
        fields = self.tables.get(table_name)
        if fields is None:
            raise FlatBufferError(f"schema has no table {table_name!r}")
        self._spend(1 + len(fields))
        vtable = position - self._scalar("int", position)
        vtable_size = self._scalar("ushort", vtable)
        if vtable_size < 4 or vtable_size % 2 or vtable + vtable_size > self.size:
            raise FlatBufferError(f"table {table_name} at {position} has a bad vtable")
        if position + self._scalar("ushort", vtable + 2) > self.size:
            raise FlatBufferError(f"table {table_name} at {position} extends past the end of the buffer")
        result = Table()
        result.type_name = table_name
        slot = 0
        for field in fields:
            name, type_name = field[0], field[1]
            default = field[2] if len(field) > 2 else None
            if type_name.startswith("union:"):
                code = self._slot_scalar(vtable, vtable_size, position, slot, "ubyte", 0)
                offset = self._slot(vtable, vtable_size, slot + 1)
                result[name + "_type"] = code
                result[name] = self._union(type_name[6:], code, position + offset, depth) if offset else None
                slot += 2
                continue
            offset = self._slot(vtable, vtable_size, slot)
            slot += 1
            base, vector = _split_type(type_name)
            if not offset:
                result[name] = self._default(base, vector, default)
            elif vector:
                result[name] = self._vector(base, self._follow(position + offset), depth)
            elif base in _STRUCTS:
                result[name] = self._scalar(base, position + offset)
            elif base == "string":
                result[name] = self._string(self._follow(position + offset))
            else:
                result[name] = self.table(base, self._follow(position + offset), depth + 1)
        return result

    def _slot(self, vtable: int, vtable_size: int, slot: int) -> int:
        entry = 4 + 2 * slot
        return self._scalar("ushort", vtable + entry) if entry < vtable_size else 0

    def _slot_scalar(self, vtable, vtable_size, position, slot, type_name, default):
        offset = self._slot(vtable, vtable_size, slot)
        return self._scalar(type_name, position + offset) if offset else default

    @staticmethod
    def _default(base: str, vector: bool, default):
        if vector or base not in _STRUCTS:
            return default
        if default is not None:
            return default
        return False if base == "bool" else 0.0 if base in ("float", "double") else 0

    def _union(self, union_name: str, code: int, position: int, depth: int) -> Optional[Table]:
        members = self.unions.get(union_name, ())
        if not 0 < code < len(members) or members[code] not in self.tables:
            return None  # a member this schema does not know: keep the type code only
        return self.table(members[code], self._follow(position), depth + 1)

    def _string(self, position: int) -> str:
        length = self._scalar("uint", position)
        if position + 4 + length > self.size:
            raise FlatBufferError(f"string at {position} runs past the end of the buffer")
        return bytes(self.buffer[position + 4:position + 4 + length]).decode("utf-8", errors="replace")

    def _vector(self, base: str, position: int, depth: int):
        count = self._scalar("uint", position)
        start = position + 4
        item = _STRUCTS[base].size if base in _STRUCTS else 4
        if start + count * item > self.size:
            raise FlatBufferError(f"vector of {count} {base} at {position} runs past the end of the buffer")
        if base in _STRUCTS:
            if count * item > LAZY_THRESHOLD:
                return VectorRef(self.buffer, start, count, base)
            return list(struct.unpack_from(f"<{count}{SCALARS[base]}", self.buffer, start))
        self._spend(count)
        if base == "string":
            return [self._string(self._follow(start + 4 * i)) for i in range(count)]
        return [self.table(base, self._follow(start + 4 * i), depth + 1) for i in range(count)]


def decode(buffer, root_table: str, tables: Tables, unions: Optional[Unions] = None) -> Table:
    """Decode the root table of a whole FlatBuffer (e.g. a nested `[ubyte]` flatbuffer's bytes)."""
    if len(buffer) < 8:
        raise FlatBufferError("buffer is too short for a FlatBuffer")
    return Reader(buffer, tables, unions).root(root_table)


def decode_nested(vector, root_table: str, tables: Tables, unions: Optional[Unions] = None) -> Table:
    """Decode a FlatBuffer nested in a `[ubyte]` field (a `VectorRef` or a short list of byte values)."""
    if isinstance(vector, VectorRef):
        data = memoryview(vector.source)[vector.offset:vector.offset + vector.nbytes]
    else:
        data = bytes(vector or b"")
    return decode(data, root_table, tables, unions)


def file_identifier(buffer) -> bytes:
    """The four identifier bytes after the root offset (b"" when too short)."""
    return bytes(buffer[4:8]) if len(buffer) >= 8 else b""


# --- FlexBuffers (schema-less; TFLite custom operator options) -------------------------------------------

_FLEX_NULL, _FLEX_INT, _FLEX_UINT, _FLEX_FLOAT, _FLEX_KEY, _FLEX_STRING = 0, 1, 2, 3, 4, 5
_FLEX_MAP, _FLEX_VECTOR, _FLEX_BLOB, _FLEX_BOOL, _FLEX_VECTOR_BOOL = 9, 10, 25, 26, 36
_FLEX_TYPED = {11: _FLEX_INT, 12: _FLEX_UINT, 13: _FLEX_FLOAT, 14: _FLEX_KEY, 15: _FLEX_STRING,
               _FLEX_VECTOR_BOOL: _FLEX_BOOL}
_FLEX_FIXED = {16 + 3 * (length - 2) + kind: ((_FLEX_INT, _FLEX_UINT, _FLEX_FLOAT)[kind], length)
               for length in (2, 3, 4) for kind in range(3)}


class _Flex:
    def __init__(self, data: bytes):
        self.data = data
        self.items = 0

    def _read(self, position: int, width: int, kind: int):
        if width not in (1, 2, 4, 8) or position < 0 or position + width > len(self.data):
            raise FlatBufferError(f"FlexBuffer value at {position} (width {width}) is outside the data")
        if kind == _FLEX_FLOAT:
            if width < 4:
                raise FlatBufferError(f"FlexBuffer float of width {width}")
            return struct.unpack_from("<f" if width == 4 else "<d", self.data, position)[0]
        return int.from_bytes(self.data[position:position + width], "little", signed=kind == _FLEX_INT)

    def _target(self, position: int, width: int) -> int:
        target = position - self._read(position, width, _FLEX_UINT)
        if not 0 <= target < len(self.data):
            raise FlatBufferError(f"FlexBuffer offset at {position} points outside the data")
        return target

    def value(self, position: int, parent_width: int, packed: int, depth: int):
        if depth > MAX_DEPTH:
            raise FlatBufferError(f"FlexBuffer nested deeper than {MAX_DEPTH}")
        self.items += 1
        if self.items > 4 * len(self.data) + 1000:
            raise FlatBufferError("FlexBuffer references far more data than it holds")
        kind, width = packed >> 2, 1 << (packed & 3)
        if kind == _FLEX_NULL:
            return None
        if kind in (_FLEX_INT, _FLEX_UINT, _FLEX_FLOAT):
            return self._read(position, parent_width, kind)
        if kind == _FLEX_BOOL:
            return bool(self._read(position, parent_width, _FLEX_UINT))
        target = self._target(position, parent_width)
        if kind in (6, 7, 8):  # indirect int / uint / float
            return self._read(target, width, kind - 5)
        if kind == _FLEX_KEY:
            end = self.data.find(b"\0", target)
            return self.data[target:end if end >= 0 else len(self.data)].decode("utf-8", errors="replace")
        if kind in (_FLEX_STRING, _FLEX_BLOB):
            size = self._read(target - width, width, _FLEX_UINT)
            if target + size > len(self.data):
                raise FlatBufferError("FlexBuffer string runs past the end of the data")
            raw = bytes(self.data[target:target + size])
            return raw.decode("utf-8", errors="replace") if kind == _FLEX_STRING else raw
        if kind in _FLEX_FIXED:
            element, size = _FLEX_FIXED[kind]
            return [self._read(target + i * width, width, element) for i in range(size)]
        size = self._read(target - width, width, _FLEX_UINT)
        if target + size * width > len(self.data):
            raise FlatBufferError("FlexBuffer vector runs past the end of the data")
        if kind in _FLEX_TYPED:
            element = _FLEX_TYPED[kind]
            packed_element = element << 2 | (packed & 3)
            return [self.value(target + i * width, width, packed_element, depth + 1) for i in range(size)]
        if kind not in (_FLEX_MAP, _FLEX_VECTOR):
            raise FlatBufferError(f"unknown FlexBuffer type {kind}")
        types = target + size * width
        if types + size > len(self.data):
            raise FlatBufferError("FlexBuffer vector types run past the end of the data")
        items = [self.value(target + i * width, width, self.data[types + i], depth + 1) for i in range(size)]
        if kind == _FLEX_VECTOR:
            return items
        keys_width = self._read(target - 2 * width, width, _FLEX_UINT)
        keys = self.value(target - 3 * width, width, 14 << 2 | {1: 0, 2: 1, 4: 2, 8: 3}.get(keys_width, 0),
                          depth + 1)
        if len(keys) != size:
            raise FlatBufferError("FlexBuffer map has a different number of keys and values")
        return dict(zip(keys, items))


def decode_flexbuffer(data: bytes) -> Any:
    """The value of a FlexBuffer (dicts, lists, str, bytes, int, float, bool, None)."""
    if len(data) < 3:
        raise FlatBufferError("FlexBuffer is too short")
    root_width, packed = data[-1], data[-2]
    return _Flex(bytes(data)).value(len(data) - 2 - root_width, root_width, packed, 0)

"""Bounds-checked little-endian reads over bytes or a read-only mmap, and lazy array loaders.

`BinaryReader` walks a buffer with a cursor; every read checks the bytes that remain first and raises
`BinaryError` (a ValueError) when the data is truncated, so a length read from an untrusted file can never
make us allocate or loop past its end. `array_loader` returns a callable that decodes a numpy array from an
offset range of a file only when it is called (numpy is imported there, not at module import).
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Callable, Tuple, Union

from .errors import CodecError
from .protobuf import open_buffer

__all__ = ["BinaryError", "BinaryReader", "array_loader", "open_buffer", "NUMPY_DTYPES"]

# Our dtype names → numpy little-endian type strings (for the types our binary formats store).
NUMPY_DTYPES = {
    "float32": "<f4", "float16": "<f2", "float64": "<f8", "int8": "i1", "uint8": "u1", "int16": "<i2",
    "uint16": "<u2", "int32": "<i4", "uint32": "<u4", "int64": "<i8", "uint64": "<u8", "bool": "?",
    "complex64": "<c8", "complex128": "<c16",
}

_STRUCTS = {code: struct.Struct("<" + code) for code in "bBhHiIqQfd"}


class BinaryError(CodecError):
    """The bytes end before a structure that they declare."""


class BinaryReader:
    """A cursor over `buffer[start:end]` with bounds-checked little-endian reads."""

    def __init__(self, buffer, position: int = 0, end: int = -1):
        self.buffer = buffer
        self.position = position
        self.end = len(buffer) if end < 0 else min(end, len(buffer))

    @property
    def remaining(self) -> int:
        return self.end - self.position

    def need(self, size: int, what: str = "data") -> None:
        """Raise unless `size` more bytes remain."""
        if size < 0 or size > self.end - self.position:
            raise BinaryError(f"{what} needs {size} bytes at offset {self.position} but only "
                              f"{max(self.end - self.position, 0)} remain")

    def _scalar(self, code: str):
        packer = _STRUCTS[code]
        self.need(packer.size)
        value = packer.unpack_from(self.buffer, self.position)[0]
        self.position += packer.size
        return value

    def int8(self) -> int:
        return self._scalar("b")

    def uint8(self) -> int:
        return self._scalar("B")

    def uint16(self) -> int:
        return self._scalar("H")

    def int32(self) -> int:
        return self._scalar("i")

    def uint32(self) -> int:
        return self._scalar("I")

    def int64(self) -> int:
        return self._scalar("q")

    def uint64(self) -> int:
        return self._scalar("Q")

    def float32(self) -> float:
        return self._scalar("f")

    def float64(self) -> float:
        return self._scalar("d")

    def read(self, size: int, what: str = "data") -> bytes:
        self.need(size, what)
        data = bytes(self.buffer[self.position:self.position + size])
        self.position += size
        return data

    def skip(self, size: int, what: str = "data") -> int:
        """Step over `size` bytes and return the offset where they start."""
        self.need(size, what)
        start = self.position
        self.position += size
        return start

    def count(self, item_size: int, what: str = "count", signed: bool = False, wide: bool = False) -> int:
        """A count (uint32; int32 if `signed`; 64-bit if `wide`) whose items must fit in the bytes left."""
        if wide:
            value = self.int64() if signed else self.uint64()
        else:
            value = self.int32() if signed else self.uint32()
        if value < 0 or value * max(item_size, 0) > self.remaining:
            raise BinaryError(f"{what} {value} does not fit in the {self.remaining} bytes that remain")
        return value

    def string(self, size: int, encoding: str = "utf-8") -> str:
        return self.read(size, "string").decode(encoding, errors="replace")


def array_loader(path: Union[str, Path], offset: int, dtype: str, shape: Tuple[int, ...]) -> Callable:
    """A loader for `Tensor`: reads `prod(shape)` elements of `dtype` at `offset` of `path` when called."""
    path = Path(path)

    def load():
        from .arrays import decode_array, item_bits

        count = math.prod(shape)
        size = math.ceil(count * item_bits(dtype) / 8)
        with path.open("rb") as stream:
            stream.seek(offset)
            data = stream.read(size)
        if len(data) != size:
            raise BinaryError(f"{path.name} ends before the {count} values at offset {offset}")
        return decode_array(data, dtype, shape)

    return load

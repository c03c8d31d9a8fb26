"""Bounds-checked cursor over an HDF5 file's bytes, and the per-file context every structure reader shares.

HDF5 stores addresses and lengths in the widths the superblock declares ("size of offsets", "size of
lengths"); an address of all 1-bits means "undefined". Addresses are relative to the superblock's base
address. `FileContext.at(address)` gives a cursor at the absolute position after checking it lies in the file.
"""

from __future__ import annotations

from typing import Dict, Optional

from .binary import BinaryReader
from .errors import CodecError

# Limits against hostile files: a structure nested or chained deeper than this is rejected.
MAX_DEPTH = 64
MAX_CHAIN = 100_000
_UINT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


class Hdf5Error(CodecError):
    """The bytes are not a valid HDF5 structure (or use a feature this reader does not support)."""


class Cursor(BinaryReader):
    """A `BinaryReader` that also reads HDF5's variable-width offsets, lengths and signatures."""

    def __init__(self, context: FileContext, position: int, end: int = -1):
        super().__init__(context.buffer, position, end)
        self.context = context

    def uint(self, size: int) -> int:
        code = _UINT_CODES.get(size)
        if code is not None:
            return self._scalar(code)
        return int.from_bytes(self.read(size, "integer"), "little")

    def offset(self) -> Optional[int]:
        """An address (relative to the base address), or None for the undefined address."""
        size = self.context.offset_size
        value = self.uint(size)
        return None if value == (1 << (8 * size)) - 1 else value

    def length(self) -> int:
        return self.uint(self.context.length_size)

    def signature(self, expected: bytes) -> None:
        found = self.read(len(expected), "signature")
        if found != expected:
            raise Hdf5Error(f"expected {expected.decode()} signature at offset {self.position - len(expected)}, "
                            f"found {found!r}")

    def cstring(self, limit: int = 1 << 16) -> bytes:
        """Bytes up to a NUL terminator (consumed), at most `limit` long."""
        end = min(self.end, self.position + limit)
        stop = self.buffer.find(b"\0", self.position, end) if hasattr(self.buffer, "find") else -1
        if stop < 0:
            raise Hdf5Error(f"unterminated string at offset {self.position}")
        text = bytes(self.buffer[self.position:stop])
        self.position = stop + 1
        return text


class FileContext:
    """The buffer, address widths and caches of one open HDF5 file."""

    def __init__(self, buffer, base: int = 0, offset_size: int = 8, length_size: int = 8):
        self.buffer = buffer
        self.size = len(buffer)
        self.base = base
        self.offset_size = offset_size
        self.length_size = length_size
        self.global_heaps: Dict[int, dict] = {}

    def position(self, address: Optional[int], length: int = 0) -> int:
        """Absolute position of `address`, checked so that `length` bytes fit in the file."""
        if address is None:
            raise Hdf5Error("undefined address")
        position = self.base + address
        if position < 0 or length < 0 or position + length > self.size:
            raise Hdf5Error(f"address {address} (+{length} bytes) is outside the file ({self.size} bytes)")
        return position

    def at(self, address: Optional[int], length: int = 0) -> Cursor:
        """A cursor at `address`; with `length`, limited to those bytes (which must lie in the file)."""
        position = self.position(address, length)
        return Cursor(self, position, position + length if length else -1)

    def read(self, address: Optional[int], length: int) -> bytes:
        position = self.position(address, length)
        return bytes(self.buffer[position:position + length])

"""HDF5 dataset storage: the data layout, filter pipeline and fill value messages, and reading raw data.

Layouts: compact (bytes inside the object header), contiguous (one address + size) and chunked. Chunk
indexes: version-1 B-tree (layout v3), and for layout v4/v5 single chunk, implicit, fixed array, extensible
array and version-2 B-tree. Filters: deflate, shuffle, Fletcher-32 and LZF.
Decompression is capped at the chunk's expected size so a hostile stream cannot expand without bound.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple

from .hdf5_heaps import btree1_leaves, btree2_records
from .hdf5_io import MAX_CHAIN, Cursor, FileContext, Hdf5Error

COMPACT, CONTIGUOUS, CHUNKED, VIRTUAL = range(4)
BTREE1, SINGLE, IMPLICIT, FIXED_ARRAY, EXTENSIBLE_ARRAY, BTREE2 = range(6)
MAX_EXPANSION = 1032
_FILTER_NAMES = {1: "deflate", 2: "shuffle", 3: "fletcher32", 4: "szip", 5: "nbit", 6: "scaleoffset",
                 32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32015: "zstd"}


@dataclass
class Filter:
    id: int
    flags: int
    client: Tuple[int, ...]

    @property
    def name(self) -> str:
        return _FILTER_NAMES.get(self.id, f"filter {self.id}")


@dataclass
class Layout:
    kind: int
    address: Optional[int] = None
    size: int = 0
    compact: bytes = b""
    chunk: Tuple[int, ...] = ()  # chunk dimensions (without the trailing element size)
    index: int = BTREE1
    flags: int = 0
    filtered_size: int = 0  # single filtered chunk
    filter_mask: int = 0
    extra: dict = field(default_factory=dict)


def parse_layout(cursor: Cursor) -> Layout:
    version = cursor.uint8()
    if version in (1, 2):
        rank = cursor.uint8()
        kind = cursor.uint8()
        cursor.skip(5)
        address = cursor.offset() if kind != COMPACT else None
        dims = tuple(cursor.uint32() for _ in range(rank))
        if kind == COMPACT:
            size = cursor.uint32()
            return Layout(COMPACT, compact=cursor.read(size))
        if kind == CHUNKED:
            return Layout(CHUNKED, address, chunk=dims[:-1], index=BTREE1)
        return Layout(CONTIGUOUS, address, size=0, chunk=dims)
    if version not in (3, 4, 5):  # version 5 (HDF5 2.0) is encoded like version 4
        raise Hdf5Error(f"unsupported data layout version {version}")
    kind = cursor.uint8()
    if kind == COMPACT:
        size = cursor.uint16()
        return Layout(COMPACT, compact=cursor.read(size))
    if kind == CONTIGUOUS:
        address = cursor.offset()
        return Layout(CONTIGUOUS, address, size=cursor.length())
    if kind == VIRTUAL:
        return Layout(VIRTUAL)
    if kind != CHUNKED:
        raise Hdf5Error(f"unknown data layout class {kind}")
    if version == 3:
        rank = cursor.uint8()
        address = cursor.offset()
        dims = tuple(cursor.uint32() for _ in range(rank))
        return Layout(CHUNKED, address, chunk=dims[:-1], index=BTREE1)
    flags = cursor.uint8()
    rank = cursor.uint8()
    width = cursor.uint8()
    dims = tuple(cursor.uint(width) for _ in range(rank))
    layout = Layout(CHUNKED, chunk=dims[:-1], flags=flags, index=cursor.uint8())
    if layout.index == SINGLE and flags & 2:
        layout.filtered_size = cursor.length()
        layout.filter_mask = cursor.uint32()
    elif layout.index == FIXED_ARRAY:
        cursor.skip(1)  # page bits
    elif layout.index == EXTENSIBLE_ARRAY:
        cursor.skip(5)
    elif layout.index == BTREE2:
        cursor.skip(6)  # node size, split / merge percent
    elif layout.index not in (SINGLE, IMPLICIT):
        raise Hdf5Error(f"unknown chunk index type {layout.index}")
    layout.address = cursor.offset()
    return layout


def parse_filters(cursor: Cursor) -> List[Filter]:
    version = cursor.uint8()
    count = cursor.uint8()
    if version == 1:
        cursor.skip(6)
    filters = []
    for _ in range(count):
        ident = cursor.uint16()
        name_length = cursor.uint16() if version == 1 or ident >= 256 else 0
        flags = cursor.uint16()
        values = cursor.uint16()
        cursor.skip((name_length + 7) // 8 * 8 if version == 1 else name_length)
        client = tuple(cursor.uint32() for _ in range(values))
        if version == 1 and values % 2:
            cursor.skip(4)
        filters.append(Filter(ident, flags, client))
    return filters


def parse_fill_value(cursor: Cursor, message_type: int) -> Optional[bytes]:
    """The fill value bytes of a fill value message (type 5) or old fill value message (type 4)."""
    if message_type == 4:
        size = cursor.uint32()
        return cursor.read(size) if size else None
    version = cursor.uint8()
    if version in (1, 2):
        cursor.skip(2)  # allocation time, write time
        defined = cursor.uint8()
        if not defined or cursor.remaining < 4:
            return None
        size = cursor.uint32()
        return cursor.read(size) if size else None
    flags = cursor.uint8()
    if flags & 0x20:
        size = cursor.uint32()
        return cursor.read(size)
    return None


# --- reading ----------------------------------------------------------------------------------------------

def _unfilter(data: bytes, filters: List[Filter], mask: int, expected: int) -> bytes:
    for index in range(len(filters) - 1, -1, -1):
        if mask & (1 << index):
            continue
        current = filters[index]
        if current.id == 1:
            stream = zlib.decompressobj()
            try:
                data = stream.decompress(data, expected)
            except zlib.error as error:
                raise Hdf5Error(f"corrupt deflate stream ({error})") from None
            if stream.unconsumed_tail:
                raise Hdf5Error("deflated chunk expands beyond its declared size")
        elif current.id == 2:
            data = _unshuffle(data, current.client[0] if current.client else 1)
        elif current.id == 3:
            data = data[:-4]
        elif current.id == 32000:
            data = _lzf(data, expected)
        else:
            raise Hdf5Error(f"the {current.name} filter is not supported")
    return data


def _lzf(data: bytes, expected: int) -> bytes:
    """LZF decompression (h5py's "lzf" filter): literal runs and back references, capped at `expected`."""
    output = bytearray()
    position, end = 0, len(data)
    while position < end:
        control = data[position]
        position += 1
        if control < 32:  # a run of control + 1 literal bytes
            output += data[position:position + control + 1]
            position += control + 1
        else:  # a back reference of length + 2 bytes
            length = control >> 5
            if length == 7:
                length += data[position]
                position += 1
            distance = ((control & 0x1F) << 8) + data[position] + 1
            position += 1
            if distance > len(output):
                raise Hdf5Error("corrupt LZF stream: reference before the start of the data")
            start = len(output) - distance
            for index in range(length + 2):  # may overlap what it is copying
                output.append(output[start + index])
        if len(output) > expected:
            raise Hdf5Error("LZF chunk expands beyond its declared size")
    return bytes(output)


def _unshuffle(data: bytes, size: int) -> bytes:
    import numpy as np

    if size <= 1:
        return data
    count = len(data) // size
    body = np.frombuffer(data, dtype=np.uint8, count=count * size).reshape(size, count).T
    return body.tobytes() + data[count * size:]


def _scaled_grid(shape: Tuple[int, ...], chunk: Tuple[int, ...]) -> Tuple[int, ...]:
    return tuple(-(-dim // size) if size else 0 for dim, size in zip(shape, chunk))


def _unravel(index: int, grid: Tuple[int, ...], chunk: Tuple[int, ...], unlimited: Optional[int] = None
             ) -> Tuple[int, ...]:
    """Element offsets of the chunk with linear `index` (row-major over `grid`). Extensible arrays order
    chunks with the unlimited dimension moved first ("swizzled"), so its extent never matters."""
    order = list(range(len(grid)))
    if unlimited is not None:
        order.remove(unlimited)
        order.insert(0, unlimited)
    scaled = [0] * len(grid)
    for axis in reversed(order[1:]):
        scaled[axis] = index % grid[axis]
        index //= grid[axis]
    if order:
        scaled[order[0]] = index
    return tuple(s * c for s, c in zip(scaled, chunk))


def _chunks(context: FileContext, layout: Layout, shape: Tuple[int, ...], limits: tuple, chunk_bytes: int,
            filtered: bool) -> Iterator[Tuple[Tuple[int, ...], int, int, int]]:
    """(element offsets, address, stored size, filter mask) of every allocated chunk."""
    rank = len(layout.chunk)
    # Linear chunk indexes count chunks over the maximum extent of each fixed dimension.
    extents = tuple(limit if limit is not None else size for size, limit in zip(shape, limits or shape))
    grid = _scaled_grid(extents, layout.chunk)
    total = 1
    for extent in grid:
        total *= extent
    if layout.index == BTREE1:
        for key, child in btree1_leaves(context, layout.address, 1, rank + 1):
            size = int.from_bytes(key[0:4], "little")
            mask = int.from_bytes(key[4:8], "little")
            offsets = tuple(int.from_bytes(key[8 + 8 * i:16 + 8 * i], "little") for i in range(rank))
            yield offsets, child, size, mask
    elif layout.index == SINGLE:
        yield (0,) * rank, layout.address, layout.filtered_size if filtered else chunk_bytes, layout.filter_mask
    elif layout.index == IMPLICIT:
        for index in range(total):
            yield _unravel(index, grid, layout.chunk), layout.address + index * chunk_bytes, chunk_bytes, 0
    elif layout.index == FIXED_ARRAY:
        yield from _fixed_array(context, layout, grid, chunk_bytes, filtered)
    elif layout.index == EXTENSIBLE_ARRAY:
        unlimited = next((axis for axis, limit in enumerate(limits) if limit is None), 0)
        for index, address, size, mask in _extensible_array(context, layout.address, total, chunk_bytes,
                                                             filtered):
            yield _unravel(index, grid, layout.chunk, unlimited), address, size, mask
    elif layout.index == BTREE2:
        width = context.offset_size
        for record in btree2_records(context, layout.address):
            address = int.from_bytes(record[:width], "little")
            if filtered:
                size_width = len(record) - width - 4 - 8 * rank
                size = int.from_bytes(record[width:width + size_width], "little")
                mask = int.from_bytes(record[width + size_width:width + size_width + 4], "little")
                position = width + size_width + 4
            else:
                size, mask, position = chunk_bytes, 0, width
            scaled = [int.from_bytes(record[position + 8 * i:position + 8 * i + 8], "little") for i in range(rank)]
            yield tuple(s * c for s, c in zip(scaled, layout.chunk)), address, size, mask


def _chunk_entry(context: FileContext, position: int, entry_size: int, chunk_bytes: int, filtered: bool):
    """(address, stored size, filter mask) of a fixed / extensible array element."""
    entry = Cursor(context, position, position + entry_size)
    address = entry.offset()
    if not filtered:
        return address, chunk_bytes, 0
    size = entry.uint(entry_size - context.offset_size - 4)
    return address, size, entry.uint32()


def _log2(value: int) -> int:
    if value <= 0 or value & (value - 1):
        raise Hdf5Error(f"extensible array parameter {value} is not a power of two")
    return value.bit_length() - 1


def _array_block(context: FileContext, address: int, signature: bytes, paged: bool, offset_width: int) -> Cursor:
    """A cursor past the prefix (signature, version, class, header address, block offset) of an extensible
    array super block (EASB) or data block (EADB)."""
    if paged:
        raise Hdf5Error("paged extensible array data blocks are not supported")
    cursor = context.at(address)
    cursor.signature(signature)
    cursor.skip(2 + context.offset_size + offset_width)
    return cursor


def _extensible_array(context: FileContext, address: int, needed: int, chunk_bytes: int, filtered: bool):
    """(element index, address, size, mask) of the chunks an extensible array index lists, up to `needed`."""
    cursor = context.at(address)
    cursor.signature(b"EAHD")
    cursor.skip(2)  # version, client ID
    entry_size, max_bits, index_elements, data_min, super_min, page_bits = (cursor.uint8() for _ in range(6))
    for _ in range(6):  # block counts and sizes, max index set, elements realised
        cursor.length()
    index_block = cursor.offset()
    if index_block is None or entry_size < context.offset_size or max_bits > 64:
        return
    super_count = 1 + max_bits - _log2(data_min)
    direct_supers = 2 * _log2(super_min)
    # Per super block: data blocks, elements per data block, first element index, first data block.
    info = []
    start = first = 0
    for number in range(super_count):
        blocks, elements = 1 << (number // 2), (1 << ((number + 1) // 2)) * data_min
        info.append((blocks, elements, start, first))
        start, first = start + blocks * elements, first + blocks
    offset_width = (max_bits + 7) // 8
    cursor = context.at(index_block)
    cursor.signature(b"EAIB")
    cursor.skip(2 + context.offset_size)
    cursor.need(index_elements * entry_size, "extensible array index block")
    blocks = [(0, cursor.position, index_elements)]
    cursor.position += index_elements * entry_size
    data_addresses = [cursor.offset() for _ in range(2 * (super_min - 1))]
    super_addresses = [cursor.offset() for _ in range(max(super_count - direct_supers, 0))]
    for number, (count, elements, first_element, first_block) in enumerate(info):
        if index_elements + first_element >= needed:
            break
        if number < direct_supers:
            addresses = data_addresses[first_block:first_block + count]
        else:
            block = super_addresses[number - direct_supers]
            if block is None:
                continue
            header = _array_block(context, block, b"EASB", elements > (1 << page_bits), offset_width)
            addresses = [header.offset() for _ in range(count)]
        for index, data in enumerate(addresses):
            if data is None:
                continue
            body = _array_block(context, data, b"EADB", elements > (1 << page_bits), offset_width)
            body.need(elements * entry_size, "extensible array data block")
            blocks.append((index_elements + first_element + index * elements, body.position, elements))
    for first_element, position, count in blocks:
        for index in range(min(count, max(needed - first_element, 0))):
            address, size, mask = _chunk_entry(context, position + index * entry_size, entry_size, chunk_bytes,
                                               filtered)
            if address is not None:
                yield first_element + index, address, size, mask


def _fixed_array(context: FileContext, layout: Layout, grid, chunk_bytes: int, filtered: bool):
    cursor = context.at(layout.address)
    cursor.signature(b"FAHD")
    cursor.skip(2)  # version, client ID
    entry_size = cursor.uint8()
    page_bits = cursor.uint8()
    count = cursor.length()
    block = cursor.offset()
    if count > MAX_CHAIN * 100 or block is None:
        return
    cursor = context.at(block)
    cursor.signature(b"FADB")
    cursor.skip(2 + context.offset_size)
    page = 1 << page_bits
    if count > page:  # paged: a bitmap of initialised pages, then pages each followed by a checksum
        pages = -(-count // page)
        bitmap = cursor.read((pages + 7) // 8)
        cursor.skip(4)  # checksum of the block header
        positions = []
        for number in range(pages):
            entries = min(page, count - number * page)
            if bitmap[number // 8] & (0x80 >> (number % 8)):
                positions.append((number * page, cursor.position, entries))
            cursor.position += entries * entry_size + 4
    else:
        positions = [(0, cursor.position, count)]
    for first, position, entries in positions:
        Cursor(context, position).need(entries * entry_size, "fixed array elements")
        for index in range(first, first + entries):
            address, size, mask = _chunk_entry(context, position + (index - first) * entry_size, entry_size,
                                               chunk_bytes, filtered)
            if address is not None:
                yield _unravel(index, grid, layout.chunk), address, size, mask


def read_raw(context: FileContext, layout: Layout, filters: List[Filter], shape: Tuple[int, ...],
             itemsize: int, fill: Optional[bytes], limits: tuple = ()):
    """The dataset's bytes as a flat numpy uint8 array of prod(shape) * itemsize bytes."""
    import numpy as np

    nbytes = math.prod(shape) * itemsize
    # Deflate expands at most ~1032:1, so a dataset declaring more than that over the whole file is
    # hostile (unwritten chunks may add fill values; a generous margin covers them).
    if nbytes > MAX_EXPANSION * context.size + (1 << 26):
        raise Hdf5Error(f"dataset declares {nbytes} bytes, more than a {context.size}-byte file can hold")
    if layout.kind == COMPACT:
        if len(layout.compact) < nbytes:
            raise Hdf5Error("compact data is shorter than the dataset")
        return np.frombuffer(layout.compact, dtype=np.uint8, count=nbytes)
    if layout.kind == CONTIGUOUS:
        if layout.address is None:
            return _filled(nbytes, itemsize, fill)
        return np.frombuffer(context.read(layout.address, nbytes), dtype=np.uint8)
    if layout.kind != CHUNKED:
        raise Hdf5Error("virtual datasets are not supported")
    if len(layout.chunk) != len(shape) or not all(layout.chunk):
        raise Hdf5Error(f"chunk shape {layout.chunk} does not match the dataset shape {shape}")
    chunk_bytes = itemsize * math.prod(layout.chunk)
    output = _filled(nbytes, itemsize, fill).reshape(*shape, itemsize) if shape else None
    if output is None:
        raise Hdf5Error("a chunked dataset must have at least one dimension")
    if layout.address is None:
        return output.reshape(-1)
    for offsets, address, size, mask in _chunks(context, layout, shape, limits, chunk_bytes, bool(filters)):
        data = context.read(address, size)
        partial = any(o + c > d for o, c, d in zip(offsets, layout.chunk, shape))
        if filters and not (partial and layout.flags & 1):  # flag: partial edge chunks stay unfiltered
            data = _unfilter(data, filters, mask, chunk_bytes)
        if len(data) < chunk_bytes:
            raise Hdf5Error(f"chunk at {address} holds {len(data)} bytes, expected {chunk_bytes}")
        block = np.frombuffer(data, dtype=np.uint8, count=chunk_bytes).reshape(*layout.chunk, itemsize)
        target = tuple(slice(o, min(o + c, d)) for o, c, d in zip(offsets, layout.chunk, shape))
        if any(o >= d for o, d in zip(offsets, shape)):
            continue
        source = tuple(slice(0, t.stop - t.start) for t in target)
        output[target] = block[source]
    return output.reshape(-1)


def _filled(nbytes: int, itemsize: int, fill: Optional[bytes]):
    import numpy as np

    if fill and len(fill) == itemsize and any(fill):
        return np.tile(np.frombuffer(fill, dtype=np.uint8), nbytes // itemsize)
    return np.zeros(nbytes, dtype=np.uint8)

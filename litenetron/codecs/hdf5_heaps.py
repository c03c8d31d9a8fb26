"""HDF5 heaps and B-trees: local heap, global heap, version-1 B-trees, version-2 B-trees and fractal heaps.

Old-style groups keep their links in a symbol table: a version-1 B-tree whose leaves point to symbol table
nodes ("SNOD"), with link names in a local heap ("HEAP"). New-style dense groups and dense attribute storage
keep link / attribute messages in a fractal heap ("FRHP") indexed by a version-2 B-tree ("BTHD"). Variable-
length data lives in global heap collections ("GCOL"). Every walk is bounded in depth and visits a node once.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

from .hdf5_io import MAX_CHAIN, MAX_DEPTH, Cursor, FileContext, Hdf5Error


def _bytes_for(value: int) -> int:
    """Bytes HDF5 uses to encode counts up to `value`: floor(log2(value)) / 8 + 1."""
    return (max(value, 1).bit_length() - 1) // 8 + 1


# --- local and global heaps ------------------------------------------------------------------------------

def local_heap_data(context: FileContext, address: int) -> Tuple[int, int]:
    """(absolute position, size) of a local heap's data segment."""
    cursor = context.at(address)
    cursor.signature(b"HEAP")
    cursor.skip(4)  # version, reserved
    size = cursor.length()
    cursor.length()  # free list head
    data_address = cursor.offset()
    return context.position(data_address, size), size


def local_heap_string(context: FileContext, heap: Tuple[int, int], offset: int) -> str:
    position, size = heap
    if not 0 <= offset < size:
        raise Hdf5Error(f"name offset {offset} is outside the local heap ({size} bytes)")
    cursor = Cursor(context, position + offset, position + size)
    return cursor.cstring().decode("utf-8", errors="replace")


def global_heap_object(context: FileContext, address: int, index: int) -> bytes:
    """The bytes of object `index` in the global heap collection at `address`."""
    objects = context.global_heaps.get(address)
    if objects is None:
        objects = {}
        cursor = context.at(address)
        cursor.signature(b"GCOL")
        cursor.skip(4)  # version, reserved
        size = cursor.length()
        start = cursor.position - 8 - context.length_size
        end = start + size
        if end > context.size or size < 16:
            raise Hdf5Error(f"global heap collection at {address} has an invalid size {size}")
        cursor.end = end
        while cursor.remaining >= 8 + context.length_size:
            number = cursor.uint16()
            cursor.skip(6)  # reference count, reserved
            length = cursor.length()
            if number == 0:  # free space: the rest of the collection
                break
            cursor.need(length, "global heap object")
            objects[number] = (cursor.position, length)
            cursor.position += (length + 7) // 8 * 8
            cursor.position = min(cursor.position, cursor.end)
        context.global_heaps[address] = objects
    if index not in objects:
        raise Hdf5Error(f"global heap collection at {address} has no object {index}")
    position, length = objects[index]
    return bytes(context.buffer[position:position + length])


# --- version-1 B-trees ---------------------------------------------------------------------------------

def btree1_leaves(context: FileContext, address: int, node_type: int, rank: int = 0
                  ) -> Iterator[Tuple[bytes, int]]:
    """(key bytes, child address) of every leaf entry of a version-1 B-tree, in key order.

    Node type 0 (groups): keys are heap offsets, children symbol table nodes. Node type 1 (chunks): keys are
    (chunk size, filter mask, rank+1 offsets), children raw chunk addresses.
    """
    key_size = context.length_size if node_type == 0 else 8 + 8 * rank
    seen = set()
    stack = [(address, MAX_DEPTH)]
    entries: List[Tuple[bytes, int]] = []
    while stack:
        node, budget = stack.pop()
        if node in seen or budget <= 0:
            raise Hdf5Error(f"B-tree at {address} has a cycle or is nested too deeply")
        seen.add(node)
        cursor = context.at(node)
        cursor.signature(b"TREE")
        if cursor.uint8() != node_type:
            raise Hdf5Error(f"B-tree node at {node} has the wrong type")
        level = cursor.uint8()
        used = cursor.uint16()
        cursor.offset()
        cursor.offset()  # siblings
        cursor.need(used * (key_size + context.offset_size) + key_size, "B-tree entries")
        children = []
        for _ in range(used):
            key = cursor.read(key_size)
            children.append((key, cursor.offset()))
        if level == 0:
            entries.extend(children)
        else:  # push in reverse so the leftmost subtree is visited first
            stack.extend((child, budget - 1) for _, child in reversed(children))
    return iter(entries)


def symbol_table_links(context: FileContext, btree: int, heap_address: int
                       ) -> List[Tuple[str, Optional[int], str]]:
    """(name, object header address, soft link target) of every entry of an old-style group."""
    heap = local_heap_data(context, heap_address)
    links = []
    for _, node in btree1_leaves(context, btree, 0):
        cursor = context.at(node)
        cursor.signature(b"SNOD")
        cursor.skip(2)  # version, reserved
        count = cursor.uint16()
        entry_size = 2 * context.offset_size + 24
        cursor.need(count * entry_size, "symbol table entries")
        for _ in range(count):
            name_offset = cursor.offset()
            header = cursor.offset()
            cache_type = cursor.uint32()
            cursor.skip(4)
            scratch = cursor.read(16)
            target = ""
            if cache_type == 2:  # a soft link: the scratch pad holds the heap offset of its value
                target = local_heap_string(context, heap, int.from_bytes(scratch[:4], "little"))
                header = None
            links.append((local_heap_string(context, heap, name_offset or 0), header, target))
            if len(links) > MAX_CHAIN:
                raise Hdf5Error("group has too many entries")
    return links


# --- version-2 B-trees -----------------------------------------------------------------------------------

def btree2_records(context: FileContext, address: int) -> Iterator[bytes]:
    """Every record of a version-2 B-tree (raw bytes of the header's record size), in tree order."""
    cursor = context.at(address)
    cursor.signature(b"BTHD")
    cursor.skip(2)  # version, type
    node_size = cursor.uint32()
    record_size = cursor.uint16()
    depth = cursor.uint16()
    cursor.skip(2)  # split / merge percent
    root = cursor.offset()
    root_count = cursor.uint16()
    cursor.length()  # total records
    if record_size == 0 or node_size < 10 + record_size or depth > MAX_DEPTH:
        raise Hdf5Error(f"B-tree v2 at {address} has an invalid node size, record size or depth")
    if root is None or root_count == 0:
        return
    # Per depth: bytes of the "records in child" and "total records under child" fields.
    max_records = [(node_size - 10) // record_size]
    cumulative = [max_records[0]]
    count_width = _bytes_for(max_records[0])
    total_widths = [0]
    for level in range(1, depth + 1):
        pointer = context.offset_size + count_width + (total_widths[level - 1] if level > 1 else 0)
        records = (node_size - (10 + pointer)) // (record_size + pointer)
        max_records.append(records)
        cumulative.append((records + 1) * cumulative[level - 1] + records)
        total_widths.append(_bytes_for(cumulative[level]))
    # A stack of pending nodes ("node", address, records, level) and records ("record", bytes, 0, 0).
    stack: list = [("node", root, root_count, depth)]
    visited = 0
    while stack:
        kind, item, count, level = stack.pop()
        if kind == "record":
            yield item
            continue
        visited += 1
        if visited > MAX_CHAIN:
            raise Hdf5Error(f"B-tree v2 at {address} has too many nodes")
        cursor = context.at(item, node_size)
        cursor.signature(b"BTLF" if level == 0 else b"BTIN")
        cursor.skip(2)
        if count > max_records[level]:
            raise Hdf5Error(f"B-tree v2 node at {item} holds more records than fit")
        records = [cursor.read(record_size) for _ in range(count)]
        if level == 0:
            yield from records
            continue
        pending = []
        for index in range(count + 1):  # child 0, record 0, child 1, record 1, ..., child N
            child = cursor.offset()
            child_count = cursor.uint(count_width)
            if level > 1:
                cursor.uint(total_widths[level - 1])
            pending.append(("node", child, child_count, level - 1))
            if index < count:
                pending.append(("record", records[index], 0, 0))
        stack.extend(reversed(pending))


# --- fractal heaps -------------------------------------------------------------------------------------

@dataclass
class FractalHeap:
    """A fractal heap: its direct blocks as sorted (heap offset, absolute position, size) triples."""

    context: FileContext
    id_length: int
    offset_width: int
    length_width: int
    blocks: List[Tuple[int, int, int]]
    huge_index: Optional[int] = None  # version-2 B-tree of huge objects

    def object(self, heap_id: bytes) -> bytes:
        """The bytes of the object named by `heap_id` (managed, tiny or unfiltered huge objects)."""
        kind = (heap_id[0] >> 4) & 0x03
        if kind == 2:  # tiny: the data sits in the ID itself
            length = (heap_id[0] & 0x0F) + 1
            return bytes(heap_id[1:1 + length])
        if kind == 1:
            return self._huge(heap_id)
        if kind != 0:
            raise Hdf5Error(f"unknown fractal heap ID type {kind}")
        offset = int.from_bytes(heap_id[1:1 + self.offset_width], "little")
        length = int.from_bytes(heap_id[1 + self.offset_width:1 + self.offset_width + self.length_width],
                                "little")
        index = bisect.bisect_right(self.blocks, (offset, float("inf"), 0)) - 1
        if index < 0:
            raise Hdf5Error(f"fractal heap offset {offset} is in no block")
        start, position, size = self.blocks[index]
        if offset + length > start + size:
            raise Hdf5Error(f"fractal heap object at {offset} (+{length}) overruns its block")
        position += offset - start
        if position + length > self.context.size:
            raise Hdf5Error(f"fractal heap object at {offset} lies outside the file")
        return bytes(self.context.buffer[position:position + length])


    def _huge(self, heap_id: bytes) -> bytes:
        """A huge object: its (address, length) sit in the ID when it is wide enough, else in a B-tree."""
        width, size = self.context.offset_size, self.context.length_size
        if len(heap_id) >= 1 + width + size:
            address = int.from_bytes(heap_id[1:1 + width], "little")
            length = int.from_bytes(heap_id[1 + width:1 + width + size], "little")
            return self.context.read(address, length)
        if self.huge_index is None:
            raise Hdf5Error("fractal heap has a huge object but no huge object index")
        key = int.from_bytes(heap_id[1:], "little")
        for record in btree2_records(self.context, self.huge_index):
            if len(record) < width + 2 * size:
                raise Hdf5Error("filtered huge fractal heap objects are not supported")
            if int.from_bytes(record[width + size:width + 2 * size], "little") == key:
                address = int.from_bytes(record[:width], "little")
                return self.context.read(address, int.from_bytes(record[width:width + size], "little"))
        raise Hdf5Error(f"huge fractal heap object {key} is not in its index")


def fractal_heap(context: FileContext, address: int) -> FractalHeap:
    cursor = context.at(address)
    cursor.signature(b"FRHP")
    cursor.skip(1)  # version
    id_length = cursor.uint16()
    filter_length = cursor.uint16()
    flags = cursor.uint8()
    max_managed = cursor.uint32()
    cursor.length()  # next huge object ID
    huge_index = cursor.offset()
    cursor.length()  # free space
    cursor.offset()  # free space manager
    for _ in range(8):  # managed/allocated space, iterator offset, object counts and sizes
        cursor.length()
    width = cursor.uint16()
    start_size = cursor.length()
    max_direct = cursor.length()
    max_bits = cursor.uint16()
    cursor.uint16()  # starting rows of the root indirect block
    root = cursor.offset()
    rows = cursor.uint16()
    if filter_length:
        raise Hdf5Error("filtered fractal heaps are not supported")
    if width == 0 or start_size == 0 or start_size & (start_size - 1) or max_direct & (max_direct - 1) \
            or max_direct < start_size or max_bits > 64:
        raise Hdf5Error(f"fractal heap at {address} has an invalid doubling table")
    offset_width = (max_bits + 7) // 8
    length_width = min((max_direct.bit_length() - 1 + 7) // 8, _bytes_for(max_managed))
    header = 5 + context.offset_size + offset_width + (4 if flags & 2 else 0)
    max_direct_rows = (max_direct.bit_length() - 1) - (start_size.bit_length() - 1) + 2
    blocks: List[Tuple[int, int, int]] = []

    def row_size(row: int) -> int:
        return start_size if row == 0 else start_size << (row - 1)

    def walk(block: Optional[int], block_offset: int, nrows: int, depth: int) -> None:
        if block is None:
            return
        if depth > MAX_DEPTH or len(blocks) > MAX_CHAIN:
            raise Hdf5Error(f"fractal heap at {address} is nested too deeply")
        cursor = context.at(block)
        cursor.signature(b"FHIB")
        cursor.skip(1 + context.offset_size + offset_width)
        direct_rows = min(nrows, max_direct_rows)
        cursor.need((nrows * width) * context.offset_size, "fractal heap indirect block")
        offset = block_offset
        for row in range(nrows):
            size = row_size(row)
            for _ in range(width):
                child = cursor.offset()
                if row < direct_rows:
                    if child is not None:
                        blocks.append((offset, context.position(child, min(size, header)), size))
                else:
                    child_rows = (size.bit_length() - 1) - ((start_size * width).bit_length() - 1) + 1
                    walk(child, offset, child_rows, depth + 1)
                offset += size

    if rows == 0:
        if root is not None:
            blocks.append((0, context.position(root, header), start_size))
    else:
        walk(root, 0, rows, 0)
    blocks.sort()
    return FractalHeap(context, id_length, offset_width, length_width, blocks, huge_index)

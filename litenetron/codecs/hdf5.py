"""Our own HDF5 reader: superblocks 0–3, object headers v1/v2, groups, attributes and lazily read datasets.

    with File(path) as h5:                      # a path (read-only mmap) or bytes
        h5.attrs["model_config"]                # attributes decode to Python values (str, int, float, lists)
        group = h5["model_weights/dense"]       # Group or Dataset by path; `keys()`, `items()`, `walk()`
        dataset.shape, dataset.dtype_name       # from the headers only
        dataset.read()                          # numpy array, read and unfiltered on demand

Groups may be old-style (symbol table: B-tree v1 + local heap), compact (link messages) or dense (fractal
heap + B-tree v2); attributes compact or dense. Every address is bounds-checked (`FileContext`), every walk
is bounded, and `walk()` visits each object once even when hard links form cycles. The structure needs only
the standard library; numpy is imported by `Dataset.read()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from .binary import open_buffer
from .hdf5_chunks import CHUNKED, parse_fill_value, parse_filters, parse_layout, read_raw
from .hdf5_heaps import btree2_records, fractal_heap, symbol_table_links
from .hdf5_io import MAX_CHAIN, MAX_DEPTH, Cursor, FileContext, Hdf5Error
from .hdf5_types import (
    VLEN,
    Datatype,
    decode_element,
    decode_values,
    element_size,
    parse_dataspace,
    parse_dataspace_limits,
    parse_datatype,
)

__all__ = ["File", "Group", "Dataset", "Hdf5Error", "SIGNATURE", "find_superblock"]

SIGNATURE = b"\x89HDF\r\n\x1a\n"

(NIL, DATASPACE, LINK_INFO, DATATYPE, FILL_OLD, FILL, LINK, EXTERNAL, LAYOUT, BOGUS, GROUP_INFO, FILTERS,
 ATTRIBUTE, COMMENT, MTIME_OLD, SHARED_TABLE, CONTINUATION, SYMBOL_TABLE, MTIME, BTREE_K, DRIVER_INFO,
 ATTRIBUTE_INFO, REFCOUNT) = range(23)

_SHARED = 0x02  # message flag: the message body is a reference to a shared message


def find_superblock(buffer, start: int = 0, end: Optional[int] = None) -> int:
    """Position of the superblock signature: `start`, or after a user block of 512, 1024, 2048, ... bytes."""
    end = len(buffer) if end is None else end
    offset = 0
    while start + offset + 8 <= end:
        if bytes(buffer[start + offset:start + offset + 8]) == SIGNATURE:
            return start + offset
        offset = 512 if offset == 0 else offset * 2
    raise Hdf5Error("no HDF5 superblock signature")


@dataclass
class Message:
    type: int
    flags: int
    position: int  # absolute position of the message body
    size: int
    order: Optional[int] = None  # creation order (v2 headers that track it)

    def cursor(self, context: FileContext) -> Cursor:
        return Cursor(context, self.position, self.position + self.size)


def read_messages(context: FileContext, address: int) -> List[Message]:
    """All header messages of the object header at `address`, following continuation blocks."""
    cursor = context.at(address, 4)
    if bytes(context.buffer[cursor.position:cursor.position + 4]) == b"OHDR":
        return _messages_v2(context, address)
    cursor = context.at(address, 16)
    version = cursor.uint8()
    if version != 1:
        raise Hdf5Error(f"unsupported object header version {version} at {address}")
    cursor.skip(1 + 2 + 4)  # reserved, message count, reference count
    size = cursor.uint32()
    messages: List[Message] = []
    blocks = [(context.position(address + 16, size), size)]
    for block in _blocks(context, address, blocks):
        while block.remaining >= 8:
            kind = block.uint16()
            body = block.uint16()
            flags = block.uint8()
            block.skip(3)
            block.need(body, "header message")
            messages.append(Message(kind, flags, block.position, body))
            block.position += body
            if kind == CONTINUATION:
                blocks.append(_continuation(context, messages[-1]))
    return messages


def _blocks(context: FileContext, address: int, blocks: List[Tuple[int, int]]) -> Iterator[Cursor]:
    """A cursor over each (start, length) block of an object header, in order; the caller appends the
    continuation blocks it finds to `blocks`. A block seen twice or too many blocks is an error."""
    seen = set()
    while blocks:
        start, length = blocks.pop(0)
        if start in seen or len(seen) > MAX_CHAIN:
            raise Hdf5Error(f"object header at {address} has a continuation cycle")
        seen.add(start)
        yield Cursor(context, start, start + length)


def _continuation(context: FileContext, message: Message) -> Tuple[int, int]:
    cursor = message.cursor(context)
    target = cursor.offset()
    length = cursor.length()
    return context.position(target, length), length


def _messages_v2(context: FileContext, address: int) -> List[Message]:
    cursor = context.at(address)
    cursor.skip(5)  # signature, version
    flags = cursor.uint8()
    if flags & 0x20:
        cursor.skip(16)  # access, modification, change and birth times
    if flags & 0x10:
        cursor.skip(4)  # attribute storage phase change values
    size = cursor.uint(1 << (flags & 0x03))
    cursor.need(size + 4, "object header chunk")
    header = 4 + (2 if flags & 0x04 else 0)
    messages: List[Message] = []
    blocks = [(cursor.position, size)]
    for block in _blocks(context, address, blocks):
        while block.remaining >= header:
            kind = block.uint8()
            body = block.uint16()
            message_flags = block.uint8()
            order = block.uint16() if flags & 0x04 else None
            block.need(body, "header message")
            messages.append(Message(kind, message_flags, block.position, body, order))
            block.position += body
            if kind == CONTINUATION:
                position, total = _continuation(context, messages[-1])
                chunk = Cursor(context, position, position + total)
                chunk.signature(b"OCHK")
                blocks.append((position + 4, total - 8))  # minus signature and checksum
    return messages


def _shared_address(cursor: Cursor) -> int:
    """The object header address a shared message reference points to (committed datatypes)."""
    version = cursor.uint8()
    kind = cursor.uint8()
    if version == 1:
        cursor.skip(6)
    elif version == 3 and kind != 2:
        raise Hdf5Error("messages in the shared message heap are not supported")
    return cursor.offset()


class File:
    """An HDF5 file read from a path (read-only mmap) or from bytes; `File` is also its root group.

    `offset` and `length` select an HDF5 file embedded in a larger buffer (a stored zip member): every
    address is then checked against that range.
    """

    def __init__(self, source: Union[str, Path, bytes, bytearray], offset: int = 0,
                 length: Optional[int] = None):
        buffer = open_buffer(source) if isinstance(source, (str, Path)) else source
        end = len(buffer) if length is None else offset + length
        if not buffer or end <= offset or end > len(buffer) or offset < 0:
            raise Hdf5Error("file is empty" if not buffer else "embedded file lies outside the buffer")
        self.buffer = buffer
        start = find_superblock(buffer, offset, end)
        cursor = Cursor(FileContext(buffer), start + 8)
        self.superblock_version = version = cursor.uint8()
        if version in (0, 1):
            cursor.skip(4)  # free space, root entry and shared header versions, reserved
            offset_size, length_size = cursor.uint8(), cursor.uint8()
            cursor.skip(1 + 4 + 4 + (4 if version == 1 else 0))  # reserved, K values, flags
        elif version in (2, 3):
            offset_size, length_size = cursor.uint8(), cursor.uint8()
            cursor.skip(1)  # flags
        else:
            raise Hdf5Error(f"unsupported superblock version {version}")
        if offset_size not in (2, 4, 8) or length_size not in (2, 4, 8):
            raise Hdf5Error(f"invalid address widths {offset_size}/{length_size}")
        context = FileContext(buffer, 0, offset_size, length_size)
        context.size = end
        cursor.context = context
        base = cursor.offset() or 0
        # Addresses are relative to the base address, which is the superblock's own offset in files with
        # a user block.
        context.base = offset + base if base else start
        if version in (0, 1):
            cursor.offset()  # free space info
            eof = cursor.offset()
            cursor.offset()  # driver info
            cursor.offset()  # root link name offset
            root = cursor.offset()
        else:
            cursor.offset()  # superblock extension
            eof = cursor.offset()
            root = cursor.offset()
        if eof is not None and offset + eof > end:  # (the end-of-file address counts any user block)
            raise Hdf5Error(f"file is truncated: it holds {end - offset} of its {eof} bytes")
        self.context = context
        self.objects: Dict[int, Object] = {}  # by header address: each header is parsed once
        self.root = Group(self, root, "/")

    def close(self) -> None:
        close = getattr(self.buffer, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> File:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getitem__(self, path: str):
        return self.root[path]

    def __contains__(self, path: str) -> bool:
        return path in self.root

    def get(self, path: str, default=None):
        return self.root.get(path, default)

    def keys(self) -> List[str]:
        return self.root.keys()

    def walk(self) -> Iterator[Tuple[str, Object]]:
        return self.root.walk()

    @property
    def attrs(self) -> Dict[str, Any]:
        return self.root.attrs


class Object:
    """Something with an object header: a group or a dataset."""

    def __init__(self, file: File, address: int, path: str):
        self.file = file
        self.address = address
        self.path = path
        self._messages: Optional[List[Message]] = None
        self._attrs: Optional[Dict[str, Any]] = None

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def messages(self) -> List[Message]:
        if self._messages is None:
            self._messages = read_messages(self.file.context, self.address)
        return self._messages

    @property
    def attrs(self) -> Dict[str, Any]:
        """Attribute name → decoded value (str, int, float, bool, nested lists)."""
        if self._attrs is None:
            context = self.file.context
            attrs = {}
            for message in self.messages:
                if message.type == ATTRIBUTE:
                    name, value = _parse_attribute(context, message.cursor(context))
                    attrs[name] = value
                elif message.type == ATTRIBUTE_INFO:
                    for body in _dense_objects(context, message.cursor(context), "attribute"):
                        name, value = _parse_attribute(context, _bytes_cursor(context, body))
                        attrs[name] = value
            self._attrs = attrs
        return self._attrs


def _bytes_cursor(context: FileContext, data: bytes) -> Cursor:
    """A cursor over a message body lifted out of a fractal heap (same address widths as the file)."""
    return Cursor(FileContext(data, 0, context.offset_size, context.length_size), 0)


def _dense_objects(context: FileContext, cursor: Cursor, kind: str) -> Iterator[bytes]:
    """Link or attribute messages kept in a fractal heap, from a link info or attribute info message."""
    cursor.skip(1)  # version
    flags = cursor.uint8()
    if flags & 1:
        cursor.skip(8 if kind == "link" else 2)  # maximum creation index
    heap_address = cursor.offset()
    names = cursor.offset()
    if heap_address is None or names is None:
        return
    heap = fractal_heap(context, heap_address)
    for record in btree2_records(context, names):
        # Link name records: hash (4) + heap ID; attribute name records: heap ID (8) + flags, order, hash.
        heap_id = record[4:] if kind == "link" else record[:8]
        yield heap.object(heap_id)


def _parse_attribute(context: FileContext, cursor: Cursor) -> Tuple[str, Any]:
    version = cursor.uint8()
    flags = cursor.uint8()
    if version == 1:
        flags = 0  # a reserved byte in version 1
    name_size = cursor.uint16()
    type_size = cursor.uint16()
    space_size = cursor.uint16()
    if version == 3:
        cursor.skip(1)  # name character set
    padded = (lambda n: (n + 7) // 8 * 8) if version == 1 else (lambda n: n)
    start = cursor.position
    name = cursor.read(name_size).split(b"\0", 1)[0].decode("utf-8", errors="replace")
    cursor.position = start + padded(name_size)
    start = cursor.position
    body = Cursor(cursor.context, start, min(start + type_size, cursor.end))
    kind = _committed_datatype(context, body) if flags & 1 else parse_datatype(body)
    cursor.position = start + padded(type_size)
    start = cursor.position
    shape = parse_dataspace(Cursor(cursor.context, start, min(start + space_size, cursor.end)))
    cursor.position = start + padded(space_size)
    count = math.prod(shape or ())
    raw = cursor.read(count * element_size(context, kind)) if shape is not None else b""
    return name, decode_values(context, kind, raw, shape)


def _committed_datatype(context: FileContext, cursor: Cursor) -> Datatype:
    address = _shared_address(cursor)
    for message in read_messages(context, address):
        if message.type == DATATYPE:
            return parse_datatype(message.cursor(context))
    raise Hdf5Error(f"committed datatype at {address} has no datatype message")


@dataclass
class Link:
    name: str
    address: Optional[int] = None  # hard link target
    target: str = ""  # soft link path
    external: bool = False
    order: Optional[int] = None


def _parse_link(cursor: Cursor) -> Link:
    cursor.skip(1)  # version
    flags = cursor.uint8()
    kind = cursor.uint8() if flags & 0x08 else 0
    order = cursor.uint64() if flags & 0x04 else None
    if flags & 0x10:
        cursor.skip(1)  # character set
    length = cursor.uint(1 << (flags & 0x03))
    name = cursor.read(length).decode("utf-8", errors="replace")
    if kind == 0:
        return Link(name, cursor.offset(), order=order)
    size = cursor.uint16()
    text = cursor.read(size)
    if kind == 1:
        return Link(name, target=text.decode("utf-8", errors="replace"), order=order)
    return Link(name, external=True, order=order)


class Group(Object):
    """A group: named links to groups and datasets."""

    def __init__(self, file: File, address: int, path: str):
        super().__init__(file, address, path)
        self._links: Optional[Dict[str, Link]] = None

    def links(self) -> Dict[str, Link]:
        if self._links is None:
            context = self.file.context
            links: List[Link] = []
            for message in self.messages:
                if message.type == LINK:
                    links.append(_parse_link(message.cursor(context)))
                elif message.type == LINK_INFO:
                    links.extend(_parse_link(_bytes_cursor(context, body))
                                 for body in _dense_objects(context, message.cursor(context), "link"))
                elif message.type == SYMBOL_TABLE:
                    cursor = message.cursor(context)
                    btree, heap = cursor.offset(), cursor.offset()
                    links.extend(Link(name, address, target)
                                 for name, address, target in symbol_table_links(context, btree, heap))
            if links and all(link.order is not None for link in links):
                links.sort(key=lambda link: link.order)
            else:
                links.sort(key=lambda link: link.name)
            self._links = {link.name: link for link in links}
        return self._links

    def keys(self) -> List[str]:
        return list(self.links())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.links())

    def items(self) -> Iterator[Tuple[str, Object]]:
        for name in self.keys():
            item = self.get(name)
            if item is not None:
                yield name, item

    def __contains__(self, path: str) -> bool:
        return self.get(path) is not None

    def __getitem__(self, path: str) -> Object:
        item = self.get(path)
        if item is None:
            raise KeyError(f"no object {path!r} in {self.path}")
        return item

    def get(self, path: str, default=None, _depth: int = 0):
        """The group or dataset at `path` (relative, or absolute from the root), or `default`."""
        if _depth > 16:
            raise Hdf5Error(f"soft links around {path!r} nest too deeply")
        node: Object = self.file.root if path.startswith("/") else self
        for part in [p for p in path.split("/") if p and p != "."]:
            if not isinstance(node, Group):
                return default
            link = node.links().get(part)
            if link is None or link.external:
                return default
            if link.address is None:
                resolved = node.get(link.target, None, _depth + 1)
                if resolved is None:
                    return default
                node = resolved
                continue
            node = _open_object(self.file, link.address, node.path.rstrip("/") + "/" + part)
        return node

    def walk(self) -> Iterator[Tuple[str, Object]]:
        """(path, object) of everything below this group, each object once (hard-link cycles are cut)."""
        seen = {self.address}
        stack: List[Tuple[Group, int]] = [(self, 0)]
        while stack:
            group, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise Hdf5Error(f"groups below {self.path} nest too deeply")
            children = []
            for name, link in group.links().items():
                if link.address is None or link.address in seen:
                    continue
                seen.add(link.address)
                item = _open_object(self.file, link.address, group.path.rstrip("/") + "/" + name)
                children.append(item)
            for item in children:
                yield item.path, item
            stack.extend((item, depth + 1) for item in reversed(children) if isinstance(item, Group))


class Dataset(Object):
    """A dataset: shape and type come from its header; `read()` decodes the values with numpy."""

    def __init__(self, file: File, address: int, path: str):
        super().__init__(file, address, path)
        self._header: Optional[tuple] = None
        self._external = False  # data kept in external raw files (not read)

    def _parsed(self):
        if self._header is None:
            self._header = self._parse_header()
        return self._header

    def _parse_header(self):
        context = self.file.context
        kind = shape = layout = fill = None
        limits: tuple = ()
        filters: list = []
        for message in self.messages:
            cursor = message.cursor(context)
            if message.type == DATATYPE:
                kind = _committed_datatype(context, cursor) if message.flags & _SHARED else parse_datatype(cursor)
            elif message.type == DATASPACE:
                shape, limits = parse_dataspace_limits(cursor)
            elif message.type == LAYOUT:
                layout = parse_layout(cursor)
            elif message.type == FILTERS:
                filters = parse_filters(cursor)
            elif message.type in (FILL, FILL_OLD) and fill is None:
                fill = parse_fill_value(cursor, message.type)
            elif message.type == EXTERNAL:
                self._external = True
        if kind is None or layout is None:
            raise Hdf5Error(f"dataset {self.path} lacks a datatype or layout message")
        return kind, shape, layout, filters, fill, limits

    @property
    def dtype(self) -> Datatype:
        return self._parsed()[0]

    @property
    def dtype_name(self) -> Optional[str]:
        return self.dtype.name

    @property
    def shape(self) -> Optional[Tuple[int, ...]]:
        return self._parsed()[1]

    @property
    def size(self) -> int:
        """Element count: 1 for a scalar (shape ()), 0 for a null dataspace (shape None)."""
        shape = self.shape
        return 0 if shape is None else math.prod(shape)

    @property
    def chunks(self) -> Optional[Tuple[int, ...]]:
        """The chunk shape of a chunked dataset, else None."""
        layout = self._parsed()[2]
        return layout.chunk if layout.kind == CHUNKED else None

    @property
    def filters(self) -> List[str]:
        return [f.name for f in self._parsed()[3]]

    def read(self):
        """The values as a numpy array (strings of variable length as an object array)."""
        import numpy as np

        kind, shape, layout, filters, fill, limits = self._parsed()
        if self._external:
            raise Hdf5Error(f"dataset {self.path} keeps its data in external files, which are not read")
        if shape is None:
            return np.zeros((0,), dtype=kind.numpy())
        context = self.file.context
        itemsize = element_size(context, kind)
        raw = read_raw(context, layout, filters, shape, itemsize, fill, limits)
        if kind.cls == VLEN:
            data = raw.tobytes()
            values = [decode_element(context, kind, data, i * itemsize) for i in range(self.size)]
            array = np.empty(len(values), dtype=object)
            array[:] = values
            return array.reshape(shape)
        array = raw.view(kind.numpy()).reshape(shape)  # no copy: raw already holds exactly these bytes
        if kind.name == "bfloat16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        return array


class CommittedDatatype(Object):
    """A named datatype stored as an object of its own."""


def _open_object(file: File, address: int, path: str) -> Object:
    cached = file.objects.get(address)
    if cached is not None and cached.path == path:
        return cached
    messages = cached.messages if cached is not None else read_messages(file.context, address)
    types = {message.type for message in messages}
    if LAYOUT in types:
        item: Object = Dataset(file, address, path)
    elif DATATYPE in types and DATASPACE not in types:
        item = CommittedDatatype(file, address, path)
    else:
        item = Group(file, address, path)
    item._messages = messages
    file.objects[address] = item
    return item

"""NumPy `.npy` arrays and `.npz` archives of them (stored or deflated zip members).

An `.npy` is `\\x93NUMPY`, a version (1.0, 2.0, 3.0), a header length (uint16 in v1, uint32 later), then a
Python-literal dict `{'descr': ..., 'fortran_order': ..., 'shape': (...)}` and the raw array bytes. The dict is
parsed with `ast.literal_eval` (it evaluates literals only, never code) after its length is bounded; the dtype
description is read by us (byte order, kind, size; structured dtypes field by field). Arrays of Python objects
are pickles: they are refused, never unpickled. Only headers are read on open (for a deflated member, just
the start of its stream); `Tensor.data()` reads the bytes.

An `.npz` of a state dict (`layer.weight` keys) is grouped into one box per module prefix like a PyTorch state
dict; a lone `.npy` is one box. `parameters` counts the elements of every array.
"""

from __future__ import annotations

import ast
import math
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

from ..codecs import archive
from ..model import Argument, Graph, Model, ModelError, Node, OpType, Tensor, Value
from .torch.pytorch import chain_in_order, tensor_summary, weight_nodes

NAME = "NumPy"
EXTENSIONS = (".npy", ".npz")

MAGIC = b"\x93NUMPY"
MAX_HEADER = 100_000  # numpy itself refuses headers over 10,000 bytes unless told otherwise
MAX_FIELDS = 10_000
MAX_RANK = 64  # numpy's own limit on dimensions
MAX_FIELD_DEPTH = 8

_DESCR = re.compile(r"^([<>|=]?)([a-zA-Z])(\d*)(\[[A-Za-z0-9]+\])?$")
# kind → (name stem, the sizes numpy has)
_NUMERIC = {"b": ("bool", (1,)), "i": ("int", (1, 2, 4, 8)), "u": ("uint", (1, 2, 4, 8)),
            "f": ("float", (2, 4, 8, 16)), "c": ("complex", (8, 16, 32))}


@dataclass
class ArrayHeader:
    dtype: str  # our dtype name, or an honest description (`struct{x: float32, y: float32[3]}`, `U10`)
    itemsize: int
    shape: Tuple[int, ...]
    fortran_order: bool
    descr: Any  # as stored: numpy rebuilds the dtype from it when the values are read
    data_offset: int  # from the start of the .npy stream
    big_endian: bool
    version: str

    @property
    def count(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.count * self.itemsize


def match(path: Path, header: bytes) -> bool:
    if header.startswith(MAGIC):
        return True
    if not archive.is_zip(header):
        return False
    if path.name.lower().endswith(".npz"):
        return True
    with archive.open_zip(path) as zip_file:
        names = list(archive.zip_members(zip_file))
    return bool(names) and all(name.endswith(".npy") for name in names)


def read(path: Path) -> Model:
    with path.open("rb") as stream:
        if stream.read(6) == MAGIC:
            stream.seek(0)
            header = read_header(path, stream.read, "array")
            return _read_npy(path, header)
    try:
        return _read_npz(path)
    except archive.ArchiveError as error:
        raise ModelError(path, str(error)) from None


def _exact(read: Callable[[int], bytes], size: int, path: Path, what: str) -> bytes:
    data = read(size)
    if len(data) != size:
        raise ModelError(path, f"{what} ends inside its .npy header ({len(data)} of {size} bytes)")
    return data


def read_header(path: Path, read: Callable[[int], bytes], what: str) -> ArrayHeader:
    """Parse the header of an .npy stream (`read(n)` returns its next n bytes) without reading the values."""
    start = _exact(read, 8, path, what)
    if start[:6] != MAGIC:
        raise ModelError(path, f"{what} is not a .npy array (no \\x93NUMPY magic)")
    major, minor = start[6], start[7]
    if major not in (1, 2, 3):
        raise ModelError(path, f"{what}: .npy format version {major}.{minor} is not supported (1 to 3 are)")
    width = 2 if major == 1 else 4
    length = struct.unpack("<H" if width == 2 else "<I", _exact(read, width, path, what))[0]
    if length > MAX_HEADER:
        raise ModelError(path, f"{what}: .npy header of {length} bytes is longer than the {MAX_HEADER} allowed")
    raw = _exact(read, length, path, what)
    try:
        text = raw.decode("utf-8" if major == 3 else "latin-1")
        entries = ast.literal_eval(text)
    except UnicodeDecodeError:
        raise ModelError(path, f"{what}: .npy header is not UTF-8 text") from None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise ModelError(path, f"{what}: .npy header is not a Python literal dict ({error})") from None
    if not isinstance(entries, dict) or not {"descr", "fortran_order", "shape"} <= set(entries):
        raise ModelError(path, f"{what}: .npy header lacks descr, fortran_order or shape")
    shape, fortran = entries["shape"], entries["fortran_order"]
    if not isinstance(shape, tuple) or len(shape) > MAX_RANK or \
            not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ModelError(path, f"{what}: .npy shape {shape!r} is not a tuple of sizes")
    if not isinstance(fortran, bool):
        raise ModelError(path, f"{what}: .npy fortran_order {fortran!r} is not True or False")
    dtype, itemsize, big_endian = _describe(path, what, entries["descr"], 0)
    return ArrayHeader(dtype, itemsize, shape, fortran, entries["descr"], width + 8 + length, big_endian,
                       f"{major}.{minor}")


def _describe(path: Path, what: str, descr: Any, depth: int) -> Tuple[str, int, bool]:
    """(display dtype, itemsize, big-endian) of a dtype description; object dtypes are refused."""
    if isinstance(descr, str):
        found = _DESCR.match(descr)
        if found is None:
            raise ModelError(path, f"{what}: .npy dtype {descr!r} is not understood")
        order, kind, size_text, unit = found.groups()
        size = int(size_text) if size_text else 0
        if kind == "O":
            raise ModelError(path, f"{what} holds pickled Python objects (dtype object); not loaded")
        big_endian = order == ">"
        if kind in _NUMERIC and size in _NUMERIC[kind][1] and not unit:
            name = "bool" if kind == "b" else f"{_NUMERIC[kind][0]}{size * 8}"
            return name, size, big_endian and size > 1
        if kind in "Mm" and size == 8:
            return f"{'datetime64' if kind == 'M' else 'timedelta64'}{unit or ''}", 8, big_endian
        if kind in "USaV" and size_text and not unit:
            return f"{kind}{size}", size * (4 if kind == "U" else 1), big_endian and kind == "U"
        raise ModelError(path, f"{what}: .npy dtype {descr!r} is not understood")
    if isinstance(descr, list) and depth < MAX_FIELD_DEPTH and len(descr) <= MAX_FIELDS:
        fields, itemsize = [], 0
        for field in descr:
            if not isinstance(field, tuple) or len(field) not in (2, 3):
                raise ModelError(path, f"{what}: .npy structured dtype has a field that is not (name, type)")
            name = field[0][1] if isinstance(field[0], tuple) and len(field[0]) == 2 else field[0]
            if not isinstance(name, str):
                raise ModelError(path, f"{what}: .npy structured dtype has a field without a name")
            kind, size, _ = _describe(path, what, field[1], depth + 1)
            dims = field[2] if len(field) == 3 else ()
            dims = (dims,) if isinstance(dims, int) else dims
            if not isinstance(dims, tuple) or not all(isinstance(d, int) and d >= 0 for d in dims):
                raise ModelError(path, f"{what}: .npy field {name!r} has a bad shape")
            itemsize += size * math.prod(dims)
            if name:  # unnamed fields are padding
                fields.append(f"{name}: {kind}" + (f"[{','.join(map(str, dims))}]" if dims else ""))
        return "struct{" + ", ".join(fields) + "}", itemsize, False
    raise ModelError(path, f"{what}: .npy dtype {str(descr)[:80]!r} is not understood")


def _decode(raw: bytes, header: ArrayHeader) -> Any:
    import numpy as np
    dtype = np.lib.format.descr_to_dtype(header.descr)
    array = np.frombuffer(raw, dtype=dtype, count=header.count)
    array = array.reshape(header.shape, order="F" if header.fortran_order else "C")
    if dtype.names is None and not dtype.isnative:
        array = array.astype(dtype.newbyteorder("="))
    return array


def _tensor(name: str, header: ArrayHeader, loader: Callable[[], Any], where: str) -> Tensor:
    location = where + (", big-endian" if header.big_endian else "") + (", Fortran order"
                                                                        if header.fortran_order else "")
    return Tensor(name, header.dtype, header.shape, loader, location=location, count=header.count)


def _read_npy(path: Path, header: ArrayHeader) -> Model:
    size = path.stat().st_size
    if size - header.data_offset < header.nbytes:
        raise ModelError(path, f"array {header.dtype}{list(header.shape)} needs {header.nbytes} bytes, the file "
                               f"holds {max(size - header.data_offset, 0)} after its header")

    def load():
        return _decode(archive.read_range(path, header.data_offset, header.nbytes), header)
    tensor = _tensor(path.stem, header, load, f"@{header.data_offset}")
    node = Node(path.stem, OpType("ndarray", "Data"))
    node.inputs.append(Argument(path.stem, [Value(tensor.name, tensor.type, initializer=tensor)]))
    graph = Graph(name=path.name, nodes=[node])
    chain_in_order(graph)
    return Model(format=f"NumPy .npy v{header.version}", graphs=[graph], description="array")


def _member_header(path: Path, zip_file: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> ArrayHeader:
    try:
        with zip_file.open(info) as stream:  # a deflated member inflates only the bytes read here
            header = read_header(path, stream.read, f"member {name!r}")
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as error:
        raise ModelError(path, f"member {name!r} cannot be read ({error})") from None
    if info.file_size - header.data_offset < header.nbytes:
        raise ModelError(path, f"member {name!r} declares {info.file_size} bytes, too few for its "
                               f"{header.dtype}{list(header.shape)} array of {header.nbytes} bytes")
    return header


def _member_loader(path: Path, member: str, header: ArrayHeader, stored: Optional[Tuple[int, int]]) -> Callable:
    def load():
        if stored is not None:
            raw = archive.read_range(path, stored[0] + header.data_offset, header.nbytes)
        else:
            with archive.open_zip(path) as zip_file:
                data = archive.read_member(zip_file, member, header.data_offset + header.nbytes)
            raw = data[header.data_offset:]
        return _decode(raw, header)
    return load


def _read_npz(path: Path) -> Model:
    tensors: List[Tensor] = []
    versions = set()
    with archive.open_zip(path) as zip_file:
        members = archive.zip_members(zip_file)
        arrays = [(name, info) for name, info in members.items() if name.endswith(".npy")]
        if not arrays:
            raise ModelError(path, "zip archive holds no .npy arrays")
        for name, info in arrays:
            header = _member_header(path, zip_file, info, name)
            versions.add(header.version)
            stored = archive.member_range(zip_file, info)
            where = f"{name} @{stored[0]}" if stored else f"{name} (deflated)"
            tensors.append(_tensor(name[:-4], header, _member_loader(path, name, header, stored), where))
    graph = Graph(name=path.name)
    if any("." in tensor.name for tensor in tensors):
        weight_nodes(graph, tensors)
    else:
        node = Node(path.stem, OpType("arrays", "Data"))
        node.inputs.extend(Argument(t.name, [Value(t.name, t.type, initializer=t)]) for t in tensors)
        graph.nodes.append(node)
    chain_in_order(graph)
    graph.stored_parameters = sum(tensor.size or 0 for tensor in tensors)
    others = len(members) - len(arrays)
    description = f"{len(tensors)} arrays" + (f" ({others} other members ignored)" if others else "")
    return Model(format="NumPy .npz", graphs=[graph], description=description,
                 version=", ".join(f".npy v{v}" for v in sorted(versions)),
                 metadata=[("arrays", tensor_summary(tensors))])


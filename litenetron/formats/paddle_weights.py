"""Saved PaddlePaddle weights: a combined `.pdiparams` file or one file per variable, read lazily.

Each saved tensor is: u32 version, u64 LoD level count + levels (u64 size + bytes each), u32 tensor version,
i32 TensorDesc size + TensorDesc, raw data. A combined file holds the persistable tensors in sorted-name
order. Opening reads only the headers; sizes are checked against the file length, shapes against the
program's declarations.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, Iterable, Optional, Tuple

from ..codecs.binary import BinaryError, BinaryReader, array_loader
from ..codecs.protobuf import decode, open_buffer
from ..model import DTYPE_ITEMSIZE, ModelError, Tensor, TensorType
from .schemas.paddle import DATA_TYPES, PADDLE

Header = Tuple[Path, int, str, Tuple[int, ...]]  # file, data offset, dtype, dims


class SavedTensors:
    """Where each persistable variable's values are; `declared` maps its name to its declared type."""

    def __init__(self, declared: Dict[str, Optional[TensorType]], read: Iterable[str] = ()):
        self.declared = declared
        self.tensors: Dict[str, Header] = {}
        self.location = ""
        self.names = sorted(declared)
        # Some writers store only the variables that ops read: a combined file whose tensor count fits
        # that list is read with it.
        read = set(read)
        self.read_names = sorted(name for name in declared if name in read)

    def read_combined(self, path: Path) -> None:
        reader = BinaryReader(open_buffer(path))
        headers = []
        while reader.remaining:
            if len(headers) >= len(self.names):
                raise ModelError(path, f"holds more than the {len(self.names)} tensors the program declares")
            headers.append(_tensor_header(path, reader))
        names = self.names if len(headers) == len(self.names) else self.read_names
        if len(headers) != len(names):
            raise ModelError(path, f"holds {len(headers)} tensors but the program declares {len(self.names)} "
                                   "persistable variables")
        for name, header in zip(names, headers):
            self._check(name, header)
            self.tensors[name] = header
        self.location = path.name

    def read_separate(self, folder: Path) -> None:
        for name in self.names:
            path = folder / name
            # A variable name could hold path separators: such a file would lie outside the model folder.
            if "/" in name or "\\" in name or name in (".", "..") or not path.is_file():
                continue
            reader = BinaryReader(open_buffer(path))
            header = _tensor_header(path, reader)
            if reader.remaining:
                raise ModelError(path, f"{reader.remaining} bytes remain after the tensor")
            self._check(name, header)
            self.tensors[name] = header
        if self.tensors:
            self.location = f"{len(self.tensors)} files in {folder.name or '.'}"

    def _check(self, name: str, header: Header) -> None:
        """A stored tensor must have the shape its variable declares (where the declaration is complete)."""
        declared = self.declared.get(name)
        dims = header[3]
        if declared is not None and declared.shape is not None and all(d is not None for d in declared.shape) \
                and tuple(declared.shape) != dims:
            raise ModelError(header[0], f"tensor for {name!r} has shape {list(dims)} but the program declares "
                                        f"{list(declared.shape)}")

    def tensor(self, name: str) -> Tensor:
        """The variable's weights: lazy values when they were found, else just the declared type."""
        stored = self.tensors.get(name)
        declared = self.declared.get(name)
        if stored is None:
            dtype = declared.dtype if declared else None
            shape = declared.shape if declared else None
            return Tensor(name, dtype, shape)
        path, offset, dtype, dims = stored
        return Tensor(name, dtype, dims, loader=array_loader(path, offset, dtype, dims), location=path.name)

    def parameters(self) -> int:
        return sum(math.prod(dims) for _, _, _, dims in self.tensors.values())



def _tensor_header(path: Path, reader: BinaryReader) -> Header:
    """Read one saved LoDTensor's header, step over its data and return (file, data offset, dtype, dims)."""
    try:
        reader.uint32()  # LoDTensor version
        for _ in range(reader.count(8, "LoD level count", wide=True)):
            reader.skip(reader.count(1, "LoD level size", wide=True), "LoD level")
        reader.uint32()  # Tensor version
        size = reader.count(1, "TensorDesc size", signed=True)
        start = reader.skip(size, "TensorDesc")
        desc = decode(reader.buffer, PADDLE, "TensorDesc", start, start + size)
        dtype = DATA_TYPES.get(desc.data_type)
        if dtype is None:
            raise ModelError(path, f"tensor at offset {start} has unknown data type {desc.data_type}")
        dims = tuple(desc.dims)
        if any(d < 0 for d in dims):
            raise ModelError(path, f"tensor at offset {start} has a negative dimension {list(dims)}")
        offset = reader.skip(math.prod(dims) * int(DTYPE_ITEMSIZE[dtype]), f"tensor data {list(dims)}")
    except BinaryError as error:
        raise ModelError(path, str(error)) from None
    return path, offset, dtype, dims


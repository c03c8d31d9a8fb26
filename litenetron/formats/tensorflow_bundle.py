"""TensorFlow checkpoint bundles (`variables/variables.index` + `.data-NNNNN-of-NNNNN`, or `model.ckpt.index`):
the variables' dtypes, shapes and where their bytes are, read lazily.

The index is a LevelDB-style sorted table: blocks of prefix-compressed key/value entries found through an
index block named by a 48-byte footer. Each value is a BundleEntryProto (dtype, shape, shard, offset, size);
the key "" holds the BundleHeaderProto. TF2 checkpoints name entries by object path; their object graph
(`_CHECKPOINTABLE_OBJECT_GRAPH`) maps each variable's full name (a VarHandleOp's `shared_name`) to its key.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.arrays import decode_array
from ..codecs.errors import CodecError
from ..codecs.protobuf import decode, open_buffer, read_varint
from ..model import Tensor
from .schemas.tensorflow import DTYPES, TENSORFLOW

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
_OBJECT_GRAPH_KEY = b"_CHECKPOINTABLE_OBJECT_GRAPH"


class BundleError(CodecError):
    """The checkpoint index or data is not what its structure declares."""


def _handle(data, position: int, end: int) -> Tuple[int, int, int]:
    offset, position = read_varint(data, position, end)
    size, position = read_varint(data, position, end)
    return offset, size, position


def _block(data, offset: int, size: int) -> List[Tuple[bytes, memoryview]]:
    """The (key, value) entries of one table block."""
    if offset < 0 or size < 4 or offset + size + 5 > len(data):
        raise BundleError("table block outside the index file")
    if data[offset + size] != 0:
        raise BundleError("compressed checkpoint index blocks are not supported")
    restarts = struct.unpack_from("<I", data, offset + size - 4)[0]
    end = offset + size - 4 - 4 * restarts
    if restarts == 0 or end < offset:
        raise BundleError("bad table block restart array")
    entries: List[Tuple[bytes, memoryview]] = []
    key = b""
    position = offset
    view = memoryview(data)
    while position < end:
        shared, position = read_varint(data, position, end)
        unshared, position = read_varint(data, position, end)
        length, position = read_varint(data, position, end)
        if shared > len(key) or position + unshared + length > end:
            raise BundleError("table entry runs past its block")
        key = key[:shared] + bytes(data[position:position + unshared])
        position += unshared
        entries.append((key, view[position:position + length]))
        position += length
    return entries


def read_index(path: Path) -> Dict[str, object]:
    """Entry name → decoded BundleEntryProto ("" → the header) of a checkpoint `.index` file."""
    data = open_buffer(path)
    if len(data) < _FOOTER or struct.unpack_from("<Q", data, len(data) - 8)[0] != _MAGIC:
        raise BundleError("not a checkpoint index (no table footer)")
    footer = len(data) - _FOOTER
    _, _, position = _handle(data, footer, len(data) - 8)
    index_offset, index_size, _ = _handle(data, position, len(data) - 8)
    entries: Dict[str, object] = {}
    for _, handle in _block(data, index_offset, index_size):
        offset, size, _ = _handle(handle, 0, len(handle))
        for key, value in _block(data, offset, size):
            message = "BundleHeaderProto" if key == b"" else "BundleEntryProto"
            entries[key.decode("utf-8", errors="replace")] = decode(value, TENSORFLOW, message)
    return entries


class Bundle:
    """The variables of one checkpoint: `tensor(key)` gives a lazy Tensor, `names` maps full names to keys."""

    def __init__(self, index: Path):
        self.index = index
        self.entries = read_index(index)
        header = self.entries.get("")
        self.shards = max(int(header.get("num_shards", 1)) if header is not None else 1, 1)
        self.prefix = str(index)[:-len(".index")]
        self.names: Dict[str, str] = {}
        if _OBJECT_GRAPH_KEY.decode() in self.entries:
            self._read_object_graph()

    def _shard(self, entry) -> Path:
        shard = int(entry.get("shard_id", 0))
        path = Path(f"{self.prefix}.data-{shard:05d}-of-{self.shards:05d}")
        if path.parent != self.index.parent:
            raise BundleError("checkpoint data outside the model folder")
        return path

    def _bytes(self, entry) -> bytes:
        offset, size = int(entry.get("offset", 0)), int(entry.get("size", 0))
        shard = self._shard(entry)
        if offset < 0 or size < 0 or offset + size > shard.stat().st_size:
            raise BundleError("checkpoint data file is shorter than its index says")
        with shard.open("rb") as stream:
            stream.seek(offset)
            return stream.read(size)

    def _read_object_graph(self) -> None:
        entry = self.entries[_OBJECT_GRAPH_KEY.decode()]
        raw = self._bytes(entry)
        # A string tensor of one element: its length as a varint, a crc32c, then the serialized graph.
        length, position = read_varint(raw, 0, len(raw))
        graph = decode(raw, TENSORFLOW, "TrackableObjectGraph", position + 4, position + 4 + length)
        for node in graph.get("nodes", []):
            for attribute in node.get("attributes", []):
                if attribute.get("full_name") and attribute.get("checkpoint_key"):
                    self.names[attribute["full_name"]] = attribute["checkpoint_key"]

    def key_of(self, name: str) -> Optional[str]:
        """The entry key of a variable named `name` (a TF1 variable name or a TF2 full name)."""
        key = self.names.get(name, name)
        return key if key in self.entries and key else None

    def tensor(self, key: str) -> Tensor:
        entry = self.entries[key]
        dtype = DTYPES.get(entry.get("dtype"))
        shape_proto = entry.get("shape")
        shape = tuple(max(int(dim.get("size", 0)), 0) for dim in shape_proto.get("dim", [])) \
            if shape_proto is not None else ()

        def load():
            if dtype is None or dtype in ("string", "resource", "variant"):
                raise BundleError(f"{dtype or 'unknown'} variables are not shown")
            return decode_array(self._bytes(entry), dtype, shape)

        return Tensor(key, dtype, shape, loader=load, location=self._shard(entry).name)


def find_bundle(model_path: Path) -> Optional[Path]:
    """The checkpoint index that holds a model's variables: `variables/variables.index` of a SavedModel,
    `X.index` beside `X.meta`."""
    if model_path.name.endswith("saved_model.pb") or model_path.name.endswith("saved_model.pbtxt"):
        candidate = model_path.parent / "variables" / "variables.index"
    elif model_path.suffix == ".meta":
        candidate = model_path.with_suffix(".index")
    else:
        return None
    return candidate if candidate.is_file() else None

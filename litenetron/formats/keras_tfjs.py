"""TensorFlow.js weights (layers and graph models): listed by `weightsManifest`, stored in binary shard files.

Each manifest group names its shard files (next to `model.json`) and the weights packed back to back across
them; a weight may be quantized (uint8 / uint16 with scale and min, or float16). A string weight is its
strings one after another, each a uint32 byte length and the UTF-8 bytes, so its size is found by walking
the lengths (the only bytes read at open). Weights are read lazily.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..model import ModelError

_ITEMSIZE = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2, "int8": 1,
             "int16": 2, "complex64": 8}
_NUMPY = {"float32": "<f4", "int32": "<i4", "bool": "?", "uint8": "u1", "uint16": "<u2", "float16": "<f2",
          "int8": "i1", "int16": "<i2", "complex64": "<c8"}
_STRING_WINDOW = 1 << 16


@dataclass
class ShardWeight:
    """One weight in the shards, shaped like an HDF5 dataset for the graph builder (shape, dtype, read)."""

    name: str
    shape: Tuple[int, ...]
    dtype_name: str
    shards: List[Path]
    offset: int
    stored: str  # dtype as stored (the quantized type when quantized)
    quantization: dict = field(default_factory=dict)
    string_bytes: int = 0  # bytes of a string weight (lengths and text)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.string_bytes if self.stored == "string" else self.size * _ITEMSIZE[self.stored]

    def tobytes(self) -> bytes:
        """The stored bytes, gathered across the shards (standard library only)."""
        wanted = self.nbytes
        data = bytearray()
        position = 0
        for shard in self.shards:
            length = shard.stat().st_size
            if position + length > self.offset and len(data) < wanted:
                with shard.open("rb") as stream:
                    stream.seek(max(self.offset - position, 0))
                    data += stream.read(wanted - len(data))
            position += length
        if len(data) < wanted:
            raise ModelError(self.name, "the weight shards end before this weight")
        return bytes(data)

    def read(self):
        import numpy as np

        if self.stored == "string":
            data, position, items = self.tobytes(), 0, []
            for _ in range(self.size):
                length = int.from_bytes(data[position:position + 4], "little")
                items.append(data[position + 4:position + 4 + length].decode("utf-8", errors="replace"))
                position += 4 + length
            return np.array(items, dtype=object).reshape(self.shape)
        values = np.frombuffer(self.tobytes(), dtype=_NUMPY[self.stored]).reshape(self.shape)
        if self.quantization and self.stored in ("uint8", "uint16"):
            values = values.astype(np.float32) * float(self.quantization.get("scale", 1.0)) + \
                float(self.quantization.get("min", 0.0))
        elif self.stored != self.dtype_name:
            values = values.astype(_NUMPY.get(self.dtype_name, "<f4"))
        return values


def shard_weights(path: Path, manifest: object) -> List[ShardWeight]:
    """Every weight of a `weightsManifest`, in order; shards must sit in the model's folder."""
    if not isinstance(manifest, list):
        return []
    folder = path.resolve().parent
    weights: List[ShardWeight] = []
    for group in manifest:
        if not isinstance(group, dict):
            continue
        shards = []
        paths, entries = group.get("paths") or [], group.get("weights") or []
        if not isinstance(paths, list) or not isinstance(entries, list):
            raise ModelError(path, "a weightsManifest group's paths and weights must be lists")
        for name in paths:
            shard = (folder / str(name)).resolve()
            if folder not in shard.parents:
                raise ModelError(path, f"weight shard '{name}' lies outside the model's folder")
            shards.append(shard)
        offset = 0
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            dims = entry.get("shape") or []
            if not isinstance(dims, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
                raise ModelError(path, f"weight {entry.get('name')} has a shape that is not a list of sizes")
            shape = tuple(dims)
            if any(d < 0 for d in shape):
                raise ModelError(path, f"weight {entry.get('name')} has a negative dimension")
            dtype = str(entry.get("dtype", "float32"))
            quantization = entry.get("quantization") if isinstance(entry.get("quantization"), dict) else {}
            stored = str(quantization.get("dtype", dtype)) if quantization else dtype
            if stored not in _ITEMSIZE and stored != "string":
                raise ModelError(path, f"weight {entry.get('name')} has an unknown dtype {stored}")
            weight = ShardWeight(str(entry.get("name", "")), shape, dtype, shards, offset, stored, quantization)
            if stored == "string":
                weight.string_bytes = _string_bytes(path, weight)
            offset += weight.nbytes
            weights.append(weight)
    return weights


def _string_bytes(path: Path, weight: ShardWeight) -> int:
    """The bytes a string weight takes in its group's shards, from the uint32 lengths of its strings."""
    sizes = []
    for shard in weight.shards:
        if not shard.is_file():
            raise ModelError(path, f"weight shard {shard.name} not found beside {path.name}")
        sizes.append(shard.stat().st_size)
    starts = [sum(sizes[:index]) for index in range(len(sizes))]
    total = sum(sizes)
    if weight.size * 4 > total - weight.offset:
        raise ModelError(path, f"string weight {weight.name} has more strings than its shards hold")
    handles: Dict[int, object] = {}

    def read_at(where: int, size: int) -> bytes:
        data = b""
        while len(data) < size and where + len(data) < total:
            index = bisect.bisect_right(starts, where + len(data)) - 1
            stream = handles.get(index) or handles.setdefault(index, weight.shards[index].open("rb"))
            stream.seek(where + len(data) - starts[index])
            piece = stream.read(size - len(data))
            if not piece:
                break
            data += piece
        return data

    position, window, window_start = weight.offset, b"", weight.offset
    try:
        for _ in range(weight.size):
            if position + 4 > window_start + len(window):  # read the lengths a window at a time
                window_start, window = position, read_at(position, _STRING_WINDOW)
            at = position - window_start
            if at + 4 > len(window):
                raise ModelError(path, f"the shards end inside string weight {weight.name}")
            position += 4 + int.from_bytes(window[at:at + 4], "little")
            if position > total:
                raise ModelError(path, f"the shards end inside string weight {weight.name}")
    finally:
        for stream in handles.values():
            stream.close()
    return position - weight.offset


def manifest_weights(path: Path, manifest: object, layer_names: List[str]) -> Dict[str, List[Tuple[str, object]]]:
    """Layer → (weight name, ShardWeight) for a `weightsManifest`; shards must sit in the model's folder."""
    weights: Dict[str, List[Tuple[str, object]]] = {}
    for weight in shard_weights(path, manifest):
        name = weight.name
        layer = _owner(name, layer_names)
        label = name[len(layer) + 1:] if layer and name.startswith(layer + "/") else name
        weights.setdefault(layer or name.split("/", 1)[0], []).append((label, weight))
    return weights


def _owner(name: str, layer_names: List[str]) -> Optional[str]:
    """The layer a weight name belongs to: the longest layer name that prefixes it."""
    best = None
    for layer in layer_names:
        if name.startswith(layer + "/") and (best is None or len(layer) > len(best)):
            best = layer
    return best

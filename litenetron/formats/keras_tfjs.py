"""TensorFlow.js layers models: weights listed by `weightsManifest` and stored in binary shard files.

Each manifest group names its shard files (next to `model.json`) and the weights packed back to back across
them; a weight may be quantized (uint8 / uint16 with scale and min, or float16). Weights are read lazily.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..model import ModelError

_ITEMSIZE = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2, "int8": 1,
             "int16": 2, "complex64": 8}
_NUMPY = {"float32": "<f4", "int32": "<i4", "bool": "?", "uint8": "u1", "uint16": "<u2", "float16": "<f2",
          "int8": "i1", "int16": "<i2", "complex64": "<c8"}


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

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * _ITEMSIZE[self.stored]

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
            if stored not in _ITEMSIZE:
                raise ModelError(path, f"weight {entry.get('name')} has an unknown dtype {stored}")
            weight = ShardWeight(str(entry.get("name", "")), shape, dtype, shards, offset, stored, quantization)
            offset += weight.size * _ITEMSIZE[stored]
            weights.append(weight)
    return weights


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

"""Hugging Face safetensors: `.safetensors` files and the `model.safetensors.index.json` of a sharded model.

A file is an 8-byte little-endian header length, a JSON header (tensor name → dtype, shape and the byte range
of its data relative to the end of the header; plus an optional `__metadata__` string map), then the bytes.
Only the header is read on open; every byte range is checked against the file, and `Tensor.data()` reads a
tensor's range when asked. The index names the shard holding each tensor; opening it opens every shard.

A weights file stores no graph: the tensors are grouped by dotted name into one box per module prefix
(`model.layers.3.self_attn.q_proj` with rows `weight`, `bias`), as PyTorch state dicts are drawn. A Hugging
Face model folder opens its `model.safetensors.index.json` (or `model.safetensors`); its `config.json` (the
architecture and sizes) is shown in the properties.
`parameters` counts the elements of every tensor of every shard.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any, Dict, List, Tuple

from ..codecs import archive
from ..codecs.arrays import decode_array
from ..model import Graph, Model, ModelError, Tensor
from .torch.pytorch import chain_in_order, reading_order, tensor_summary, weight_nodes

NAME = "safetensors"
EXTENSIONS = (".safetensors", ".safetensors.index.json")

MAX_HEADER = 100 * 1024 * 1024  # the safetensors library's own limit
MAX_INDEX = 64 * 1024 * 1024
MAX_CONFIG = 1024 * 1024
MAX_SHARDS = 10_000
MAX_RANK = 64
INDEX_SUFFIX = ".safetensors.index.json"
HF_COMPANIONS = ("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json",
                 "special_tokens_map.json")

# safetensors dtype → (our dtype name, bits per element).
DTYPES = {
    "F64": ("float64", 64), "F32": ("float32", 32), "F16": ("float16", 16), "BF16": ("bfloat16", 16),
    "F8_E4M3": ("float8_e4m3fn", 8), "F8_E5M2": ("float8_e5m2", 8), "F8_E4M3FNUZ": ("float8_e4m3fnuz", 8),
    "F8_E5M2FNUZ": ("float8_e5m2fnuz", 8), "F8_E8M0": ("float8_e8m0fnu", 8), "F4": ("float4_e2m1fn", 4),
    "F6_E2M3": ("float6_e2m3fn", 6), "F6_E3M2": ("float6_e3m2fn", 6),
    "I64": ("int64", 64), "I32": ("int32", 32), "I16": ("int16", 16), "I8": ("int8", 8),
    "U64": ("uint64", 64), "U32": ("uint32", 32), "U16": ("uint16", 16), "U8": ("uint8", 8),
    "BOOL": ("bool", 8), "C64": ("complex64", 64), "C128": ("complex128", 128),
}
# Packed 6-bit layouts differ between producers; we show these tensors but do not guess their bits.
_NOT_DECODED = {"F6_E2M3", "F6_E3M2"}


def match(path: Path, header: bytes) -> bool:
    name = path.name.lower()
    if name.endswith((INDEX_SUFFIX, ".safetensors")):
        return True
    if path.is_dir():  # a Hugging Face model folder
        return _safetensors_beside(path / "config.json") != ""
    if name in HF_COMPANIONS and path.is_file():
        return _safetensors_beside(path) != ""
    if len(header) < 10:
        return False
    # By structure too (a `.bin` can be a safetensors file): a header that fits the file and opens a JSON object.
    length = struct.unpack_from("<Q", header)[0]
    return header[8:10] in (b'{"', b"{}") and 2 <= length <= min(MAX_HEADER, path.stat().st_size - 8)


def _safetensors_beside(path: Path) -> str:
    """The name of the model file to open instead of a Hugging Face companion file, or ""."""
    folder = path.parent
    index = folder / f"model{INDEX_SUFFIX}"
    if index.is_file():
        return index.name
    single = folder / "model.safetensors"
    if single.is_file():
        return single.name
    return ""


def read(path: Path) -> Model:
    if path.is_dir():
        path = path / _safetensors_beside(path / "config.json")
    name = path.name.lower()
    if name in HF_COMPANIONS:
        raise ModelError(path, f"is a Hugging Face {path.stem.replace('_', ' ')} file, not the weights; "
                               f"open {_safetensors_beside(path)} beside it")
    if name.endswith(INDEX_SUFFIX):
        return _read_index(path)
    tensors, metadata = read_shard(path)
    model = _model(path, tensors, f"{len(tensors)} tensors")
    model.metadata[:0] = metadata
    return model


def read_shard(path: Path) -> Tuple[List[Tensor], List[Tuple[str, str]]]:
    """The lazy tensors and `__metadata__` pairs of one safetensors file (only its header is read)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            prefix = stream.read(8)
            if len(prefix) < 8:
                raise ModelError(path, f"file is {len(prefix)} bytes, too short for a safetensors header")
            length = struct.unpack("<Q", prefix)[0]
            if length > MAX_HEADER or length > size - 8:
                raise ModelError(path, f"header declares {length} bytes; the file has {size - 8} after the "
                                       f"length (limit {MAX_HEADER})")
            text = stream.read(length)
    except FileNotFoundError:
        raise ModelError(path, "shard file is missing") from None
    header = _json(path, text, "header")
    if not isinstance(header, dict):
        raise ModelError(path, "header is not a JSON object")
    data_start, data_size = 8 + length, size - 8 - length
    metadata: List[Tuple[str, str]] = []
    tensors: List[Tensor] = []
    for key, entry in header.items():
        if key == "__metadata__":
            if not isinstance(entry, dict):
                raise ModelError(path, "__metadata__ is not a JSON object")
            metadata.extend((str(k), _text(v)) for k, v in entry.items())
            continue
        tensors.append(_tensor(path, key, entry, data_start, data_size))
    return tensors, metadata


def _json(path: Path, text: bytes, what: str) -> Any:
    try:
        return json.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelError(path, f"{what} is not UTF-8 text") from None
    except RecursionError:
        raise ModelError(path, f"{what} JSON is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, or an integer too long to convert
        raise ModelError(path, f"{what} is not valid JSON ({error})") from None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)[:200]


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _tensor(path: Path, key: str, entry: Any, data_start: int, data_size: int) -> Tensor:
    if not isinstance(entry, dict):
        raise ModelError(path, f"tensor {key!r} is not described by a JSON object")
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(code, str):
        raise ModelError(path, f"tensor {key!r} has no dtype")
    if not isinstance(shape, list) or len(shape) > MAX_RANK or not all(_is_size(d) for d in shape):
        raise ModelError(path, f"tensor {key!r} has a shape that is not a list of sizes")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_size(o) for o in offsets):
        raise ModelError(path, f"tensor {key!r} has data_offsets that are not [begin, end]")
    begin, end = offsets
    if begin > end or end > data_size:
        raise ModelError(path, f"tensor {key!r} spans bytes {begin}..{end} of a data section of {data_size}")
    shape = tuple(shape)
    count = math.prod(shape)
    dtype, bits = DTYPES.get(code, (code.lower(), 0))
    if bits and (count * bits + 7) // 8 != end - begin:
        raise ModelError(path, f"tensor {key!r} holds {end - begin} bytes, {code}{list(shape)} needs "
                               f"{(count * bits + 7) // 8}")
    offset = data_start + begin

    def load():
        if code not in DTYPES or code in _NOT_DECODED:
            raise ModelError(key, f"safetensors dtype {code} is not decoded")
        return decode_array(archive.read_range(path, offset, end - begin), dtype, shape)
    return Tensor(key, dtype, shape, load, location=f"{path.name} @{offset}", count=None if bits else count)


def _read_index(path: Path) -> Model:
    if path.stat().st_size > MAX_INDEX:
        raise ModelError(path, f"index is larger than {MAX_INDEX} bytes")
    index = _json(path, path.read_bytes(), "index")
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise ModelError(path, "index has no weight_map of tensor name → shard file")
    shards = list(dict.fromkeys(weight_map.values()))
    if len(shards) > MAX_SHARDS:
        raise ModelError(path, f"index names more than {MAX_SHARDS} shards")
    tensors: List[Tensor] = []
    metadata: List[Tuple[str, str]] = []
    for shard in shards:
        relative = Path(shard)
        if relative.is_absolute() or relative.drive or len(relative.parts) != 1 or shard in (".", ".."):
            raise ModelError(path, f"shard {shard!r} is not a file beside the index")
        shard_path = path.parent / shard
        if not shard_path.is_file():
            raise ModelError(shard_path, f"shard named by {path.name} is missing")
        shard_tensors, shard_metadata = read_shard(shard_path)
        tensors.extend(shard_tensors)
        metadata.extend(pair for pair in shard_metadata if pair not in metadata)
    missing = set(weight_map) - {tensor.name for tensor in tensors}
    if missing:
        raise ModelError(path, f"{len(missing)} tensors of the weight_map are in no shard, e.g. "
                               f"{sorted(missing)[0]!r}")
    model = _model(path, tensors, f"{len(tensors)} tensors in {len(shards)} shards")
    extra = index.get("metadata")
    index_metadata = [(str(k), _text(v)) for k, v in extra.items()] if isinstance(extra, dict) else []
    model.metadata[:0] = index_metadata + [("shards", ", ".join(shards))] + metadata
    return model


def _model(path: Path, tensors: List[Tensor], description: str) -> Model:
    graph = Graph(name=path.name)
    by_name = {tensor.name: tensor for tensor in tensors}
    tensors = [by_name[name] for name in reading_order(list(by_name))]
    weight_nodes(graph, tensors)
    chain_in_order(graph)
    graph.stored_parameters = sum(tensor.size or 0 for tensor in tensors)
    model = Model(format=NAME, description=description, metadata=[("tensors", tensor_summary(tensors))])
    model.graphs.append(graph)
    config = _hf_config(path.parent / "config.json")
    model.metadata.extend(config)
    version = dict(config).get("config.transformers_version")
    if version:
        model.producer = f"transformers {version}"
    return model


def _hf_config(path: Path) -> List[Tuple[str, str]]:
    """The plain settings of a Hugging Face `config.json` beside the weights (architecture, sizes), if any."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_CONFIG:
            return []
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError, ValueError):
        return []  # a companion we merely decorate with: a bad one is left out, the weights still open
    if not isinstance(config, dict):
        return []
    pairs: Dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, (str, int, float, bool)) or (isinstance(value, list) and len(value) <= 8 and
                                                          all(isinstance(v, (str, int, float)) for v in value)):
            pairs[f"config.{key}"] = _text(value)
    return list(pairs.items())[:100]

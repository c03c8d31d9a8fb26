"""GGUF (llama.cpp / ggml) model files, versions 1 to 3.

Layout: `GGUF`, version, tensor count, metadata count, then the metadata key/values (typed scalars, strings,
arrays that may nest), then one info record per tensor (name, dimensions fastest-first, ggml type, offset),
then the tensor data, aligned to `general.alignment` (default 32). Version 1 stores counts and string lengths
as uint32, later versions as uint64.

Only the header is read on open. Long arrays (tokenizer vocabularies of 100k+ strings) are stepped over and
summarised (`[32000 strings] "<unk>", "<s>", …`), never kept. Tensors are grouped by dotted name into one box
per prefix (`blk.3.attn_q` with its `weight` row): embeddings, blocks by number, output norm, output. Their
dimensions are shown in numpy order (slowest first) and `data()` dequantizes them with numpy (see `gguf_quants`).
`parameters` counts the elements of every tensor (quantized ones count elements, not bytes).
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any, Dict, List, Tuple

from ..codecs import archive
from ..codecs.binary import BinaryError, BinaryReader, open_buffer
from ..model import Attribute, Graph, Model, ModelError, Node, OpType, Tensor
from .gguf_quants import GGML_TYPES, GgmlType, dequantize, is_decoded
from .torch.pytorch import chain_in_order, reading_order, tensor_summary, weight_nodes

NAME = "GGUF"
EXTENSIONS = (".gguf",)

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 8
MAX_NESTING = 8
PREVIEW_ITEMS = 8  # array items kept for the summary
MAX_TEXT = 200

# Metadata value type → (name, struct code); strings (8) and arrays (9) are read by hand.
_SCALARS = {0: ("uint8", "B"), 1: ("int8", "b"), 2: ("uint16", "H"), 3: ("int16", "h"), 4: ("uint32", "I"),
            5: ("int32", "i"), 6: ("float32", "f"), 7: ("bool", "?"), 10: ("uint64", "Q"), 11: ("int64", "q"),
            12: ("float64", "d")}
STRING, ARRAY = 8, 9
# general.file_type → the quantization mix llama.cpp names it by (llama_ftype).
FILE_TYPES = dict(enumerate((
    "F32", "F16", "Q4_0", "Q4_1", "", "", "", "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L",
    "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S",
    "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M", "IQ4_XS", "IQ1_M", "BF16", "", "", "", "TQ1_0", "TQ2_0",
    "MXFP4_MOE", "NVFP4", "Q1_0")))


def match(path: Path, header: bytes) -> bool:
    return header[:4] == MAGIC


class _Header:
    """A cursor over the header of one GGUF file: counts and string lengths are 32-bit in version 1."""

    def __init__(self, buffer, version: int):
        self.reader = BinaryReader(buffer, 8)
        self.wide = version >= 2

    def count(self, item_size: int, what: str) -> int:
        return self.reader.count(item_size, what, wide=self.wide)

    def string(self) -> str:
        return self.reader.string(self.count(1, "string length"))

    def skip_strings(self, count: int) -> None:
        """Step over `count` strings (a vocabulary of 100k+ tokens): one tight loop, every length checked."""
        buffer, position, end = self.reader.buffer, self.reader.position, self.reader.end
        width = 8 if self.wide else 4
        length_at = struct.Struct("<Q" if self.wide else "<I").unpack_from
        for _ in range(count):
            if position + width > end:
                raise BinaryError(f"string array ends at offset {position}, before its {count} strings")
            position += width + length_at(buffer, position)[0]
            if position > end:
                raise BinaryError(f"a string of the array runs past the end of the file ({end} bytes)")
        self.reader.position = position

    def value(self, kind: int, depth: int = 0) -> Tuple[Any, str]:
        """(value or its summary, type name) of one metadata value; arrays are summarised, not kept."""
        if kind in _SCALARS:
            name, code = _SCALARS[kind]
            size = struct.calcsize("<" + code)
            self.reader.need(size, name)
            value = struct.unpack_from("<" + code, self.reader.buffer, self.reader.position)[0]
            self.reader.position += size
            return value, name
        if kind == STRING:
            return self.string(), "string"
        if kind == ARRAY:
            return self.array(depth)
        raise BinaryError(f"unknown metadata value type {kind}")

    def array(self, depth: int) -> Tuple[Any, str]:
        if depth >= MAX_NESTING:
            raise BinaryError("metadata arrays are nested too deeply")
        kind = self.reader.uint32()
        if kind in _SCALARS:
            name, code = _SCALARS[kind]
            size = struct.calcsize("<" + code)
            count = self.count(size, f"{name} array length")
            start = self.reader.skip(count * size, f"{name} array")
            shown = min(count, PREVIEW_ITEMS)
            items = list(struct.unpack_from(f"<{shown}{code}", self.reader.buffer, start))
            return _Summary(name, count, items), f"{name}[]"
        if kind == STRING:
            count = self.count(8 if self.wide else 4, "string array length")
            items = [self.string() for _ in range(min(count, PREVIEW_ITEMS))]
            self.skip_strings(count - len(items))
            return _Summary("string", count, items), "string[]"
        if kind == ARRAY:
            count = self.count(12, "array of arrays length")
            items = [self.array(depth + 1)[0] for _ in range(count)][:PREVIEW_ITEMS]
            return _Summary("array", count, items), "array[]"
        raise BinaryError(f"unknown metadata array element type {kind}")


class _Summary:
    """An array value as the properties show it: its length and first few items."""

    def __init__(self, kind: str, count: int, items: list):
        self.kind, self.count, self.items = kind, count, items

    def __str__(self) -> str:
        shown = ", ".join(_text(item) for item in self.items)
        if self.count <= len(self.items):
            return f"[{shown}]"
        plural = {"string": "strings", "array": "arrays"}.get(self.kind, self.kind)
        return f"[{self.count} {plural}] {shown}, …"


def _text(value: Any) -> str:
    if isinstance(value, str):
        text = repr(value) if len(value) <= MAX_TEXT else repr(value[:MAX_TEXT]) + "…"
        return '"' + text[1:-1] + '"' if text[0] == "'" else text
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def read(path: Path) -> Model:
    buffer = open_buffer(path)
    try:
        return _read(path, buffer)
    except BinaryError as error:
        raise ModelError(path, f"malformed GGUF file ({error})") from None
    finally:
        if hasattr(buffer, "close"):
            buffer.close()


def _read(path: Path, buffer) -> Model:
    if len(buffer) < 8 or bytes(buffer[:4]) != MAGIC:
        raise ModelError(path, "not a GGUF file (no GGUF magic)")
    version = struct.unpack_from("<I", buffer, 4)[0]
    if version not in (1, 2, 3):
        swapped = struct.unpack_from(">I", buffer, 4)[0]
        if swapped in (1, 2, 3):
            raise ModelError(path, f"is a big-endian GGUF v{swapped} file, which this viewer does not read")
        raise ModelError(path, f"GGUF version {version} is not supported (1 to 3 are)")
    cursor = _Header(buffer, version)
    tensor_count = cursor.count(8 + 4 + 4 + 8 if version >= 2 else 4 + 4 + 4 + 4, "tensor count")
    kv_count = cursor.count(8 + 4 + 1 if version >= 2 else 4 + 4 + 1, "metadata count")
    metadata: List[Tuple[str, Any, str]] = []
    for _ in range(kv_count):
        key = cursor.string()
        value, kind = cursor.value(cursor.reader.uint32())
        metadata.append((key, value, kind))
    values = {key: value for key, value, _ in metadata}
    alignment = values.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or isinstance(alignment, bool) or alignment <= 0 or \
            alignment & (alignment - 1):
        raise ModelError(path, f"general.alignment {alignment!r} is not a power of two")
    infos = [_tensor_info(path, cursor) for _ in range(tensor_count)]
    data_start = -(-cursor.reader.position // alignment) * alignment
    tensors = [_tensor(path, info, data_start, len(buffer)) for info in infos]
    return _model(path, version, metadata, tensors)


def _tensor_info(path: Path, cursor: _Header) -> Tuple[str, tuple, GgmlType, int]:
    name = cursor.string()
    rank = cursor.reader.uint32()
    if rank > MAX_DIMS:
        raise ModelError(path, f"tensor {name!r} has {rank} dimensions (at most {MAX_DIMS} are allowed)")
    dims = [cursor.reader.uint64() if cursor.wide else cursor.reader.uint32() for _ in range(rank)]
    type_id = cursor.reader.uint32()
    offset = cursor.reader.uint64()
    kind = GGML_TYPES.get(type_id)
    if kind is None:
        raise ModelError(path, f"tensor {name!r} has unknown ggml type {type_id}")
    if dims and dims[0] % kind.block:
        raise ModelError(path, f"tensor {name!r}: a row of {dims[0]} is not whole {kind.name} blocks of "
                               f"{kind.block}")
    return name, tuple(reversed(dims)), kind, offset


def _tensor(path: Path, info: Tuple[str, tuple, GgmlType, int], data_start: int, file_size: int) -> Tensor:
    name, shape, kind, offset = info
    count = math.prod(shape)
    nbytes = kind.nbytes(count)
    start = data_start + offset
    if start + nbytes > file_size:
        raise ModelError(path, f"tensor {name!r} needs bytes {start}..{start + nbytes}, the file has {file_size}")

    def load():
        return dequantize(archive.read_range(path, start, nbytes), kind, shape)
    quantization = None
    if not kind.dtype:
        quantization = {"ggml type": kind.name, "block": kind.block, "block bytes": kind.block_bytes,
                        "bytes": nbytes}
        if not is_decoded(kind):
            quantization["values"] = "not decoded"
    return Tensor(name, kind.dtype or kind.name, shape, load, layout="quantized" if quantization else "dense",
                  quantization=quantization, location=f"@{start}", count=count)


# Box type by the last part of a GGUF tensor prefix (llama.cpp's names: blk.N.attn_q, ffn_up, token_embd...).
def _guess(params: Dict[str, Tensor], prefix: str) -> Tuple[str, str]:
    last = prefix.rsplit(".", 1)[-1]
    weight = params.get("weight")
    if "norm" in last:
        return "Norm", "Normalization"
    if last.endswith("embd") or last.startswith("token_embd"):
        return "Embedding", "Transform"
    if last.endswith("_exps"):
        return "Experts", "Layer"
    if weight is not None and weight.shape is not None and len(weight.shape) == 2:
        return "Linear", "Layer"
    if weight is not None and weight.shape is not None and len(weight.shape) in (3, 4, 5):
        return f"Conv{len(weight.shape) - 2}d", "Layer"
    return "Tensor", "Constant"


def _model(path: Path, version: int, metadata: List[Tuple[str, Any, str]], tensors: List[Tensor]) -> Model:
    values = {key: value for key, value, _ in metadata}
    architecture = values.get("general.architecture")
    graph = Graph(name=str(values.get("general.name") or path.stem))
    by_name = {tensor.name: tensor for tensor in tensors}
    weight_nodes(graph, [by_name[name] for name in reading_order(list(by_name))], _guess)
    if not tensors:
        graph.nodes.append(_vocabulary_node(metadata))
    chain_in_order(graph)
    graph.stored_parameters = sum(tensor.size or 0 for tensor in tensors)
    model = Model(format=f"GGUF v{version}", description=str(values.get("general.description") or ""))
    model.graphs.append(graph)
    if isinstance(architecture, str):
        model.imports.append(architecture)

    def rank(entry: Tuple[str, Any, str]) -> int:  # general first, then the architecture's hyper-parameters
        key = entry[0]
        if key.startswith("general."):
            return 0
        if isinstance(architecture, str) and key.startswith(architecture + "."):
            return 1
        return 3 if key.startswith("tokenizer.") else 2
    model.metadata = [(key, _text(value)) for key, value, _ in sorted(metadata, key=rank)]
    file_type = values.get("general.file_type")
    if isinstance(file_type, int) and FILE_TYPES.get(file_type):
        model.version = FILE_TYPES[file_type]
        model.metadata = [(key, f"{FILE_TYPES[file_type]} ({text})" if key == "general.file_type" else text)
                          for key, text in model.metadata]
    model.metadata.append(("tensors", tensor_summary(tensors)))
    return model


def _vocabulary_node(metadata: List[Tuple[str, Any, str]]) -> Node:
    """A file without tensors (a vocabulary-only GGUF) is drawn as one box holding its tokenizer settings."""
    node = Node("tokenizer", OpType("Tokenizer", "Data"))
    for key, value, kind in metadata:
        if key.startswith("tokenizer."):
            node.attributes.append(Attribute(key[len("tokenizer."):], _text(value), kind))
    return node

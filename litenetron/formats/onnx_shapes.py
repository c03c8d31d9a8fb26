"""Shapes the file does not store, from `onnx.shape_inference`, without loading weight bytes.

The model bytes are re-encoded with large initializer payloads left out (their dims and types stay), so the
`onnx` package parses only the structure; small initializers keep their values because shape inference needs
them (Reshape targets, Slice bounds...).
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

from ..codecs.protobuf import encode_varint, iter_fields

_INVENTED = re.compile(r"unk__\d+")
SMALL_INITIALIZER = 1024  # bytes of an initializer worth keeping for shape inference

_MODEL_GRAPH = 7
_GRAPH_INITIALIZER = 5
_TENSOR_DATA_FIELDS = (4, 5, 6, 7, 9, 10, 11)  # float/int32/string/int64/raw/double/uint64 data


def _strip_tensor(buffer, start: int, end: int) -> bytes:
    if end - start <= SMALL_INITIALIZER:
        return bytes(buffer[start:end])
    return b"".join(bytes(buffer[field_start:stop]) for number, _, field_start, _, stop
                    in iter_fields(buffer, start, end) if number not in _TENSOR_DATA_FIELDS)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def _strip_graph(buffer, start: int, end: int) -> bytes:
    parts = []
    for number, wire, field_start, payload, stop in iter_fields(buffer, start, end):
        if number == _GRAPH_INITIALIZER and wire == 2:
            parts.append(_length_delimited(number, _strip_tensor(buffer, payload, stop)))
        else:
            parts.append(bytes(buffer[field_start:stop]))
    return b"".join(parts)


def strip_weights(buffer) -> bytes:
    """The ModelProto bytes with large main-graph initializer payloads removed."""
    parts = []
    for number, wire, field_start, payload, stop in iter_fields(buffer, 0, len(buffer)):
        if number == _MODEL_GRAPH and wire == 2:
            parts.append(_length_delimited(number, _strip_graph(buffer, payload, stop)))
        else:
            parts.append(bytes(buffer[field_start:stop]))
    return b"".join(parts)


TypeEntry = Tuple[Optional[int], Optional[tuple]]


def infer_types(model_bytes: bytes) -> Dict[str, TypeEntry]:
    """Value name → (elem_type, shape dims as int/str/None) for every tensor shape inference can type.

    Returns an empty mapping when the onnx package is missing or cannot infer this model.
    """
    try:
        import onnx
        from onnx import shape_inference
    except ImportError:
        return {}
    try:
        proto = onnx.ModelProto.FromString(model_bytes)
        inferred = shape_inference.infer_shapes(proto, check_type=False, strict_mode=False)
    except Exception:  # noqa: BLE001 - onnx raises many kinds; the declared types remain
        return {}
    types: Dict[str, TypeEntry] = {}
    _collect(inferred.graph, types, 0)
    return types


def _collect(graph, types: Dict[str, TypeEntry], depth: int) -> None:
    """Inferred types of a graph and its subgraphs (ONNX names are unique across nested scopes)."""
    for info in (*graph.value_info, *graph.output):
        if info.type.HasField("tensor_type"):
            tensor = info.type.tensor_type
            shape = None
            if tensor.HasField("shape"):
                shape = tuple(_dim(dim) for dim in tensor.shape.dim)
            types.setdefault(info.name, (tensor.elem_type or None, shape))
    if depth >= 32:
        return
    for node in graph.node:
        for attribute in node.attribute:
            for subgraph in (*([attribute.g] if attribute.HasField("g") else []), *attribute.graphs):
                _collect(subgraph, types, depth + 1)


def is_invented_symbol(symbol: str) -> bool:
    """Shape inference names the dimensions it cannot know "unk__N" (and exporters save them): those are
    unknown dimensions, not symbols worth showing."""
    return _INVENTED.fullmatch(symbol) is not None


def _dim(dim):
    if dim.HasField("dim_value"):
        return dim.dim_value
    if not dim.dim_param or is_invented_symbol(dim.dim_param):
        return None
    return dim.dim_param

"""The fallback for operators our own inference (onnx_infer) has no rule for: `onnx.shape_inference`, run in
a child process with a time limit, without loading weight bytes.

The model bytes are re-encoded with large initializer payloads left out (their dims and types stay), so the
`onnx` package parses only the structure; small initializers keep their values because shape inference needs
them (Reshape targets, Slice bounds...).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
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
FALLBACK_TIMEOUT = 60.0  # seconds onnx.shape_inference may take in its child process
# The child that runs onnx.shape_inference: stripped model bytes on stdin, JSON [[name, elem, dims], ...] out.
# Tests replace it with children that crash or hang.
CHILD_COMMAND = [sys.executable, "-c", "from litenetron.formats.onnx_shapes import child_main; child_main()"]


def infer_types_isolated(model_bytes: bytes, timeout: float = FALLBACK_TIMEOUT) -> Tuple[Dict[str, TypeEntry], str]:
    """onnx.shape_inference in a child process, so a native crash or hang in it cannot take the viewer down.

    Returns (value name → (elem_type, dims), "") or ({}, why it failed) — the caller keeps the stored shapes.
    """
    from .onnx_metadata import onnx_available

    if not onnx_available():
        return {}, "onnx is not installed"
    package_root = str(Path(__file__).resolve().parent.parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    try:
        result = subprocess.run(CHILD_COMMAND, input=model_bytes, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {}, f"onnx shape inference took longer than {timeout:.0f} s and was stopped"
    except OSError as error:
        return {}, f"onnx shape inference could not start ({error.strerror or error})"
    if result.returncode != 0:
        if result.returncode < 0:
            try:
                reason = f"crashed ({signal.Signals(-result.returncode).name})"
            except ValueError:
                reason = f"crashed (signal {-result.returncode})"
        else:
            lines = result.stderr.decode("utf-8", errors="replace").strip().splitlines()
            reason = f"failed ({lines[-1][:160]})" if lines else f"failed (exit status {result.returncode})"
        return {}, f"onnx shape inference {reason}"
    try:
        rows = json.loads(result.stdout.decode("utf-8"))
        return {name: (elem, tuple(dims) if dims is not None else None) for name, elem, dims in rows}, ""
    except (ValueError, TypeError, UnicodeDecodeError):
        return {}, "onnx shape inference gave an unreadable answer"


def child_main() -> None:
    """Runs in the child: stripped ModelProto on stdin → inferred types as JSON on stdout."""
    import onnx
    from onnx import shape_inference

    proto = onnx.ModelProto.FromString(sys.stdin.buffer.read())
    inferred = shape_inference.infer_shapes(proto, check_type=False, strict_mode=False)
    types: Dict[str, TypeEntry] = {}
    _collect(inferred.graph, types, 0)
    sys.stdout.write(json.dumps([[name, elem, list(dims) if dims is not None else None]
                                 for name, (elem, dims) in types.items()]))


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

"""ONNX Runtime's ORT format: a FlatBuffer `InferenceSession` (file identifier "ORTM") read with our own codec.

The stored graph is the one ONNX Runtime saved after its optimizations: nodes with op type, domain, since
version and the execution provider they were assigned to, node args with types and shapes, initializers
(raw bytes left in place and read when asked for, or strings), sparse initializers, nested graphs in
attributes. The kernel type-string resolution table and runtime optimization records go to the model
properties. Categories come from the ONNX family's table; the onnx package is not imported.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.flatbuffers import Reader, Table, VectorRef, file_identifier
from ..codecs.protobuf import open_buffer
from ..model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from . import onnx_metadata
from .schemas.onnx import DATA_TYPES
from .schemas.ort import ATTRIBUTE_FIELDS, IDENTIFIER, INPUT_NAMES, TABLES, UNIONS

NAME = "ONNX Runtime"
EXTENSIONS = (".ort",)

MAX_DEPTH = 32


def _dtype(code: int) -> Optional[str]:
    entry = DATA_TYPES.get(code)
    return entry[0] if entry else None


def _tensor_type(info: Optional[Table]) -> Optional[TensorType]:
    """A ValueInfo's TypeInfo → TensorType (sequences and maps show their kind as the dtype)."""
    if info is None or info.get("type") is None:
        return None
    value, kind = info.type.get("value"), info.type.get("value_type", 0)
    if value is None:
        return None
    if kind == 1:
        if value.get("shape") is None:
            return TensorType(_dtype(value.elem_type), None)
        dims = []
        for dim in value.shape.dim or []:
            if dim.value is None:
                dims.append(None)
            elif dim.value.dim_param:
                dims.append(dim.value.dim_param)
            elif dim.value.dim_type == 1 or dim.value.dim_value > 0:
                dims.append(dim.value.dim_value)
            else:
                dims.append(None)
        return TensorType(_dtype(value.elem_type), tuple(dims))
    return TensorType("sequence" if kind == 2 else "map", None)


def _raw_bytes(raw) -> bytes:
    return raw.tobytes() if isinstance(raw, VectorRef) else bytes(raw or b"")


def _dense_loader(raw, dtype: str, shape: Tuple[int, ...], count: int):
    def load():
        from ..codecs.arrays import decode_array  # the one dtype decoder (packed types included)
        return decode_array(_raw_bytes(raw), dtype, shape)

    return load


def _strings_loader(strings: List[str], shape: Tuple[int, ...]):
    def load():
        import numpy as np
        array = np.array(strings, dtype=object)
        return array.reshape(shape) if array.size == math.prod(shape) else array

    return load


def _tensor(table: Table, path: Path) -> Tensor:
    dims = table.get("dims") or []
    dims = tuple(dims.tolist() if isinstance(dims, VectorRef) else dims)
    if any(d < 0 for d in dims):
        raise ModelError(path, f"initializer {table.name!r} has a negative dimension {dims}")
    dtype = _dtype(table.data_type)
    tensor = Tensor(table.name or "", dtype, dims, location="inline")
    count = math.prod(dims)
    if table.get("string_data"):
        tensor.loader = _strings_loader(list(table.string_data), dims)
    elif table.get("raw_data") is not None and dtype is not None and dtype != "string":
        tensor.loader = _dense_loader(table.raw_data, dtype, dims, count)
    elif table.get("external_data_offset", -1) >= 0:
        tensor.layout = "external"
        tensor.location = f"external data at offset {table.external_data_offset}"
    return tensor


def _sparse(table: Table, path: Path) -> Optional[Tensor]:
    if table.get("values") is None:
        return None
    values = _tensor(table["values"], path)
    dims = table.get("dims") or []
    dims = tuple(dims.tolist() if isinstance(dims, VectorRef) else dims)
    indices = _tensor(table.indices, path) if table.get("indices") is not None else None
    tensor = Tensor(values.name, values.dtype, dims, layout="sparse", location="inline")

    def load():
        import numpy as np
        dense = np.zeros(math.prod(dims), dtype=values.data().dtype)
        if indices is None:
            raise ModelError(tensor.name, "sparse initializer has no indices")
        flat = indices.data().astype(np.int64)
        if flat.ndim == 2:  # one row of coordinates per value
            flat = np.ravel_multi_index(flat.T, dims)
        dense[flat.reshape(-1)] = values.data().reshape(-1)
        return dense.reshape(dims)

    tensor.loader = load
    return tensor


class _GraphReader:
    def __init__(self, path: Path):
        self.path = path

    def graph(self, table: Table, name: str, depth: int) -> Graph:
        if depth > MAX_DEPTH:
            raise ModelError(self.path, f"graphs nested deeper than {MAX_DEPTH}")
        types = {info.name: _tensor_type(info) for info in table.get("node_args") or []}
        initializers: Dict[str, Tensor] = {}
        for item in table.get("initializers") or []:
            initializers[item.name] = _tensor(item, self.path)
        sparse = [t for t in (_sparse(item, self.path) for item in table.get("sparse_initializers") or []) if t]
        for tensor in sparse:
            initializers[tensor.name] = tensor
        values: Dict[str, Value] = {}

        def value(tensor_name: str) -> Value:
            if tensor_name not in values:
                tensor = initializers.get(tensor_name)
                kind = types.get(tensor_name) or (tensor.type if tensor is not None else None)
                values[tensor_name] = Value(tensor_name, kind, tensor)
            return values[tensor_name]

        graph = Graph(name)
        for item in table.get("inputs") or []:
            if item not in initializers:
                graph.inputs.append(Argument(item, [value(item)]))
        for item in table.get("outputs") or []:
            graph.outputs.append(Argument(item, [value(item)]))
        for node in table.get("nodes") or []:
            graph.nodes.append(self.node(node, value, depth))
        graph.stored_parameters = sum(tensor.size or 0 for tensor in initializers.values())
        return graph

    def node(self, table: Table, value, depth: int) -> Node:
        domain = table.get("domain") or ""
        op = OpType(table.op_type or "", onnx_metadata.category(table.op_type or "", domain),
                    domain=domain, version=table.get("since_version") or None)
        names = INPUT_NAMES.get(op.name, ())
        count = len(table.get("inputs") or [])
        inputs = [Argument(names[i] if i < len(names) else "input" if count == 1 else f"input{i}",
                           [value(n)] if n else []) for i, n in enumerate(table.get("inputs") or [])]
        for tensor_name in table.get("implicit_inputs") or []:
            inputs.append(Argument("implicit", [value(tensor_name)], visible=False))
        outputs = [Argument("output" if len(table.outputs or []) == 1 else f"output{i}", [value(n)] if n else [])
                   for i, n in enumerate(table.get("outputs") or [])]
        node = Node(table.get("name") or "", op, inputs, outputs, device=table.get("execution_provider_type") or "",
                    description=table.get("doc_string") or "")
        if table.get("type") == 1:
            node.attributes.append(Attribute("node_type", "Fused"))
        for attribute in table.get("attributes") or []:
            node.attributes.append(self.attribute(attribute, node, depth))
        return node

    def attribute(self, table: Table, node: Node, depth: int) -> Attribute:
        field, type_text = ATTRIBUTE_FIELDS.get(table.get("type", 0), ("", ""))
        if not field:
            return Attribute(table.name or "", None, "undefined")
        raw = table.get(field)
        if field in ("t", "tensors"):
            tensors = [_tensor(t, self.path) for t in ([raw] if field == "t" and raw is not None else raw or [])]
            item = tensors[0] if field == "t" and tensors else tensors
            return Attribute(table.name or "", item, type_text)
        if field in ("g", "graphs"):
            bodies = [self.graph(g, f"{node.name or node.type.name}.{table.name}[{index}]", depth + 1)
                      for index, g in enumerate([raw] if field == "g" and raw is not None else raw or [])]
            node.graphs.extend(bodies)
            return Attribute(table.name or "", bodies[0] if field == "g" and bodies else bodies, type_text)
        if isinstance(raw, VectorRef):
            raw = raw.tolist()
        return Attribute(table.name or "", raw, type_text)


def _session_metadata(session: Table, graph_table: Optional[Table]) -> List[Tuple[str, str]]:
    entries: List[Tuple[str, str]] = []
    optimizations = graph_table.get("runtime_optimizations") if graph_table is not None else None
    for entry in (optimizations.get("records") or []) if optimizations is not None else []:
        for record in entry.get("runtime_optimization_records") or []:
            nodes = record.get("nodes_to_optimize_indices")
            indices = list(nodes.get("node_indices") or []) if nodes is not None else []
            produced = ", ".join(record.get("produced_op_ids") or []) or "nothing"
            entries.append((f"runtime optimization {entry.optimizer_name}",
                            f"{record.action_id}: nodes {indices} -> {produced}"))
    resolver = session.get("kernel_type_str_resolver")
    for op in (resolver.get("op_kernel_type_str_args") or []) if resolver is not None else []:
        parts = []
        for item in op.get("kernel_type_str_args") or []:
            args = ", ".join(f"{'output' if arg.arg_type == 1 else 'input'} {arg.index}" for arg in item.args or [])
            parts.append(f"{item.kernel_type_str}: {args}")
        entries.append((f"kernel types {op.op_id}", "; ".join(parts)))
    return entries


def match(path: Path, header: bytes) -> bool:
    return file_identifier(header) == IDENTIFIER


def read(path: Path) -> Model:
    buffer = open_buffer(path)
    if file_identifier(buffer) != IDENTIFIER:
        raise ModelError(path, "is not an ONNX Runtime ORT model (no ORTM identifier)")
    session = Reader(buffer, TABLES, UNIONS).root("InferenceSession")
    model = session.get("model")
    if model is None or model.get("graph") is None:
        raise ModelError(path, "ORT file holds no model graph")
    graph = _GraphReader(path).graph(model.graph, "main_graph", 0)
    metadata = [("ir_version", str(model.ir_version))]
    if model.get("model_version"):
        metadata.append(("model_version", str(model.model_version)))
    if model.get("domain"):
        metadata.append(("domain", model.domain))
    metadata += [(item.key or "", item.value or "") for item in model.get("metadata_props") or []]
    metadata += _session_metadata(session, model.graph)
    imports = [f"{item.domain or 'ai.onnx'} v{item.version}" for item in model.get("opset_import") or []]
    producer = " ".join(part for part in (model.get("producer_name"), model.get("producer_version")) if part)
    return Model(format=f"ONNX Runtime ORT v{session.get('ort_version') or '?'}", graphs=[graph], producer=producer,
                 description=model.get("doc_string") or model.get("graph_doc_string") or "", metadata=metadata,
                 imports=imports)

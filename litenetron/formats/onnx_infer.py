"""Our own ONNX shape inference (standard library only): walks a decoded ModelProto in node order, types every
node output with the rules of `onnx_infer_ops`, and folds small integer tensors (Shape → Gather → Concat →
Reshape chains, Constant, Range...) so computed shape arguments give real dimensions.

A dimension is an int, a symbol (str) or None (unknown); a shape is a tuple of them, or None when even the rank
is unknown. `infer_model` answers name → (elem_type, shape) and the operators it had no rule for, which the
caller hands to onnx (in a child process) when there are any.
"""

from __future__ import annotations

import struct
from typing import Dict, List, Optional, Set, Tuple

from ..codecs.protobuf import BytesRef, Message, PackedRef, to_bytes
from . import (
    onnx_infer_nn,  # noqa: F401 - registers the network operators
    onnx_metadata,
)
from .onnx_infer_ops import RULES, UnknownShape, Value
from .onnx_shapes import is_invented_symbol

TypeEntry = Tuple[Optional[int], Optional[tuple]]
MAX_CONSTANT = 1024        # elements of a tensor worth folding
MAX_DEPTH = 32             # subgraph nesting
# TensorProto data types whose values we fold: code → (struct format, typed-data field).
_FOLDABLE = {1: ("f", "float_data"), 6: ("i", "int32_data"), 7: ("q", "int64_data"), 9: ("?", "int32_data"),
             11: ("d", "double_data"), 2: ("B", "int32_data"), 3: ("b", "int32_data"), 4: ("H", "int32_data"),
             5: ("h", "int32_data"), 12: ("I", "uint64_data"), 13: ("Q", "uint64_data")}
# AttributeProto.type → the schema's attribute type names.
_ATTRIBUTE_KINDS = {1: "FLOAT", 2: "INT", 3: "STRING", 4: "TENSOR", 5: "GRAPH", 6: "FLOATS", 7: "INTS", 8: "STRINGS",
                    9: "TENSORS", 10: "GRAPHS", 11: "SPARSE_TENSOR", 12: "SPARSE_TENSORS", 13: "TYPE_PROTO",
                    14: "TYPE_PROTOS"}
# Operators whose outputs are small constants even when no input is.
CONSTANT_SOURCES = {"Shape", "Size", "Constant", "ConstantOfShape", "Range", "If", "Loop", "Scan"}
# Domains onnx.defs describes: an operator there without a rule of ours is one onnx could type.
ONNX_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training", "ai.onnx.preview")


def tensor_values(tensor: Message) -> Optional[list]:
    """The flattened values of a small numeric TensorProto (None when large, external or of another type)."""
    kind = _FOLDABLE.get(tensor.data_type)
    count = 1
    for dim in tensor.dims:
        count *= dim
    if kind is None or count > MAX_CONSTANT or tensor.data_location == 1 or count < 0:
        return None
    code, field = kind
    raw = tensor.get("raw_data")
    if raw is not None:
        data = to_bytes(raw)
        if len(data) != count * struct.calcsize(code):
            return None
        return list(struct.unpack(f"<{count}{code}", data))
    values = tensor.get(field)
    if values is None or isinstance(values, (PackedRef, BytesRef)):
        return [] if count == 0 else None
    values = list(values)
    if len(values) != count:
        return None
    if code == "?":
        return [bool(item) for item in values]
    return values


def merge_shapes(known: Optional[tuple], other: Optional[tuple]) -> Optional[tuple]:
    """Two views of one shape: dimensions `known` leaves unknown are taken from `other` (same rank only)."""
    if known is None:
        return other
    if other is None or len(other) != len(known):
        return known
    return tuple(mine if mine is not None else theirs for mine, theirs in zip(known, other))


def _declared(type_proto: Optional[Message]) -> Optional[Value]:
    tensor = None if type_proto is None else (type_proto.get("tensor_type") or type_proto.get("sparse_tensor_type"))
    if tensor is None:
        return None
    shape = None
    if tensor.get("shape") is not None:
        dims = []
        for dim in tensor.shape.dim:
            if "dim_value" in dim:
                dims.append(dim.dim_value if dim.dim_value >= 0 else None)
            else:
                dims.append(dim.dim_param if dim.dim_param and not is_invented_symbol(dim.dim_param) else None)
        shape = tuple(dims)
    return Value(tensor.elem_type or None, shape)


class _Inference:
    def __init__(self, opsets: Dict[str, int], functions: Set[Tuple[str, str]]):
        self.opsets = opsets
        self.functions = functions
        self.types: Dict[str, TypeEntry] = {}
        self.unknown: Set[Tuple[str, str]] = set()

    def graph(self, graph: Message, outer: Dict[str, Value], depth: int) -> Dict[str, Value]:
        """Infers one graph; returns its scope (outer values plus its own)."""
        scope = dict(outer)
        declared: Dict[str, Value] = {}
        for info in (*graph.value_info, *graph.output):
            kind = _declared(info.type)
            if kind is not None:
                declared[info.name] = kind
        for info in graph.input:
            kind = _declared(info.type)
            if kind is not None:
                scope[info.name] = kind
        for tensor in graph.initializer:
            if tensor.name not in scope or scope[tensor.name].shape is None:
                scope[tensor.name] = Value(tensor.data_type or None, tuple(tensor.dims), tensor_values(tensor))
            else:
                scope[tensor.name].const = tensor_values(tensor)
        for sparse in graph.sparse_initializer:
            values = sparse.get("values")
            if values is not None and values.name and values.name not in scope:
                scope[values.name] = Value(values.data_type or None, tuple(sparse.dims))
        for node in graph.node:
            self.node(node, scope, declared, depth)
        return scope

    def node(self, node: Message, scope: Dict[str, Value], declared: Dict[str, Value], depth: int) -> None:
        domain = node.domain or ""
        opset = self.opsets.get("" if domain == "ai.onnx" else domain, 0)
        inputs = [scope.get(name) if name else None for name in node.input]
        outputs: List[Optional[Value]] = []
        rule = RULES.get(node.op_type) if domain in ("", "ai.onnx") else None
        if (domain, node.op_type) in self.functions:
            rule = None
        if rule is not None and self._declared_suffices(node, inputs, declared):
            pass  # the file states every output shape and nothing constant flows through here
        elif rule is not None and depth < MAX_DEPTH:
            context = NodeContext(self, node, inputs, opset, scope, depth)
            try:
                outputs = list(rule(context))
            except (UnknownShape, ArithmeticError):  # a size the rule cannot work with: outputs stay unknown
                outputs = []
        elif domain in ONNX_DOMAINS or (domain, node.op_type) in self.functions:
            self.unknown.add((domain, node.op_type))
        for index, name in enumerate(node.output):
            if not name:
                continue
            value = outputs[index] if index < len(outputs) else None
            stated = declared.get(name)
            if stated is not None:
                value = Value(stated.elem or (value.elem if value else None),
                              merge_shapes(stated.shape, value.shape if value else None),
                              value.const if value else None)
            if value is None:
                continue
            scope[name] = value
            if value.elem is not None or value.shape is not None:
                self.types.setdefault(name, (value.elem, value.shape))


    @staticmethod
    def _declared_suffices(node: Message, inputs: List[Optional[Value]], declared: Dict[str, Value]) -> bool:
        if node.op_type in CONSTANT_SOURCES or any(value is not None and value.const is not None for value in inputs):
            return False
        for name in node.output:
            stated = declared.get(name)
            if stated is None or stated.elem is None or stated.shape is None or None in stated.shape:
                return False
        return True


class NodeContext:
    """What a rule sees of one node: its input values, attributes (with schema defaults) and opset."""

    def __init__(self, inference: _Inference, node: Message, inputs: List[Optional[Value]], opset: int,
                 scope: Dict[str, Value], depth: int):
        self.inference, self.node, self.inputs, self.opset = inference, node, inputs, opset
        self.scope, self.depth = scope, depth
        self.attributes = {attribute.name: attribute for attribute in node.attribute}
        self.outputs = len(node.output)
        self._schema = None

    def value(self, index: int) -> Optional[Value]:
        return self.inputs[index] if index < len(self.inputs) else None

    def shape(self, index: int) -> Optional[tuple]:
        value = self.value(index)
        return value.shape if value is not None else None

    def elem(self, index: int) -> Optional[int]:
        value = self.value(index)
        return value.elem if value is not None else None

    def const(self, index: int) -> Optional[list]:
        """The input's folded values when every one is a known number."""
        value = self.value(index)
        if value is None or value.const is None:
            return None
        return value.const if all(isinstance(item, (int, float)) for item in value.const) else None

    def dims(self, index: int) -> Optional[list]:
        """The input's folded values, symbols (str) and unknowns (None) included: a shape being computed."""
        value = self.value(index)
        return value.const if value is not None else None

    def present(self, index: int) -> bool:
        return index < len(self.node.input) and bool(self.node.input[index])

    def has(self, name: str) -> bool:
        return name in self.attributes

    def attr(self, name: str, default=None):
        """The attribute's value (int, float, str, list, TensorProto or GraphProto), else the schema default,
        else `default`."""
        attribute = self.attributes.get(name)
        if self._schema is None:
            self._schema = onnx_metadata.op_schema(self.node.op_type, "", self.opset) or False
        if attribute is None:
            if self._schema and name in self._schema.defaults:
                return self._schema.defaults[name]
            return default
        kind = attribute.type
        expected = self._schema.attribute_types.get(name) if self._schema else None
        if expected is not None and kind and _ATTRIBUTE_KINDS.get(kind) != expected:
            raise UnknownShape(f"attribute {name} is not of type {expected}")
        if kind == 2 or (not kind and "i" in attribute):
            return attribute.i
        if kind == 1 or (not kind and "f" in attribute):
            return attribute.f
        if kind == 3 or (not kind and "s" in attribute):
            return to_bytes(attribute.s).decode("utf-8", errors="replace")
        if kind == 7 or (not kind and "ints" in attribute):
            return list(attribute.ints)
        if kind == 6 or (not kind and "floats" in attribute):
            return list(attribute.floats)
        if kind == 4 or (not kind and "t" in attribute):
            return attribute.t
        if kind == 5 or (not kind and "g" in attribute):
            return attribute.g
        if kind == 8:
            return [to_bytes(item).decode("utf-8", errors="replace") for item in attribute.strings]
        return default

    def subgraph(self, name: str, inputs: List[Optional[Value]]) -> Optional[List[Optional[Value]]]:
        """Infers the body `name` with its formal inputs typed as `inputs`; its output values."""
        graph = self.attr(name)
        if not isinstance(graph, Message) or self.depth + 1 >= MAX_DEPTH:
            return None
        outer = dict(self.scope)
        for info, value in zip(graph.input, inputs):
            if value is not None and (_declared(info.type) is None or _declared(info.type).shape is None):
                outer[info.name] = value
        scope = self.inference.graph(graph, outer, self.depth + 1)
        return [scope.get(info.name) for info in graph.output]


def infer_model(proto: Message) -> Tuple[Dict[str, TypeEntry], Set[Tuple[str, str]]]:
    """(value name → (elem_type, shape) for the main graph and its subgraphs, operators without a rule)."""
    opsets = {}
    for entry in proto.opset_import:
        domain = entry.domain or ""
        opsets["" if domain == "ai.onnx" else domain] = entry.version
    functions = {(function.domain or "", function.name) for function in proto.functions}
    inference = _Inference(opsets, functions)
    if proto.graph is not None:
        inference.graph(proto.graph, {}, 0)
    return inference.types, inference.unknown

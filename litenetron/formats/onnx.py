"""ONNX reader: ModelProto (binary or text format) → common model, weights lazy, shapes inferred."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.protobuf import Message, decode, matches_signature, open_buffer, parse_text, to_bytes
from ..model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, TensorType, Value
from . import onnx_metadata
from .onnx_infer import infer_model, merge_shapes
from .onnx_shapes import infer_types_isolated, is_invented_symbol, strip_weights
from .onnx_tensors import sparse_tensor_from_proto, tensor_from_proto
from .schemas.onnx import ATTRIBUTE_TYPES, DATA_TYPES, ONNX
from .stages import SHAPES, stage

NAME = "ONNX"
EXTENSIONS = (".onnx", ".onnxtxt", ".pb", ".pbtxt")  # what the Open dialog offers

_EXTENSIONS = (".onnx", ".onnxtxt", ".pb", ".pbtxt", ".prototxt", ".txt", ".model", ".bin", ".ort")
# Top-level ModelProto fields and the wire types they use: a cheap signature check of the first bytes.
_MODEL_FIELDS = {1: (0,), 2: (2,), 3: (2,), 4: (2,), 5: (0,), 6: (2,), 7: (2,), 8: (2,), 14: (2,), 20: (2,),
                 25: (2,), 26: (2,)}
_TEXT_MARKERS = ("ir_version", "opset_import", "graph {", "graph{")


def match(path: Path, header: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix not in _EXTENSIONS or not header:
        return False
    if _looks_like_text(header):
        if suffix == ".onnxtxt":
            return True
        text = header.decode("utf-8", errors="replace")
        return sum(marker in text for marker in _TEXT_MARKERS) >= 2 and "node {" in text
    if suffix == ".onnx":
        return matches_signature(header, _MODEL_FIELDS)
    # Other extensions are shared with TensorFlow and others: demand ir_version first and a graph.
    return header[:1] == b"\x08" and matches_signature(header, _MODEL_FIELDS, required=(1, 7))


def _looks_like_text(header: bytes) -> bool:
    """UTF-8 without control characters (text format strings may hold any Unicode: `"café"`)."""
    sample = header[:512]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 3:  # not just a character cut by the sample's end
            return False
        text = sample[:error.start].decode("utf-8")
    return all(char >= " " and char != "\x7f" or char in "\t\n\r" for char in text)


def read(path: Path) -> Model:
    buffer = open_buffer(path)
    header = bytes(buffer[:512])
    if _looks_like_text(header):
        text = bytes(buffer).decode("utf-8", errors="replace")
        proto = parse_text(text, ONNX, "ModelProto")
        model_bytes = None
    else:
        proto = decode(buffer, ONNX, "ModelProto")
        model_bytes = buffer
    if proto.graph is None:
        raise ModelError(path, "ONNX model has no graph")
    return _ModelReader(path, proto, model_bytes).model()


def _dims(shape_proto: Optional[Message]) -> Optional[tuple]:
    if shape_proto is None:
        return None
    dims = []
    for dim in shape_proto.dim:
        if "dim_value" in dim:
            dims.append(dim.dim_value if dim.dim_value >= 0 else None)
        else:
            dims.append(dim.dim_param if dim.dim_param and not is_invented_symbol(dim.dim_param) else None)
    return tuple(dims)


def tensor_type(type_proto: Optional[Message]) -> Optional[TensorType]:
    """TypeProto → TensorType for tensors (sequence/map/optional types keep only their element type)."""
    while type_proto is not None:
        tensor = type_proto.get("tensor_type") or type_proto.get("sparse_tensor_type")
        if tensor is not None:
            dtype = DATA_TYPES.get(tensor.elem_type, (None,))[0]
            return TensorType(dtype, _dims(tensor.get("shape")), type_proto.denotation)
        inner = type_proto.get("sequence_type") or type_proto.get("optional_type")
        type_proto = inner.elem_type if inner is not None else None
    return None


def type_text(type_proto: Optional[Message]) -> str:
    if type_proto is None:
        return "?"
    for kind, template in (("sequence_type", "sequence<{}>"), ("optional_type", "optional<{}>")):
        if kind in type_proto:
            return template.format(type_text(type_proto[kind].elem_type))
    if "map_type" in type_proto:
        key = DATA_TYPES.get(type_proto.map_type.key_type, ("?",))[0]
        return f"map<{key}, {type_text(type_proto.map_type.value_type)}>"
    kind = tensor_type(type_proto)
    return str(kind) if kind else "?"


def inferred_types(proto: Message, model_bytes) -> tuple:
    """Our own shape inference; onnx's (isolated in a child process) only when the graph has operators we have
    no rule for. Returns (value name → (elem_type, shape), a note saying what went wrong, or "")."""
    inferred, unknown = infer_model(proto)
    if not unknown or model_bytes is None:
        return inferred, ""
    fallback, failure = infer_types_isolated(strip_weights(model_bytes))
    for name, (elem, shape) in fallback.items():
        mine = inferred.get(name)
        inferred[name] = (elem, shape) if mine is None else (mine[0] or elem, merge_shapes(mine[1], shape))
    if failure:
        operators = ", ".join(sorted({op for _, op in unknown})[:4])
        return inferred, f"{failure}; shapes after {operators} are those stored in the file"
    return inferred, ""


class _ModelReader:
    def __init__(self, path: Path, proto: Message, model_bytes):
        self.path = path
        self.proto = proto
        self.model_bytes = model_bytes
        self.opsets = {entry.domain or "": entry.version for entry in proto.opset_import}
        self.functions: Dict[tuple, Graph] = {}

    def model(self) -> Model:
        proto = self.proto
        with stage(SHAPES):
            inferred, note = inferred_types(self.proto, self.model_bytes)
        for function in proto.functions:
            self.functions[(function.domain, function.name)] = Graph(name=function.name)
        for function in proto.functions:
            self._fill_function(self.functions[(function.domain, function.name)], function)
        main = self._graph(proto.graph, inferred, depth=0)
        imports = [f"{domain or 'ai.onnx'} v{version}" for domain, version in self.opsets.items()]
        producer = " ".join(part for part in (proto.producer_name, proto.producer_version) if part)
        metadata = [(entry.key, entry.value) for entry in proto.metadata_props]
        if proto.domain:
            metadata.insert(0, ("domain", proto.domain))
        if note:
            metadata.append(("shape inference", note))
        return Model(
            format=f"ONNX v{proto.ir_version}" if proto.ir_version else "ONNX", graphs=[main],
            producer=producer, version=str(proto.model_version) if proto.model_version else "",
            description=proto.doc_string, metadata=metadata, imports=imports,
            functions=list(self.functions.values()))

    # --- graphs -------------------------------------------------------------------------------------------

    def _graph(self, proto: Message, inferred: dict, depth: int) -> Graph:
        if depth > 32:
            raise ModelError(self.path, "subgraphs nested too deeply")
        values: Dict[str, Value] = {}
        declared: Dict[str, TensorType] = {}
        for info in (*proto.value_info, *proto.input, *proto.output):
            kind = tensor_type(info.type)
            if kind is not None:
                declared[info.name] = kind
        initializers = {}
        total = 0
        for tensor_proto in proto.initializer:
            tensor = tensor_from_proto(tensor_proto, self.path)
            initializers[tensor.name] = tensor
            total += tensor.size or 0
        for sparse in proto.sparse_initializer:
            tensor = sparse_tensor_from_proto(sparse, self.path)
            initializers[tensor.name] = tensor
            total += tensor.size or 0
        quantization = {annotation.tensor_name: {entry.key: entry.value
                                                 for entry in annotation.quant_parameter_tensor_names}
                        for annotation in proto.quantization_annotation}

        def value(name: str) -> Value:
            existing = values.get(name)
            if existing is not None:
                return existing
            kind = declared.get(name)
            tensor = initializers.get(name)
            if kind is None and tensor is not None:
                kind = tensor.type
            if kind is None and name in inferred:
                elem_type, shape = inferred[name]
                kind = TensorType(DATA_TYPES.get(elem_type, (None,))[0], shape)
            elif kind is not None and kind.shape is None and name in inferred:
                kind = TensorType(kind.dtype, inferred[name][1], kind.denotation)
            if tensor is not None and name in quantization:
                tensor.quantization = quantization[name]
            created = Value(name, kind, tensor)
            values[name] = created
            return created

        graph = Graph(name=proto.name, description=proto.doc_string, stored_parameters=total)
        graph.inputs = [Argument(info.name, [value(info.name)]) for info in proto.input
                        if info.name not in initializers]
        graph.outputs = [Argument(info.name, [value(info.name)]) for info in proto.output]
        graph.nodes = [self._node(node, value, inferred, depth) for node in proto.node]
        return graph

    def _fill_function(self, graph: Graph, proto: Message) -> None:
        values: Dict[str, Value] = {}

        def value(name: str) -> Value:
            return values.setdefault(name, Value(name))
        graph.description = proto.doc_string
        graph.inputs = [Argument(name, [value(name)]) for name in proto.input]
        graph.outputs = [Argument(name, [value(name)]) for name in proto.output]
        graph.nodes = [self._node(node, value, {}, 1) for node in proto.node]

    # --- nodes --------------------------------------------------------------------------------------------

    def _node(self, proto: Message, value, inferred: dict, depth: int) -> Node:
        domain = proto.domain or ""
        opset = self.opsets.get(domain, self.opsets.get("ai.onnx", 0)) or 1
        schema = onnx_metadata.op_schema(proto.op_type, domain, opset)
        function = self.functions.get((domain, proto.op_type))
        category = onnx_metadata.category(proto.op_type, domain) or ("Custom" if function else "")
        op_type = OpType(proto.op_type, category, "", domain, schema.since_version if schema else None,
                         onnx_metadata.documentation_source(schema))
        node = Node(proto.name, op_type, description=proto.doc_string,
                    group_path=_module_path(proto.metadata_props))
        node.inputs = self._arguments(proto.input, schema.inputs if schema else [], "input", value)
        node.outputs = self._arguments(proto.output, schema.outputs if schema else [], "output", value)
        node.attributes = [self._attribute(attribute, schema, node, inferred, depth)
                           for attribute in proto.attribute]
        if function is not None:
            node.graphs.append(function)
        return node

    @staticmethod
    def _arguments(names: List[str], params, fallback: str, value) -> List[Argument]:
        slots = onnx_metadata.slot_names(params, len(names), fallback)
        arguments: List[Argument] = []
        for slot, name in zip(slots, names):
            if arguments and arguments[-1].name == slot:
                argument = arguments[-1]
            else:
                argument = Argument(slot)
                arguments.append(argument)
            if name:  # an empty name is an omitted optional input
                argument.values.append(value(name))
        return [argument for argument in arguments if argument.values]

    def _attribute(self, proto: Message, schema, node: Node, inferred: dict, depth: int) -> Attribute:
        kind = proto.type or _guess_attribute_type(proto)
        type_name = ATTRIBUTE_TYPES.get(kind, "")
        if proto.ref_attr_name:
            return Attribute(proto.name, f"@{proto.ref_attr_name}", type_name, True, proto.doc_string)
        value = self._attribute_value(proto, kind, node, inferred, depth)
        visible = True
        if schema is not None and proto.name in schema.defaults:
            visible = not _same(schema.defaults[proto.name], value)
        return Attribute(proto.name, value, type_name, visible, proto.doc_string)

    def _attribute_value(self, proto: Message, kind: int, node: Node, inferred: dict, depth: int):
        if kind == 1:
            return proto.f
        if kind == 2:
            return proto.i
        if kind == 3:
            return to_bytes(proto.s).decode("utf-8", errors="replace")
        if kind == 4:  # a tensor attribute may leave its tensor out (onnx.load accepts it): no value
            return None if proto.t is None else tensor_from_proto(proto.t, self.path)
        if kind == 11:
            return None if proto.sparse_tensor is None else sparse_tensor_from_proto(proto.sparse_tensor, self.path)
        if kind == 13:
            return type_text(proto.tp)
        if kind == 6:
            return list(proto.floats)
        if kind == 7:
            return list(proto.ints)
        if kind == 8:
            return [to_bytes(item).decode("utf-8", errors="replace") for item in proto.strings]
        if kind == 9:
            return [tensor_from_proto(item, self.path) for item in proto.tensors]
        if kind == 12:
            return [sparse_tensor_from_proto(item, self.path) for item in proto.sparse_tensors]
        if kind == 14:
            return [type_text(item) for item in proto.type_protos]
        if kind in (5, 10):
            protos = [proto.g] if kind == 5 else list(proto.graphs)
            graphs = []
            for index, graph_proto in enumerate(protos):
                if graph_proto is None:
                    continue
                graph = self._graph(graph_proto, inferred, depth + 1)
                graph.name = graph.name or f"{node.name or node.type.name}.{proto.name}[{index}]"
                node.graphs.append(graph)
                graphs.append(graph)
            return graphs[0] if kind == 5 and graphs else graphs
        return None


def _guess_attribute_type(proto: Message) -> int:
    """Old files leave AttributeProto.type unset: infer it from the field that is present."""
    for field, kind in (("f", 1), ("i", 2), ("s", 3), ("t", 4), ("g", 5), ("sparse_tensor", 11), ("tp", 13),
                        ("floats", 6), ("ints", 7), ("strings", 8), ("tensors", 9), ("graphs", 10),
                        ("sparse_tensors", 12), ("type_protos", 14)):
        if field in proto:
            return kind
    return 0


def _same(default, value) -> bool:
    if isinstance(default, float) and isinstance(value, float):
        return abs(default - value) <= 1e-6 * max(1.0, abs(default))
    return default == value


# torch's dynamo exporter names nodes `node_Gemm_346` but states each node's module scopes in its metadata:
# `['', 'h.0', 'h.0.attn', 'h.0.attn.c_attn', 'addmm']` (the root, the modules outermost first, the op).
TORCH_NAME_SCOPES = "pkg.torch.onnx.name_scopes"
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def _module_path(metadata_props) -> Tuple[str, ...]:
    """The node's module path (`h`, `0`, `attn`, `c_attn`) from the torch exporter's name scopes, else ()."""
    for entry in metadata_props:
        if entry.key == TORCH_NAME_SCOPES:
            scopes = [single or double for single, double in _QUOTED.findall(entry.value)]
            modules = [scope for scope in scopes[:-1] if scope]
            return tuple(part for part in modules[-1].split(".") if part) if modules else ()
    return ()

"""TensorFlow reader: frozen GraphDef (.pb), MetaGraphDef (.meta), SavedModel (saved_model.pb, or its folder),
and the text forms of each (.pbtxt).

Detection looks at the top-level field signature (and one level down), not only at the extension, so ONNX,
Caffe and Caffe2 `.pb` files are left to their readers. Const nodes feeding exactly one consumer are drawn as
that consumer's weights (like Netron); `Graph.stored_operators` / `stored_parameters` keep the counts of the
NodeDefs as stored. Output ports are values named `node` (port 0) and `node:N`; control dependencies are values
named `^node`, which the scene draws as dashed edges.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.arrays import decode_array
from ..codecs.binary import NUMPY_DTYPES
from ..codecs.protobuf import Message, ProtobufError, decode, open_buffer, parse_text, read_varint, to_bytes
from ..model import (
    DECODE_ERRORS,
    Argument,
    Attribute,
    Graph,
    Model,
    ModelError,
    Node,
    OpType,
    Tensor,
    TensorType,
    Value,
    element_count,
)
from .op_docs import documentation_source
from .schemas.tensorflow import CATEGORIES, DTYPE_NAMES, DTYPES, INPUT_NAMES, TENSORFLOW, VALUE_FIELDS
from .stages import SHAPES, stage
from .tensorflow_bundle import Bundle, BundleError, find_bundle
from .tensorflow_shapes import infer_shapes

NAME = "TensorFlow"
EXTENSIONS = (".pb", ".pbtxt", ".pbtext", ".meta", ".graphdef", ".index")  # what the Open dialog offers

_CATEGORY = {op: category for category, ops in CATEGORIES.items() for op in ops}
_TEXT_EXTENSIONS = (".pbtxt", ".pbtext", ".txt", ".prototxt")
_BINARY_EXTENSIONS = (".pb", ".meta", ".graphdef", ".pbbin", ".bin")
_OP_NAME = re.compile(rb"^[A-Za-z_][A-Za-z0-9_>.]*$")
# Elements a value list may be repeated out to (a declared shape must not make us allocate without bound).
_MAX_FILL = 1 << 27
_CHECKPOINT_DATA = re.compile(r"\.data-\d{5}-of-\d{5}$")
# NodeDef / GraphDef / MetaGraphDef field numbers → allowed wire types (for the structural peek).
_NODE_FIELDS = {1: (2,), 2: (2,), 3: (2,), 4: (2,), 5: (2,), 6: (2,), 7: (2,)}
_GRAPH_FIELDS = {1: (2,), 2: (2,), 3: (0,), 4: (2,), 5: (2,)}
_META_FIELDS = {number: (2,) for number in range(1, 8)}
_META_INFO_FIELDS = {1: (2,), 2: (2,), 3: (2,), 4: (2,), 5: (2,), 6: (2,), 7: (0,), 8: (2,)}
# Ops whose results are side effects: a graph without consumers of them has no output there.
_VARIABLE_OPS = ("VarHandleOp", "VariableV2", "Variable")
_SIDE_EFFECT_OPS = {"NoOp", "Assign", "AssignVariableOp", "AssignAdd", "AssignSub", "SaveV2", "Save",
                    "RestoreV2", "MergeV2Checkpoints", "Assert", "Print", "PrintV2", "ControlTrigger"}


# --- detection -----------------------------------------------------------------------------------------

def _fields(data: bytes, limit: int = 16) -> List[Tuple[int, int, bytes]]:
    """Leading (number, wire type, payload) of a message prefix; payloads of fields past the end are cut."""
    found: List[Tuple[int, int, bytes]] = []
    position, end = 0, len(data)
    try:
        while position < end and len(found) < limit:
            key, position = read_varint(data, position, end)
            number, wire = key >> 3, key & 7
            if number == 0 or wire not in (0, 1, 2, 5):
                return found + [(0, wire, b"")]
            start = position
            if wire == 0:
                _, position = read_varint(data, position, end)
            elif wire == 2:
                length, start = read_varint(data, position, end)
                position = start + length
            else:
                position += 8 if wire == 1 else 4
            found.append((number, wire, data[start:min(position, end)]))
    except ProtobufError:
        pass
    return found


def _fits(fields, allowed) -> bool:
    return bool(fields) and all(wire in allowed.get(number, ()) for number, wire, _ in fields)


def _looks_like_node(payload: bytes) -> bool:
    """A NodeDef prefix: a name, then an op that reads like an identifier."""
    fields = _fields(payload, 4)
    if len(fields) < 2 or not _fits(fields, _NODE_FIELDS) or fields[0][0] != 1 or fields[1][0] != 2:
        return False
    op = fields[1][2]
    return bool(_OP_NAME.match(op)) if len(payload) > 2 + len(fields[0][2]) + len(op) else bool(op)


def _binary_kind(header: bytes) -> Optional[str]:
    """'saved_model', 'meta_graph' or 'graph_def' when the bytes start like one, else None."""
    fields = _fields(header)
    if not fields:
        return None
    first_number, first_wire, first_payload = fields[0]
    if first_number == 1 and first_wire == 0 and len(fields) >= 2 and fields[1][:2] == (2, 2):
        version = read_varint(first_payload, 0, len(first_payload))[0] if first_payload else -1
        inner = _fields(fields[1][2], 2)
        if version in (0, 1) and _fits(inner, _META_FIELDS):
            return "saved_model"
        return None
    if _fits(fields, _GRAPH_FIELDS) and first_number == 1 and _looks_like_node(first_payload):
        return "graph_def"
    if not _fits(fields, _META_FIELDS):
        return None
    if first_number == 1 and first_payload and not _fits(_fields(first_payload, 4), _META_INFO_FIELDS):
        return None
    graph = next((payload for number, _, payload in fields if number == 2), None)
    if graph is None:
        # meta_info_def first and the graph starts past the header
        return "meta_graph" if first_number == 1 and len(fields) == 1 else None
    inner = _fields(graph, 1)
    if not inner or (inner[0][:2] == (1, 2) and _looks_like_node(inner[0][2])):
        return "meta_graph"
    if inner[0][0] != 1 and _fits(inner, _GRAPH_FIELDS):
        return "meta_graph"  # a graph_def without nodes (library, versions)
    return None


_TEXT_KINDS = {"node": "graph_def", "library": "graph_def", "versions": "graph_def",
               "meta_info_def": "meta_graph", "graph_def": "meta_graph", "saver_def": "meta_graph",
               "signature_def": "meta_graph", "collection_def": "meta_graph",
               "saved_model_schema_version": "saved_model", "meta_graphs": "saved_model"}


def _text_kind(header: bytes) -> Optional[str]:
    """The message a text-format header holds, from its first field name."""
    text = header.decode("utf-8", errors="replace")
    match = re.match(r"\s*(?:#[^\n]*\n\s*)*([A-Za-z_]+)\s*[:{<]", text)
    return _TEXT_KINDS.get(match.group(1)) if match else None


def _is_text(header: bytes) -> bool:
    return bool(header) and all(byte >= 9 for byte in header[:256]) and header.lstrip()[:1].isalpha()


def _kind(path: Path, header: bytes) -> Optional[str]:
    if path.name in ("saved_model.pb", "saved_model.pbtxt"):
        return "saved_model"
    if _is_text(header):
        return _text_kind(header) if path.suffix.lower() in _TEXT_EXTENSIONS else None
    return _binary_kind(header) if path.suffix.lower() in _BINARY_EXTENSIONS or not path.suffix else None


def _not_a_model(path: Path) -> Optional[str]:
    """Why a file of a SavedModel or checkpoint is not a graph, or None when it may be one."""
    if path.name == "fingerprint.pb" and (path.parent / "saved_model.pb").exists():
        return "is a SavedModel fingerprint, not a graph; open saved_model.pb beside it"
    if _CHECKPOINT_DATA.search(path.name):
        return "is TensorFlow checkpoint data (variable values only, no graph); open the .meta or saved_model.pb"
    if path.suffix == ".index" and any(path.parent.glob(f"{path.stem}.data-*")):
        return "is a TensorFlow checkpoint index (variable values only, no graph); open the .meta or saved_model.pb"
    return None


def match(path: Path, header: bytes) -> bool:
    if path.is_dir():
        return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()
    return _not_a_model(path) is not None or _kind(path, header) is not None


# --- reading -------------------------------------------------------------------------------------------

_ROOTS = {"saved_model": "SavedModel", "meta_graph": "MetaGraphDef", "graph_def": "GraphDef"}


def read(path: Path) -> Model:
    if path.is_dir():
        path = path / ("saved_model.pb" if (path / "saved_model.pb").is_file() else "saved_model.pbtxt")
    reason = _not_a_model(path)
    if reason:
        raise ModelError(path, reason)
    buffer = open_buffer(path)
    header = bytes(buffer[:4096])
    text = _is_text(header)
    kind = _kind(path, header)
    if kind is None:
        raise ModelError(path, "is not a TensorFlow GraphDef, MetaGraphDef or SavedModel")
    if text:
        message = parse_text(bytes(buffer).decode("utf-8", errors="replace"), TENSORFLOW, _ROOTS[kind])
    else:
        message = decode(buffer, TENSORFLOW, _ROOTS[kind])
    if kind == "saved_model":
        metas = list(message.meta_graphs)
        if not metas:
            raise ModelError(path, "SavedModel holds no meta graphs")
        model = Model(format=f"TensorFlow Saved Model v{message.saved_model_schema_version or 1}")
    elif kind == "meta_graph":
        metas = [message]
        model = Model(format="TensorFlow MetaGraph")
    else:
        metas = [None]
        model = Model(format="TensorFlow Graph")
    for index, meta in enumerate(metas):
        graph_def = message if meta is None else meta.graph_def
        if graph_def is None:
            graph_def = Message(None)
        graph, functions = graph_from_graph_def(graph_def)
        if meta is not None:
            _describe_meta(model, graph, meta, index)
        model.graphs.append(graph)
        if index == 0:
            model.functions = list(functions.values())
            versions = graph_def.get("versions")
            if versions is not None and versions.get("producer"):
                model.version = f"producer {versions['producer']}"
    index_path = find_bundle(path)
    if index_path is not None:
        try:
            _attach_variables(model, Bundle(index_path), count=kind == "saved_model")
        except (BundleError, OSError) + DECODE_ERRORS as error:  # the graph stays readable without its values
            model.metadata.append(("variables", f"not read ({error})"))
    return model


def graph_from_graph_def(graph_def: Message) -> Tuple[Graph, Dict[str, Graph]]:
    """The graph of a GraphDef message (however it was encoded) and its function library (name → body)."""
    functions = _functions(graph_def)
    return _graph(graph_def.get("node", []), functions), functions


def _attach_variables(model: Model, bundle: Bundle, count: bool) -> None:
    """Show each variable's checkpoint value as a weight of its VarHandleOp / VariableV2 node; a SavedModel
    adds their elements to its parameters."""
    tensors: Dict[str, Tensor] = {}
    for graph in model.graphs:
        attached = set()
        for node in graph.nodes:
            if node.type.name not in _VARIABLE_OPS:
                continue
            shared = next((a.value for a in node.attributes if a.name == "shared_name" and a.value), node.name)
            key = bundle.key_of(shared)
            if key is None:
                continue
            tensor = tensors.setdefault(key, bundle.tensor(key))
            node.inputs.append(Argument("value", [Value(f"checkpoint:{key}", tensor.type, initializer=tensor)]))
            attached.add(key)
        if count:
            graph.stored_parameters = (graph.stored_parameters or 0) + sum(tensors[key].size or 0 for key in attached)
    model.metadata.append(("variables", f"{len(tensors)} from {bundle.index.name}"))


def _describe_meta(model: Model, graph: Graph, meta: Message, index: int) -> None:
    info = meta.get("meta_info_def") or Message(None)
    tags = list(info.get("tags", []))
    graph.name = ",".join(tags) or f"meta_graph_{index}"
    if info.get("tensorflow_version") and not model.producer:
        model.producer = f"TensorFlow {info['tensorflow_version']}"
    if tags:
        model.metadata.append((f"tags[{index}]", ", ".join(tags)))
    for entry in meta.get("signature_def", []):
        signature = entry.get("value") or Message(None)
        inputs = ", ".join(item.get("key", "") for item in signature.get("inputs", []))
        outputs = ", ".join(item.get("key", "") for item in signature.get("outputs", []))
        model.metadata.append((f"signature {entry.get('key', '')}", f"({inputs}) → ({outputs})"))


def _functions(graph_def: Message) -> Dict[str, Graph]:
    library = graph_def.get("library")
    functions: Dict[str, Graph] = {}
    if library is None:
        return functions
    for function in library.get("function", []):
        signature = function.get("signature") or Message(None)
        graph = _graph(function.get("node_def", []), functions, signature=signature,
                       returns=function.get("ret", []))
        graph.name = signature.get("name", "")
        functions[graph.name] = graph
    for graph in functions.values():  # calls may name functions defined later in the library
        for node in graph.nodes:
            _attach_calls(node, functions)
    return functions


def _attach_calls(node: Node, functions: Dict[str, Graph]) -> None:
    names = [node.type.name] + [attribute.value for attribute in node.attributes if attribute.type == "func"]
    node.graphs = [functions[name] for name in dict.fromkeys(names) if name in functions]


def _port(reference: str) -> str:
    """The value name an input reference meets its producer by: `x:0` → `x`."""
    plain = reference.endswith(":0") and reference.count(":") == 1 and not reference.startswith("^")
    return reference[:-2] if plain else reference


def _graph(node_defs: List[Message], functions: Dict[str, Graph], signature: Optional[Message] = None,
           returns: Optional[list] = None) -> Graph:
    graph = Graph(name="main")
    operators: Dict[str, int] = {}
    parameters = 0
    # How often each node's results are used (control dependencies and function returns count twice: such a
    # Const stays a node), the values consumed, and which output ports of each node are referenced (`x:1`,
    # or `x:output:0` in function bodies).
    uses: Dict[str, int] = {}
    consumers: set = set()
    ports: Dict[str, set] = {}
    references = [(reference, 1) for node_def in node_defs for reference in node_def.get("input", [])]
    references += [(entry.get("value", ""), 2) for entry in returns or []]
    for reference, weight in references:
        control = reference.startswith("^")
        key = reference[1:] if control else _port(reference)
        owner = key.split(":", 1)[0]
        uses[owner] = uses.get(owner, 0) + (2 if control else weight)
        consumers.add(key)
        if not control:
            ports.setdefault(owner, set()).add(key)
    values: Dict[str, Value] = {}
    folded: Dict[str, Tensor] = {}
    constants: Dict[str, List[int]] = {}
    for node_def in node_defs:
        attrs = {entry.get("key", ""): entry.get("value") or Message(None) for entry in node_def.get("attr", [])}
        name, op = node_def.get("name", ""), node_def.get("op", "")
        operators[op] = operators.get(op, 0) + 1
        if op == "Const" and "value" in attrs:
            proto = attrs["value"].get("tensor") or Message(None)
            tensor = tensor_from_proto(name, proto)
            parameters += tensor.size or 0
            values_of = _small_ints(proto, tensor)
            if values_of is not None:
                constants[name] = values_of
            if uses.get(name) == 1 and not node_def.get("input"):
                folded[name] = tensor
                continue
        if op in ("Placeholder", "PlaceholderV2") and signature is None and not node_def.get("input"):
            value = values.setdefault(name, Value(name))
            value.type = TensorType(_dtype(attrs.get("dtype")), _shape(attrs["shape"]) if "shape" in attrs else None)
            graph.inputs.append(Argument(name, [value]))
            continue
        graph.nodes.append(_node(node_def, attrs, values, folded, ports.get(name, set())))
    if signature is not None:
        for arg in signature.get("input_arg", []):
            value = values.setdefault(arg.get("name", ""), Value(arg.get("name", "")))
            value.type = value.type or TensorType(DTYPES.get(_enum(arg.get("type"))), None)
            graph.inputs.append(Argument(value.name, [value]))
        for entry in returns or []:
            reference = _port(entry.get("value", ""))
            graph.outputs.append(Argument(entry.get("key", ""), [values.setdefault(reference, Value(reference))]))
    else:
        for node in graph.nodes:
            if node.type.name not in _SIDE_EFFECT_OPS:
                graph.outputs.extend(Argument(value.name, [value]) for argument in node.outputs
                                     for value in argument.values if value.name not in consumers)
    for node in graph.nodes:
        _attach_calls(node, functions)
    graph.stored_operators = operators
    graph.stored_parameters = parameters
    with stage(SHAPES):
        infer_shapes(graph, constants)
    return graph


def _port_key(key: str) -> Tuple[int, str]:
    """Sort key of an output value name: `x` → 0, `x:2` → 2, `x:output:1` after the numbered ports."""
    _, _, tail = key.partition(":")
    return (int(tail), "") if tail.isdigit() else ((0, "") if not tail else (1 << 30, tail))


def _node(node_def: Message, attrs: Dict[str, Message], values: Dict[str, Value], folded: Dict[str, Tensor],
          referenced: set) -> Node:
    name, op = node_def.get("name", ""), node_def.get("op", "")
    node = Node(name=name, type=OpType(op, _CATEGORY.get(op, ""),
                                       documentation_source=documentation_source("tensorflow", op)),
                device=node_def.get("device", ""))
    arg_names = INPUT_NAMES.get(op, ())
    controls: List[Value] = []
    for index, reference in enumerate(node_def.get("input", [])):
        if reference.startswith("^"):
            controls.append(values.setdefault(reference, Value(reference)))
            continue
        key = _port(reference)
        if key.split(":", 1)[0] in folded:  # a Const has one output: any data reference is to it
            tensor = folded[key.split(":", 1)[0]]
            value = Value(key, tensor.type, initializer=tensor)
        else:
            value = values.setdefault(key, Value(key))
        label = arg_names[index] if index < len(arg_names) else ("input" if index == 0 else f"input:{index}")
        node.inputs.append(Argument(label, [value]))
    if controls:
        node.inputs.append(Argument("control", controls))
    shapes: List[Optional[tuple]] = []
    if "_output_shapes" in attrs:
        shapes = [_shape(shape) for shape in (attrs["_output_shapes"].get("list") or Message(None)).get("shape", [])]
    elif op in ("Placeholder", "PlaceholderV2", "PlaceholderWithDefault") and "shape" in attrs:
        shapes = [_shape(attrs["shape"])]
    elif op == "Const" and "value" in attrs:
        shapes = [_shape((attrs["value"].get("tensor") or Message(None)).get("tensor_shape"))]
    dtype = next((_dtype(attrs[key]) for key in ("dtype", "out_type", "output_type", "DstT", "T")
                  if key in attrs and attrs[key].get("type") is not None), None)
    if any(key.count(":") == 2 for key in referenced):  # function body: ports named `node:output_arg:index`
        keys = set(referenced)
    else:
        keys = {name} | {name if port == 0 else f"{name}:{port}" for port in range(len(shapes))} | referenced
    for key in sorted(keys, key=_port_key):
        value = values.setdefault(key, Value(key))
        port = _port_key(key)[0]
        if value.type is None and (port < len(shapes) or dtype):
            value.type = TensorType(dtype, shapes[port] if port < len(shapes) else None)
        node.outputs.append(Argument("output" if key == name else f"output{key[len(name):]}", [value]))
    for key in sorted(attrs):
        node.attributes.append(_attribute(name, key, attrs[key]))
    return node


# --- tensors -------------------------------------------------------------------------------------------

def tensor_from_proto(name: str, proto: Message) -> Tensor:
    """A lazy Tensor over a TensorProto: its values are decoded only when `data()` is called."""
    dtype = DTYPES.get(_enum(proto.get("dtype")))
    shape = _shape(proto.get("tensor_shape"))
    return Tensor(name, dtype, shape, loader=lambda: _tensor_values(proto, dtype, shape), location="inline")


def _small_ints(proto: Message, tensor: Tensor) -> Optional[List[int]]:
    """The values of a tiny int32/int64 tensor (shape, axis and permutation operands), without numpy."""
    count = tensor.size
    if tensor.dtype not in ("int32", "int64") or count is None or count > 64:
        return None
    content = to_bytes(proto.get("tensor_content"))
    if content:
        code = "i" if tensor.dtype == "int32" else "q"
        return list(struct.unpack(f"<{count}{code}", content)) if len(content) == count * (4 if code == "i" else 8) \
            else None
    items = list(proto.get("int_val" if tensor.dtype == "int32" else "int64_val", []))
    if not items or len(items) > count:
        return [] if count == 0 else None
    return items + [items[-1]] * (count - len(items))  # TensorFlow repeats the last value


def _tensor_values(proto: Message, dtype: Optional[str], shape: Optional[tuple]):
    import numpy as np
    if dtype is None or shape is None:
        raise ModelError(proto.get("name", "tensor"), "tensor has no dtype or shape")
    count = element_count(shape) or 0
    content = proto.get("tensor_content")
    if content and dtype not in ("string", "resource", "variant"):
        return decode_array(to_bytes(content), dtype, shape)
    field = VALUE_FIELDS.get(dtype)
    if field is None:
        raise ModelError(proto.get("name", "tensor"), f"values of {dtype} tensors are not shown")
    raw = proto.get(field, [])
    items = raw.array() if hasattr(raw, "array") else raw
    if dtype == "string":
        array = np.array([_text(item) for item in items] or [""], dtype=object)
    elif dtype in ("float16", "bfloat16"):
        bits = np.asarray(items, dtype=np.uint32) & 0xFFFF
        array = (bits << 16).view(np.float32) if dtype == "bfloat16" else bits.astype(np.uint16).view(np.float16)
    elif dtype in ("complex64", "complex128"):
        array = np.asarray(items, dtype=np.float32 if dtype == "complex64" else np.float64).view(dtype)
    else:
        array = np.asarray(items, dtype=NUMPY_DTYPES.get(dtype, dtype))
    if array.size == 0:
        array = np.zeros(1, dtype=array.dtype)
    if array.size < count:  # TensorFlow repeats the last value to fill the shape
        if count > _MAX_FILL:
            raise ModelError(proto.get("name", "tensor"), f"a filled tensor of {count:,} elements is too large to show")
        array = np.concatenate([array, np.repeat(array[-1:], count - array.size)])
    return array[:count].reshape(shape)


# --- attributes -------------------------------------------------------------------------------------------

def _enum(value) -> Optional[int]:
    if isinstance(value, str):
        return DTYPE_NAMES.get(value.replace("_REF", ""))
    return value - 100 if isinstance(value, int) and value > 100 else value


def _dtype(attr: Optional[Message]) -> Optional[str]:
    return None if attr is None else DTYPES.get(_enum(attr.get("type")))


def _shape(proto: Optional[Message]) -> Optional[tuple]:
    """TensorShapeProto (or an AttrValue holding one) → dims; -1 → None (unknown)."""
    if proto is not None and "shape" in proto and proto.type_name == "AttrValue":
        proto = proto["shape"]
    if proto is None or proto.get("unknown_rank"):
        return None if proto is not None else ()
    return tuple(None if dim.get("size", 0) < 0 else dim.get("size", 0) for dim in proto.get("dim", []))


def _text(raw) -> str:
    """A string field's text, whether it was copied or referenced (a big string stays a BytesRef)."""
    raw = to_bytes(raw) if not isinstance(raw, str) else raw
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def _attribute(node_name: str, key: str, attr: Message) -> Attribute:
    visible = not key.startswith("_")
    if "list" in attr:
        items = attr["list"]
        for field, kind in (("s", "string"), ("i", "int64"), ("f", "float32"), ("b", "boolean"),
                            ("type", "type"), ("shape", "shape"), ("tensor", "tensor"), ("func", "func")):
            if items.get(field):
                return Attribute(key, [_scalar(node_name, key, field, item) for item in items[field]],
                                 f"{kind}[]", visible)
        return Attribute(key, [], "list", visible)
    for field, kind in (("s", "string"), ("i", "int64"), ("f", "float32"), ("b", "boolean"), ("type", "type"),
                        ("shape", "shape"), ("tensor", "tensor"), ("func", "func"), ("placeholder", "placeholder")):
        if field in attr:
            return Attribute(key, _scalar(node_name, key, field, attr[field]), kind, visible)
    return Attribute(key, None, "", visible)


def _scalar(node_name: str, key: str, field: str, value):
    if field == "s":
        return _text(value)
    if field == "type":
        return DTYPES.get(_enum(value), str(value))
    if field == "shape":
        return _shape(value)
    if field == "tensor":
        return tensor_from_proto(f"{node_name}/{key}", value)
    if field == "func":
        return value.get("name", "")
    return value

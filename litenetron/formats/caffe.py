"""Caffe reader: NetParameter as binary `.caffemodel` or text `.prototxt` (V2 `layer`, V1 `layers`).

A `.prototxt` with a `.caffemodel` of the same stem beside it takes its blobs from there. In-place layers (a
ReLU whose top is its bottom) write a new version of the blob (`conv1`, `conv1#1`, ...) so the graph stays a
DAG with the right edges. Output shapes are computed from the declared input shapes (`caffe_shapes`). Solver
definitions and mean-image BlobProtos are recognised and reported as what they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.protobuf import Message, decode, open_buffer, parse_text, peek_fields
from ..model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from . import caffe_shapes
from .op_docs import documentation_source
from .schemas.caffe import BLOB_NAMES, CAFFE, CATEGORIES, ENUMS, V1_TYPE_NAMES, V1_TYPES

NAME = "Caffe"
EXTENSIONS = (".caffemodel", ".prototxt", ".binaryproto")  # what the Open dialog offers

_CATEGORY = {name: category for category, names in CATEGORIES.items() for name in names}
_TEXT_EXTENSIONS = (".prototxt", ".pbtxt", ".pt", ".txt")
# Top-level `input` keys start their line (TensorFlow text graphs have indented `input:` lines).
_NET_KEY = re.compile(rb"(?m)^(\s*layers?\s*\{|input(_shape|_dim)?\s*[:{])")
_SOLVER_KEY = re.compile(rb"(?m)^(base_lr|lr_policy|solver_mode|max_iter|test_iter|net_param|train_net)\s*[:{]")
_LAYER_FIELDS = ("name", "type", "bottom", "top", "blobs", "include", "exclude", "phase", "param", "blobs_lr",
                 "weight_decay", "layer", "loss_weight", "propagate_down")


def match(path: Path, header: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".binaryproto":
        return True
    if suffix == ".caffemodel":
        return True
    if suffix in _TEXT_EXTENSIONS:
        return bool(_NET_KEY.search(header) or _SOLVER_KEY.search(header))
    return False


def read(path: Path) -> Model:
    if path.suffix.lower() == ".binaryproto":
        raise ModelError(path, "is a Caffe BlobProto (a mean image or other array), not a network")
    buffer = open_buffer(path)
    if path.suffix.lower() == ".caffemodel":
        net = _decode_binary(path, buffer)
        weights_net = net
    else:
        net = _parse_text(path, bytes(buffer).decode("utf-8", errors="replace"))
        companion = path.with_suffix(".caffemodel")
        weights_net = net  # blobs written into the text itself, if any
        if companion.is_file() and companion.parent == path.parent:
            weights_net = _decode_binary(companion, open_buffer(companion))
    model = Model(format="Caffe" if net.get("layer") or not net.get("layers") else "Caffe v1")
    graph, parameters = _graph(net, weights_net)
    graph.stored_parameters = parameters
    model.graphs.append(graph)
    if weights_net is not None and weights_net is not net:
        model.metadata.append(("weights", path.with_suffix(".caffemodel").name))
    return model


def _decode_binary(path: Path, buffer) -> Message:
    first = peek_fields(bytes(buffer[:64]), 1)
    if first and first[0] in ((1, 0), (5, 2), (7, 2)):  # num, data or shape first: a BlobProto
        raise ModelError(path, "is a Caffe BlobProto (a mean image or other array), not a network")
    return decode(buffer, CAFFE, "NetParameter")


def _parse_text(path: Path, text: str) -> Message:
    net = parse_text(text, CAFFE, "NetParameter")
    if net.get("layer") or net.get("layers") or net.get("input"):
        return net
    solver = parse_text(text, CAFFE, "SolverParameter")
    inline = solver.get("net_param") or solver.get("train_net_param")
    if inline is not None:
        return inline
    if any(key in solver for key in ("base_lr", "solver_mode", "max_iter", "lr_policy", "net", "train_net")):
        target = solver.get("net") or solver.get("train_net")
        where = f"; its network is {target}" if target else ""
        raise ModelError(path, f"is a Caffe solver (training settings), not a network{where}")
    raise ModelError(path, "holds no Caffe layers")


def _layer_type(layer: Message) -> str:
    kind = layer.get("type", "")
    if isinstance(kind, int):
        return V1_TYPES.get(kind, str(kind))
    if kind in V1_TYPE_NAMES:
        return V1_TYPES[V1_TYPE_NAMES[kind]]
    if not kind and layer.get("layer") is not None:  # V0 record wrapped in a V1 layer
        return layer["layer"].get("type", "")
    return kind


def _blob_shape(blob: Message) -> Tuple[Tuple[int, ...], Optional[int]]:
    """(shape, element count override) of a BlobProto; legacy num/channels/height/width when no shape."""
    if blob.get("shape") is not None:
        shape = tuple(int(dim) for dim in blob["shape"].get("dim", []))
    else:
        legacy = [int(blob.get(key, 0)) for key in ("num", "channels", "height", "width")]
        shape = tuple(legacy) if any(legacy) else ()
    stored = blob.get("data") or blob.get("double_data") or []
    count = len(stored) if stored and (not shape or _count(shape) != len(stored)) else None
    return shape, count


def _count(shape: Tuple[int, ...]) -> int:
    total = 1
    for dim in shape:
        total *= max(dim, 0)
    return total


def _tensor(name: str, blob: Message) -> Tensor:
    shape, count = _blob_shape(blob)
    dtype = "float64" if blob.get("double_data") and not blob.get("data") else "float32"

    def load():
        import numpy as np
        stored = blob.get("data") or blob.get("double_data") or []
        array = stored.array() if hasattr(stored, "array") else np.asarray(stored, dtype=dtype)
        return array.reshape(shape) if array.size == _count(shape) else array

    return Tensor(name, dtype, shape if count is None else (count,), loader=load, count=count)


def _blobs(layer: Message) -> List[Message]:
    blobs = list(layer.get("blobs", []))
    if not blobs and layer.get("layer") is not None:
        blobs = list(layer["layer"].get("blobs", []))
    return blobs


def _graph(net: Message, weights_net: Message) -> Tuple[Graph, int]:
    """The graph of `net`, its layers' blobs taken from `weights_net` by layer name where they have none."""
    graph = Graph(name=net.get("name", ""))
    layers = list(net.get("layer", [])) + list(net.get("layers", []))
    weights: Dict[str, List[Message]] = {}
    parameters = 0
    for layer in list(weights_net.get("layer", [])) + list(weights_net.get("layers", [])):
        blobs = _blobs(layer)
        if blobs or _layer_name(layer) not in weights:
            weights[_layer_name(layer)] = blobs
        parameters += sum(_count(shape) if count is None else count
                          for shape, count in (_blob_shape(blob) for blob in blobs))
    current: Dict[str, Value] = {}  # blob name → the value its latest write produced
    versions: Dict[str, int] = {}
    for index, name in enumerate(net.get("input", [])):
        shape = _net_input_shape(net, index)
        value = Value(name, TensorType("float32", shape) if shape is not None else None)
        current[name] = value
        graph.inputs.append(Argument(name, [value]))
    for layer in layers:
        graph.nodes.append(_node(layer, weights, current, versions))
    consumed = {value.name for node in graph.nodes for argument in node.inputs for value in argument.values}
    for node in graph.nodes:
        for value in node.outputs[0].values if node.outputs else []:
            if value.name not in consumed and current.get(_base(value.name)) is value:
                graph.outputs.append(Argument(_base(value.name), [value]))
    return graph, parameters


def _base(name: str) -> str:
    return name.split("#", 1)[0]


def _layer_name(layer: Message) -> str:
    if not layer.get("name") and layer.get("layer") is not None:
        return layer["layer"].get("name", "")
    return layer.get("name", "")


def _net_input_shape(net: Message, index: int) -> Optional[tuple]:
    shapes = net.get("input_shape", [])
    if index < len(shapes):
        return tuple(int(dim) for dim in shapes[index].get("dim", []))
    dims = net.get("input_dim", [])
    if len(dims) >= 4 * (index + 1):
        return tuple(int(dim) for dim in dims[4 * index:4 * index + 4])
    return None


def _node(layer: Message, weights: Dict[str, List[Message]], current: Dict[str, Value],
          versions: Dict[str, int]) -> Node:
    name, kind = _layer_name(layer), _layer_type(layer)
    node = Node(name=name, type=OpType(kind, _CATEGORY.get(kind, ""),
                                       documentation_source=documentation_source("caffe", kind)))
    bottoms = list(layer.get("bottom", []))
    tops = list(layer.get("top", []))
    inputs = [current.setdefault(bottom, Value(bottom)) for bottom in bottoms]
    if inputs:
        node.inputs.append(Argument("input", inputs))
    for index, blob in enumerate(_blobs(layer) or weights.get(name, [])):
        names = BLOB_NAMES.get(kind, ())
        label = names[index] if index < len(names) else f"blob{index}"
        tensor = _tensor(f"{name}/{label}", blob)
        node.inputs.append(Argument(label, [Value(tensor.name, tensor.type, initializer=tensor)]))
    input_types = [value.type.shape if value.type else None for value in inputs]
    declared = caffe_shapes.input_shapes(kind, layer)
    shapes = declared if declared is not None else caffe_shapes.infer(kind, layer, input_types, len(tops))
    outputs = []
    for index, top in enumerate(tops):
        shape = shapes[min(index, len(shapes) - 1)] if shapes else None
        kind_of_type = TensorType("float32", shape) if shape is not None else None
        if top in bottoms:  # in place: this write gets its own name so the graph stays a DAG
            versions[top] = versions.get(top, 0) + 1
            value = Value(f"{top}#{versions[top]}", kind_of_type)
        elif top in current:  # written again by another layer (e.g. another phase's data layer)
            value = current[top]
            value.type = value.type or kind_of_type
        else:
            value = Value(top, kind_of_type)
        current[top] = value
        outputs.append(value)
    if outputs:
        node.outputs.append(Argument("output", outputs))
    node.attributes = _attributes(layer)
    return node


def _attributes(layer: Message) -> List[Attribute]:
    attributes: List[Attribute] = []
    for key, value in layer.items():
        if key.endswith("_param") and isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            value = value[0]  # a parameter message of a Caffe fork, parsed without a schema
        if key.endswith("_param") and isinstance(value, dict):
            schemaless = isinstance(value, Message) and not value.type_name
            for field, item in value.items():
                if schemaless and isinstance(item, list) and len(item) == 1:
                    item = item[0]
                attributes.append(Attribute(field, _plain(f"{key}.{field}", item), visible=key != "transform_param"))
        elif key == "phase":
            attributes.append(Attribute("phase", ENUMS["phase"].get(value, value)))
        elif key in ("include", "exclude"):
            rules = [", ".join(f"{field}: {_plain(field, item)}" for field, item in rule.items()) for rule in value]
            attributes.append(Attribute(key, "; ".join(rules)))
        elif key in ("param", "blobs_lr", "weight_decay", "loss_weight", "propagate_down"):
            attributes.append(Attribute(key, _plain(key, value), visible=False))
        elif key not in _LAYER_FIELDS:
            attributes.append(Attribute(key, _plain(key, value)))
    return attributes


def _plain(field: str, value):
    """An attribute value as plain Python: messages as dicts, enum numbers as their names. `field` may be
    qualified by its parameter message (`reduction_param.operation`) where enum names differ."""
    if isinstance(value, dict):
        return {key: _plain(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(field, item) for item in value]
    if hasattr(value, "array"):
        return value.array()
    if isinstance(value, int) and not isinstance(value, bool):
        names = ENUMS.get(field) or ENUMS.get(field.rsplit(".", 1)[-1])
        return names.get(value, value) if names else value
    return value

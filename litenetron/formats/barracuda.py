"""Barracuda (Unity `.nn`): a little-endian binary model of Unity's Barracuda inference library.

Layout (Barracuda's Model serialisation): version and a reserved int32; inputs (name, shape); output names;
memories (shape, input name, output name); layers (name, type, activation, two reserved int32s, pads, strides,
pool size, axis, alpha, beta, a reserved int32, input names, tensors: name, shape, element offset into the
weight blob, item size, element count); then the weight blob. Tensors are read lazily from the blob.
Constant layers (type 255 "Load" without inputs) are drawn as weights of the layers that use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.binary import BinaryReader, array_loader, open_buffer
from ..model import Argument, Attribute, FormatError, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .windows import window_output

NAME = "Barracuda"
EXTENSIONS = (".nn",)  # what the Open dialog offers

MAX_RANK = 16
LOAD = 255

_INPUTS_KERNEL = ("input", "kernel", "bias")
# Layer type code → (name, category, input names); "inputs" as the only name takes every input in one slot.
LAYER_TYPES = {
    0: ("Nop", ""), 1: ("Dense", "Layer", _INPUTS_KERNEL), 2: ("MatMul", "", _INPUTS_KERNEL),
    20: ("Conv2D", "Layer", _INPUTS_KERNEL), 21: ("DepthwiseConv2D", "Layer", _INPUTS_KERNEL),
    22: ("Conv2DTrans", "Layer", _INPUTS_KERNEL), 23: ("Upsample2D", "Data"), 25: ("MaxPool2D", "Pool"),
    26: ("AvgPool2D", "Pool"), 27: ("GlobalMaxPool2D", "Pool"), 28: ("GlobalAvgPool2D", "Pool"),
    29: ("Border2D", ""), 30: ("Conv3D", "Layer"), 32: ("Conv3DTrans", "Layer"), 33: ("Upsample3D", "Data"),
    35: ("MaxPool3D", "Pool"), 36: ("AvgPool3D", "Pool"), 37: ("GlobalMaxPool3D", "Pool"),
    38: ("GlobalAvgPool3D", "Pool"), 39: ("Border3D", ""), 50: ("Activation", "Activation", ("input",)),
    51: ("ScaleBias", "Normalization", ("input", "scale", "bias")), 52: ("Normalization", "Normalization"),
    53: ("LRN", "Normalization"), 60: ("Dropout", "Dropout"), 64: ("RandomNormal", ""),
    65: ("RandomUniform", ""), 66: ("Multinomial", ""), 67: ("OneHot", ""), 68: ("TopKIndices", ""),
    69: ("TopKValues", ""), 100: ("Add", "", ("inputs",)), 101: ("Sub", "", ("inputs",)),
    102: ("Mul", "", ("inputs",)), 103: ("RealDiv", "", ("inputs",)), 104: ("Pow", "", ("inputs",)),
    110: ("Minimum", "", ("inputs",)), 111: ("Maximum", "", ("inputs",)), 112: ("Mean", "", ("inputs",)),
    120: ("ReduceL1", ""), 121: ("ReduceL2", ""), 122: ("ReduceLogSum", ""), 123: ("ReduceLogSumExp", ""),
    124: ("ReduceMax", ""), 125: ("ReduceMean", ""), 126: ("ReduceMin", ""), 127: ("ReduceProd", ""),
    128: ("ReduceSum", ""), 129: ("ReduceSumSquare", ""), 140: ("Greater", ""), 141: ("GreaterEqual", ""),
    142: ("Less", ""), 143: ("LessEqual", ""), 144: ("Equal", ""), 145: ("LogicalOr", ""),
    146: ("LogicalAnd", ""), 147: ("LogicalNot", ""), 148: ("LogicalXor", ""), 160: ("Pad2DReflect", ""),
    161: ("Pad2DSymmetric", ""), 162: ("Pad2DEdge", ""), 200: ("Flatten", "Shape"), 201: ("Reshape", "Shape"),
    202: ("Transpose", "Transform"), 203: ("Squeeze", "Shape"), 204: ("Unsqueeze", "Shape"),
    205: ("Gather", "Tensor"), 206: ("DepthToSpace", "Transform"), 207: ("SpaceToDepth", "Transform"),
    208: ("Expand", "Shape"), 209: ("Resample2D", "Data"), 210: ("Concat", "Tensor", ("inputs",)),
    211: ("StridedSlice", "Tensor"), 212: ("Tile", "Tensor"), 213: ("Shape", "Shape"),
    214: ("NonMaxSuppression", ""), 215: ("LSTM", "Layer"), LOAD: ("Load", "Constant"),
}

ACTIVATIONS = {
    0: "Linear", 1: "Relu", 2: "Softmax", 3: "Tanh", 4: "Sigmoid", 5: "Elu", 6: "Relu6", 7: "LeakyRelu",
    8: "Selu", 9: "Swish", 10: "LogSoftmax", 11: "Softplus", 12: "Softsign", 13: "PRelu", 20: "Hardmax",
    21: "HardSigmoid", 100: "Abs", 101: "Neg", 102: "Ceil", 103: "Clip", 104: "Floor", 105: "Round",
    110: "Reciprocal", 111: "Sqrt", 113: "Exp", 114: "Log", 200: "Acos", 201: "Acosh", 202: "Asin",
    203: "Asinh", 204: "Atan", 205: "Atanh", 206: "Cos", 207: "Cosh", 208: "Sin", 209: "Sinh", 210: "Tan",
}

ITEM_DTYPES = {4: "float32", 2: "float16", 1: "uint8"}


@dataclass
class TensorEntry:
    name: str
    shape: Tuple[int, ...]
    offset: int  # in items from the start of the weight blob
    itemsize: int
    length: int


@dataclass
class Layer:
    name: str
    type: int
    activation: int
    pads: List[int]
    strides: List[int]
    pool_size: List[int]
    axis: int
    alpha: float
    beta: float
    inputs: List[str]
    tensors: List[TensorEntry] = field(default_factory=list)


def _string(reader: BinaryReader) -> str:
    return reader.string(reader.count(1, "string length", signed=True), "latin-1")


def _strings(reader: BinaryReader) -> List[str]:
    return [_string(reader) for _ in range(reader.count(4, "string count", signed=True))]


def _ints(reader: BinaryReader, limit: int = 1 << 20) -> List[int]:
    count = reader.count(4, "array length", signed=True)
    if count > limit:
        raise FormatError(f"array of {count} values is longer than any Barracuda field")
    return [reader.int32() for _ in range(count)]


def _shape(reader: BinaryReader) -> Tuple[int, ...]:
    return tuple(_ints(reader, MAX_RANK))


def parse(buffer) -> Tuple[int, list, List[str], list, List[Layer], int]:
    """(version, inputs, outputs, memories, layers, weight blob offset) of a `.nn` buffer."""
    reader = BinaryReader(buffer)
    version = reader.int32()
    reader.int32()
    inputs = [(_string(reader), _shape(reader)) for _ in range(reader.count(8, "input count", signed=True))]
    outputs = _strings(reader)
    memories = [(_shape(reader), _string(reader), _string(reader))
                for _ in range(reader.count(12, "memory count", signed=True))]
    layers = []
    for _ in range(reader.count(40, "layer count", signed=True)):
        name, kind, activation = _string(reader), reader.int32(), reader.int32()
        reader.int32(), reader.int32()
        pads, strides, pool_size = _ints(reader), _ints(reader), _ints(reader)
        axis, alpha, beta = reader.int32(), reader.float32(), reader.float32()
        reader.int32()
        layer = Layer(name, kind, activation, pads, strides, pool_size, axis, alpha, beta, _strings(reader))
        for _ in range(reader.count(24, "tensor count", signed=True)):
            tensor_name, shape = _string(reader), _shape(reader)
            offset, itemsize, length = reader.int64(), reader.int32(), reader.int32()
            layer.tensors.append(TensorEntry(tensor_name, shape, offset, itemsize, length))
        layers.append(layer)
    return version, inputs, outputs, memories, layers, reader.position


_SAME_SHAPE = {"Nop", "Activation", "Dropout", "ScaleBias", "Normalization", "LRN"}
_BROADCAST = {"Add", "Sub", "Mul", "RealDiv", "Pow", "Minimum", "Maximum", "Mean", "Greater", "GreaterEqual",
              "Less", "LessEqual", "Equal", "LogicalOr", "LogicalAnd", "LogicalXor"}


def infer_shape(layer: Layer, kind: str, inputs: List[Optional[tuple]]) -> Optional[tuple]:
    """Output shape (N, H, W, C) of the common layers from their inputs' shapes; None when unknown."""
    first = inputs[0] if inputs else None
    if first is None or len(first) != 4 or any(d is not None and not isinstance(d, int) for d in first):
        return None
    n, h, w, c = first
    if kind in _SAME_SHAPE:
        return first
    if kind == "Dense" and layer.tensors:
        return (n, 1, 1, layer.tensors[0].shape[-1])
    if kind in ("Conv2D", "DepthwiseConv2D", "MaxPool2D", "AvgPool2D") and h is not None and w is not None:
        if kind in ("Conv2D", "DepthwiseConv2D"):
            if not layer.tensors or len(layer.tensors[0].shape) != 4:
                return None
            kernel_h, kernel_w, _, out = layer.tensors[0].shape
            out = c * out if kind == "DepthwiseConv2D" and out == 1 else out
        else:
            kernel_w, kernel_h = (layer.pool_size + [1, 1])[:2]
            out = c
        stride_w, stride_h = [max(v, 1) for v in (layer.strides + [1, 1])[:2]]
        left, top, right, bottom = [max(v, 0) for v in (layer.pads + [0, 0, 0, 0])[:4]]
        return (n, window_output(h, kernel_h, stride_h, top + bottom),
                window_output(w, kernel_w, stride_w, left + right), out)
    if kind in ("GlobalMaxPool2D", "GlobalAvgPool2D"):
        return (n, 1, 1, c)
    if kind == "Flatten" and None not in (h, w, c):
        return (n, 1, 1, h * w * c)
    if kind == "Concat" and all(shape and len(shape) == 4 for shape in inputs):
        axis = layer.axis % 4
        if any(shape[axis] is None for shape in inputs):
            return None
        return first[:axis] + (sum(shape[axis] for shape in inputs),) + first[axis + 1:]
    if kind in _BROADCAST and all(shape and len(shape) == 4 for shape in inputs):
        return tuple(None if None in dims else max(dims) for dims in zip(*inputs))
    if kind == "StridedSlice" and len(layer.pads) == len(layer.pool_size) == len(layer.strides) == 4:
        shape = list(first)
        for axis, (start, end, step) in enumerate(zip(layer.pads, layer.pool_size, layer.strides)):
            size = shape[axis]
            if size is None:
                continue
            end = end + size if end <= 0 else min(end, size)
            shape[axis] = max(0, -(-(end - max(start, 0)) // max(step, 1)))
        return tuple(shape)
    if kind.startswith("Reduce"):
        return first[:layer.axis % 4] + (1,) + first[layer.axis % 4 + 1:]
    if kind in ("Multinomial", "OneHot") and layer.pool_size and (kind == "Multinomial" or c == 1):
        return (n, 1, 1, layer.pool_size[0])
    return None


def _dims(shape) -> tuple:
    return tuple(None if dim < 0 else dim for dim in shape)


def _attributes(layer: Layer) -> List[Attribute]:
    attributes = []
    for name, value, hidden in (
            ("strides", layer.strides, not layer.strides),
            ("pads", layer.pads, all(v == 0 for v in layer.pads) or all(v == -1 for v in layer.pads)),
            ("size", layer.pool_size, not layer.pool_size), ("alpha", layer.alpha, layer.alpha == 1),
            ("beta", layer.beta, layer.beta == 0), ("axis", layer.axis, layer.axis == -1)):
        attributes.append(Attribute(name, value, visible=not hidden))
    return attributes


def match(path: Path, header: bytes) -> bool:
    return (path.suffix.lower() == ".nn" and len(header) > 12 and header[0] <= 0x20
            and not any(header[1:8]))


def read(path: Path) -> Model:
    buffer = open_buffer(path)
    version, inputs, outputs, memories, layers, blob = parse(buffer)
    values: Dict[str, Value] = {}

    def value(name: str) -> Value:
        if name not in values:
            values[name] = Value(name)
        return values[name]

    def tensor_value(entry: TensorEntry) -> Value:
        dtype = ITEM_DTYPES.get(entry.itemsize)
        if dtype is None or entry.offset < 0 or entry.length < 0:
            raise ModelError(path, f"tensor {entry.name!r} has item size {entry.itemsize}, offset {entry.offset}")
        start = blob + entry.offset * entry.itemsize
        if start + entry.length * entry.itemsize > len(buffer):
            raise ModelError(path, f"tensor {entry.name!r} lies past the end of the weight data")
        shape = _dims(entry.shape)
        stored = shape if all(isinstance(d, int) for d in shape) and math.prod(shape) == entry.length \
            else (entry.length,)
        tensor = Tensor(entry.name, dtype, shape, count=entry.length,
                        loader=array_loader(path, start, dtype, stored))
        return Value(entry.name, tensor.type, tensor)

    graph = Graph(path.stem)
    operators: Dict[str, int] = {}
    for layer in layers:
        info = LAYER_TYPES.get(layer.type, (str(layer.type), ""))
        operators[info[0]] = operators.get(info[0], 0) + 1
        if layer.type == LOAD and not layer.inputs:
            for entry in layer.tensors:  # constants: drawn inside the layers that read them
                values[entry.name] = tensor_value(entry)
    for name, shape in inputs:
        value(name).type = TensorType("float32", _dims(shape))
        graph.inputs.append(Argument(name, [value(name)]))
    for shape, name_in, _ in memories:
        value(name_in).type = TensorType("float32", _dims(shape))
        graph.inputs.append(Argument(name_in, [value(name_in)]))
    for layer in layers:
        if layer.type == LOAD and not layer.inputs:
            continue
        info = LAYER_TYPES.get(layer.type, (str(layer.type), ""))
        names = list(info[2]) if len(info) > 2 else ["input"]
        node = Node(layer.name, OpType(info[0], info[1]))
        if names == ["inputs"]:
            node.inputs.append(Argument("inputs", [value(name) for name in layer.inputs]))
            names = []
        else:
            for index, name in enumerate(layer.inputs):
                node.inputs.append(Argument(names.pop(0) if names else str(index), [value(name)]))
        for index, entry in enumerate(layer.tensors):
            node.inputs.append(Argument(names.pop(0) if names else str(index), [tensor_value(entry)]))
        node.outputs.append(Argument("output", [value(layer.name)]))
        shape = infer_shape(layer, info[0], [v.type.shape if v.type else None
                                              for argument in node.inputs for v in argument.values])
        if shape is not None:
            value(layer.name).type = TensorType("float32", shape)
        node.attributes = _attributes(layer)
        if layer.activation or layer.type == 50:  # an Activation layer names its function this way
            activation = ACTIVATIONS.get(layer.activation, f"Activation{layer.activation}")
            node.chain.append(Node(f"{layer.name}.{activation}", OpType(activation, "Activation")))
        graph.nodes.append(node)
    graph.outputs = [Argument(name, [value(name)]) for name in outputs]
    graph.stored_operators = operators
    graph.stored_parameters = sum(entry.length for layer in layers for entry in layer.tensors)
    metadata = [(f"memory {name_in}", f"{name_out} ⟨{'×'.join(map(str, shape))}⟩")
                for shape, name_in, name_out in memories]
    return Model(format=f"Barracuda v{version}", graphs=[graph], metadata=metadata)

"""TNN (Tencent): a `.tnnproto` text graph, with its `.tnnmodel` binary weights beside it when present.

The `.tnnproto` is a list of quoted lines, each ending with ` ,`: a header (`<?> <blob count> <?> <magic>`),
the inputs (`name dims...`, several separated by `:`; newer files add the rank before and a dtype after the
dims), all blob names, the outputs, the layer count, then one line per layer:
`Type name <input count> <output count> inputs... outputs... positional params...`.

The `.tnnmodel` is a magic number (0xFABC0002 / 0xFABC0004), a layer count, then per layer: an operator id,
the type and layer name as strings, and the type's raw buffers (magic, dtype, byte length, dims in v2, data).
Buffers are recorded as offset ranges and read only when asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.binary import BinaryReader, array_loader, open_buffer
from ..codecs.text import number_or_text
from ..model import Argument, Attribute, FormatError, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .windows import same_output, window_output

NAME = "TNN"
EXTENSIONS = (".tnnproto", ".tnnmodel")  # what the Open dialog offers

# The header's fourth number: 0xFABC0002 (inputs list their dims) or 0xFABC0004 (inputs list rank, dims, dtype).
PROTO_MAGIC = "4206624770"
PROTO_MAGIC_V2 = "4206624772"
MODEL_MAGICS = (0xFABC0002, 0xFABC0004)
MAX_RANK = 16

# Raw buffer dtype codes and their element sizes.
RAW_DTYPES = {0: ("float32", 4), 1: ("float16", 2), 2: ("int8", 1), 3: ("int32", 4), 4: ("bfloat16", 2)}

_CONV = ("group", "input_channel", "output_channel", "kernel_h", "kernel_w", "stride_h", "stride_w", "pad_h",
         "pad_w", "bias", "pad_type", "dilation_h", "dilation_w", "activation_type")
_POOL = ("pool_type", "kernel_h", "kernel_w", "stride_h", "stride_w", "pad_h", "pad_w", "kernel_h_index",
         "kernel_w_index", "pad_type", "ceil_mode")
_BINARY = ("weight_input_index",)

# Positional parameter names of the common layers (from TNN's layer interpreters); others are numbered.
PARAMS = {
    "Convolution": _CONV, "ConvolutionDepthWise": _CONV, "Deconvolution": _CONV,
    "DeconvolutionDepthWise": _CONV, "QuantizedConvolution": _CONV,
    "Pooling": _POOL, "QuantizedPooling": _POOL,
    "InnerProduct": ("num_output", "has_bias", "transpose", "axis"),
    "Concat": ("axis",), "QuantizedConcat": ("axis",), "Softmax": ("axis",), "SoftmaxCaffe": ("axis",),
    "Add": _BINARY, "Sub": _BINARY, "Mul": _BINARY, "Div": _BINARY, "QuantizedAdd": _BINARY,
    "ShuffleChannel": ("group",), "Reshape": ("axis", "num_axes", "top_blob_dim_size", "shape", "reshape_type"),
    "Permute": ("order_size", "orders"), "Flatten": ("axis", "num_axis"),
    "Upsample": ("mode", "scale_h", "scale_w", "align_corners", "height", "width"),
    "StridedSlice": ("begins_size", "begins", "ends_size", "ends", "strides_size", "strides"),
}

# Parameters holding a list whose length is the parameter just before them.
_LISTS = {"orders", "begins", "ends", "strides", "shape"}

CATEGORIES = {
    "Convolution": "Layer", "ConvolutionDepthWise": "Layer", "Deconvolution": "Layer",
    "DeconvolutionDepthWise": "Layer", "QuantizedConvolution": "Layer", "InnerProduct": "Layer",
    "Conv3D": "Layer", "LSTM": "Layer", "BatchNormCxx": "Normalization", "InstBatchNormCxx": "Normalization",
    "InstanceNorm": "Normalization", "LRN": "Normalization", "Normalize": "Normalization",
    "Pooling": "Pool", "QuantizedPooling": "Pool", "Pooling3D": "Pool",
    "ReLU": "Activation", "QuantizedReLU": "Activation", "ReLU6": "Activation", "PReLU": "Activation",
    "Sigmoid": "Activation", "Softmax": "Activation", "SoftmaxCaffe": "Activation", "HardSigmoid": "Activation",
    "HardSwish": "Activation", "Tanh": "Activation", "Clip": "Activation",
    "Concat": "Tensor", "QuantizedConcat": "Tensor", "StridedSlice": "Tensor", "Split": "Tensor",
    "Reshape": "Shape", "Flatten": "Shape", "Permute": "Shape", "ShuffleChannel": "Shape", "Squeeze": "Shape",
    "Upsample": "Data", "Pad": "Data", "Crop": "Data", "Dropout": "Dropout",
    "Quantize": "Quantization", "Dequantize": "Quantization", "Requantize": "Quantization",
}

# Raw buffers per resource type, in file order (types named without their "Quantized" prefix).
_RESOURCES = {
    "InnerProduct": ("weight", "bias"), "PReLU": ("slope",), "Add": ("weight",), "Sub": ("weight",),
    "Mul": ("weight",), "Div": ("weight",), "MatMul": ("weight",), "BatchNormCxx": ("scale", "bias"),
    "InstBatchNormCxx": ("scale", "bias"), "BlobScale": ("scale", "bias"),
    "HdrGuide": ("ccm_weight", "ccm_bias", "shifts", "slopes", "projection_weight", "projection_bias"),
}
_CONV_RESOURCES = ("Convolution", "ConvolutionDepthWise", "Deconvolution", "DeconvolutionDepthWise", "Conv3D")
_NAMED_RESOURCES = _CONV_RESOURCES + ("InnerProduct", "PReLU")


# Activations fused into convolutions (activation_type).
_FUSED = {1: "ReLU", 2: "ReLU6", 256: "SigmoidMul"}


@dataclass
class Layer:
    type: str
    name: str
    inputs: List[str]
    outputs: List[str]
    params: List[str]
    line: int


@dataclass
class RawBuffer:
    name: str
    dtype: str
    count: int
    dims: Optional[Tuple[int, ...]]
    offset: int


def _lines(text: str) -> List[Tuple[int, str]]:
    result = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().strip('"').strip()
        if line.endswith(","):
            line = line[:-1].strip()
        if raw.strip():
            result.append((number, line))
    return result


def _input_shape(tokens: List[str], version: int) -> Tuple[Tuple[int, ...], Optional[str]]:
    """Dims of an input entry: `dims...` in version 1 files, `rank dims... dtype` in version 2."""
    values = [int(token) for token in tokens]
    if version == 1:
        return tuple(values), None
    if not values or not 0 <= values[0] <= MAX_RANK or len(values) < values[0] + 1:
        raise FormatError(f"input entry {' '.join(tokens)!r} does not list the rank and dims it declares")
    rank = values[0]
    dtype = RAW_DTYPES[values[rank + 1]][0] if len(values) > rank + 1 and values[rank + 1] in RAW_DTYPES else None
    return tuple(values[1:rank + 1]), dtype


def parse_proto(text: str) -> Tuple[List[Tuple[str, tuple, Optional[str]]], List[str], List[Layer], int]:
    """(inputs with shapes, outputs, layers, declared layer count) of a `.tnnproto`."""
    lines = _lines(text)
    if len(lines) < 5:
        raise FormatError("is too short for a TNN proto (header, inputs, blobs, outputs and layer count)")
    header = lines[0][1].split()
    if len(header) < 3 or (len(header) > 3 and header[3] not in (PROTO_MAGIC, PROTO_MAGIC_V2)):
        raise FormatError(f"has an unknown TNN header {lines[0][1]!r}")
    version = 2 if len(header) > 3 and header[3] == PROTO_MAGIC_V2 else 1
    inputs = []
    for entry in lines[1][1].split(":"):
        tokens = entry.split()
        if tokens:
            shape, dtype = _input_shape(tokens[1:], version)
            inputs.append((tokens[0], shape, dtype))
    outputs = lines[3][1].split()
    declared = int(lines[4][1].split()[0]) if lines[4][1].split() else 0
    layers = []
    for number, line in lines[5:]:
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) < 4:
            raise FormatError(f"line {number}: layer {line!r} lacks its input and output counts")
        kind, name = tokens[0], tokens[1]
        input_count, output_count = int(tokens[2]), int(tokens[3])
        if input_count < 0 or output_count < 0 or 4 + input_count + output_count > len(tokens):
            raise FormatError(f"line {number}: layer {name!r} declares more inputs/outputs than it lists")
        rest = tokens[4:]
        layers.append(Layer(kind, name, rest[:input_count], rest[input_count:input_count + output_count],
                            rest[input_count + output_count:], number))
    return inputs, outputs, layers, declared


def _raw(reader: BinaryReader, name: str) -> RawBuffer:
    magic = reader.uint32()
    if magic not in MODEL_MAGICS:
        raise FormatError(f"raw buffer {name!r} has a bad magic number 0x{magic:08X} at offset {reader.position - 4}")
    code, length = reader.int32(), reader.int32()
    if code not in RAW_DTYPES:
        raise FormatError(f"raw buffer {name!r} has an unknown data type {code}")
    dtype, itemsize = RAW_DTYPES[code]
    dims = None
    if magic == 0xFABC0004:
        rank = reader.int32()
        if not 0 <= rank <= MAX_RANK:
            raise FormatError(f"raw buffer {name!r} declares {rank} dimensions")
        dims = tuple(reader.int32() for _ in range(rank))
    length = max(length, 0)
    offset = reader.skip(length, f"raw buffer {name!r}")
    return RawBuffer(name, dtype, length // itemsize, dims, offset)


def read_resources(path: Path) -> Dict[str, List[RawBuffer]]:
    """Layer name → its raw buffers, in file order."""
    reader = BinaryReader(open_buffer(path))
    magic = reader.uint32() if reader.remaining >= 4 else 0
    if magic not in MODEL_MAGICS:
        raise ModelError(path, "is not a TNN model file (bad magic number)")
    count = reader.int32() & 0x1FFFFFFF
    if count * 12 > reader.remaining:
        raise ModelError(path, f"declares {count} layers but holds only {reader.remaining} bytes")
    resources: Dict[str, List[RawBuffer]] = {}
    for _ in range(count):
        reader.int32()  # operator id: the type string below says the same
        kind = reader.string(reader.count(1, "type length"))
        name = reader.string(reader.count(1, "name length"))
        base = kind[len("Quantized"):] if kind.startswith("Quantized") else kind
        if base in _NAMED_RESOURCES:
            repeated = reader.string(reader.count(1, "name length"))
            if repeated != name:
                raise ModelError(path, f"layer {name!r} resource names itself {repeated!r}")
        buffers = []
        if base in _CONV_RESOURCES:
            has_bias = reader.int32()
            buffers.append(_raw(reader, "weight"))
            if has_bias:
                buffers.append(_raw(reader, "bias"))
            if buffers[0].dtype == "int8" and base != "Conv3D":
                buffers.append(_raw(reader, "scale"))
        elif base == "Gather":
            for label in ("data", "indices"):
                if reader.int32():
                    buffers.append(_raw(reader, label))
        elif base in _RESOURCES:
            buffers = [_raw(reader, label) for label in _RESOURCES[base]]
            if base == "InnerProduct" and buffers[0].dtype == "int8":
                buffers.append(_raw(reader, "scale"))
        else:
            raise ModelError(path, f"layer {name!r} has resources of an unknown type {kind!r}")
        resources[name] = buffers
    if reader.remaining:
        raise ModelError(path, f"{reader.remaining} bytes follow the last layer's resources")
    return resources


def _attributes(layer: Layer) -> List[Attribute]:
    names = PARAMS.get(layer.type, ())
    attributes, index, position = [], 0, 0
    while position < len(layer.params):
        name = names[index] if index < len(names) else str(index)
        if name in _LISTS and attributes and isinstance(attributes[-1].value, int):
            size = max(attributes[-1].value, 0)
            value = [number_or_text(text) for text in layer.params[position:position + size]]
            position += size
        else:
            value = number_or_text(layer.params[position])
            position += 1
        attributes.append(Attribute(name, value))
        index += 1
    return attributes


def _shape_of(value: Optional[Value]) -> Optional[tuple]:
    return value.type.shape if value is not None and value.type is not None else None


def _buffer_shape(buffer: RawBuffer, layer: Layer, attributes: Dict[str, object]) -> Tuple[int, ...]:
    if buffer.dims and math.prod(buffer.dims) == buffer.count:
        return buffer.dims
    if buffer.name == "weight" and "output_channel" in attributes:
        try:  # input_channel counts the channels of one group
            shape = (int(attributes["output_channel"]), int(attributes["input_channel"]),
                     int(attributes["kernel_h"]), int(attributes["kernel_w"]))
        except (KeyError, TypeError, ValueError):
            return (buffer.count,)
        if math.prod(shape) == buffer.count:
            return shape
    if buffer.name == "weight" and layer.type == "InnerProduct" and attributes.get("num_output"):
        out = int(attributes["num_output"])
        if out > 0 and buffer.count % out == 0:
            return (out, buffer.count // out)
    return (buffer.count,)


def _window(size: int, kernel: int, stride: int, pad: int, pad_type: int, ceil: bool,
            dilation: int = 1) -> Optional[int]:
    """Output length of a convolution or pooling window (pad type -1: explicit, 0: SAME, 1: VALID)."""
    if pad_type == 0:
        return same_output(size, stride)
    return window_output(size, kernel, stride, 0 if pad_type == 1 else 2 * pad, dilation, ceil)


class _NotANumber(Exception):
    """A layer parameter that shape inference needs is text, not a number: the shape stays unknown."""


def _numeric(settings: Dict[str, object]):
    """settings.get that hands out only numbers and lists of integers."""
    def get(key: str, default: object = None) -> object:
        value = settings.get(key, default)
        if value is None or isinstance(value, int) or isinstance(value, float) and math.isfinite(value):
            return value
        if isinstance(value, list) and all(isinstance(item, int) for item in value):
            return value
        raise _NotANumber(key)
    return get


def infer_shape(layer: Layer, settings: Dict[str, object], inputs: List[Optional[tuple]]) -> Optional[tuple]:
    """The output shape (NCHW) of the common layers, from their inputs' shapes and params; None if unknown."""
    try:
        return _infer_shape(layer, _numeric(settings), inputs)
    except _NotANumber:
        return None


def _infer_shape(layer: Layer, get, inputs: List[Optional[tuple]]) -> Optional[tuple]:
    first = inputs[0] if inputs else None
    kind = layer.type[len("Quantized"):] if layer.type.startswith("Quantized") else layer.type
    if first is None or any(not isinstance(d, int) for d in first):
        return None
    if kind in CATEGORIES_SAME_SHAPE:
        return first
    if kind in ("Convolution", "ConvolutionDepthWise") and len(first) == 4:
        n, _, h, w = first
        pad_type = int(get("pad_type", -1))
        return (n, int(get("output_channel", 1)),
                _window(h, int(get("kernel_h", 1)), int(get("stride_h", 1)), int(get("pad_h", 0)), pad_type,
                        False, int(get("dilation_h", 1))),
                _window(w, int(get("kernel_w", 1)), int(get("stride_w", 1)), int(get("pad_w", 0)), pad_type,
                        False, int(get("dilation_w", 1))))
    if kind == "Pooling" and len(first) == 4:
        n, c, h, w = first
        kernel_h, kernel_w = int(get("kernel_h", 0)), int(get("kernel_w", 0))
        if kernel_h == 0 and kernel_w == 0:
            return (n, c, 1, 1)  # global pooling
        pad_type, ceil = int(get("pad_type", -1)), bool(get("ceil_mode", 0))
        return (n, c, _window(h, kernel_h, int(get("stride_h", 1)), int(get("pad_h", 0)), pad_type, ceil),
                _window(w, kernel_w, int(get("stride_w", 1)), int(get("pad_w", 0)), pad_type, ceil))
    if kind == "Concat" and all(shape and len(shape) == len(first) for shape in inputs):
        axis = int(get("axis", 1)) % len(first)
        return first[:axis] + (sum(shape[axis] for shape in inputs),) + first[axis + 1:]
    if kind in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
        if all(shape and len(shape) == len(first) for shape in inputs):
            return tuple(None if None in dims else max(dims) for dims in zip(*inputs))   # unknown stays unknown
        return first
    if kind == "InnerProduct":
        axis = int(get("axis", 1))
        return first[:axis] + (int(get("num_output", 1)),) + (1,) * max(len(first) - axis - 1, 0)
    if kind == "Reshape" and isinstance(get("shape"), list):
        shape = [first[i] if dim == 0 and i < len(first) else dim for i, dim in enumerate(get("shape"))]
        if shape.count(-1) == 1:
            known = math.prod(d for d in shape if d != -1)
            shape[shape.index(-1)] = math.prod(first) // known if known else -1
        return tuple(shape) if all(d >= 0 for d in shape) else None
    if kind == "Permute" and isinstance(get("orders"), list) and sorted(get("orders")) == list(range(len(first))):
        return tuple(first[i] for i in get("orders"))
    if kind == "Flatten":
        axis = int(get("axis", 1))
        return first[:axis] + (math.prod(first[axis:]),)
    if kind == "Upsample" and len(first) == 4:
        if get("height") and get("width"):
            return first[:2] + (int(get("height")), int(get("width")))
        scale_h, scale_w = float(get("scale_h", 1) or 1), float(get("scale_w", 1) or 1)
        return first[:2] + (int(first[2] * scale_h), int(first[3] * scale_w))
    if kind == "StridedSlice" and all(isinstance(get(k), list) for k in ("begins", "ends", "strides")):
        shape = list(first)
        for axis, (begin, end, step) in enumerate(zip(get("begins"), get("ends"), get("strides"))):
            if axis < len(shape) and step > 0:
                stop = shape[axis] if end == 0 else (end if end > 0 else shape[axis] + end)
                shape[axis] = max(0, -(-(min(stop, shape[axis]) - begin) // step))
        return tuple(shape)
    return None


# Layers whose output has their first input's shape.
CATEGORIES_SAME_SHAPE = {
    "ReLU", "ReLU6", "PReLU", "Sigmoid", "Tanh", "Softmax", "SoftmaxCaffe", "BatchNormCxx", "InstBatchNormCxx",
    "ShuffleChannel", "Dropout", "Clip", "HardSwish", "HardSigmoid", "Normalize", "LRN", "Scale", "Elu",
}


def match(path: Path, header: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".tnnmodel":  # claimed by its magic so that a missing .tnnproto gets a clear error
        return path.with_suffix(".tnnproto").is_file() or int.from_bytes(header[:4], "little") in MODEL_MAGICS
    if suffix != ".tnnproto":
        return False
    first = header.split(b"\n", 1)[0].strip()
    return first.startswith(b'"') and len(first.strip(b'" ,').split()) >= 3


def read(path: Path) -> Model:
    proto = path.with_suffix(".tnnproto") if path.suffix.lower() == ".tnnmodel" else path
    if not proto.is_file():
        raise ModelError(path, f"TNN weights need their graph {proto.name} beside them")
    weights = proto.with_suffix(".tnnmodel")
    try:
        inputs, outputs, layers, declared = parse_proto(proto.read_text(encoding="utf-8", errors="replace"))
    except ValueError as error:
        raise ModelError(proto, str(error)) from None
    resources = read_resources(weights) if weights.is_file() else None

    values: Dict[str, Value] = {}

    def value(name: str) -> Value:
        if name not in values:
            values[name] = Value(name)
        return values[name]

    graph = Graph(proto.name[:-len(".tnnproto")] if proto.name.endswith(".tnnproto") else proto.stem)
    for name, shape, dtype in inputs:
        value(name).type = TensorType(dtype or "float32", shape)
        graph.inputs.append(Argument(name, [value(name)]))
    for layer in layers:
        node = Node(layer.name, OpType(layer.type, CATEGORIES.get(layer.type, "")))
        node.attributes = _attributes(layer)
        node.inputs = [Argument("input" if i == 0 else f"input{i}", [value(name)])
                       for i, name in enumerate(layer.inputs)]
        node.outputs = [Argument("output" if i == 0 else f"output{i}", [value(name)])
                        for i, name in enumerate(layer.outputs)]
        settings = {attribute.name: attribute.value for attribute in node.attributes}
        activation = _FUSED.get(settings.get("activation_type", 0)) if layer.type.endswith("Convolution") else None
        if activation:
            node.chain.append(Node(f"{layer.name}.{activation}", OpType(activation, "Activation")))
        shape = infer_shape(layer, settings, [_shape_of(values.get(name)) for name in layer.inputs])
        if shape is not None and len(layer.outputs) == 1:
            value(layer.outputs[0]).type = TensorType("float32", shape)
        for buffer in (resources or {}).get(layer.name, []):
            shape = _buffer_shape(buffer, layer, settings)
            tensor = Tensor(buffer.name, buffer.dtype, shape, location=weights.name,
                            loader=array_loader(weights, buffer.offset, buffer.dtype, shape))
            node.inputs.append(Argument(buffer.name, [Value(f"{layer.name}.{buffer.name}", tensor.type, tensor)]))
        graph.nodes.append(node)
    graph.outputs = [Argument(name, [value(name)]) for name in outputs]
    total = sum(buffer.count for buffers in (resources or {}).values() for buffer in buffers)
    graph.stored_parameters = total
    metadata = [("declared layers", str(declared))]
    if resources is not None:
        metadata.append(("weights", weights.name))
    return Model(format="TNN", graphs=[graph], metadata=metadata)

"""OpenVINO IR: an `.xml` graph (`<net>` ▸ `<layers>` + `<edges>`) with its `.bin` weights beside it by stem.

Each `<layer id name type version>` has optional `<data>` attributes and `<input>`/`<output>` ports
(`<port id precision names>` with `<dim>` children); `<edges>` join (from-layer, from-port) to (to-layer,
to-port). `Parameter` layers are the graph inputs, `Result` layers its outputs and `Const` layers hold weights
as an (offset, size) range of the `.bin`, read only when asked for. A Const that feeds a `Convert` (fp16 or
int8 weight compression: decompression on load) is shown as the stored tensor inside the Convert's consumers;
the Convert is not drawn but still counted, as the file stores it.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..model import Argument, Attribute, Dim, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from . import onnx_metadata

NAME = "OpenVINO IR"
EXTENSIONS = (".xml",)

# The root element, after an optional XML declaration and comments.
_ROOT = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<net[\s>/]", re.S)
_UNSAFE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)

# element_type / port precision → our dtype names.
DTYPES = {
    "f64": "float64", "f32": "float32", "f16": "float16", "bf16": "bfloat16", "i64": "int64", "i32": "int32",
    "i16": "int16", "i8": "int8", "u64": "uint64", "u32": "uint32", "u16": "uint16", "u8": "uint8",
    "boolean": "bool", "i4": "int4", "u4": "uint4", "f8e4m3": "float8_e4m3fn", "f8e5m2": "float8_e5m2",
    "string": "string", "nf4": "nf4", "u1": "u1", "u2": "uint2", "f4e2m1": "float4_e2m1fn",
    "f8e8m0": "float8_e8m0fnu",
    "fp64": "float64", "fp32": "float32", "fp16": "float16", "bool": "bool",
}
# Packed sub-byte types: listed with their shapes, values not decoded.
_PACKED = {"int4", "uint4", "nf4", "u1", "uint2", "float4_e2m1fn"}

# OpenVINO operation names whose category the ONNX table does not give under the same name.
CATEGORIES = {
    "Convolution": "Layer", "GroupConvolution": "Layer", "ConvolutionBackpropData": "Layer",
    "GroupConvolutionBackpropData": "Layer", "BinaryConvolution": "Layer", "DeformableConvolution": "Layer",
    "MatMul": "Layer", "FullyConnected": "Layer", "ScaledDotProductAttention": "Layer",
    "LSTMSequence": "Layer", "GRUSequence": "Layer", "RNNSequence": "Layer", "LSTMCell": "Layer",
    "GRUCell": "Layer", "RNNCell": "Layer",
    "ReLU": "Activation", "Clamp": "Activation", "Gelu": "Activation", "SoftMax": "Activation",
    "Swish": "Activation", "HSwish": "Activation", "HSigmoid": "Activation", "Mish": "Activation",
    "LogSoftmax": "Activation", "SoftPlus": "Activation", "PRelu": "Activation", "Elu": "Activation",
    "MaxPool": "Pool", "AvgPool": "Pool", "AdaptiveMaxPool": "Pool", "AdaptiveAvgPool": "Pool",
    "MVN": "Normalization", "BatchNormInference": "Normalization", "NormalizeL2": "Normalization",
    "GroupNormalization": "Normalization", "RMS": "Normalization", "LRN": "Normalization",
    "Reshape": "Shape", "Squeeze": "Shape", "Unsqueeze": "Shape", "ShapeOf": "Shape", "Broadcast": "Shape",
    "Transpose": "Transform", "Concat": "Tensor", "Split": "Tensor", "VariadicSplit": "Tensor",
    "Gather": "Transform", "GatherND": "Transform", "GatherElements": "Transform", "StridedSlice": "Tensor",
    "Slice": "Tensor", "Tile": "Tensor", "Pad": "Tensor", "Interpolate": "Data",
    "Convert": "Data", "ConvertLike": "Data",
    "FakeQuantize": "Quantization", "FakeConvert": "Quantization",
    "If": "Control", "Loop": "Control", "TensorIterator": "Control",
}

# Names of the input ports of common operations (port order), for the weight rows' labels.
_PORT_NAMES = {
    "Convolution": ("input", "filter"), "GroupConvolution": ("input", "filter"),
    "ConvolutionBackpropData": ("input", "filter", "output_shape"),
    "GroupConvolutionBackpropData": ("input", "filter", "output_shape"),
    "MatMul": ("A", "B"), "Add": ("A", "B"), "Subtract": ("A", "B"), "Multiply": ("A", "B"),
    "Divide": ("A", "B"), "Power": ("A", "B"), "Maximum": ("A", "B"), "Minimum": ("A", "B"),
    "Equal": ("A", "B"), "Select": ("condition", "then", "else"), "Reshape": ("data", "shape"),
    "Squeeze": ("data", "axes"), "Unsqueeze": ("data", "axes"), "Transpose": ("data", "order"),
    "Gather": ("data", "indices", "axis"), "Broadcast": ("data", "target_shape", "axes_mapping"),
    "MVN": ("data", "axes"), "ReduceMean": ("data", "axes"), "ReduceSum": ("data", "axes"),
    "SoftMax": ("data",), "PRelu": ("data", "slope"), "Pad": ("data", "pads_begin", "pads_end", "pad_value"),
    "StridedSlice": ("data", "begin", "end", "stride"), "Slice": ("data", "start", "stop", "step", "axes"),
    "VariadicSplit": ("data", "axis", "split_lengths"), "Split": ("data", "axis"),
    "Range": ("start", "stop", "step"), "Tile": ("data", "repeats"), "Concat": (),
    "ScaledDotProductAttention": ("query", "key", "value", "attention_mask", "scale"),
    "FakeQuantize": ("X", "input_low", "input_high", "output_low", "output_high"),
    "Interpolate": ("data", "sizes", "scales", "axes"), "Convert": ("data",),
}

_HIDDEN = {"Parameter", "Result", "Const"}
MAX_RANK = 64


@dataclass
class Port:
    id: str
    dtype: Optional[str]
    shape: Optional[Tuple[Dim, ...]]
    names: str = ""


@dataclass
class Layer:
    id: str
    name: str
    type: str
    version: str
    data: Dict[str, str]
    inputs: List[Port] = field(default_factory=list)
    outputs: List[Port] = field(default_factory=list)
    element: Optional[ElementTree.Element] = field(default=None, repr=False)


def _dim(text: Optional[str]) -> Dim:
    text = (text or "").strip()
    try:
        value = int(text)
    except ValueError:
        return None if text in ("", "?") else text  # a range such as "1..128" stays as written
    return None if value < 0 else value


def _ports(element: Optional[ElementTree.Element]) -> List[Port]:
    ports = []
    for port in element.findall("port") if element is not None else ():
        dims = port.findall("dim")
        if len(dims) > MAX_RANK:
            raise ModelError(port.get("id", "?"), f"port declares {len(dims)} dimensions")
        precision = (port.get("precision") or "").lower()
        ports.append(Port(port.get("id", ""), DTYPES.get(precision, precision or None),
                          tuple(_dim(d.text) for d in dims), port.get("names", "")))
    return ports


def _shape_attribute(text: str) -> Optional[Tuple[Dim, ...]]:
    text = text.strip()
    if text in ("", "[]"):
        return ()
    return tuple(_dim(part) for part in text.strip("[]").split(","))


def parse(text: bytes, path: Path) -> Tuple[ElementTree.Element, List[Layer], List[Tuple[str, str, str, str]]]:
    """The root `<net>`, its layers and its edges (from-layer, from-port, to-layer, to-port)."""
    if _UNSAFE.search(text):
        raise ModelError(path, "declares a DTD or entities, which an OpenVINO IR never does (refused)")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise ModelError(path, f"is not well-formed XML ({error})") from None
    if root.tag != "net":
        raise ModelError(path, f"is XML with a <{root.tag}> root, not an OpenVINO IR <net>")
    layers, edges = _layers_and_edges(root)
    return root, layers, edges


def _layers_and_edges(parent: ElementTree.Element) -> Tuple[List[Layer], List[Tuple[str, str, str, str]]]:
    """The `<layers>` and `<edges>` of a `<net>` or of a Loop/If `<body>`."""
    layers = []
    container = parent.find("layers")
    for element in container.findall("layer") if container is not None else ():
        data = element.find("data")
        layers.append(Layer(element.get("id", ""), element.get("name", ""), element.get("type", ""),
                            element.get("version", ""), dict(data.attrib) if data is not None else {},
                            _ports(element.find("input")), _ports(element.find("output")), element))
    edges = []
    container = parent.find("edges")
    for edge in container.findall("edge") if container is not None else ():
        edges.append((edge.get("from-layer", ""), edge.get("from-port", ""), edge.get("to-layer", ""),
                      edge.get("to-port", "")))
    return layers, edges


def _loader(bin_path: Path, offset: int, size: int, dtype: str, shape: Tuple[int, ...]):
    def load():
        import numpy as np

        from ..codecs.arrays import numpy_dtype
        with bin_path.open("rb") as stream:
            stream.seek(offset)
            raw = stream.read(size)
        if len(raw) != size:
            raise ModelError(bin_path, f"ends before the {size} bytes at offset {offset}")
        return np.frombuffer(raw, dtype=numpy_dtype(dtype), count=math.prod(shape)).reshape(shape)

    return load


def _constant(layer: Layer, bin_path: Path, bin_size: Optional[int], path: Path) -> Tensor:
    element_type = layer.data.get("element_type", "")
    dtype = DTYPES.get(element_type.lower(), element_type or None)
    shape = _shape_attribute(layer.data["shape"]) if "shape" in layer.data else (
        layer.outputs[0].shape if layer.outputs else None)
    tensor = Tensor(layer.name, dtype, shape, location=bin_path.name)
    try:
        offset, size = int(layer.data.get("offset", "")), int(layer.data.get("size", ""))
    except ValueError:
        return tensor
    if offset < 0 or size < 0:
        raise ModelError(path, f"Const {layer.name!r} has a negative offset or size")
    if bin_size is not None and offset + size > bin_size:
        raise ModelError(path, f"Const {layer.name!r} reads bytes {offset}..{offset + size} of {bin_path.name}, "
                               f"which holds only {bin_size}")
    readable = dtype is not None and dtype not in _PACKED and dtype != "string" and tensor.size is not None
    if bin_size is not None and readable and tensor.nbytes == size:
        tensor.loader = _loader(bin_path, offset, size, dtype, tuple(shape))
    return tensor


def _category(op: str) -> str:
    return CATEGORIES.get(op) or onnx_metadata.category(op)


def _port_name(op: str, index: int, count: int) -> str:
    names = _PORT_NAMES.get(op)
    if names is not None and index < len(names):
        return names[index]
    return "input" if count == 1 else f"input{index}"


def _rt_info(element: Optional[ElementTree.Element], prefix: str = "", depth: int = 0) -> List[Tuple[str, str]]:
    """rt_info as (dotted key, value) pairs: `<info name value>` entries and `<key value>` elements."""
    entries: List[Tuple[str, str]] = []
    if element is None or depth > 16:
        return entries
    for child in element:
        key = child.get("name") if child.tag == "info" else child.tag
        key = f"{prefix}{key}"
        if "value" in child.attrib:
            entries.append((key, child.get("value", "")))
        entries.extend(_rt_info(child, key + ".", depth + 1))
    return entries


def _values_of_outputs(layers: List[Layer]) -> Dict[Tuple[str, str], Value]:
    values: Dict[Tuple[str, str], Value] = {}
    used = set()
    for layer in layers:
        for port in layer.outputs:
            first = port.names.split(",")[0].strip() if port.names else ""
            name = first if first and first not in used else f"{layer.name}:{port.id}"
            used.add(name)
            values[(layer.id, port.id)] = Value(name, TensorType(port.dtype, port.shape))
    return values


def _build_graph(root: ElementTree.Element, layers: List[Layer], edges, path: Path, bin_path: Path,
                 bin_size: Optional[int], depth: int = 0) -> Graph:
    by_id = {layer.id: layer for layer in layers}
    if len(by_id) != len(layers):
        raise ModelError(path, "two layers share one id")
    values = _values_of_outputs(layers)
    sources: Dict[Tuple[str, str], Tuple[str, str]] = {}
    for from_layer, from_port, to_layer, to_port in edges:
        if (from_layer, from_port) not in values:
            raise ModelError(path, f"an edge starts at layer {from_layer} port {from_port}, which does not exist")
        sources[(to_layer, to_port)] = (from_layer, from_port)
    constants: Dict[str, Tensor] = {}
    for layer in layers:
        if layer.type == "Const":
            tensor = _constant(layer, bin_path, bin_size, path)
            constants[layer.id] = tensor
            for port in layer.outputs:
                values[(layer.id, port.id)].initializer = tensor
    # Decompression: a Convert of a Const passes the stored tensor on to its consumers.
    folded = set()
    for layer in layers:
        if layer.type == "Convert" and len(layer.inputs) == 1 and len(layer.outputs) == 1:
            source = sources.get((layer.id, layer.inputs[0].id))
            if source is not None and source[0] in constants:
                folded.add(layer.id)
                values[(layer.id, layer.outputs[0].id)] = values[source]
    graph = Graph(root.get("name", ""))
    operators: Dict[str, int] = {}
    for layer in layers:
        if layer.type not in _HIDDEN:
            operators[layer.type] = operators.get(layer.type, 0) + 1
        if layer.type in ("Const", "Result") or layer.id in folded:
            continue
        inputs = []
        for index, port in enumerate(layer.inputs):
            source = sources.get((layer.id, port.id))
            value = values[source] if source is not None else Value(f"{layer.name}:{port.id}?",
                                                                    TensorType(port.dtype, port.shape))
            inputs.append(Argument(_port_name(layer.type, index, len(layer.inputs)), [value]))
        outputs = [Argument("output" if len(layer.outputs) == 1 else f"output{index}",
                            [values[(layer.id, port.id)]]) for index, port in enumerate(layer.outputs)]
        if layer.type == "Parameter":
            graph.inputs.append(Argument(layer.name, [values[(layer.id, port.id)] for port in layer.outputs]))
            continue
        attributes = [Attribute(key, value) for key, value in layer.data.items()]
        op = OpType(layer.type, _category(layer.type), domain=layer.version)
        node = Node(layer.name, op, inputs, outputs, attributes)
        node.graphs.extend(_bodies(layer, path, bin_path, bin_size, depth))
        graph.nodes.append(node)
    for layer in layers:
        if layer.type == "Result":
            for port in layer.inputs:
                source = sources.get((layer.id, port.id))
                if source is not None:
                    graph.outputs.append(Argument(layer.name, [values[source]]))
    graph.stored_operators = operators
    graph.stored_parameters = sum(tensor.size or 0 for tensor in constants.values())
    return graph


def _bodies(layer: Layer, path: Path, bin_path: Path, bin_size: Optional[int], depth: int) -> List[Graph]:
    """The bodies of Loop / TensorIterator / If layers (`<body>`, `<then_body>`, `<else_body>`)."""
    graphs: List[Graph] = []
    if layer.element is None or depth > 8:
        return graphs
    for child in layer.element:
        if child.tag.endswith("body"):
            inner, edges = _layers_and_edges(child)
            body = _build_graph(child, inner, edges, path, bin_path, bin_size, depth + 1)
            body.name = f"{layer.name}/{child.tag}"
            graphs.append(body)
    return graphs


def _xml_beside(path: Path) -> Optional[Path]:
    candidate = path.with_suffix(".xml")
    return candidate if candidate.is_file() else None


def match(path: Path, header: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return _ROOT.match(header) is not None
    if suffix == ".bin":  # the weights file: claimed only to say which file to open
        xml = _xml_beside(path)
        if xml is None:
            return False
        with xml.open("rb") as stream:
            return _ROOT.match(stream.read(4096)) is not None
    return False


def read(path: Path) -> Model:
    if path.suffix.lower() == ".bin":
        raise ModelError(path, f"is the weights file of an OpenVINO IR model: open {path.with_suffix('.xml').name}"
                               " instead")
    root, layers, edges = parse(path.read_bytes(), path)
    bin_path = path.with_suffix(".bin")
    bin_size = bin_path.stat().st_size if bin_path.is_file() else None
    graph = _build_graph(root, layers, edges, path, bin_path, bin_size)
    opsets = sorted({layer.version for layer in layers if layer.version})
    metadata = _rt_info(root.find("rt_info"))
    producer = ""
    for key, value in metadata:
        if key == "OpenVINO Runtime" or key == "Runtime_version":
            producer = f"OpenVINO {value}"
            break
    framework = next((value for key, value in metadata if key == "conversion_parameters.framework"), "")
    if framework:
        producer = f"{producer} (from {framework})" if producer else framework
    if bin_size is None:
        metadata.insert(0, ("weights", f"{bin_path.name} not found beside the model: weights not available"))
    return Model(format=f"OpenVINO IR v{root.get('version', '?')}", graphs=[graph], producer=producer,
                 metadata=metadata, imports=opsets)

"""TensorFlow Lite: a FlatBuffer `Model` (file identifier "TFL3") read with our own FlatBuffers codec.

Every subgraph becomes a graph. Operators take their name from the operator code (the larger of
`deprecated_builtin_code` and `builtin_code`, or the custom code); builtin options become attributes and a
fused activation becomes a chained activation. Tensors carry dtype, shape (`shape_signature` when present,
-1 → unknown) and quantization; tensors whose buffer holds data become lazy weights, including buffers stored
after the FlatBuffer (offset/size). Signature defs and metadata entries become model metadata.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import List, Optional

from ..codecs.arrays import decode_array
from ..codecs.flatbuffers import FlatBufferError, Reader, Table, VectorRef, decode_flexbuffer, file_identifier
from ..codecs.protobuf import open_buffer
from ..model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .op_docs import documentation_source
from .schemas.tflite import BUILTIN_OPERATORS, ENUMS, TABLES, UNIONS

NAME = "TensorFlow Lite"
EXTENSIONS = (".tflite", ".lite")  # what the Open dialog offers

IDENTIFIER = b"TFL3"

# Tensor types whose numpy name differs from the lowercased schema name.
_DTYPES = {"RESOURCE": "resource", "VARIANT": "variant", "STRING": "string"}

CATEGORIES = {
    "Conv2D": "Layer", "DepthwiseConv2D": "Layer", "TransposeConv": "Layer", "FullyConnected": "Layer",
    "Conv3D": "Layer", "Conv3DTranspose": "Layer", "Lstm": "Layer", "UnidirectionalSequenceLstm": "Layer",
    "BidirectionalSequenceLstm": "Layer", "UnidirectionalSequenceRnn": "Layer", "BidirectionalSequenceRnn": "Layer",
    "Rnn": "Layer", "Svdf": "Layer", "EmbeddingLookup": "Transform", "BatchMatmul": "Layer",
    "AveragePool2D": "Pool", "MaxPool2D": "Pool", "L2Pool2D": "Pool",
    "L2Normalization": "Normalization", "LocalResponseNormalization": "Normalization",
    "Relu": "Activation", "Relu6": "Activation", "ReluN1To1": "Activation", "Relu0To1": "Activation",
    "Logistic": "Activation", "Tanh": "Activation", "Softmax": "Activation", "LogSoftmax": "Activation",
    "HardSwish": "Activation", "LeakyRelu": "Activation", "Prelu": "Activation", "Elu": "Activation",
    "Gelu": "Activation",
    "Reshape": "Shape", "Squeeze": "Shape", "ExpandDims": "Shape", "Shape": "Shape",
    "Concatenation": "Tensor", "Pack": "Tensor", "Unpack": "Tensor", "Split": "Tensor", "SplitV": "Tensor",
    "Slice": "Tensor", "StridedSlice": "Tensor", "Gather": "Tensor", "GatherNd": "Tensor", "Tile": "Tensor",
    "Transpose": "Transform", "SpaceToDepth": "Transform", "DepthToSpace": "Transform",
    "SpaceToBatchNd": "Transform", "BatchToSpaceNd": "Transform", "Pad": "Tensor", "Padv2": "Tensor",
    "MirrorPad": "Tensor", "ResizeBilinear": "Transform", "ResizeNearestNeighbor": "Transform",
    "Quantize": "Quantization", "Dequantize": "Quantization", "FakeQuant": "Quantization",
    "If": "Control", "While": "Control", "CallOnce": "Control", "Call": "Control",
}

# Input names of the operators whose inputs have fixed roles (others are "input", "input1", ...).
INPUT_NAMES = {
    "CONV_2D": ("input", "filter", "bias"), "DEPTHWISE_CONV_2D": ("input", "filter", "bias"),
    "CONV_3D": ("input", "filter", "bias"), "FULLY_CONNECTED": ("input", "weights", "bias"),
    "TRANSPOSE_CONV": ("output_shape", "weights", "input", "bias"), "PRELU": ("input", "alpha"),
    "RESHAPE": ("data", "shape"), "PAD": ("input", "paddings"), "MEAN": ("input", "axis"),
    "GATHER": ("params", "indices"), "BATCH_MATMUL": ("x", "y"),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": (
        "input", "input_to_input_weights", "input_to_forget_weights", "input_to_cell_weights",
        "input_to_output_weights", "recurrent_to_input_weights", "recurrent_to_forget_weights",
        "recurrent_to_cell_weights", "recurrent_to_output_weights", "cell_to_input_weights",
        "cell_to_forget_weights", "cell_to_output_weights", "input_gate_bias", "forget_gate_bias", "cell_bias",
        "output_gate_bias", "projection_weights", "projection_bias", "output_state_in", "cell_state_in",
        "input_layer_norm_coefficients", "forget_layer_norm_coefficients", "cell_layer_norm_coefficients",
        "output_layer_norm_coefficients"),
}

# Fused activations (ActivationFunctionType) drawn as chained nodes.
_ACTIVATIONS = {"RELU": "Relu", "RELU_N1_TO_1": "ReluN1To1", "RELU6": "Relu6", "TANH": "Tanh",
                "SIGN_BIT": "SignBit"}

# Options fields whose enum codes are shown by name: (table, field) → enum.
_ENUM_FIELDS = {(table, field[0]): field[1].split(":", 1)[1].rstrip("]")
                for table, fields in TABLES.items() for field in fields
                if ":" in field[1] and not field[1].startswith("union:")}


def operator_name(code: int) -> str:
    """`CONV_2D` → `Conv2D`: the builtin name in Netron's CamelCase spelling."""
    raw = BUILTIN_OPERATORS[code] if 0 <= code < len(BUILTIN_OPERATORS) else f"BUILTIN_{code}"
    return "".join(part if part[:1].isdigit() else part[:1] + part[1:].lower() for part in raw.split("_"))


def dtype_name(code: int) -> Optional[str]:
    name = ENUMS["TensorType"].get(code)
    if name is None:
        return None
    return _DTYPES.get(name, name.lower())


def _shape(tensor: Table) -> Optional[tuple]:
    signature = tensor.shape_signature
    shape = tensor.shape
    if signature is not None and len(signature) == len(shape or []):
        return tuple(None if dim < 0 else dim for dim in _ints(signature))
    if shape is None:
        return () if tensor.has_rank else None
    return tuple(None if dim < 0 else dim for dim in _ints(shape))


def _ints(vector) -> List[int]:
    return [int(v) for v in vector.tolist()] if isinstance(vector, VectorRef) else list(vector)


def _floats(vector) -> List[float]:
    if vector is None:
        return []
    return [float(v) for v in vector.tolist()] if isinstance(vector, VectorRef) else list(vector)


def quantization_text(scale: List[float], zero_point: List[int], axis: int) -> str:
    """`q = s·(x − z)`-style text: how stored integers map to real values."""
    if not scale:
        return ""

    def affine(s: float, z: int) -> str:
        return f"{s:.6g} · (q {'−' if z > 0 else '+'} {abs(z)})" if z else f"{s:.6g} · q"

    zero = zero_point[0] if zero_point else 0
    if len(scale) == 1:
        return f"x = {affine(scale[0], zero)}"
    return f"x = {affine(scale[0], zero)}, … ({len(scale)} scales along axis {axis})"


def _quantization(tensor: Table) -> Optional[dict]:
    quantization = tensor.quantization
    if quantization is None:
        return None
    scale, zero = _floats(quantization.scale), _ints(quantization.zero_point or [])
    if not scale and not quantization.min:
        return None
    result = {"scale": scale, "zero_point": zero, "axis": quantization.quantized_dimension,
              "min": _floats(quantization.min), "max": _floats(quantization.max)}
    result["text"] = quantization_text(scale, zero, quantization.quantized_dimension)
    return result


class _Buffers:
    """Where each model buffer's bytes are: inside the FlatBuffer or after it (offset/size)."""

    def __init__(self, path: Path, buffer, buffers: List[Table]):
        self.path, self.buffer = path, buffer
        self.ranges: List[Optional[tuple]] = []
        for entry in buffers:
            data = entry.data
            if isinstance(data, VectorRef) and data.count:
                self.ranges.append((data.offset, data.count))
            elif data:
                self.ranges.append(bytes(data))
            elif entry.offset > 1:
                if entry.offset + entry.size > len(buffer):
                    raise ModelError(path, f"buffer data at offset {entry.offset} runs past the end of the file")
                self.ranges.append((entry.offset, entry.size))
            else:
                self.ranges.append(None)

    def has_data(self, index: int) -> bool:
        return 0 < index < len(self.ranges) and self.ranges[index] is not None

    def loader(self, index: int, dtype: Optional[str], shape: Optional[tuple]):
        where, source = self.ranges[index], self.buffer

        def load():
            import numpy as np

            data = where if isinstance(where, bytes) else bytes(source[where[0]:where[0] + where[1]])
            if dtype in (None, "string", "resource", "variant"):  # no fixed-width elements: the bytes
                return np.frombuffer(data, dtype=np.uint8)
            return decode_array(data, dtype, shape)

        return load


def _options(options: Optional[Table]) -> List[Attribute]:
    if options is None:
        return []
    attributes = []
    for name, value in options.items():
        if name.endswith("_type") and name[:-5] in options:
            continue
        if isinstance(value, VectorRef):
            value = value.tolist()
        enum = _ENUM_FIELDS.get((options.type_name, name))
        if enum and isinstance(value, int):
            value = ENUMS.get(enum, {}).get(value, value)
        attributes.append(Attribute(name, value, visible=name != "fused_activation_function"))
    return attributes


def _values(subgraph: Table, buffers: _Buffers) -> List[Value]:
    values, seen = [], set()
    for index, tensor in enumerate(subgraph.tensors or []):
        name = tensor.name or f"tensor{index}"
        if name in seen:
            name = f"{name}#{index}"
        seen.add(name)
        dtype, shape = dtype_name(tensor.type), _shape(tensor)
        quantization = _quantization(tensor)
        value = Value(name, TensorType(dtype, shape), description=quantization["text"] if quantization else "")
        if buffers.has_data(tensor.buffer):
            stored_shape = tuple(_ints(tensor.shape or []))
            value.initializer = Tensor(
                name, dtype, stored_shape, loader=buffers.loader(tensor.buffer, dtype, stored_shape),
                layout="quantized" if quantization else "dense", quantization=quantization)
        values.append(value)
    return values


def _tensor(values: List[Value], index: int, path: Path) -> Value:
    if not 0 <= index < len(values):
        raise ModelError(path, f"operator refers to tensor {index} of {len(values)}")
    return values[index]


def _node(operator: Table, codes: List[Table], values: List[Value], index: int, path: Path) -> Node:
    if not operator.opcode_index < len(codes):
        raise ModelError(path, f"operator {index} uses operator code {operator.opcode_index} of {len(codes)}")
    code = codes[operator.opcode_index]
    builtin = max(code.deprecated_builtin_code, code.builtin_code)
    raw = BUILTIN_OPERATORS[builtin] if builtin < len(BUILTIN_OPERATORS) else ""
    if raw == "CUSTOM":
        type_ = OpType(code.custom_code or "Custom", "Custom")
    else:
        name = operator_name(builtin)
        type_ = OpType(name, CATEGORIES.get(name, ""), documentation_source=documentation_source("tflite", name))
    type_.version = code.version
    node = Node(f"{type_.name}_{index}", type_)
    names = INPUT_NAMES.get(raw, ())
    for slot, tensor_index in enumerate(_ints(operator.inputs or [])):
        label = names[slot] if slot < len(names) else ("input" if slot == 0 else f"input{slot}")
        if tensor_index < 0:
            continue  # an optional input left out
        node.inputs.append(Argument(label, [_tensor(values, tensor_index, path)]))
    for slot, tensor_index in enumerate(_ints(operator.outputs or [])):
        if tensor_index >= 0:
            label = "output" if slot == 0 else f"output{slot}"
            node.outputs.append(Argument(label, [_tensor(values, tensor_index, path)]))
    node.attributes = _options(operator.builtin_options) + _options(operator.builtin_options_2)
    activation = (operator.builtin_options or {}).get("fused_activation_function")
    activation_name = ENUMS["ActivationFunctionType"].get(activation, "") if activation else ""
    if activation_name in _ACTIVATIONS:
        node.chain.append(Node(f"{node.name}.activation", OpType(_ACTIVATIONS[activation_name], "Activation")))
    return node


def _custom_options(operator: Table, buffer, path: Path) -> Optional[bytes]:
    if operator.custom_options is not None:
        data = operator.custom_options
        return data.tobytes() if isinstance(data, VectorRef) else bytes(data)
    offset, size = operator.large_custom_options_offset, operator.large_custom_options_size
    if offset > 1 and size:
        if offset + size > len(buffer):
            raise ModelError(path, f"custom options at offset {offset} run past the end of the file")
        return bytes(buffer[offset:offset + size])
    return None


def _custom_attributes(data: bytes, options_format: int) -> List[Attribute]:
    """Custom options as attributes: a FlexBuffers map (format 0) decoded, anything else as bytes."""
    if options_format == 0 and data:
        try:
            value = decode_flexbuffer(data)
        except FlatBufferError:
            value = None
        if isinstance(value, dict):
            return [Attribute(str(key), item) for key, item in value.items()]
    return [Attribute("custom_options", data)]


def _metadata(model: Table, buffers: _Buffers, buffer) -> List[tuple]:
    entries = []
    for entry in model.metadata or []:
        text = f"<{entry.buffer}>"
        if 0 <= entry.buffer < len(buffers.ranges) and buffers.ranges[entry.buffer] is not None:
            where = buffers.ranges[entry.buffer]
            data = where if isinstance(where, bytes) else bytes(buffer[where[0]:where[0] + min(where[1], 256)])
            size = len(where) if isinstance(where, bytes) else where[1]
            printable = data.rstrip(b"\0")
            if size <= 256 and printable and all(32 <= b < 127 for b in printable):
                text = printable.decode("ascii")
            else:
                text = f"{size} bytes"
        entries.append((entry.name or "metadata", text))
    for signature in model.signature_defs or []:
        # a TensorMap may leave its name out (flatbuffers fields are optional)
        inputs = ", ".join(item.name or "?" for item in signature.inputs or [])
        outputs = ", ".join(item.name or "?" for item in signature.outputs or [])
        entries.append((f"signature {signature.signature_key or ''}".strip(),
                        f"subgraph {signature.subgraph_index}: ({inputs}) -> ({outputs})"))
    return entries


def match(path: Path, header: bytes) -> bool:
    return file_identifier(header) == IDENTIFIER


def read(path: Path) -> Model:
    buffer = open_buffer(path)
    if len(buffer) < 8 or file_identifier(buffer) != IDENTIFIER:
        raise ModelError(path, "is not a TensorFlow Lite model (no TFL3 identifier)")
    model = Reader(buffer, TABLES, UNIONS).root("Model")
    buffers = _Buffers(path, buffer, model.buffers or [])
    codes = model.operator_codes or []
    graphs: List[Graph] = []
    nested: List[tuple] = []
    for graph_index, subgraph in enumerate(model.subgraphs or []):
        values = _values(subgraph, buffers)
        graph = Graph(subgraph.name or f"subgraph{graph_index}")
        for target, indices in ((graph.inputs, subgraph.inputs), (graph.outputs, subgraph.outputs)):
            for value in (_tensor(values, i, path) for i in _ints(indices or [])):
                target.append(Argument(value.name, [value]))
        for index, operator in enumerate(subgraph.operators or []):
            node = _node(operator, codes, values, index, path)
            custom = _custom_options(operator, buffer, path)
            if custom is not None:
                node.attributes.extend(_custom_attributes(custom, operator.custom_options_format))
            nested.append((node, operator.builtin_options))
            graph.nodes.append(node)
        # Every tensor whose buffer holds data counts, even where an operator does not use it.
        graph.stored_parameters = sum(math.prod(v.initializer.shape or ()) for v in values if v.initializer)
        graphs.append(graph)
    for node, options in nested:  # If/While/CallOnce bodies refer to subgraphs by index
        for key, item in (options or {}).items():
            if key.endswith("subgraph_index") and isinstance(item, int) and 0 <= item < len(graphs):
                node.graphs.append(graphs[item])
    description = model.description or ""
    # Converters write their name here ("TOCO Converted.", "MLIR Converted.").
    return Model(format=f"TensorFlow Lite v{model.version}", graphs=graphs, description=description,
                 metadata=_metadata(model, buffers, buffer), producer=description if len(description) < 80 else "")

"""Core ML neural networks (NeuralNetwork / Classifier / Regressor): layers, their weights and preprocessing.

A layer's parameters message holds its settings (attributes) and `WeightParams` (weights: float, float16,
or quantized raw bytes with linear or look-up-table parameters). WeightParams carry no shape, so each layer
kind's shape rule below gives one from its settings; a weight whose element count does not fit the rule is
shown flat.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Tuple

from ..codecs.protobuf import BytesRef, Message, PackedRef, to_bytes
from ..model import Argument, Attribute, Graph, Node, OpType, Tensor, TensorType, Value
from .coreml_shapes import layer_shape
from .schemas.coreml import ENUM_FIELDS, ENUMS

MAX_DEPTH = 16
_LAYER_FIELDS = {"name", "input", "output", "inputTensor", "outputTensor", "isUpdatable"}

CATEGORIES = {
    "Layer": ("convolution", "innerProduct", "embedding", "embeddingND", "batchedMatmul", "simpleRecurrent", "gru",
              "uniDirectionalLSTM", "biDirectionalLSTM", "convolution3d", "scale", "bias", "loadConstant",
              "loadConstantND"),
    "Activation": ("activation", "softmax", "softmaxND", "clip", "clampedReLU", "gelu", "sigmoid", "tanh"),
    "Pool": ("pooling", "pooling3d", "globalPooling3d"),
    "Normalization": ("batchnorm", "mvn", "l2normalize", "lrn", "layerNormalization"),
    "Shape": ("reshape", "flatten", "reshapeStatic", "reshapeDynamic", "reshapeLike", "rankPreservingReshape",
              "flattenTo2D", "squeeze", "expandDims", "getShape"),
    "Tensor": ("concat", "concatND", "split", "splitND", "slice", "sliceStatic", "sliceDynamic", "permute",
               "transpose", "gather", "gatherND", "padding", "constantPad", "crop", "tile", "stack", "copy"),
    "Transform": ("upsample", "resizeBilinear", "cropResize", "reorganizeData"),
    "Control": ("branch", "loop", "loopBreak", "loopContinue"),
    "Custom": ("custom",),
}
OP_CATEGORIES = {op: category for category, ops in CATEGORIES.items() for op in ops}


def _dims(*values) -> Tuple[int, ...]:
    return tuple(int(v) for v in values)


def _conv(params: Message) -> Dict[str, Tuple[int, ...]]:
    kernel = list(params.kernelSize) or [3, 3]
    groups = max(int(params.nGroups or 1), 1)
    out, channels = int(params.outputChannels), int(params.kernelChannels)
    weights = _dims(channels, out // groups, *kernel) if params.isDeconvolution else _dims(out, channels, *kernel)
    return {"weights": weights, "bias": _dims(out)}


def _recurrent(params: Message) -> Dict[str, Tuple[int, ...]]:
    size_in, size_out = int(params.inputVectorSize), int(params.outputVectorSize)
    shapes: Dict[str, Tuple[int, ...]] = {}
    for gate in ("input", "forget", "block", "output", "update", "reset"):
        shapes[f"{gate}GateWeightMatrix"] = _dims(size_out, size_in)
        shapes[f"{gate}GateRecursionMatrix"] = _dims(size_out, size_out)
        shapes[f"{gate}GateBiasVector"] = _dims(size_out)
        shapes[f"{gate}GatePeepholeVector"] = _dims(size_out)
    shapes.update(weightMatrix=_dims(size_out, size_in), recursionMatrix=_dims(size_out, size_out),
                  biasVector=_dims(size_out))
    return shapes


# Layer kind → function of its params giving weight field name → shape.
SHAPES: Dict[str, Callable[[Message], Dict[str, Tuple[int, ...]]]] = {
    "convolution": _conv,
    "innerProduct": lambda p: {"weights": _dims(p.outputChannels, p.inputChannels), "bias": _dims(p.outputChannels)},
    "batchnorm": lambda p: {name: _dims(p.channels) for name in ("gamma", "beta", "mean", "variance")},
    "embedding": lambda p: {"weights": _dims(p.outputChannels, p.inputDim), "bias": _dims(p.outputChannels)},
    "embeddingND": lambda p: {"weights": _dims(p.embeddingSize, p.vocabSize), "bias": _dims(p.embeddingSize)},
    "scale": lambda p: {"scale": _dims(*p.shapeScale), "bias": _dims(*p.shapeBias)},
    "bias": lambda p: {"bias": _dims(*p.shape)},
    "loadConstant": lambda p: {"data": _dims(*p.shape)},
    "loadConstantND": lambda p: {"data": _dims(*p.shape)},
    "batchedMatmul": lambda p: {"weights": _dims(p.weightMatrixFirstDimension, p.weightMatrixSecondDimension),
                                "bias": _dims(p.weightMatrixSecondDimension)},
    "simpleRecurrent": _recurrent, "gru": _recurrent, "uniDirectionalLSTM": _recurrent,
    "biDirectionalLSTM": _recurrent,
}


def weight_tensor(weights: Message, name: str, shape: Optional[Tuple[int, ...]]) -> Optional[Tensor]:
    """A WeightParams as a lazy Tensor; quantized values count their elements, not their bytes."""
    quantization = None
    if weights.get("floatValue") is not None and len(weights.floatValue):
        data, dtype, count = weights.floatValue, "float32", len(weights.floatValue)
    elif weights.get("float16Value") is not None and len(weights.float16Value):
        data, dtype, count = weights.float16Value, "float16", len(weights.float16Value) // 2
    elif weights.get("rawValue") is not None and len(weights.rawValue):
        data = weights.rawValue
        bits = int(weights.quantization.numberOfBits) if weights.quantization is not None else 8
        bits = bits if 1 <= bits <= 8 else 8
        dtype, count = f"uint{bits}" if bits in (1, 2, 4, 8) else "uint8", len(data) * 8 // bits
        if shape is not None and math.prod(shape) <= count:
            count = math.prod(shape)  # the last byte may hold padding bits
        quantization = _quantization(weights.quantization, bits)
    elif weights.get("int8RawValue") is not None and len(weights.int8RawValue):
        data, dtype, count = weights.int8RawValue, "int8", len(weights.int8RawValue)
    else:
        return None
    if shape is None or math.prod(shape) != count:
        shape = (count,)
    return Tensor(name, dtype, shape, loader=_loader(data, dtype, shape), location="inline",
                  layout="quantized" if quantization else "dense", quantization=quantization)


def _quantization(params: Optional[Message], bits: int) -> Optional[dict]:
    if params is None:
        return None
    found: dict = {"bits": bits}
    linear, table = params.linearQuantization, params.lookupTableQuantization
    if linear is not None:
        found["scale"] = list(linear.scale)
        found["bias"] = list(linear.bias)
    if table is not None:
        found["lookup_table"] = list(table.floatValue)
    return found


def _loader(data, dtype: str, shape: Tuple[int, ...]):
    def load():
        import numpy as np

        if isinstance(data, PackedRef):
            array = data.array()
        elif isinstance(data, list):
            array = np.array(data, dtype=np.float32)
        elif dtype in ("float16", "int8"):
            array = np.frombuffer(to_bytes(data), dtype="<f2" if dtype == "float16" else "i1")
        else:
            bits = int(dtype[4:])
            raw = np.frombuffer(to_bytes(data), dtype=np.uint8)
            if bits == 8:
                array = raw
            else:
                # Core ML packs sub-byte values from the most significant bit of each byte.
                unpacked = np.unpackbits(raw).reshape(-1, bits)
                array = (unpacked * (1 << np.arange(bits - 1, -1, -1))).sum(axis=1).astype(np.uint8)
        count = math.prod(shape)
        return array[:count].reshape(shape)

    return load


def _enum_label(message: str, field: str, value):
    enum = ENUM_FIELDS.get((message, field))
    if enum is None:
        return value
    labels = ENUMS[enum]
    return [labels.get(v, v) for v in value] if isinstance(value, list) else labels.get(value, value)


def plain_value(value, message: str = "", field: str = "", depth: int = 0):
    """A decoded field as plain Python (enums by label, nested messages as dicts)."""
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, Message):
        return {key: plain_value(item, value.type_name, key, depth + 1) for key, item in value.items()}
    if isinstance(value, PackedRef):
        return f"({len(value)} values)"
    if isinstance(value, (bytes, BytesRef)):
        return f"({len(value)} bytes)"
    if isinstance(value, list):
        return [plain_value(item, message, field, depth + 1) for item in value] if value and isinstance(
            value[0], Message) else _enum_label(message, field, value)
    return _enum_label(message, field, value)


def _walk(params: Message, shapes, node: Node, prefix: str, depth: int) -> None:
    """Attributes and weights of a layer's parameters: WeightParams become weight inputs, the rest attributes."""
    if depth > MAX_DEPTH:
        return
    for key, value in params.items():
        name = f"{prefix}{key}"
        items = value if isinstance(value, list) and value and isinstance(value[0], Message) else None
        if isinstance(value, Message) and value.type_name == "NeuralNetwork":
            # Branch and loop layers hold whole networks: reachable as nested graphs, like If/Loop bodies.
            body = Graph(name=f"{node.name} {name}")
            network_graph(value, body, {}, depth + 1)
            node.graphs.append(body)
        elif isinstance(value, Message) and value.type_name == "WeightParams":
            tensor = weight_tensor(value, name, shapes.get(key))
            if tensor is not None:
                node.inputs.append(Argument(name, [Value(f"{node.name}/{name}", tensor.type, initializer=tensor)]))
        elif isinstance(value, Message) and _holds_weights(value, depth):
            _walk(value, shapes, node, f"{name}.", depth + 1)
        elif items is not None and any(_holds_weights(item, depth) for item in items):
            for index, item in enumerate(items):
                _walk(item, shapes, node, f"{name}[{index}].", depth + 1)
        else:
            node.attributes.append(Attribute(name, plain_value(value, params.type_name, key), ""))


def _holds_weights(message: Message, depth: int) -> bool:
    if depth > MAX_DEPTH:
        return False
    if message.type_name == "WeightParams":
        return True
    for value in message.values():
        if isinstance(value, Message) and _holds_weights(value, depth + 1):
            return True
        if isinstance(value, list) and value and isinstance(value[0], Message):
            if any(_holds_weights(item, depth + 1) for item in value):
                return True
    return False


def layer_node(layer: Message, renamed: Dict[str, str], types: Dict[str, Optional[TensorType]],
               depth: int = 0) -> Node:
    """One layer; values the layer does not shape take the model description's types (inputs/outputs)."""
    kind = next((key for key in layer if key not in _LAYER_FIELDS), "unknown")
    params = layer.get(kind)
    type_name = kind
    if kind == "activation" and isinstance(params, Message) and params:
        type_name = next(iter(params))  # ReLU, leakyReLU, sigmoid...
    node = Node(name=layer.name, type=OpType(type_name, OP_CATEGORIES.get(kind, "Activation" if kind == "activation"
                                                                          else "")))
    input_shapes = list(layer.inputTensor)
    for index, name in enumerate(layer.input):
        declared = _tensor_type(input_shapes, index) or types.get(name)
        node.inputs.append(Argument("input", [Value(renamed.get(name, name), declared)]))
    output_shapes = list(layer.outputTensor)
    for index, name in enumerate(layer.output):
        node.outputs.append(Argument("output", [Value(name, _tensor_type(output_shapes, index) or types.get(name))]))
    if isinstance(params, Message):
        rule = SHAPES.get(kind)
        shapes = rule(params) if rule is not None else {}
        _walk(params, shapes, node, "", depth)
    return node


def _tensor_type(tensors: List[Message], index: int) -> Optional[TensorType]:
    if index >= len(tensors) or not tensors[index].dimValue:
        return None
    return TensorType(None, tuple(None if d < 0 else int(d) for d in tensors[index].dimValue))


def preprocessing_nodes(network: Message, renamed: Dict[str, str], types: Dict[str, Optional[TensorType]]) \
        -> List[Node]:
    """Image preprocessing (scale and channel biases, or mean image) as boxes before the first layers."""
    nodes = []
    for index, item in enumerate(network.preprocessing):
        kind = "scaler" if item.scaler is not None else "meanImage" if item.meanImage is not None else None
        if kind is None:
            continue
        feature = item.featureName or next(iter(types), "")
        output = f"{feature} (preprocessed)" if len(network.preprocessing) == 1 else f"{feature} ({kind} {index})"
        renamed[feature] = output
        node = Node(name=f"{kind} {feature}", type=OpType(kind, "Data"),
                    inputs=[Argument("input", [Value(feature, types.get(feature))])],
                    outputs=[Argument("output", [Value(output, types.get(feature))])])
        for key, value in item[kind].items():
            node.attributes.append(Attribute(key, plain_value(value), ""))
        nodes.append(node)
    return nodes


def _infer_output(node: Node, layer: Message, types: Dict[str, Optional[TensorType]]) -> None:
    """Give the layer's first output a C×H×W shape from its inputs' when the file gives none; record it in
    `types`, where the layers after it look their inputs up by name."""
    outputs = [value for argument in node.outputs for value in argument.values]
    if not outputs or (outputs[0].type is not None and outputs[0].type.shape is not None):
        return
    inputs = [value for argument in node.inputs if argument.name == "input" for value in argument.values]
    kind = next((key for key in layer if key not in _LAYER_FIELDS), "")
    shape = layer_shape(kind, layer.get(kind), [v.type.shape if v.type is not None else None for v in inputs])
    if shape is not None:
        outputs[0].type = types[outputs[0].name] = TensorType(inputs[0].type.dtype, shape)


def network_graph(network: Message, graph: Graph, types: Dict[str, Optional[TensorType]], depth: int = 0) -> None:
    """Fill `graph` with the network's preprocessing and layers; `nodes` counts the layers only (and
    `parameters` their weights), not those of networks nested in branch/loop layers."""
    renamed: Dict[str, str] = {}
    graph.nodes.extend(preprocessing_nodes(network, renamed, types))
    operators: Dict[str, int] = {}
    parameters = 0
    layers: List[Node] = []
    for layer in network.layers:
        node = layer_node(layer, renamed, types, depth)
        _infer_output(node, layer, types)
        layers.append(node)
        graph.nodes.append(node)
        operators[node.type.name] = operators.get(node.type.name, 0) + 1
        parameters += sum(value.initializer.size or 0 for _, value in node.weights())
    graph.stored_operators = operators
    graph.stored_parameters = parameters
    labels = network.get("stringClassLabels") or network.get("int64ClassLabels")
    if labels is not None:
        classes = list(labels.vector)
        shown = ", ".join(str(label) for label in classes[:10]) + (", …" if len(classes) > 10 else "")
        graph.description = f"{len(classes)} classes: {shown}"
        _classifier_node(network, graph, layers, classes)


def _classifier_node(network: Message, graph: Graph, layers: List[Node], classes: list) -> None:
    """A classifier's label and probability outputs come from its probability layer through the class labels:
    drawn as one box (not counted as a layer) so those outputs are connected."""
    produced = {value.name for node in graph.nodes for argument in node.outputs for value in argument.values}
    missing = [argument for argument in graph.outputs if argument.values and argument.values[0].name not in produced]
    source = next((node for node in layers if node.name == network.get("labelProbabilityLayerName")), None)
    source = source or (layers[-1] if layers else None)
    if not missing or source is None or not source.outputs or not source.outputs[0].values:
        return
    probabilities = source.outputs[0].values[0]
    node = Node(name="classLabels", type=OpType("classLabels", "Data"),
                inputs=[Argument("probabilities", [Value(probabilities.name, probabilities.type)])],
                outputs=[Argument(argument.name, list(argument.values)) for argument in missing],
                attributes=[Attribute("classes", classes, "")])
    graph.nodes.append(node)

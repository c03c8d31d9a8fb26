"""MNN: a FlatBuffer `Net` (no file identifier) read with our own FlatBuffers codec.

Detection looks at the structure: a root table whose vtable fits `Net`, an `oplists` vector whose first
operators are `Op` tables with a known type code and parameter union code. Each op becomes a box except
`Input` (a graph input) and `Const` (its `Blob` becomes a weight row of the ops that consume it); tensors are
addressed by index and named by `tensorName`. Weights are the float / int vectors of the parameter tables
(Convolution2D weight and bias, BatchNorm, Scale, LayerNorm…), fp16 and int8 "compressed" convolution weights
(`quanParameter`, de-quantized by mnn_idst.py), and data stored in the external `.weight` file (`external` =
offset and byte sizes). The file stores only the inputs' shapes; mnn_shapes.py infers the others for the edges.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.flatbuffers import Reader, Table, VectorRef
from ..codecs.protobuf import open_buffer
from ..model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .mnn_shapes import infer_shapes
from .mnn_weights import WeightSource, blob_tensor, table_weights
from .schemas.mnn import ENUMS, TABLES, UNIONS
from .schemas.tensorflow import DTYPES
from .stages import SHAPES, stage

NAME = "MNN"
EXTENSIONS = (".mnn",)

OP_TYPES: Dict[int, str] = ENUMS["OpType"]
PARAMETERS = UNIONS["OpParameter"]

CATEGORIES = {
    "Layer": ("Convolution", "ConvolutionDepthwise", "Deconvolution", "DeconvolutionDepthwise", "Convolution3D",
              "ConvTranspose3D", "InnerProduct", "MatMul", "BatchMatMul", "LSTM", "RNN", "RNNSequenceGRU",
              "LSTMBlockCell", "ConvInt8", "DepthwiseConvInt8", "TfQuantizedConv2D", "QuantizedDepthwiseConv2D",
              "Attention", "FusedLinear", "MoE", "Im2Col", "Col2Im"),
    "Pool": ("Pooling", "Pooling3D", "QuantizedAvgPool", "QuantizedMaxPool", "ROIPooling", "ROIAlign"),
    "Activation": ("ReLU", "ReLU6", "PReLU", "ELU", "Selu", "Sigmoid", "TanH", "Softmax", "Threshold",
                   "QuantizedSoftmax", "QuantizedLogistic", "SplitGeLU", "Bnll"),
    "Normalization": ("BatchNorm", "InstanceNorm", "LayerNorm", "GroupNorm", "Normalize", "LRN", "Scale",
                      "GatedRMSNorm"),
    "Dropout": ("Dropout",),
    "Shape": ("Reshape", "Squeeze", "Unsqueeze", "Flatten", "ExpandDims", "Shape", "Rank", "Size",
              "QuantizedReshape", "BroadcastTo"),
    "Tensor": ("Concat", "Slice", "SliceTf", "StridedSlice", "Gather", "GatherV2", "GatherND", "GatherElements",
               "Pack", "Unpack", "Tile", "Padding", "Crop", "QuantizedConcat", "ScatterNd", "ScatterElements",
               "OneHot", "Fill", "ZerosLike", "Range", "Where", "Select", "TopKV2", "ArgMax", "ArgMin"),
    "Transform": ("Permute", "Transpose", "ConvertTensor", "Raster", "Interp", "Interp3D", "Resize",
                  "DepthToSpace", "SpaceToDepth", "BatchToSpaceND", "SpaceToBatchND", "GridSample",
                  "ReverseSequence", "Reverse", "CropAndResize"),
    "Data": ("Cast", "CastLike"),
    "Quantization": ("FloatToInt8", "Int8ToFloat", "Dequantize", "QuantizeV2", "QuantizeMaxMin", "Requantize",
                     "RequantizationRange", "DynamicQuant", "EltwiseInt8"),
    "Control": ("While", "If"),
    "Custom": ("Extra", "Plugin"),
}
_CATEGORY = {op: category for category, ops in CATEGORIES.items() for op in ops}

# Options fields shown by enum name: (table, field) → enum.
_ENUM_FIELDS = {(table, field[0]): field[1].split(":", 1)[1].rstrip("]")
                for table, fields in TABLES.items() for field in fields
                if ":" in field[1] and not field[1].startswith("union:")}
_DEFAULTS = {(table, field[0]): field[2] for table, fields in TABLES.items() for field in fields if len(field) > 2}
_MAX_LIST = 64  # longer vectors are attributes by their length only

# Net vtable slots (a Net table has at most this many fields) and the Op fields the peek checks.
_NET_FIELDS = len(TABLES["Net"])
_NET_OPLISTS_SLOT = [field[0] for field in TABLES["Net"]].index("oplists")
_OP_SLOTS = 1 + len(TABLES["Op"])  # the union takes two slots
_OP_MAIN_TYPE_SLOT, _OP_TYPE_SLOT = 1, 5


def dtype_name(code: int) -> Optional[str]:
    """MNN DataType codes are TensorFlow's DataType codes."""
    return DTYPES.get(code)


# --- detection -----------------------------------------------------------------------------------------

def _u32(buffer, position: int) -> int:
    return struct.unpack_from("<I", buffer, position)[0]


def _vtable(buffer, table: int, max_slots: int) -> Optional[List[int]]:
    """The field offsets of the table at `table`, or None when its vtable does not fit `max_slots` fields."""
    if table < 4 or table + 4 > len(buffer):
        return None
    vtable = table - struct.unpack_from("<i", buffer, table)[0]
    if vtable < 0 or vtable + 4 > len(buffer):
        return None
    vtable_size, table_size = struct.unpack_from("<HH", buffer, vtable)
    if vtable_size < 4 or vtable_size % 2 or vtable_size > 4 + 2 * max_slots or vtable + vtable_size > len(buffer):
        return None
    if table_size < 4 or table + table_size > len(buffer):
        return None
    slots = list(struct.unpack_from(f"<{(vtable_size - 4) // 2}H", buffer, vtable + 4))
    if any(offset and not 4 <= offset < table_size for offset in slots):
        return None
    return slots


def _looks_like_op(buffer, table: int) -> bool:
    slots = _vtable(buffer, table, _OP_SLOTS + 4)  # room for fields newer than our schema
    if slots is None:
        return False
    slots += [0] * (_OP_SLOTS - len(slots))
    type_code = struct.unpack_from("<i", buffer, table + slots[_OP_TYPE_SLOT])[0] if slots[_OP_TYPE_SLOT] else 0
    main_code = buffer[table + slots[_OP_MAIN_TYPE_SLOT]] if slots[_OP_MAIN_TYPE_SLOT] else 0
    return type_code in OP_TYPES and main_code < len(PARAMETERS) + 16


def looks_like_net(buffer) -> bool:
    """A cheap structural peek: root table shaped like `Net` with a non-empty `oplists` of `Op` tables."""
    try:
        if len(buffer) < 16:
            return False
        root = _u32(buffer, 0)
        slots = _vtable(buffer, root, _NET_FIELDS + 4)
        if slots is None or len(slots) <= _NET_OPLISTS_SLOT or not slots[_NET_OPLISTS_SLOT]:
            return False
        field = root + slots[_NET_OPLISTS_SLOT]
        vector = field + _u32(buffer, field)
        count = _u32(buffer, vector)
        if count == 0 or vector + 4 + 4 * count > len(buffer):
            return False
        for index in range(min(count, 3)):
            item = vector + 4 + 4 * index
            if not _looks_like_op(buffer, item + _u32(buffer, item)):
                return False
        return True
    except struct.error:
        return False


def match(path: Path, header: bytes) -> bool:
    if len(header) < 16 or path.is_dir():
        return False
    if looks_like_net(header):
        return True
    # The oplists vector may start past the header: peek at the whole file when the root table fits.
    if path.suffix.lower() != ".mnn" or _vtable(header, _u32(header, 0), _NET_FIELDS + 4) is None:
        return False
    try:
        return looks_like_net(open_buffer(path))
    except OSError:
        return False


# --- reading -------------------------------------------------------------------------------------------

def read(path: Path) -> Model:
    buffer = open_buffer(path)
    if not looks_like_net(buffer):
        raise ModelError(path, "is not an MNN model (no Net with operators found)")
    net = Reader(buffer, TABLES, UNIONS).root("Net")
    source = WeightSource(path)
    subgraphs = {sub.name or f"subgraph{index}": sub for index, sub in enumerate(net.subgraphs or [])}
    graph, _ = _graph("main", net.oplists or [], net.tensorName or [], net.extraTensorDescribe or [], source, path)
    graph.outputs = _outputs_by_name(graph, net.outputName or [])
    built: Dict[str, Graph] = {}
    for name, sub in subgraphs.items():
        body, values = _graph(name, sub.nodes or [], sub.tensors or [], sub.extraTensorDescribe or [], source, path)
        body.inputs = [Argument(values[i].name, [values[i]]) for i in _ints(sub.inputs) if 0 <= i < len(values)]
        body.outputs = [Argument(values[i].name, [values[i]]) for i in _ints(sub.outputs) if 0 <= i < len(values)]
        built[name] = body
    for node in graph.nodes + [node for body in built.values() for node in body.nodes]:
        names = [attribute.value for attribute in node.attributes
                 if attribute.name in ("cond_graph", "body_graph", "then_graph", "else_graph")]
        node.graphs = [built[name] for name in names if name in built]
    info = net.extraInfo or Table()
    version = info.get("version") or ""
    source_name = ENUMS["NetSource"].get(net.sourceType, str(net.sourceType))
    model = Model(format="MNN", graphs=[graph], version=version,
                  producer=f"MNN {version} (from {source_name})" if version else "")
    model.functions = list(built.values())
    for key, value in (("source", source_name), ("bizCode", net.bizCode), ("uuid", net.mnn_uuid),
                       ("forward type", ENUMS["ForwardType"].get(net.preferForwardType)),
                       ("usage", ENUMS["Usage"].get(net.usage)), ("tensors", len(net.tensorName or [])),
                       ("subgraphs", len(subgraphs) or None), ("converter", info.get("name"))):
        if value:
            model.metadata.append((key, str(value)))
    if source.external:
        model.metadata.append(("external weights", source.external.name))
    return model


def _ints(vector) -> List[int]:
    if vector is None:
        return []
    return [int(v) for v in vector.tolist()] if isinstance(vector, VectorRef) else list(vector)


def _outputs_by_name(graph: Graph, names: List[str]) -> List[Argument]:
    produced = {value.name: value for node in graph.nodes for argument in node.outputs for value in argument.values}
    consumed = {value.name for node in graph.nodes for argument in node.inputs for value in argument.values}
    if names:
        return [Argument(name, [produced[name]]) for name in names if name in produced]
    return [Argument(name, [value]) for name, value in produced.items() if name not in consumed]


def _values(names: List[str], describes: List[Table], path: Path) -> List[Value]:
    values, seen = [], set()
    for index, name in enumerate(names):
        name = name or f"tensor{index}"
        if name in seen:
            name = f"{name}#{index}"
        seen.add(name)
        values.append(Value(name))
    for describe in describes:
        if 0 <= describe.index < len(values):
            value = values[describe.index]
            blob = describe.blob
            if blob is not None:
                value.type = TensorType(dtype_name(blob.dataType), _shape(blob.dims))
            quant = describe.quantInfo
            if quant is not None:
                value.description = f"quantized {quant.scale:.6g} · (q − {quant.zero:g})"
    return values


def _shape(dims) -> Optional[Tuple]:
    if dims is None:
        return None
    return tuple(None if d < 0 else d for d in _ints(dims))


def _tensor(values: List[Value], index: int, path: Path) -> Value:
    if not 0 <= index < len(values):
        raise ModelError(path, f"an op refers to tensor {index} of {len(values)}")
    return values[index]


def _graph(name: str, ops: List[Table], names: List[str], describes: List[Table], source: WeightSource,
           path: Path) -> Tuple[Graph, List[Value]]:
    graph = Graph(name=name)
    count = max([len(names)] + [i + 1 for op in ops for i in _ints(op.outputIndexes) + _ints(op.inputIndexes)])
    if count > len(names) + 4 * len(ops) + 16:
        raise ModelError(path, f"ops refer to tensor {count - 1} but the file names {len(names)} tensors")
    values = _values(list(names) + [""] * (count - len(names)), describes, path)
    tensors: List[Tensor] = []
    constants: Dict[str, List[int]] = {}
    for index, op in enumerate(ops):
        type_name = OP_TYPES.get(op.type, f"OpType{op.type}")
        parameter = op.main
        outputs = [_tensor(values, i, path) for i in _ints(op.outputIndexes)]
        if type_name == "Input" and not op.inputIndexes:
            for value in outputs:
                if parameter is not None and parameter.type_name == "Input":
                    value.type = TensorType(dtype_name(parameter.dtype), _shape(parameter.dims))
                    value.description = ENUMS["MNN_DATA_FORMAT"].get(parameter.dformat, "")
                graph.inputs.append(Argument(value.name, [value]))
            continue
        if type_name in ("Const", "TrainableParam") and parameter is not None and parameter.type_name == "Blob" \
                and not op.inputIndexes and len(outputs) == 1:
            tensor = blob_tensor(outputs[0].name, parameter, source, path)
            small = parameter.int32s
            if isinstance(small, list) and 0 < len(small) <= 64:  # shape and axis operands, for shapes
                constants[outputs[0].name] = small
            outputs[0].initializer = tensor
            outputs[0].type = tensor.type
            tensors.append(tensor)
            continue
        node = Node(op.name or f"{type_name}_{index}", OpType(type_name, _CATEGORY.get(type_name, "")))
        for slot, tensor_index in enumerate(_ints(op.inputIndexes)):
            label = "input" if slot == 0 else f"input{slot}"
            node.inputs.append(Argument(label, [_tensor(values, tensor_index, path)]))
        for slot, value in enumerate(outputs):
            node.outputs.append(Argument("output" if slot == 0 else f"output{slot}", [value]))
        if parameter is not None:
            weights = table_weights(node.name, parameter, source, path)
            for label, tensor in weights:
                node.inputs.append(Argument(label, [Value(tensor.name, tensor.type, initializer=tensor)]))
                tensors.append(tensor)
            node.attributes = _attributes(parameter, {label.split(".")[-1] for label, _ in weights})
            if parameter.get("common") is not None and (parameter.common.get("relu") or parameter.common.get("relu6")):
                activation = "ReLU6" if parameter.common.get("relu6") else "ReLU"
                node.chain.append(Node(f"{node.name}.activation", OpType(activation, "Activation")))
        elif op.main_type:
            node.attributes.append(Attribute("parameter", f"union member {op.main_type}", visible=False))
        graph.nodes.append(node)
    graph.stored_parameters = sum(tensor.size or 0 for tensor in tensors)
    with stage(SHAPES):
        infer_shapes(graph, constants)
    return graph, values


def _attributes(table: Table, weights: set, prefix: str = "", depth: int = 0) -> List[Attribute]:
    attributes: List[Attribute] = []
    for key, value in table.items():
        if key in weights or key == "external" or (key.endswith("_type") and key[:-5] in table):
            continue
        if isinstance(value, Table):
            if depth < 2 and value.type_name not in ("Blob", "IDSTQuan", "QuantizedFloatParam"):
                inner = "" if key == "common" else f"{prefix}{key}."
                attributes.extend(_attributes(value, set(), inner, depth + 1))
            continue
        if isinstance(value, VectorRef):
            value = value.tolist() if value.count <= _MAX_LIST else f"{value.count} values"
        elif isinstance(value, list) and value and isinstance(value[0], Table):
            value = f"{len(value)} {value[0].type_name or 'table'}s"
        enum = _ENUM_FIELDS.get((table.type_name, key))
        if enum and isinstance(value, int):
            value = ENUMS.get(enum, {}).get(value, value)
        # An enum names what the op does (BinaryOp ADD, Pool MAXPOOL): shown even when it is the default.
        default = _DEFAULTS.get((table.type_name, key))
        hidden = value is None or (not enum and (value == default or (default is None and value in (0, False, ""))))
        attributes.append(Attribute(prefix + key, value, visible=not hidden))
    return attributes


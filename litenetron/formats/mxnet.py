"""MXNet: a symbol JSON graph, with its `.params` NDArray list beside it when present.

The symbol is `{"nodes": [...], "arg_nodes": [...], "heads": [...]}`; each node has `op`, `name`, `inputs`
(`[node, output, version]`) and settings under `attrs` (1.x), `attr` (0.9–1.1) or `param` (0.8). Variables
(`op == "null"`) holding parameters become weights inside their consumer; the others become graph inputs.

Companions share the folder: `net-symbol.json` ↔ `net-NNNN.params` (highest epoch), `net.json` ↔
`net.params`. The `.params` file is an NDArray list (`ndarray.py`'s save format): magic 0x112, reserved,
the arrays (legacy / V1 / V2 / V3 headers: storage type, shape, context, dtype flag, data) and their names;
array data is recorded as offset ranges and read on demand.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.binary import BinaryReader, array_loader, open_buffer
from ..model import (
    Argument,
    Attribute,
    FormatError,
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
from .windows import transposed_output, window_output

NAME = "MXNet"
EXTENSIONS = (".json", ".params")  # what the Open dialog offers

LIST_MAGIC = 0x112
NDARRAY_V1, NDARRAY_V2, NDARRAY_V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
MAX_RANK = 32

# mshadow type flags.
DTYPES = {0: "float32", 1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8", 6: "int64", 7: "bool",
          8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}

CATEGORIES = {
    "Convolution": "Layer", "Deconvolution": "Layer", "FullyConnected": "Layer", "RNN": "Layer",
    "_contrib_DeformableConvolution": "Layer", "Embedding": "Transform",
    "BatchNorm": "Normalization", "InstanceNorm": "Normalization", "LayerNorm": "Normalization",
    "GroupNorm": "Normalization", "LRN": "Normalization", "L2Normalization": "Normalization",
    "Activation": "Activation", "LeakyReLU": "Activation", "relu": "Activation", "sigmoid": "Activation",
    "tanh": "Activation", "softmax": "Activation", "log_softmax": "Activation", "SoftmaxOutput": "Activation",
    "SoftmaxActivation": "Activation", "LinearRegressionOutput": "Activation",
    "LogisticRegressionOutput": "Activation",
    "Pooling": "Pool", "ROIPooling": "Pool", "_contrib_ROIAlign": "Pool",
    "Dropout": "Dropout",
    "Concat": "Tensor", "concat": "Tensor", "SliceChannel": "Tensor", "split": "Tensor", "slice": "Tensor",
    "slice_axis": "Tensor", "stack": "Tensor", "_rnn_param_concat": "Tensor",
    "Flatten": "Shape", "flatten": "Shape", "Reshape": "Shape", "reshape": "Shape", "expand_dims": "Shape",
    "squeeze": "Shape", "SwapAxis": "Transform", "transpose": "Transform", "Cast": "Transform",
    "UpSampling": "Data", "Crop": "Data", "Pad": "Data",
    "_contrib_quantize": "Quantization", "_contrib_dequantize": "Quantization",
    "_zeros": "Constant", "_ones": "Constant", "zeros_like": "Constant", "ones_like": "Constant",
}

_PARAMETER_SUFFIXES = ("weight", "bias", "gamma", "beta", "moving_mean", "moving_var", "running_mean",
                       "running_var", "alpha", "parameters")


@dataclass
class ArrayEntry:
    """One array of a `.params` file: where its data is, not the data."""

    name: str
    dtype: str
    shape: Tuple[int, ...]
    offset: int
    loader_path: Path

    def tensor(self, name: str) -> Tensor:
        loader = array_loader(self.loader_path, self.offset, self.dtype, self.shape)
        return Tensor(name, self.dtype, self.shape, loader=loader, location=self.loader_path.name)


def _read_shape(reader: BinaryReader, legacy_ndim: Optional[int] = None) -> Optional[Tuple[int, ...]]:
    if legacy_ndim is not None:
        if legacy_ndim > MAX_RANK:
            raise FormatError(f"legacy array declares {legacy_ndim} dimensions")
        return tuple(reader.uint32() for _ in range(legacy_ndim))
    ndim = reader.int32()
    if ndim < 0:
        return None  # V3: unknown shape (a "none" array)
    if ndim > MAX_RANK:
        raise FormatError(f"array declares {ndim} dimensions")
    dims = tuple(reader.int64() for _ in range(ndim))
    if any(dim < 0 for dim in dims):
        raise FormatError(f"array has a negative dimension {dims}")
    return dims


def _skip_array(reader: BinaryReader, path: Path) -> Tuple[str, Tuple[int, ...], int]:
    """Read one NDArray header and step over its data: (dtype, shape, data offset)."""
    magic = reader.uint32()
    storage = 0
    if magic in (NDARRAY_V2, NDARRAY_V3):
        storage = reader.int32()
        if storage != 0:
            raise ModelError(path, f"sparse arrays (storage type {storage}) are not supported")
        shape = _read_shape(reader)
    elif magic == NDARRAY_V1:
        shape = _read_shape(reader)
    else:
        shape = _read_shape(reader, legacy_ndim=magic)
    if shape is None or (magic != NDARRAY_V3 and len(shape) == 0):
        return "float32", (), reader.position  # an empty array: no context, dtype or data follow
    reader.int32(), reader.int32()  # context: device type and id, not needed to view the array
    flag = reader.int32()
    dtype = DTYPES.get(flag)
    if dtype is None:
        raise FormatError(f"unknown array dtype flag {flag}")
    count = math.prod(shape)
    itemsize = 1 if dtype in ("uint8", "int8", "bool") else {"float16": 2, "bfloat16": 2, "int16": 2,
                                                             "uint16": 2, "float64": 8, "int64": 8,
                                                             "uint64": 8}.get(dtype, 4)
    offset = reader.skip(count * itemsize, "array data")
    return dtype, shape, offset


def read_params(path: Path) -> List[ArrayEntry]:
    """The arrays of a `.params` file with their names (`arg:`/`aux:` prefixes kept)."""
    buffer = open_buffer(path)
    reader = BinaryReader(buffer)
    if reader.remaining < 24 or reader.uint64() != LIST_MAGIC:
        raise ModelError(path, "is not an MXNet NDArray list (bad magic number)")
    reader.uint64()
    count = reader.count(4, "array count", wide=True)
    arrays = [_skip_array(reader, path) for _ in range(count)]
    names_count = reader.count(8, "name count", wide=True)
    names = [reader.string(reader.count(1, "name length", wide=True)) for _ in range(names_count)]
    if names and len(names) != len(arrays):
        raise ModelError(path, f"holds {len(arrays)} arrays but {len(names)} names")
    names = names or [str(index) for index in range(len(arrays))]
    return [ArrayEntry(name, dtype, shape, offset, path) for name, (dtype, shape, offset) in zip(names, arrays)]


def _params_for(symbol: Path) -> Optional[Path]:
    name = symbol.name
    if name.endswith("-symbol.json"):
        stem = name[:-len("-symbol.json")]
        epochs = []
        for candidate in symbol.parent.glob(f"{_glob_escape(stem)}-*.params"):
            match = re.fullmatch(re.escape(stem) + r"-(\d+)\.params", candidate.name)
            if match:
                epochs.append((int(match.group(1)), candidate))
        if epochs:
            return max(epochs)[1]
    plain = symbol.with_suffix(".params")
    return plain if plain.is_file() else None


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _symbol_for(params: Path) -> Optional[Path]:
    match = re.fullmatch(r"(.*)-\d+\.params", params.name)
    candidates = [params.parent / f"{match.group(1)}-symbol.json"] if match else []
    candidates.append(params.with_suffix(".json"))
    return next((c for c in candidates if c.is_file()), None)


def _attribute_value(text):
    if not isinstance(text, str):
        return text
    if text in ("True", "False"):
        return text == "True"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"\((\s*-?\d+L?\s*,?)*\)", text):
        return [int(part.rstrip("L")) for part in re.findall(r"-?\d+L?", text)]
    return text


def _parse_shape(text) -> Optional[Tuple[Optional[int], ...]]:
    value = _attribute_value(text) if isinstance(text, str) else None
    if isinstance(value, list):
        return tuple(dim if dim > 0 else None for dim in value)
    return None


def _settings(node: dict) -> dict:
    for key in ("attrs", "attr", "param"):
        value = node.get(key)
        if isinstance(value, dict):
            return value
    return {}


def _is_parameter(node: dict, slots: set, params: Optional[Dict[str, ArrayEntry]]) -> bool:
    name = node.get("name", "")
    if params is not None:
        return name in params
    if name == "data" or name.endswith("label"):
        return False
    settings = _settings(node)
    if any(key in settings for key in ("__lr_mult__", "__wd_mult__", "__init__")):
        return True
    return name.rsplit("_", 1)[-1] in _PARAMETER_SUFFIXES or bool(slots - {0})


def _read_symbol(path: Path) -> dict:
    try:
        symbol = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ModelError(path, f"is not valid JSON ({error})") from None
    if not isinstance(symbol, dict) or not isinstance(symbol.get("nodes"), list):
        raise ModelError(path, "is not an MXNet symbol (no 'nodes' list)")
    return symbol


def _entry(item, count: int, path: Path) -> Tuple[int, int]:
    if not isinstance(item, list) or len(item) < 2 or not all(isinstance(x, int) for x in item[:2]):
        raise ModelError(path, f"malformed node reference {item!r}")
    if not 0 <= item[0] < count:
        raise ModelError(path, f"node reference {item[0]} is out of range")
    return item[0], item[1]


def _build_graph(symbol: dict, path: Path, params: Optional[List[ArrayEntry]]) -> Graph:
    records = symbol["nodes"]
    if not all(isinstance(record, dict) for record in records):
        raise ModelError(path, "the symbol's 'nodes' must all be JSON objects")
    by_name = None
    if params is not None:
        by_name = {}
        for entry in params:
            by_name[entry.name.split(":", 1)[-1]] = entry
    # Which input slots consume each node, and which of its outputs are used (consumers may come later).
    slots: Dict[int, set] = {}
    used: Dict[int, set] = {}
    for record in records:
        for slot, item in enumerate(record.get("inputs", [])):
            source, output = _entry(item, len(records), path)
            slots.setdefault(source, set()).add(slot)
            used.setdefault(source, {0}).add(output)
    for item in symbol.get("heads", []):
        source, output = _entry(item, len(records), path)
        used.setdefault(source, {0}).add(output)
    values: Dict[Tuple[int, int], Value] = {}

    def value(source: int, index: int) -> Value:
        key = (source, index)
        if key not in values:
            name = records[source].get("name", str(source))
            values[key] = Value(name if index == 0 else f"{name}:{index}")
        return values[key]

    graph = Graph(path.name.rsplit("-symbol.json", 1)[0].rsplit(".json", 1)[0])
    for index, record in enumerate(records):
        if record.get("op") != "null":
            continue
        if _is_parameter(record, slots.get(index, set()), by_name):
            name = record.get("name", "")
            entry = by_name.get(name) if by_name is not None else None
            if entry is not None:
                tensor = entry.tensor(name)
            else:
                tensor = Tensor(name, None, _parse_shape(_settings(record).get("__shape__")))
            values[(index, 0)] = Value(name, tensor.type, tensor)
        else:
            data = value(index, 0)
            shape = _parse_shape(_settings(record).get("__shape__"))
            data.type = TensorType(None, shape) if shape else None
            graph.inputs.append(Argument(data.name, [data]))

    for index, record in enumerate(records):
        op = record.get("op")
        if op == "null":
            continue
        name = str(record.get("name", index))
        node = Node(name, OpType(str(op), CATEGORIES.get(str(op), "")))
        for slot, item in enumerate(record.get("inputs", [])):
            source, output = _entry(item, len(records), path)
            input_value = value(source, output)
            source_name = str(records[source].get("name", ""))
            if input_value.initializer is not None and source_name.startswith(name + "_"):
                label = source_name[len(name) + 1:]
            else:
                label = "data" if slot == 0 else f"input{slot}"
            node.inputs.append(Argument(label, [input_value]))
        outputs = sorted(used.get(index, {0}))
        node.outputs = [Argument("output" if i == 0 else f"output{i}", [value(index, i)]) for i in outputs]
        node.attributes = [Attribute(key, _attribute_value(text), visible=not key.startswith("__"))
                           for key, text in _settings(record).items()]
        settings = {attribute.name: attribute.value for attribute in node.attributes}
        shapes = [v.type.shape if v.type else None for argument in node.inputs for v in argument.values]
        shape = infer_shape(str(op), settings, shapes)
        if shape is not None and len(node.outputs) == 1:
            node.outputs[0].values[0].type = TensorType(None, shape)
        graph.nodes.append(node)

    for item in symbol.get("heads", []):
        source, output = _entry(item, len(records), path)
        head = value(source, output)
        graph.outputs.append(Argument(head.name, [head]))
    graph.stored_parameters = sum(element_count(e.shape) for e in params) if params is not None else 0
    return graph


# Operators whose output has their first input's shape.
_SAME_SHAPE = {
    "Activation", "LeakyReLU", "BatchNorm", "CuDNNBatchNorm", "InstanceNorm", "LayerNorm", "GroupNorm", "LRN",
    "L2Normalization", "Dropout", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "SoftmaxActivation",
    "SoftmaxOutput", "LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput", "clip",
    "_copy", "identity", "BlockGrad", "Cast", "elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div",
    "_Plus", "_plus", "_Minus", "_minus", "_Mul", "_mul", "_Div", "_div", "ElementWiseSum", "add_n",
    "_plus_scalar", "_minus_scalar", "_mul_scalar", "_div_scalar", "_rminus_scalar", "_rdiv_scalar",
    "_power_scalar", "square", "sqrt", "exp", "log", "abs", "negative",
}


def _window(size: Optional[int], kernel: int, stride: int, pad: int, dilate: int, ceil: bool) -> Optional[int]:
    return window_output(size, kernel, stride, 2 * pad, dilate, ceil, clamp_last=False)


def infer_shape(op: str, settings: dict, inputs: List[Optional[tuple]]) -> Optional[tuple]:
    """The output shape of the common operators; unknown dims (and unknown input sizes) stay None."""
    first = inputs[0] if inputs else None
    get = settings.get
    if op in _SAME_SHAPE:
        return first
    if op.startswith("broadcast_") and inputs and all(shape is not None for shape in inputs):
        if all(len(shape) == len(first) for shape in inputs):
            return tuple(None if None in dims else max(dims) for dims in zip(*inputs))
        return None
    if op in ("Convolution", "Deconvolution", "Pooling"):
        kernel = get("kernel") if isinstance(get("kernel"), list) else []
        if op == "Pooling" and (get("global_pool") is True or not kernel):
            return None if first is None else first[:2] + (1,) * (len(first) - 2)
        rank = len(kernel) + 2
        if first is not None and len(first) != rank:
            return None
        first = first or (None,) * rank
        channels = first[1] if op == "Pooling" else get("num_filter")
        spatial = []
        for axis, size in enumerate(first[2:]):
            def at(key, default, axis=axis):
                value = get(key)
                return value[axis] if isinstance(value, list) and axis < len(value) else default
            if op == "Deconvolution":
                out = transposed_output(size, kernel[axis], at("stride", 1), 2 * at("pad", 0), at("dilate", 1),
                                        at("adj", 0))
            else:
                out = _window(size, kernel[axis], at("stride", 1), at("pad", 0), at("dilate", 1),
                              get("pooling_convention") == "full")
            spatial.append(out)
        return (first[0], channels if isinstance(channels, int) else None) + tuple(spatial)
    if op == "FullyConnected" and isinstance(get("num_hidden"), int):
        if get("flatten") is False and first is not None:
            return first[:-1] + (get("num_hidden"),)
        return (first[0] if first else None, get("num_hidden"))
    if op in ("Concat", "concat") and inputs and all(shape is not None for shape in inputs):
        axis = get("dim", 1) if isinstance(get("dim", 1), int) else 1
        if not all(len(shape) == len(first) for shape in inputs) or not -len(first) <= axis < len(first):
            return None
        axis %= len(first)
        sizes = [shape[axis] for shape in inputs]
        return first[:axis] + (None if None in sizes else sum(sizes),) + first[axis + 1:]
    if op in ("Flatten", "flatten") and first is not None:
        rest = first[1:]
        return (first[0], None if None in rest else element_count(rest))
    if op == "UpSampling" and first is not None and len(first) == 4 and isinstance(get("scale"), int):
        return first[:2] + tuple(None if d is None else d * get("scale") for d in first[2:])
    return None


def _params_graph(path: Path, params: List[ArrayEntry]) -> Graph:
    """A `.params` file alone: one constant node per array, so its weights can still be inspected."""
    graph = Graph(path.stem)
    for entry in params:
        tensor = entry.tensor(entry.name)
        node = Node(entry.name, OpType("Parameter", "Constant"))
        node.inputs.append(Argument("value", [Value(entry.name, tensor.type, tensor)]))
        graph.nodes.append(node)
    graph.stored_parameters = sum(element_count(e.shape) for e in params)
    return graph


def match(path: Path, header: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".params":
        return header[:8] == LIST_MAGIC.to_bytes(8, "little")
    if suffix != ".json" or not header.lstrip().startswith(b"{") or b'"nodes"' not in header:
        return False
    # "arg_nodes" and "heads" follow the node list, so they are near the end of a large symbol.
    with path.open("rb") as stream:
        stream.seek(max(path.stat().st_size - 4096, 0))
        tail = header + stream.read()
    return b'"op"' in header and (b'"arg_nodes"' in tail or b'"heads"' in tail)


def read(path: Path) -> Model:
    if path.suffix.lower() == ".params":
        params_path: Optional[Path] = path
        symbol_path = _symbol_for(path)
    else:
        symbol_path, params_path = path, _params_for(path)
    params = read_params(params_path) if params_path is not None else None
    if symbol_path is None:
        return Model(format="MXNet Parameters", graphs=[_params_graph(path, params or [])])
    symbol = _read_symbol(symbol_path)
    graph = _build_graph(symbol, symbol_path, params)
    attrs = symbol.get("attrs") if isinstance(symbol.get("attrs"), dict) else {}
    version = attrs.get("mxnet_version")
    version_text = ""
    if isinstance(version, list) and len(version) == 2 and isinstance(version[1], int):
        number = version[1]
        version_text = f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    metadata = [("params", params_path.name)] if params_path is not None else []
    return Model(format="MXNet", graphs=[graph], version=version_text, metadata=metadata,
                 producer=f"MXNet {version_text}" if version_text else "")

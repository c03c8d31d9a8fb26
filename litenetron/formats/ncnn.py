"""ncnn: a `.param` graph (text, magic line 7767517, or the binary `.param.bin`) with its `.bin` weights.

Text param: the magic line, `layer_count blob_count`, then one layer per line:
`Type name bottom_count top_count bottoms... tops... id=value...`; an id ≤ -23300 holds an array
(`-23300-k=n,v1,...,vn` is parameter k). The binary param stores the same with a layer type index, blob
indices and 4-byte values, each parameter list ending with id -233.

The `.bin` holds no names or sizes: each layer type reads its weights in order with sizes taken from its
parameters (`weight_data_size`, `num_output`, …). Weights loaded "with a type flag" start with a 4-byte tag
that picks the storage (fp16, int8, fp32, or a 256-entry lookup table of indices), padded to 4 bytes; the
others are plain fp32. We walk the `.bin` reading only the tags, so opening never reads weight bytes, and
check that the layers account for the file exactly.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from ..codecs.binary import BinaryReader, array_loader, open_buffer
from ..model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .op_docs import markdown
from .schemas.ncnn import CATEGORIES, FUSED_ACTIVATIONS, LAYER_TYPES, PARAM_NAMES

NAME = "ncnn"
EXTENSIONS = (".param", ".param.bin")

MAGIC = 7767517
_MAGIC_BYTES = struct.pack("<i", MAGIC)
_END = -233
_ARRAY = -23300
MAX_ARRAY = 1 << 20

_CATEGORY = {op: category for category, ops in CATEGORIES.items() for op in ops}

ParamValue = Union[int, float, List[Union[int, float]]]

# The 4-byte storage tags of weights read with a type flag.
_TAG_FP16, _TAG_INT8, _TAG_FP32_SCALED = 0x01306B47, 0x000D4B38, 0x0002C056


@dataclass
class Layer:
    type: str
    name: str
    bottoms: List[str]
    tops: List[str]
    params: Dict[int, ParamValue]


@dataclass
class WeightSpec:
    """One `load_model` read: `count` elements; `tagged` ones start with a storage tag."""

    name: str
    count: int
    tagged: bool
    shape: Tuple[int, ...]


# --- param files -------------------------------------------------------------------------------------------

def _number(text: str, path: Path) -> Union[int, float]:
    try:
        if any(c in text for c in ".eE") and not text.lower().startswith(("0x", "-0x")):
            return float(text)
        return int(text)
    except ValueError:
        raise ModelError(path, f"parameter value {text[:40]!r} is not a number") from None


def parse_text(text: str, path: Path) -> List[Layer]:
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != [str(MAGIC)]:
        raise ModelError(path, "is not an ncnn param file (no 7767517 magic line)")
    if len(lines) < 2 or len(lines[1]) != 2 or not all(t.isdigit() for t in lines[1]):
        raise ModelError(path, "lacks the 'layer_count blob_count' line after the magic")
    declared = int(lines[1][0])
    layers = []
    for number, tokens in enumerate(lines[2:], 3):
        if len(tokens) < 4 or not tokens[2].isdigit() or not tokens[3].isdigit():
            raise ModelError(path, f"line {number}: a layer needs type, name, bottom and top counts")
        bottoms, tops = int(tokens[2]), int(tokens[3])
        if 4 + bottoms + tops > len(tokens):
            raise ModelError(path, f"line {number}: layer {tokens[1]!r} lists fewer blobs than it declares")
        params: Dict[int, ParamValue] = {}
        for item in tokens[4 + bottoms + tops:]:
            key, sep, value = item.partition("=")
            try:
                ident = int(key)
            except ValueError:
                ident = None
            if not sep or ident is None:
                raise ModelError(path, f"line {number}: parameter {item[:40]!r} is not id=value")
            if ident <= _ARRAY:
                parts = value.split(",")
                values = [_number(part, path) for part in parts[1:]]
                if parts[0] != str(len(values)):
                    raise ModelError(path, f"line {number}: array parameter {key} declares {parts[0][:20]} "
                                           f"values but lists {len(values)}")
                params[_ARRAY - ident] = values
            else:
                params[ident] = _number(value, path)
        layers.append(Layer(tokens[0], tokens[1], tokens[4:4 + bottoms], tokens[4 + bottoms:4 + bottoms + tops],
                            params))
    if declared != len(layers):
        raise ModelError(path, f"declares {declared} layers but lists {len(layers)}")
    return layers


def _binary_value(raw: int) -> Union[int, float]:
    """A 4-byte value of unknown kind: ints stay ints, bit patterns of ordinary floats become floats."""
    if -(1 << 24) <= raw <= 1 << 24:
        return raw
    value = struct.unpack("<f", struct.pack("<i", raw))[0]
    return value if math.isfinite(value) and 1e-30 < abs(value) < 1e30 else raw


def parse_binary(buffer, path: Path) -> List[Layer]:
    reader = BinaryReader(buffer)
    if reader.remaining < 12 or reader.int32() != MAGIC:
        raise ModelError(path, "is not a binary ncnn param file (no 7767517 magic number)")
    layer_count = reader.count(12, "layer count", signed=True)
    blob_count = reader.int32()
    if blob_count < 0:
        raise ModelError(path, f"declares {blob_count} blobs")
    layers = []
    for index in range(layer_count):
        kind = reader.int32()
        layer_type = (LAYER_TYPES[kind] if 0 <= kind < len(LAYER_TYPES)
                      else f"Custom{kind & 0xFF}" if kind & 0x100 else f"Layer{kind}")
        bottoms = reader.count(4, "bottom count", signed=True)
        tops_count = reader.int32()
        if tops_count < 0 or (bottoms + tops_count) * 4 > reader.remaining:
            raise ModelError(path, f"layer {index} declares more blobs than the file holds")
        names = [str(reader.int32()) for _ in range(bottoms + tops_count)]
        params: Dict[int, ParamValue] = {}
        while True:
            ident = reader.int32()
            if ident == _END:
                break
            if ident <= _ARRAY:
                length = reader.count(4, "array length", signed=True)
                params[_ARRAY - ident] = [_binary_value(reader.int32()) for _ in range(min(length, MAX_ARRAY))]
                reader.skip(4 * max(length - MAX_ARRAY, 0))
            else:
                params[ident] = _binary_value(reader.int32())
        layers.append(Layer(layer_type, f"{layer_type.lower()}_{index}", names[:bottoms], names[bottoms:], params))
    return layers


# --- weights -----------------------------------------------------------------------------------------------

def _int(params: Dict[int, ParamValue], key: int, default: int = 0) -> int:
    value = params.get(key, default)
    return value if isinstance(value, int) and value >= 0 else default


def _conv_specs(kind: str, p: Dict[int, ParamValue]) -> List[WeightSpec]:
    outputs, size = _int(p, 0), _int(p, 6)
    if _int(p, 28 if kind.startswith("Deconvolution") else 19):
        return []  # dynamic weights come from a second input blob
    kernel_w = _int(p, 1)
    if kind.endswith("1D"):
        window: Tuple[int, ...] = (kernel_w,)
    elif kind.endswith("3D"):
        window = (_int(p, 21, kernel_w), _int(p, 11, kernel_w), kernel_w)
    else:
        window = (_int(p, 11, kernel_w), kernel_w)
    kernel = math.prod(window)
    shape: Tuple[int, ...] = (size,)
    if outputs and kernel and size % (outputs * kernel) == 0:
        shape = (outputs, size // (outputs * kernel)) + window
    specs = [WeightSpec("weight", size, True, shape)]
    if _int(p, 5):
        specs.append(WeightSpec("bias", outputs, False, (outputs,)))
    scale_term = _int(p, 8)
    if scale_term and kind.startswith("Convolution"):
        per_channel = _int(p, 7, 1) if "DepthWise" in kind and scale_term in (1, 101) else outputs
        if "DepthWise" in kind and scale_term in (2, 102):
            per_channel = 1
        specs += [WeightSpec("weight_scales", per_channel, False, (per_channel,)),
                  WeightSpec("bottom_scales", 1, False, (1,))]
        if scale_term > 100:
            specs.append(WeightSpec("top_scales", 1, False, (1,)))
    return specs


def _rnn_specs(kind: str, p: Dict[int, ParamValue]) -> List[WeightSpec]:
    outputs, size = _int(p, 0), _int(p, 1)
    directions = 2 if _int(p, 2) == 2 else 1
    hidden = _int(p, 3, outputs) if kind == "LSTM" else outputs
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    if not (outputs and hidden) or size % (directions * hidden * gates):
        return [WeightSpec("weight_xc", size, True, (size,))]
    inputs = size // (directions * hidden * gates)
    specs = [WeightSpec("weight_xc", size, True, (directions, hidden * gates, inputs)),
             WeightSpec("bias_c", directions * hidden * (4 if kind == "GRU" else gates), True,
                        (directions, 4 if kind == "GRU" else gates, hidden)),
             WeightSpec("weight_hc", directions * hidden * gates * outputs, True,
                        (directions, hidden * gates, outputs))]
    if kind == "LSTM" and outputs != hidden:
        specs.append(WeightSpec("weight_hr", directions * outputs * hidden, True, (directions, outputs, hidden)))
    return specs


def _gemm_specs(p: Dict[int, ParamValue]) -> List[WeightSpec]:
    m, n, k = _int(p, 7), _int(p, 8), _int(p, 9)
    specs = []
    if _int(p, 4):
        specs.append(WeightSpec("A", m * k, True, (m, k)))
    if _int(p, 5):
        specs.append(WeightSpec("B", n * k, True, (n, k)))
    if _int(p, 6):
        count = {1: 1, 2: m, 3: m * n, 4: n}.get(_int(p, 10), 0)
        specs.append(WeightSpec("C", count, False, (count,)))
    return specs


def weight_specs(kind: str, p: Dict[int, ParamValue]) -> List[WeightSpec]:
    """The `load_model` reads of one layer, in file order."""
    def plain(name: str, count: int) -> WeightSpec:
        return WeightSpec(name, count, False, (count,))

    if kind.startswith(("Convolution", "Deconvolution", "DeformableConv2D")):
        return _conv_specs(kind, p)
    if kind == "InnerProduct":
        outputs, size = _int(p, 0), _int(p, 2)
        shape = (outputs, size // outputs) if outputs and size % outputs == 0 else (size,)
        specs = [WeightSpec("weight", size, True, shape)]
        if _int(p, 1):
            specs.append(plain("bias", outputs))
        if _int(p, 8):
            specs += [plain("weight_scales", outputs), plain("bottom_scales", 1)]
        return specs
    if kind == "Embed":
        outputs, size = _int(p, 0), _int(p, 3)
        shape = (size // outputs, outputs) if outputs and size % outputs == 0 else (size,)
        specs = [WeightSpec("weight", size, True, shape)]
        if _int(p, 2):
            specs.append(plain("bias", outputs))
        if _int(p, 18):
            specs.append(plain("weight_scale", 1))
        return specs
    if kind == "MultiHeadAttention":
        embed, size = _int(p, 0), _int(p, 2)
        kdim, vdim = _int(p, 3, embed), _int(p, 4, embed)
        qdim = size // embed if embed else 0
        return [WeightSpec("q_weight", size, True, (embed, qdim)), plain("q_bias", embed),
                WeightSpec("k_weight", embed * kdim, True, (embed, kdim)), plain("k_bias", embed),
                WeightSpec("v_weight", embed * vdim, True, (embed, vdim)), plain("v_bias", embed),
                WeightSpec("out_weight", qdim * embed, True, (qdim, embed)), plain("out_bias", qdim)]
    if kind in ("RNN", "LSTM", "GRU"):
        return _rnn_specs(kind, p)
    if kind == "Gemm":
        return _gemm_specs(p)
    if kind == "BatchNorm":
        return [plain(name, _int(p, 0)) for name in ("slope", "mean", "variance", "bias")]
    if kind == "Scale":
        size = p.get(0, 0)
        if size == -233:
            return []  # the scale comes from a second input blob
        size = _int(p, 0)
        return [plain("scale", size)] + ([plain("bias", size)] if _int(p, 1) else [])
    if kind in ("LayerNorm", "InstanceNorm", "GroupNorm"):
        size = _int(p, 1) if kind == "GroupNorm" else _int(p, 0)
        affine = _int(p, 3 if kind == "GroupNorm" else 2, 1)
        return [plain("gamma", size), plain("beta", size)] if affine else []
    if kind == "MemoryData":
        dims = [d for d in (_int(p, 2), _int(p, 11), _int(p, 1), _int(p, 0)) if d]
        return [WeightSpec("data", math.prod(dims), False, tuple(dims))] if dims else []
    single = {"Bias": (0, "bias"), "PReLU": (0, "slope"), "Normalize": (3, "scale"), "Quantize": (0, "scale"),
              "Padding": (6, "per_channel_pad")}
    if kind in single:
        key, name = single[kind]
        return [plain(name, _int(p, key))] if _int(p, key) else []
    if kind == "Dequantize":
        return [plain("scale", _int(p, 0))] + ([plain("bias", _int(p, 1))] if _int(p, 1) else [])
    if kind == "Requantize":
        return [plain(name, _int(p, key)) for key, name in ((0, "scale_in"), (1, "scale_out"), (2, "bias"))
                if _int(p, key)]
    return []


def _tagged_storage(reader: BinaryReader, count: int, bin_path: Path) -> Tuple[str, int, int, bool]:
    """(dtype, data offset, bytes taken, lookup-table quantized) of a tagged weight at the reader."""
    raw = reader.read(4, f"weight tag at offset {reader.position} of {bin_path.name}")
    tag = struct.unpack("<I", raw)[0]
    if tag == _TAG_FP16:
        return "float16", reader.position, (count * 2 + 3) // 4 * 4, False
    if tag == _TAG_INT8:
        return "int8", reader.position, (count + 3) // 4 * 4, False
    if tag == _TAG_FP32_SCALED or tag == 0:
        return "float32", reader.position, count * 4, False
    if sum(raw):  # a table of 256 floats, then one uint8 index per value
        return "float32", reader.position, 1024 + (count + 3) // 4 * 4, True
    return "float32", reader.position, count * 4, False


def _table_loader(bin_path: Path, offset: int, shape: Tuple[int, ...]):
    def load():
        import numpy as np
        count = math.prod(shape)
        with bin_path.open("rb") as stream:
            stream.seek(offset)
            data = stream.read(1024 + count)
        if len(data) != 1024 + count:
            raise ModelError(bin_path, f"ends before the quantized values at offset {offset}")
        table = np.frombuffer(data[:1024], dtype="<f4")
        return table[np.frombuffer(data[1024:], dtype=np.uint8)].reshape(shape)

    return load


def _weights(layers: List[Layer], bin_path: Optional[Path], path: Path) -> Tuple[Dict[int, List[Tensor]], str]:
    """Each layer's weights (by layer index) and a note when the .bin holds more than the layers read."""
    buffer = open_buffer(bin_path) if bin_path is not None else None
    reader = BinaryReader(buffer) if buffer is not None else None
    result: Dict[int, List[Tensor]] = {}
    for index, layer in enumerate(layers):
        tensors = []
        for spec in weight_specs(layer.type, layer.params):
            shape = spec.shape if math.prod(spec.shape) == spec.count else (spec.count,)
            name = f"{layer.name}.{spec.name}"
            if reader is None:
                tensors.append(Tensor(name, "float32" if not spec.tagged else None, shape))
                continue
            where = f"{layer.type} {layer.name!r} {spec.name} ({spec.count} values)"
            if spec.tagged:
                dtype, offset, size, table = _tagged_storage(reader, spec.count, bin_path)
            else:
                dtype, offset, size, table = "float32", reader.position, spec.count * 4, False
            if size > reader.remaining:
                raise ModelError(path, f"{bin_path.name} ends before {where}: the layers' size parameters need "
                                       f"more bytes than the file holds")
            reader.skip(size)
            loader = _table_loader(bin_path, offset, shape) if table else array_loader(bin_path, offset, dtype,
                                                                                           shape)
            tensors.append(Tensor(name, dtype, shape, loader=loader, location=bin_path.name,
                                  layout="quantized" if table else "dense"))
        result[index] = tensors
    note = ""
    if reader is not None and reader.remaining:
        note = (f"{bin_path.name} holds {reader.remaining} bytes more than the layers' size parameters account "
                f"for (a layer whose weights this reader does not know?)")
    return result, note


# --- graph -------------------------------------------------------------------------------------------------

@cache
def layer_documentation(layer_type: str) -> str:
    """What the documentation window shows for an ncnn layer: its parameter ids and their names (our table)."""
    names = PARAM_NAMES.get(layer_type)
    if not names:
        return ""
    return markdown(f"ncnn layer `{layer_type}`: its parameters are stored as `id=value` pairs.",
                    [(name, "", None, f"parameter id {key}") for key, name in sorted(names.items())])


def _attributes(layer: Layer) -> List[Attribute]:
    names = PARAM_NAMES.get(layer.type, {})
    return [Attribute(names.get(key, str(key)), value) for key, value in sorted(layer.params.items())]


def _input_shape(params: Dict[int, ParamValue]) -> Optional[Tuple[int, ...]]:
    dims = tuple(d for d in (_int(params, 2), _int(params, 11), _int(params, 1), _int(params, 0)) if d)
    return dims or None


def build_graph(layers: List[Layer], weights: Dict[int, List[Tensor]], name: str) -> Graph:
    graph = Graph(name)
    values: Dict[str, Value] = {}
    consumed = set()

    def value(blob: str) -> Value:
        if blob not in values:
            values[blob] = Value(blob)
        return values[blob]

    for index, layer in enumerate(layers):
        if layer.type == "Input":
            for blob in layer.tops:
                shape = _input_shape(layer.params)
                value(blob).type = TensorType("float32", shape) if shape else None
                graph.inputs.append(Argument(blob, [value(blob)]))
            continue
        inputs = [Argument("input" if len(layer.bottoms) == 1 else f"input{i}", [value(blob)])
                  for i, blob in enumerate(layer.bottoms)]
        consumed.update(layer.bottoms)
        for tensor in weights.get(index, []):
            inputs.append(Argument(tensor.name.rsplit(".", 1)[-1], [Value(tensor.name, tensor.type, tensor)]))
        outputs = [Argument("output" if len(layer.tops) == 1 else f"output{i}", [value(blob)])
                   for i, blob in enumerate(layer.tops)]
        node = Node(layer.name, OpType(layer.type, _CATEGORY.get(layer.type, ""), layer_documentation(layer.type)),
                    inputs, outputs, _attributes(layer))
        fused = FUSED_ACTIVATIONS.get(_int(layer.params, 9)) if layer.type in PARAM_NAMES and \
            PARAM_NAMES[layer.type].get(9) == "activation_type" else None
        if fused:
            node.chain.append(Node(fused, OpType(fused, "Activation")))
        graph.nodes.append(node)
    for layer in layers:
        for blob in layer.tops:
            if blob not in consumed and layer.type != "Input":
                graph.outputs.append(Argument(blob, [value(blob)]))
    return graph


def _param_of(path: Path) -> Tuple[Optional[Path], str]:
    """For a weights `.bin`: the param file beside it (text or binary) and the name to tell the user."""
    stem = path.name[:-len(".bin")]
    for candidate in (path.with_name(stem + ".param"), path.with_name(stem + ".param.bin")):
        if candidate.is_file():
            return candidate, candidate.name
    return None, ""


def _is_binary_param(path: Path) -> bool:
    return path.name.lower().endswith(".param.bin")


def match(path: Path, header: bytes) -> bool:
    name = path.name.lower()
    if name.endswith(".param"):
        return header.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip() == str(MAGIC).encode()
    if _is_binary_param(path):
        return header[:4] == _MAGIC_BYTES
    if name.endswith(".bin"):
        param, _ = _param_of(path)
        if param is None:
            return False
        with param.open("rb") as stream:
            start = stream.read(16)
        return start[:4] == _MAGIC_BYTES or start.lstrip(b"\xef\xbb\xbf").startswith(str(MAGIC).encode())
    return False


def _weights_path(path: Path) -> Optional[Path]:
    name = path.name
    stem = name[:-len(".param.bin")] if _is_binary_param(path) else name[:-len(".param")]
    candidate = path.with_name(stem + ".bin")
    return candidate if candidate.is_file() else None


def read(path: Path) -> Model:
    if path.name.lower().endswith(".bin") and not _is_binary_param(path):
        _, param_name = _param_of(path)
        raise ModelError(path, f"is the weights file of an ncnn model: open {param_name} instead")
    if _is_binary_param(path):
        layers = parse_binary(open_buffer(path), path)
        kind = "ncnn (binary param)"
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ModelError(path, "is not a text ncnn param file (not UTF-8)") from None
        layers = parse_text(text, path)
        kind = "ncnn"
    bin_path = _weights_path(path)
    weights, note = _weights(layers, bin_path, path)
    graph = build_graph(layers, weights, path.name)
    graph.stored_parameters = sum(t.size or 0 for tensors in weights.values() for t in tensors)
    metadata = [("weights", bin_path.name if bin_path else "no .bin beside the param file: weights not available")]
    if note:
        metadata.append(("warning", note))
    return Model(format=kind, graphs=[graph], metadata=metadata)

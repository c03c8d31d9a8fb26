"""Darknet: a `.cfg` network description, with its `.weights` beside it when present.

The `.cfg` is INI-like: `[section]` headers (repeated, one per layer; `[net]`/`[network]` holds the input
size and training settings), `key=value` lines, comments after `#` or `;`. Output shapes are computed layer by
layer from the net's width/height/channels the way Darknet sizes its layers, so every edge carries a shape.

The `.weights` file is a header (major, minor, revision as int32, then `seen` as uint64 from version 0.2 on,
else uint32) followed by float32 arrays in layer order; each layer's arrays (biases, batch-norm scales /
rolling mean / rolling variance, weights) are recorded as offset ranges and read only when asked for. The
total must match what the `.cfg` declares exactly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.binary import array_loader
from ..codecs.text import number_or_text
from ..model import Argument, Attribute, FormatError, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .windows import window_output

NAME = "Darknet"
EXTENSIONS = (".cfg", ".weights")  # what the Open dialog offers

MAX_SECTIONS = 100_000
MAX_DIM = 1 << 31

CATEGORIES = {
    "convolutional": "Layer", "deconvolutional": "Layer", "connected": "Layer", "local": "Layer",
    "crnn": "Layer", "rnn": "Layer", "gru": "Layer", "lstm": "Layer", "conv_lstm": "Layer",
    "implicit_add": "Layer", "implicit_mul": "Layer",
    "maxpool": "Pool", "avgpool": "Pool", "local_avgpool": "Pool",
    "batchnorm": "Normalization", "l2norm": "Normalization", "normalization": "Normalization",
    "dropout": "Dropout",
    "route": "Tensor", "shortcut": "Tensor", "scale_channels": "Tensor", "sam": "Tensor",
    "upsample": "Data", "reorg": "Shape", "reorg3d": "Shape", "crop": "Shape",
    "softmax": "Activation", "logistic": "Activation", "activation": "Activation",
    "yolo": "Custom", "gaussian_yolo": "Custom", "region": "Custom", "detection": "Custom", "cost": "Custom",
    "contrastive": "Custom", "empty": "Control", "silence": "Control",
}

# Layers whose output is a flat vector rather than a C×H×W map.
_FLAT = {"connected", "rnn", "gru", "lstm"}


@dataclass
class Section:
    type: str
    options: Dict[str, str] = field(default_factory=dict)
    line: int = 0

    def int(self, key: str, default: int) -> int:
        text = self.options.get(key)
        if text is None or text == "":
            return default
        try:
            return int(float(text)) if any(c in text for c in ".eE") else int(text, 10)
        except ValueError:
            raise FormatError(f"[{self.type}] at line {self.line}: {key}={text!r} is not a number") from None

    def ints(self, key: str) -> List[int]:
        text = self.options.get(key, "")
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise FormatError(f"[{self.type}] at line {self.line}: {key}={text!r} is not a list of numbers") \
                from None


def parse_cfg(text: str) -> List[Section]:
    """The sections of a `.cfg` in file order (Darknet's rules: whitespace is dropped inside lines)."""
    sections: List[Section] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = "".join(raw.split())
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise FormatError(f"line {number}: section header {raw.strip()!r} has no closing ']'")
            sections.append(Section(line[1:-1].lower(), {}, number))
            if len(sections) > MAX_SECTIONS:
                raise FormatError(f"more than {MAX_SECTIONS} sections")
        elif "=" in line and sections:
            key, value = line.split("=", 1)
            # Darknet reads numbers with atoi/atof, which stop at a trailing "#comment" or ";comment".
            sections[-1].options[key] = re.split("[#;]", value, maxsplit=1)[0]
    return sections


# A layer's output: (channels, height, width) for maps; (n,) for vectors.
Shape = Tuple[int, ...]


def _chw(shape: Shape) -> Tuple[int, int, int]:
    return (shape[0], shape[1], shape[2]) if len(shape) == 3 else (math.prod(shape), 1, 1)


def _check(shape: Shape, section: Section) -> Shape:
    if any(dim <= 0 or dim > MAX_DIM for dim in shape):
        raise FormatError(f"[{section.type}] at line {section.line} computes an invalid output size "
                         f"{'×'.join(map(str, shape))}")
    return shape


def _conv_weights(prefix: str, c: int, n: int, size: int, groups: int, batch_norm: bool) -> List[tuple]:
    arrays = [(prefix + "biases", (n,))]
    if batch_norm:
        arrays += [(prefix + name, (n,)) for name in ("scales", "rolling_mean", "rolling_variance")]
    return arrays + [(prefix + "weights", (n, max(c // max(groups, 1), 1), size, size))]


def _connected_weights(prefix: str, inputs: int, outputs: int, batch_norm: bool) -> List[tuple]:
    arrays = [(prefix + "biases", (outputs,)), (prefix + "weights", (outputs, inputs))]
    if batch_norm:
        arrays += [(prefix + name, (outputs,)) for name in ("scales", "rolling_mean", "rolling_variance")]
    return arrays


def _conv_out(size_in: int, size: int, stride: int, pad: int) -> int:
    return window_output(size_in, size, stride, 2 * pad) or 0  # 0: _check reports the impossible size


def _layer(section: Section, index: int, shapes: List[Shape],
           net: Shape) -> Tuple[List[int], Shape, List[tuple]]:
    """(input layer indices, output shape, weight arrays in file order) of one layer; -1 = the net input."""
    kind, opt = section.type, section
    previous = index - 1
    shape_in = shapes[previous] if previous >= 0 else net
    c, h, w = _chw(shape_in)
    batch_norm = opt.int("batch_normalize", 0) != 0
    inputs, arrays = [previous], []

    def resolve(relative: int) -> int:
        target = index + relative if relative < 0 else relative
        if not 0 <= target < index:
            raise FormatError(f"[{kind}] at line {section.line} refers to layer {relative}, which does not "
                             f"exist before layer {index}")
        return target

    if kind in ("convolutional", "crnn", "conv_lstm", "local", "deconvolutional"):
        size, stride = opt.int("size", 1), opt.int("stride", 1)
        stride_x, stride_y = opt.int("stride_x", stride), opt.int("stride_y", stride)
        pad = size // 2 if opt.int("pad", 0) else opt.int("padding", 0)
        groups = opt.int("groups", 1)
        if kind == "convolutional":
            n = opt.int("filters", 1)
            out = (n, _conv_out(h, size, stride_y, pad), _conv_out(w, size, stride_x, pad))
            if "share_index" not in opt.options:
                arrays = _conv_weights("", c, n, size, groups, batch_norm)
        elif kind == "deconvolutional":
            n = opt.int("filters", 1)
            out = (n, (h - 1) * stride + size - 2 * pad, (w - 1) * stride + size - 2 * pad)
            arrays = _conv_weights("", c, n, size, 1, batch_norm)
        elif kind == "local":
            n = opt.int("filters", 1)
            out_h = (h - (1 if opt.int("pad", 0) else size)) // max(stride, 1) + 1
            out_w = (w - (1 if opt.int("pad", 0) else size)) // max(stride, 1) + 1
            out = (n, out_h, out_w)
            arrays = [("biases", (out_h * out_w * n,)), ("weights", (out_h * out_w, n, c, size, size))]
        else:
            n, hidden = opt.int("output", 1), opt.int("hidden", 1)
            out = (n, _conv_out(h, size, stride_y, pad), _conv_out(w, size, stride_x, pad))
            if kind == "crnn":
                arrays = (_conv_weights("input.", c, hidden, size, groups, batch_norm)
                          + _conv_weights("self.", hidden, hidden, size, groups, batch_norm)
                          + _conv_weights("output.", hidden, n, size, groups, batch_norm))
            else:
                gates = ["vf.", "vi.", "vo."] if opt.int("peephole", 0) else []
                for gate in gates + ["wf.", "wi.", "wg.", "wo."]:
                    arrays += _conv_weights(gate, n, n, size, groups, batch_norm)
                for gate in ("uf.", "ui.", "ug.", "uo."):
                    arrays += _conv_weights(gate, c, n, size, groups, batch_norm)
    elif kind in ("connected", "rnn", "gru", "lstm"):
        n, count = opt.int("output", 1), math.prod(shape_in)
        out = (n,)
        if kind == "connected":
            arrays = _connected_weights("", count, n, batch_norm)
        elif kind == "rnn":
            hidden = opt.int("hidden", 1)
            arrays = (_connected_weights("input.", count, hidden, batch_norm)
                      + _connected_weights("self.", hidden, hidden, batch_norm)
                      + _connected_weights("output.", hidden, n, batch_norm))
        else:
            gates = "zrh" if kind == "gru" else "figo"  # AlexeyAB Darknet's load order
            for gate in gates:
                arrays += _connected_weights(f"w{gate}.", n, n, batch_norm)
            for gate in gates:
                arrays += _connected_weights(f"u{gate}.", count, n, batch_norm)
    elif kind in ("maxpool", "local_avgpool"):
        size = opt.int("size", 1)
        stride = opt.int("stride", size)
        stride_x, stride_y = opt.int("stride_x", stride), opt.int("stride_y", stride)
        padding = opt.int("padding", size - 1)
        out_c = opt.int("out_channels", 1) if opt.int("maxpool_depth", 0) else c
        out = (out_c, (h + padding - size) // max(stride_y, 1) + 1,
               (w + padding - size) // max(stride_x, 1) + 1)
    elif kind == "avgpool":
        out = (c, 1, 1)
    elif kind == "upsample":
        stride = opt.int("stride", 2)
        out = (c, h // -stride, w // -stride) if stride < 0 else (c, h * stride, w * stride)
    elif kind in ("reorg", "reorg3d"):
        stride = max(opt.int("stride", 1), 1)
        if opt.int("reverse", 0):
            out = (c // (stride * stride), h * stride, w * stride)
        else:
            out = (c * stride * stride, h // stride, w // stride)
    elif kind == "route":
        inputs = [resolve(value) for value in section.ints("layers")]
        if not inputs:
            raise FormatError(f"[route] at line {section.line} lists no layers")
        groups = max(opt.int("groups", 1), 1)
        first = _chw(shapes[inputs[0]])
        out = (sum(_chw(shapes[i])[0] for i in inputs) // groups, first[1], first[2])
        if len(shapes[inputs[0]]) == 1 and len(inputs) == 1:
            out = (out[0],)
    elif kind == "shortcut":
        sources = [resolve(value) for value in section.ints("from")]
        inputs = [previous] + sources
        out = shape_in
        weights_type = opt.options.get("weights_type", "none")
        if weights_type == "per_feature":
            arrays = [("weights", (len(sources) + 1,))]
        elif weights_type == "per_channel":
            arrays = [("weights", ((len(sources) + 1) * c,))]
    elif kind in ("scale_channels", "sam"):
        source = resolve(opt.int("from", -1))
        inputs = [previous, source]
        out = shapes[source]
    elif kind == "crop":
        out = (c, opt.int("crop_height", 1), opt.int("crop_width", 1))
    elif kind == "batchnorm":
        out = shape_in
        arrays = [("scales", (c,)), ("rolling_mean", (c,)), ("rolling_variance", (c,))]
    elif kind in ("implicit_add", "implicit_mul"):
        n = opt.int("filters", 1)
        inputs, out = [], (n, 1, 1)
        arrays = [("weights", (n * opt.int("atoms", 1),))]
    else:
        out = shape_in
    return inputs, _check(out, section), arrays


def _weights_file(path: Path) -> Tuple[Path, Optional[Path]]:
    """(cfg, weights or None) for a `.cfg` or `.weights` path: companions share the stem and the folder."""
    if path.suffix.lower() == ".weights":
        cfg = path.with_suffix(".cfg")
        if not cfg.is_file():
            raise ModelError(path, f"Darknet weights need their network description {cfg.name} beside them")
        return cfg, path
    weights = path.with_suffix(".weights")
    return path, weights if weights.is_file() else None


def _weights_header(path: Path) -> Tuple[int, str]:
    """(header size, version text) of a `.weights` file."""
    with path.open("rb") as stream:
        head = stream.read(20)
    if len(head) < 16:
        raise ModelError(path, "file is too short for a Darknet weights header")
    major, minor, revision = (int.from_bytes(head[i:i + 4], "little", signed=True) for i in (0, 4, 8))
    wide = major * 10 + minor >= 2 and major < 1000 and minor < 1000
    if wide and len(head) < 20:
        raise ModelError(path, "file is too short for a Darknet weights header")
    return (20 if wide else 16), f"{major}.{minor}.{revision}"


def match(path: Path, header: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".weights":  # claimed by its header so that a missing .cfg gets a clear error
        major, minor = (int.from_bytes(header[i:i + 4], "little") for i in (0, 4)) if len(header) >= 8 else (-1, -1)
        return path.with_suffix(".cfg").is_file() or (0 <= major < 1000 and 0 <= minor < 1000)
    if suffix != ".cfg":
        return False
    for raw in header.decode("utf-8", errors="replace").splitlines():
        line = "".join(raw.split()).lower()
        if line and line[0] not in "#;":
            return line in ("[net]", "[network]")
    return False


def read(path: Path) -> Model:
    cfg, weights = _weights_file(path)
    try:
        sections = parse_cfg(cfg.read_text(encoding="utf-8", errors="replace"))
    except ValueError as error:
        raise ModelError(cfg, str(error)) from None
    net = next((s for s in sections if s.type in ("net", "network")), Section("net"))
    layers = [s for s in sections if s.type not in ("net", "network")]
    try:
        if "width" in net.options or "height" in net.options or "inputs" not in net.options:
            net_shape: Shape = (net.int("channels", 3), net.int("height", 416), net.int("width", 416))
        else:
            net_shape = (net.int("inputs", 1),)
        _check(net_shape, net)
        shapes: List[Shape] = []
        plans = []
        for index, section in enumerate(layers):
            plan = _layer(section, index, shapes, net_shape)
            shapes.append(plan[1])
            plans.append(plan)
    except ValueError as error:
        raise ModelError(cfg, str(error)) from None

    header_size, version = (0, "")
    needed = sum(math.prod(shape) for _, _, arrays in plans for _, shape in arrays)
    if weights is not None:
        header_size, version = _weights_header(weights)
        stored = (weights.stat().st_size - header_size) // 4
        if stored != needed or (weights.stat().st_size - header_size) % 4:
            difference = stored - needed
            raise ModelError(weights, f"holds {stored:,} floats after its header but {cfg.name} needs "
                                      f"{needed:,} ({abs(difference):,} "
                                      f"{'more' if difference > 0 else 'fewer'} than needed)")

    data = Value("data", TensorType("float32", tuple(net_shape)))
    outputs = [Value(str(index), TensorType("float32", tuple(shape))) for index, shape in enumerate(shapes)]
    consumed = set()
    nodes = []
    offset = header_size
    for index, (section, (inputs, _, arrays)) in enumerate(zip(layers, plans)):
        node = Node(str(index), OpType(section.type, CATEGORIES.get(section.type, "")))
        values = [data if i < 0 else outputs[i] for i in inputs]
        consumed.update(inputs)
        if values:
            node.inputs.append(Argument("input", values[:1]))
        if len(values) > 1:
            node.inputs.append(Argument("inputs" if section.type == "route" else "from", values[1:]))
        for name, shape in arrays:
            loader = array_loader(weights, offset, "float32", shape) if weights is not None else None
            offset += math.prod(shape) * 4
            location = weights.name if weights else ""
            tensor = Tensor(name, "float32", tuple(shape), loader=loader, location=location)
            node.inputs.append(Argument(name, [Value(f"{index}.{name}", tensor.type, tensor)]))
        node.outputs.append(Argument("output", [outputs[index]]))
        node.attributes = [Attribute(key, number_or_text(value)) for key, value in section.options.items()]
        if section.type not in _FLAT and section.options.get("batch_normalize", "0") not in ("0", ""):
            node.chain.append(Node(f"{index}.batch_normalize", OpType("batch_normalize", "Normalization")))
        activation = section.options.get("activation", "")
        if activation and activation != "linear":
            node.chain.append(Node(f"{index}.{activation}", OpType(activation, "Activation")))
        nodes.append(node)

    graph = Graph(cfg.stem, inputs=[Argument("data", [data])], nodes=nodes)
    graph.outputs = [Argument(str(i), [outputs[i]]) for i in range(len(layers)) if i not in consumed]
    graph.stored_parameters = needed if weights is not None else 0
    metadata = [(key, value) for key, value in net.options.items()]
    return Model(format="Darknet", graphs=[graph], version=version, metadata=metadata)

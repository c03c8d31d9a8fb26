"""PaddlePaddle 3 PIR programs saved as JSON (`inference.json` + `inference.pdiparams`).

The JSON holds `{"base_code": {"magic": "pir", "version": N}, "program": {"regions": [...]}}`; a region has
blocks, a block has ops. An op is `{"#": "<dialect id>.<name>", "I": operands, "O": results, "A": attributes,
"regions": [...]}`; values are numbered (`"%"`), typed by `"TT"` (`0.t_dtensor` with `[element type, dims,
layout, lod, offset]`), and attributes are `{"N": name, "AT": {"#": kind, "D": data}}`. Parameter ops are
compressed to `{"#": "p", "A": [is_distributed, is_parameter, need_clip, name], "O": value}`. Dialect ids:
0 builtin, 1 pd_op, 2 cf, 3 custom_op, 4 dist.

Parameters become weight rows of the ops that read them; `data`/`feed` ops are the graph inputs and
`fetch`/`shadow_output` ops its outputs. `nodes` counts the other ops of the top block.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..model import Argument, Attribute, FormatError, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .paddle_weights import SavedTensors
from .schemas.paddle import OP_CATEGORIES

MAX_DEPTH = 32
_DIALECTS = {"0": "builtin", "1": "pd_op", "2": "cf", "3": "custom_op", "4": "dist"}
_ELEMENT_TYPES = {
    "t_f16": "float16", "t_bf16": "bfloat16", "t_f32": "float32", "t_f64": "float64", "t_i8": "int8",
    "t_ui8": "uint8", "t_i16": "int16", "t_i32": "int32", "t_i64": "int64", "t_bool": "bool", "t_c64": "complex64",
    "t_c128": "complex128", "t_f8e4m3fn": "float8_e4m3fn", "t_f8e5m2": "float8_e5m2", "t_index": "int64",
}
_PARAMETER_OPS = ("p", "0.parameter")
_INPUT_OPS = ("1.data", "1.feed")
_OUTPUT_OPS = ("1.fetch", "0.shadow_output")
# Operand names of common ops (PIR stores operands by position).
_OPERANDS = {
    "conv2d": ("input", "filter"), "depthwise_conv2d": ("input", "filter"), "conv3d": ("input", "filter"),
    "conv2d_transpose": ("x", "filter", "output_size"), "batch_norm": ("x", "mean", "variance", "scale", "bias"),
    "layer_norm": ("x", "scale", "bias"), "group_norm": ("x", "scale", "bias"), "instance_norm": ("x", "scale", "bias"),
    "embedding": ("x", "weight"), "fused_conv2d_add_act": ("input", "filter", "bias", "residual_data"),
    "pool2d": ("x", "kernel_size"), "scale": ("x", "scale"), "reshape": ("x", "shape"), "concat": ("x", "axis"),
}


def looks_like_pir(header: bytes) -> bool:
    compact = header[:512].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    return b'"magic":"pir"' in compact


def read_pir(path: Path) -> Model:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ModelError(path, f"not a valid PIR JSON program ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("program"), dict):
        raise ModelError(path, "the JSON holds no PIR program")
    base = document.get("base_code") if isinstance(document.get("base_code"), dict) else {}
    regions = document["program"].get("regions")
    blocks = _blocks(regions[0]) if isinstance(regions, list) and regions else []
    if not blocks:
        raise ModelError(path, "the PIR program holds no block")
    reader = _PirReader(path)
    reader.collect_parameters(blocks[0], 0)
    graph = reader.graph(blocks[0], "main", 0, top=True)
    graph.stored_parameters = reader.weights.parameters()
    version = base.get("version", "")
    model = Model(format=f"PaddlePaddle PIR v{version}" if version != "" else "PaddlePaddle PIR", graphs=[graph],
                  producer="PaddlePaddle")
    if reader.weights.location:
        model.metadata.append(("weights", reader.weights.location))
    return model


def _blocks(region: Any) -> List[dict]:
    blocks = region.get("blocks") if isinstance(region, dict) else None
    return [block for block in blocks if isinstance(block, dict)] if isinstance(blocks, list) else []


def _items(value: Any) -> List[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _value_id(item: Any) -> Optional[int]:
    if not isinstance(item, dict):
        return None
    number = item.get("%", item.get("#"))
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def value_type(kind: Any) -> Optional[TensorType]:
    """A PIR type object as a TensorType (dense tensors by element type and dims)."""
    if not isinstance(kind, dict):
        return None
    data = kind.get("D")
    if isinstance(data, list) and len(data) >= 2 and isinstance(data[0], dict) and isinstance(data[1], list):
        element = str(data[0].get("#", "")).split(".")[-1]
        dims = tuple(d if isinstance(d, int) and d >= 0 else None for d in data[1])
        return TensorType(_ELEMENT_TYPES.get(element), dims)
    name = str(kind.get("#", "")).split(".")[-1]
    return TensorType(_ELEMENT_TYPES.get(name), None, denotation=name) if name else None


def attribute_value(attribute: Any, depth: int = 0) -> Any:
    """The plain value of a PIR attribute object (arrays recursively)."""
    if depth > MAX_DEPTH:
        raise FormatError("attribute nested too deeply")
    if not isinstance(attribute, dict):
        return attribute
    data = attribute.get("D")
    if isinstance(data, list) and data and all(isinstance(item, dict) and "#" in item for item in data):
        return [attribute_value(item, depth + 1) for item in data]
    return data


def _op_name(op: dict) -> Tuple[str, str]:
    """(full name, short name): `1.conv2d` → (`pd_op.conv2d`, `conv2d`)."""
    raw = str(op.get("#", ""))
    dialect, _, name = raw.partition(".")
    if not name:
        return raw, raw
    return f"{_DIALECTS.get(dialect, dialect)}.{name}", name


def _attributes(op: dict) -> Dict[str, Any]:
    found = {}
    for item in _items(op.get("A")):
        if isinstance(item, dict) and "N" in item:
            found[str(item["N"])] = attribute_value(item.get("AT"))
    return found


class _PirReader:
    def __init__(self, path: Path):
        self.path = path
        self.values: Dict[int, Value] = {}
        self.parameters: Dict[int, str] = {}
        self.weights = SavedTensors({})
        self.tensors: Dict[str, Tensor] = {}

    def collect_parameters(self, block: dict, depth: int) -> None:
        """Parameter ops, their names and declared types, and the weights file beside the program."""
        declared: Dict[str, Optional[TensorType]] = {}
        for op in _items(block.get("ops")):
            if not isinstance(op, dict) or op.get("#") not in _PARAMETER_OPS:
                continue
            attributes = op.get("A")
            if op.get("#") == "p" and isinstance(attributes, list) and len(attributes) >= 4:
                name = str(attributes[3])
            else:
                name = str(_attributes(op).get("parameter_name", ""))
            results = _items(op.get("O"))
            number = _value_id(results[0]) if results else None
            if number is None or not name:
                continue
            self.parameters[number] = name
            declared[name] = value_type(results[0].get("TT"))
        self.weights = SavedTensors(declared)
        params = self.path.with_suffix(".pdiparams")
        if params.is_file():
            self.weights.read_combined(params)

    def _value(self, number: int, name: str = "", kind: Optional[TensorType] = None) -> Value:
        value = self.values.get(number)
        if value is None:
            value = self.values[number] = Value(name or f"%{number}", kind)
        return value

    def graph(self, block: dict, name: str, depth: int, top: bool = False) -> Graph:
        if depth > MAX_DEPTH:
            raise ModelError(self.path, "PIR regions are nested too deeply")
        graph = Graph(name=name)
        for argument in _items(block.get("args")):
            number = _value_id(argument)
            if number is not None:
                graph.inputs.append(Argument(f"%{number}", [self._value(number, "", value_type(argument.get("TT")))]))
        operators: Dict[str, int] = {}
        for op in _items(block.get("ops")):
            if not isinstance(op, dict):
                continue
            kind = op.get("#")
            results = [item for item in _items(op.get("O")) if isinstance(item, dict)]
            if kind in _PARAMETER_OPS:
                for item in results:
                    number = _value_id(item)
                    if number is not None:
                        self._value(number, self.parameters.get(number, ""), value_type(item.get("TT")))
                continue
            if kind in _INPUT_OPS:
                label = str(_attributes(op).get("name", ""))
                for item in results:
                    number = _value_id(item)
                    if number is not None:
                        value = self._value(number, label, value_type(item.get("TT")))
                        graph.inputs.append(Argument(value.name, [value]))
                continue
            if kind in _OUTPUT_OPS:
                attributes = _attributes(op)
                label = str(attributes.get("name", attributes.get("output_name", "")))
                for item in _items(op.get("I")):
                    number = _value_id(item)
                    if number is not None and number in self.values:
                        graph.outputs.append(Argument(label or self.values[number].name, [self.values[number]]))
                continue
            node = self._node(op, results, depth)
            graph.nodes.append(node)
            operators[node.type.name] = operators.get(node.type.name, 0) + 1
        if top:
            graph.stored_operators = operators
        return graph

    def _node(self, op: dict, results: List[dict], depth: int) -> Node:
        full, short = _op_name(op)
        base = short.rstrip("_")
        node = Node(name="", type=OpType(short, OP_CATEGORIES.get(base, ""), domain=full.split(".")[0]))
        names = _OPERANDS.get(base, ())
        for index, item in enumerate(_items(op.get("I"))):
            number = _value_id(item)
            if number is None or number == 0:
                continue
            value = self.values.get(number) or self._value(number)
            if number in self.parameters:
                value = self._weight(number, value)
            slot = names[index] if index < len(names) else ("x" if index == 0 else f"input{index}")
            node.inputs.append(Argument(slot, [value]))
        for index, item in enumerate(results):
            number = _value_id(item)
            if number is not None:
                node.outputs.append(Argument("out" if index == 0 else f"out{index}",
                                             [self._value(number, "", value_type(item.get("TT")))]))
        node.name = node.outputs[0].values[0].name if node.outputs else short
        for key, value in _attributes(op).items():
            node.attributes.append(Attribute(key, value, visible=key not in ("stop_gradient", "persistable")))
        for region_index, region in enumerate(_items(op.get("regions"))):
            for block_index, block in enumerate(_blocks(region)):
                node.graphs.append(self.graph(block, f"{short} region {region_index}.{block_index}", depth + 1))
        return node

    def _weight(self, number: int, value: Value) -> Value:
        name = self.parameters[number]
        tensor = self.tensors.get(name)
        if tensor is None:
            tensor = self.tensors[name] = self.weights.tensor(name)
        return Value(value.name, tensor.type, initializer=tensor)

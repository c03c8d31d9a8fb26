"""TensorFlow.js graph models: `model.json` (`"format": "graph-model"`) whose `modelTopology` is a GraphDef in
protobuf's JSON mapping, with the Const values in the binary shards of its `weightsManifest`.

The GraphDef goes through the TensorFlow reader (categories, attributes, Const folding into weights, shapes),
so a graph model is drawn like the frozen graph it was converted from; the Const tensors then read their values
lazily from the shards (quantized uint8 / uint16 / float16 weights de-quantized). `signature` names the graph
inputs and outputs. TF.js layers models (`"format": "layers-model"`) are Keras models (formats/keras.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List, Tuple

from ..codecs.protobuf import Message, ProtobufError
from ..codecs.protobuf_json import from_json
from ..model import Argument, Graph, Model, ModelError, Tensor, TensorType, Value
from .keras_tfjs import ShardWeight, shard_weights
from .schemas.tensorflow import TENSORFLOW
from .tensorflow import _dtype, _shape, graph_from_graph_def

NAME = "TensorFlow.js graph model"
EXTENSIONS = (".json",)

_GRAPH_MODEL = re.compile(rb'"format"\s*:\s*"graph-model"')
# Converters before the "format" key wrote the GraphDef alone: its first member is the node list.
_BARE_TOPOLOGY = re.compile(rb'"modelTopology"\s*:\s*\{\s*"(node|library|versions)"')
_SHARD = re.compile(r"^group\d+-shard\d+of\d+(\.bin)?$")
# Small integer constants (shapes, axes, permutations) are read at open so shapes can be inferred from them.
_SMALL_CONSTANT_BYTES = 256


def _is_graph_model(header: bytes) -> bool:
    text = header.lstrip()
    return text.startswith(b"{") and (bool(_GRAPH_MODEL.search(text)) or bool(_BARE_TOPOLOGY.search(text)))


def _model_json_beside(path: Path) -> bool:
    return (path.parent / "model.json").is_file()


def match(path: Path, header: bytes) -> bool:
    if path.is_dir():
        return False
    if _SHARD.match(path.name) and _model_json_beside(path):
        return True
    return path.suffix.lower() == ".json" and _is_graph_model(header)


def read(path: Path) -> Model:
    if _SHARD.match(path.name) and _model_json_beside(path) and path.suffix.lower() != ".json":
        raise ModelError(path, "is a TensorFlow.js weight shard (values only); open model.json beside it")
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ModelError(path, f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ModelError(path, f"is not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("modelTopology"), dict):
        raise ModelError(path, "is not a TensorFlow.js graph model (no modelTopology object)")
    if document.get("format") not in (None, "graph-model"):
        raise ModelError(path, f"is a TensorFlow.js {document.get('format')!s:.40}, not a graph model")
    try:
        graph_def = from_json(document["modelTopology"], TENSORFLOW, "GraphDef")
        signature = from_json(document.get("signature") or {}, TENSORFLOW, "SignatureDef")
        initializer = document.get("modelInitializer")
        initializer_def = from_json(initializer, TENSORFLOW, "GraphDef") if isinstance(initializer, dict) else None
    except ProtobufError as error:
        raise ModelError(path, f"modelTopology is not a GraphDef ({error})") from None
    weights = shard_weights(path, document.get("weightsManifest"))
    _check_shards(path, weights)
    by_name = {weight.name: weight for weight in weights}
    for source in (graph_def, initializer_def):
        if source is not None:
            _fill_small_constants(source, by_name)
    graph, functions = graph_from_graph_def(graph_def)
    graph.name = "main"
    graphs = [graph]
    if initializer_def is not None:  # hash tables and other resources, filled once before the first run
        initializer_graph, initializer_functions = graph_from_graph_def(initializer_def)
        initializer_graph.name = "initializer"
        graphs.append(initializer_graph)
        functions = {**initializer_functions, **functions}
    tensors = {weight.name: _tensor(weight) for weight in weights}
    for body in [*graphs, *functions.values()]:
        _attach_weights(body, tensors)
    graph.stored_parameters = sum(weight.size for weight in weights)
    _apply_signature(graph, signature)
    model = Model(format="TensorFlow.js graph model", graphs=graphs)
    model.functions = list(functions.values())
    converted, generated = str(document.get("convertedBy") or ""), str(document.get("generatedBy") or "")
    model.producer = " ".join(part for part in (converted, f"(TensorFlow {generated})" if generated else "") if part)
    versions = graph_def.get("versions")
    if versions is not None and versions.get("producer"):
        model.version = f"producer {versions['producer']}"
    _describe(model, document, signature, weights, initializer_def)
    return model


def _check_shards(path: Path, weights: List[ShardWeight]) -> None:
    """Every shard must be there, and the shards of a group must hold every byte its weights need."""
    groups: Dict[Tuple[Path, ...], int] = {}
    for weight in weights:
        key = tuple(weight.shards)
        groups[key] = max(groups.get(key, 0), weight.offset + weight.nbytes)
    missing = [shard.name for key in groups for shard in key if not shard.is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise ModelError(path, f"weight shard{'s' if len(missing) > 1 else ''} {', '.join(missing[:3])}{more} "
                               "not found beside model.json")
    for shards, needed in groups.items():
        held = sum(shard.stat().st_size for shard in shards)
        if needed > held:
            names = shards[0].name if len(shards) == 1 else f"{shards[0].name} … {shards[-1].name}"
            raise ModelError(path, f"weightsManifest needs {needed:,} bytes but {names} hold {held:,}")


def _const_tensors(graph_def: Message):
    """(node name, TensorProto) of every Const NodeDef, in the graph and its function bodies."""
    node_defs = list(graph_def.get("node", []))
    library = graph_def.get("library")
    if library is not None:
        node_defs += [node for function in library.get("function", []) for node in function.get("node_def", [])]
    for node_def in node_defs:
        if node_def.get("op") != "Const":
            continue
        for entry in node_def.get("attr", []):
            value = entry.get("value")
            if entry.get("key") == "value" and value is not None and value.get("tensor") is not None:
                yield node_def.get("name", ""), value["tensor"]


def _fill_small_constants(graph_def: Message, weights: Dict[str, ShardWeight]) -> None:
    """Give tiny int32 Const tensors their values (the TensorFlow reader infers shapes from them)."""
    for name, proto in _const_tensors(graph_def):
        weight = weights.get(name)
        if weight is None or weight.quantization or weight.stored != "int32" or weight.nbytes > _SMALL_CONSTANT_BYTES:
            continue
        if not proto.get("tensor_content"):
            proto["tensor_content"] = weight.tobytes()


def _tensor(weight: ShardWeight) -> Tensor:
    quantization = None
    if weight.quantization:
        parts = [f"{weight.stored}"] + [f"{key} {weight.quantization[key]}" for key in ("scale", "min")
                                        if key in weight.quantization]
        quantization = dict(weight.quantization, text=", ".join(parts))
    shards = sorted({shard.name for shard in weight.shards})
    return Tensor(weight.name, weight.dtype_name, weight.shape, loader=weight.read,
                  layout="quantized" if quantization else "dense", quantization=quantization,
                  location=shards[0] if len(shards) == 1 else f"{shards[0]} … ({len(shards)} shards)")


def _attach_weights(graph: Graph, tensors: Dict[str, Tensor]) -> None:
    """The Const values come from the shards: folded weights and Const nodes' `value` attributes alike."""
    for node in graph.nodes:
        for _, value in node.weights():
            tensor = tensors.get(value.initializer.name)
            if tensor is not None:
                value.initializer = tensor
        if node.type.name == "Const":
            for attribute in node.attributes:
                if attribute.name == "value" and isinstance(attribute.value, Tensor) \
                        and node.name in tensors:
                    attribute.value = tensors[node.name]


def _port(reference: str) -> str:
    return reference[:-2] if reference.endswith(":0") else reference


def _apply_signature(graph: Graph, signature: Message) -> None:
    """Name the graph inputs and outputs by the signature's keys (`image` for `image:0`)."""
    inputs = {argument.values[0].name: argument for argument in graph.inputs if argument.values}
    for entry in signature.get("inputs", []):
        info = entry.get("value") or Message(None)
        argument = inputs.get(_port(info.get("name", "")))
        if argument is not None and entry.get("key"):
            argument.name = entry["key"]
            _typed(argument.values[0], info)
    produced = {value.name: value for node in graph.nodes for argument in node.outputs for value in argument.values}
    outputs = []
    for entry in signature.get("outputs", []):
        info = entry.get("value") or Message(None)
        value = produced.get(_port(info.get("name", "")))
        if value is not None:
            _typed(value, info)
            outputs.append(Argument(entry.get("key") or value.name, [value]))
    if outputs:
        graph.outputs = outputs


def _typed(value: Value, info: Message) -> None:
    """Fill in what the signature's TensorInfo says where the graph left the type open."""
    if "tensor_shape" not in info and "dtype" not in info:
        return
    known = value.type or TensorType()
    shape = known.shape
    if shape is None and "tensor_shape" in info:
        shape = _shape(info["tensor_shape"])
    value.type = TensorType(known.dtype or _dtype({"type": info.get("dtype")}), shape)


def _describe(model: Model, document: dict, signature: Message, weights: List[ShardWeight],
              initializer: Message) -> None:
    for key in ("generatedBy", "convertedBy"):
        if document.get(key):
            model.metadata.append((key, str(document[key])))
    for kind in ("inputs", "outputs"):
        entries = signature.get(kind, [])
        if entries:
            text = ", ".join(f"{entry.get('key', '')}: {(entry.get('value') or {}).get('name', '')}"
                             for entry in entries)
            model.metadata.append((f"signature {kind}", text))
    shards = {shard.name for weight in weights for shard in weight.shards}
    quantized = sum(1 for weight in weights if weight.quantization)
    model.metadata.append(("weights", f"{len(weights)} in {len(shards)} shard{'s' if len(shards) != 1 else ''}"
                                      + (f", {quantized} quantized" if quantized else "")))
    if initializer is not None:
        model.metadata.append(("model initializer", f"{len(initializer.get('node', []))} nodes (graph 2)"))
    user = document.get("userDefinedMetadata")
    if isinstance(user, dict):
        for key, value in list(user.items())[:32]:
            model.metadata.append((str(key), json.dumps(value)[:200]))

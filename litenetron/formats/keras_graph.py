"""Build a graph from a Keras model config: one node per entry of its `layers` list.

Sequential models chain their layers; Functional models connect each call of a layer (an entry of its
`inbound_nodes`) to the (layer, call, tensor) triples it consumes. A tensor is named `layer:call:tensor`.
Shapes come from input layers, from the shapes Keras 3 records with each call, from `build_config`, and are
otherwise worked out layer by layer (`keras_shapes`). Nested models become nodes with a subgraph.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..codecs.hdf5 import Dataset
from ..model import Argument, Attribute, FormatError, Graph, Node, OpType, Tensor, TensorType, Value
from .keras_shapes import output_shapes
from .op_docs import documentation_source
from .schemas.keras import CATEGORY, DEFAULTS, HIDDEN_ATTRIBUTES, MODEL_CLASSES
from .stages import SHAPES, stage

# Layer name → (weight name, dataset); a dataset is anything with `shape`, `dtype_name`, `size` and `read()`.
Weights = Dict[str, List[Tuple[str, Dataset]]]
Ref = Tuple[str, int, int]  # (layer name, call index, tensor index)
MAX_NESTING = 16
_NO_ACTIVATION = (None, "", "linear")
_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional", "RNN")


def tensor_value(layer: str, label: str, dataset: Dataset) -> Value:
    """A weight as a constant value whose bytes are read from the HDF5 dataset on demand."""
    shape = dataset.shape
    tensor = Tensor(f"{layer}/{label}", dataset.dtype_name, shape, loader=dataset.read, location="hdf5")
    return Value(tensor.name, TensorType(tensor.dtype, shape), initializer=tensor)


def _shape(value: Any) -> Optional[tuple]:
    if not isinstance(value, (list, tuple)):
        return None
    if not all(d is None or isinstance(d, int) for d in value):
        return None
    return tuple(None if d is None or d < 0 else d for d in value)


def _dtype(config: dict) -> Optional[str]:
    dtype = config.get("dtype")
    if isinstance(dtype, dict):  # Keras 3 DTypePolicy
        dtype = (dtype.get("config") or {}).get("name")
    if isinstance(dtype, str):
        return {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}.get(dtype, dtype)
    return None


def _history(item: Any, refs: List[Tuple[Ref, Optional[tuple]]], depth: int = 0) -> None:
    """Collect Keras 3 keras-tensor references (with their recorded shapes) from call args / kwargs."""
    if depth > 32:
        return
    if isinstance(item, dict):
        if item.get("class_name") == "__keras_tensor__":
            config = item.get("config") or {}
            history = config.get("keras_history") or []
            if len(history) >= 3 and isinstance(history[0], str):
                refs.append(((history[0], int(history[1]), int(history[2])), _shape(config.get("shape"))))
            return
        for value in item.values():
            _history(value, refs, depth + 1)
    elif isinstance(item, list):
        for value in item:
            _history(value, refs, depth + 1)


def _triples(item: Any, refs: List[Tuple[Ref, Optional[tuple]]], depth: int = 0) -> None:
    """Keras 2 tensor references ([layer, call, tensor] lists) inside call kwargs."""
    if depth > 32:
        return
    if isinstance(item, dict):
        for value in item.values():
            _triples(value, refs, depth + 1)
    elif isinstance(item, list):
        if len(item) == 3 and isinstance(item[0], str) and all(isinstance(v, int) for v in item[1:]):
            refs.append(((item[0], item[1], item[2]), None))
        else:
            for value in item:
                _triples(value, refs, depth + 1)


def _calls(layer: dict) -> List[List[Tuple[Ref, Optional[tuple]]]]:
    """The inputs of each call of a functional layer, Keras 2 or Keras 3 spelling."""
    calls = []
    for node in layer.get("inbound_nodes") or ():
        refs: List[Tuple[Ref, Optional[tuple]]] = []
        if isinstance(node, dict):
            _history(node.get("args"), refs)
            _history(node.get("kwargs"), refs)
        elif isinstance(node, list):
            # A call is a list of [layer, call, tensor, kwargs] entries; TF op layers store one bare entry.
            for entry in ([node] if node and isinstance(node[0], str) else node):
                if isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[0], str):
                    refs.append(((entry[0], int(entry[1]), int(entry[2])), None))
                    if len(entry) > 3:  # TF op layers pass further tensors as [name, call, tensor] kwargs
                        _triples(entry[3], refs)
        calls.append(refs)
    return calls


def _refs(spec: Any) -> List[Ref]:
    """`input_layers` / `output_layers`: one [name, call, tensor] triple or a list of them."""
    if not isinstance(spec, list) or not spec:
        return []
    if isinstance(spec[0], str):
        spec = [spec]
    refs = []
    for entry in spec:
        if isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[0], str):
            refs.append((entry[0], int(entry[1]), int(entry[2])))
    return refs


def _is_default(key: str, value: Any) -> bool:
    if key not in DEFAULTS:
        return False
    default = DEFAULTS[key]
    if isinstance(value, list) and value:
        return all(item == default for item in value)
    return value == default


def _attribute_value(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("class_name", value)
    if isinstance(value, list):
        return tuple(value)
    return value


class _Builder:
    def __init__(self, weights: Weights, depth: int):
        self.weights = weights
        self.depth = depth
        self.values: Dict[Ref, Value] = {}
        self.input_layers: set = set()

    def value(self, ref: Ref) -> Value:
        """The tensor `ref` names: `layer` for a layer's first output, else `layer:call:tensor` (and always
        for input layers, whose own name is the graph input feeding them)."""
        if ref not in self.values:
            plain = ref[1:] == (0, 0) and ref[0] not in self.input_layers
            self.values[ref] = Value(ref[0] if plain else f"{ref[0]}:{ref[1]}:{ref[2]}", TensorType(None, None))
        return self.values[ref]

    def set_shape(self, ref: Ref, shape: Optional[tuple], dtype: Optional[str]) -> None:
        kind = self.value(ref).type
        if kind.shape is None and shape is not None:
            kind.shape = shape
        if kind.dtype is None and dtype is not None:
            kind.dtype = dtype

    def build(self, model_config: dict) -> Graph:
        if self.depth > MAX_NESTING:
            raise FormatError("nested models nest too deeply")
        config = model_config.get("config")
        layers = config if isinstance(config, list) else (config or {}).get("layers") if isinstance(config, dict) \
            else None
        if not isinstance(layers, list):
            raise FormatError("model config has no layers list")
        config = config if isinstance(config, dict) else {}
        graph = Graph(name=str(config.get("name", "")))
        entries = [layer for layer in layers if isinstance(layer, dict)]
        functional = model_config.get("class_name") != "Sequential" and any(
            layer.get("inbound_nodes") for layer in entries)
        known = {str(layer.get("name") or (layer.get("config") or {}).get("name")) for layer in entries}
        self.input_layers = {str(layer.get("name") or (layer.get("config") or {}).get("name"))
                             for layer in entries if layer.get("class_name") == "InputLayer"}
        previous: Optional[Ref] = None
        for index, layer in enumerate(entries):
            layer_config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
            name = str(layer.get("name") or layer_config.get("name") or f"layer_{index}")
            class_name = str(layer.get("class_name", "Layer"))
            if functional:
                calls = [[(ref, shape) for ref, shape in call if ref[0] in known] for call in _calls(layer)]
            else:
                calls = [[(previous, None)]] if previous is not None else []
            if not calls and class_name != "InputLayer" and not functional:
                calls = [[(self._sequential_input(graph, name, layer_config), None)]]
            node = self.node(graph, name, class_name, layer_config, layer, calls)
            graph.nodes.append(node)
            previous = (name, 0, 0)
            if not functional and index + 1 < len(entries):  # the next layer's build shape is our output
                following = entries[index + 1].get("build_config") or {}
                self.set_shape(previous, _shape(following.get("input_shape")), None)
        if functional:
            outputs = _refs(config.get("output_layers"))
        else:
            outputs = [previous] if previous is not None else []
        for ref in outputs:
            graph.outputs.append(Argument(ref[0], [self.value(ref)]))
        return graph

    def outputs(self, node: Node, call: int, shapes: Optional[List[Optional[tuple]]], dtype) -> None:
        """The output tensors of one call of `node` (one per shape; one of unknown shape when none)."""
        values = []
        for tensor in range(max(len(shapes or ()), 1)):
            ref = (node.name, call, tensor)
            self.set_shape(ref, shapes[tensor] if shapes else None, dtype)
            values.append(self.value(ref))
        node.outputs.append(Argument("output" if call == 0 else f"output_{call}", values))

    def _sequential_input(self, graph: Graph, name: str, config: dict) -> Ref:
        """Sequential models without an InputLayer entry: the first layer's input as a graph input."""
        ref = (f"{name}_input", 0, 0)
        shape = _shape(config.get("batch_input_shape") or config.get("batch_shape"))
        self.values[ref] = Value(ref[0], TensorType(_dtype(config), shape))
        graph.inputs.append(Argument(ref[0], [self.values[ref]]))
        return ref

    def node(self, graph: Graph, name: str, class_name: str, config: dict, layer: dict, calls) -> Node:
        node = Node(name, OpType(class_name, CATEGORY.get(class_name, "Layer"),
                                 documentation_source=documentation_source("keras", class_name)))
        dtype = _dtype(config)
        subgraph = None
        if class_name in MODEL_CLASSES and isinstance(config.get("layers"), list):
            subgraph = _Builder({}, self.depth + 1).build({"class_name": class_name, "config": config})
            subgraph.name = name
            node.graphs.append(subgraph)
        if class_name == "InputLayer":
            shape = _shape(config.get("batch_shape") or config.get("batch_input_shape"))
            if shape is None and _shape(config.get("input_shape") or config.get("shape")) is not None:
                shape = (None, *_shape(config.get("input_shape") or config.get("shape")))
            graph_input = Value(name, TensorType(dtype, shape))
            graph.inputs.append(Argument(name, [graph_input]))
            node.inputs.append(Argument("input", [graph_input]))
            self.outputs(node, 0, [shape], dtype)
        build = _shape((layer.get("build_config") or {}).get("input_shape"))
        if dtype is None:  # layers saved without a dtype compute in their input's type
            dtype = next((self.value(ref).type.dtype for call in calls for ref, _ in call), None)
        # Call by call: a shared layer's later call may consume its own earlier output.
        for index, call in enumerate(calls):
            values = []
            for ref, recorded in call:
                if index == 0 and len(call) == 1 and recorded is None:
                    recorded = build or _shape(config.get("batch_input_shape"))
                self.set_shape(ref, recorded, None)
                values.append(self.value(ref))
            node.inputs.append(Argument("inputs" if index == 0 else f"inputs_{index}", values))
            shapes = [value.type.shape for value in values]
            results = output_shapes(class_name, config, shapes) if shapes else None
            if subgraph is not None and subgraph.outputs:
                results = [argument.values[0].type.shape for argument in subgraph.outputs]
            self.outputs(node, index, results, dtype)
        if not node.outputs:
            self.outputs(node, 0, None, dtype)
        for label, dataset in self.weights.get(name, ()):
            node.inputs.append(Argument(label, [tensor_value(name, label, dataset)]))
        activation = config.get("activation")
        inner = config.get("layer")
        if class_name == "TimeDistributed" and isinstance(inner, dict):
            activation = (inner.get("config") or {}).get("activation")
        if isinstance(activation, dict):
            activation = activation.get("class_name")
        # A recurrent layer's activation acts inside its cell: an attribute, not a fused step after it.
        fused = class_name not in ("Activation", *_RECURRENT)
        if fused and activation not in _NO_ACTIVATION and isinstance(activation, str):
            node.chain.append(Node(activation, OpType(activation, "Activation")))
        for key, value in config.items():
            if value is None or (key == "activation" and fused):
                continue
            visible = key not in HIDDEN_ATTRIBUTES and not _is_default(key, value)
            node.attributes.append(Attribute(key, _attribute_value(value), visible=visible))
        return node


def build_graph(model_config: dict, weights: Weights, depth: int = 0) -> Graph:
    """The graph of a Keras model config (`{"class_name": ..., "config": {...}}`) with its weights."""
    if not isinstance(model_config, dict):
        raise FormatError("model config is not a JSON object")
    with stage(SHAPES):  # shapes are worked out layer by layer as the graph is built
        return _Builder(weights, depth).build(model_config)

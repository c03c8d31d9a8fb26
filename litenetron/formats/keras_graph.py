"""Build a graph from a Keras model config: one node per entry of its `layers` list.

Sequential models chain their layers; Functional models connect each call of a layer (an entry of its
`inbound_nodes`) to the (layer, call, tensor) triples it consumes. A tensor is named `layer:call:tensor`.
Shapes come from input layers, from the shapes Keras 3 records with each call, from `build_config`, and are
otherwise worked out layer by layer (`keras_shapes`).

A nested model (a model used as a layer) is laid inline: its layers become nodes of the graph carrying the
model's path as their `group_path`, its inputs are the tensors its call consumes and its outputs the tensors
the call gives (`keras_nested` places its weights on its layers). Its input layers draw no node. A model
called twice (shared) draws its layers once, each with a call per use, as a shared layer is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..codecs.hdf5 import Dataset
from ..model import Argument, Attribute, FormatError, Graph, Node, OpType, Tensor, TensorType, Value
from .keras_nested import MAX_NESTING, is_model, layer_entries, layer_name, leaf_layers, place_weights
from .keras_shapes import output_shapes
from .op_docs import documentation_source
from .schemas.keras import CATEGORY, DEFAULTS, HIDDEN_ATTRIBUTES
from .stages import SHAPES, stage

# Layer name → (weight name, dataset); a dataset is anything with `shape`, `dtype_name`, `size` and `read()`.
Weights = Dict[str, List[Tuple[str, Dataset]]]
Ref = Tuple[str, int, int]  # (layer name, call index, tensor index)
Key = Tuple[Tuple[str, ...], str, int, int]  # a Ref inside the (nested) model at a path
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


def _input_shape(config: dict) -> Optional[tuple]:
    """The batch shape an InputLayer config declares (`batch_shape`, or `shape` without the batch)."""
    shape = _shape(config.get("batch_shape") or config.get("batch_input_shape"))
    inner = _shape(config.get("input_shape") or config.get("shape"))
    return (None, *inner) if shape is None and inner is not None else shape


def _mapping(value: Any) -> dict:
    """A config field that should be an object (a hostile file may put anything there)."""
    return value if isinstance(value, dict) else {}


def _is_ref(entry: Any) -> bool:
    """A (layer, call, tensor) reference: `[name, int, int, ...]`."""
    return isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[0], str) and \
        all(isinstance(number, int) and number >= 0 for number in entry[1:3])


def _dtype(config: dict) -> Optional[str]:
    dtype = config.get("dtype")
    if isinstance(dtype, dict):  # Keras 3 DTypePolicy
        dtype = _mapping(dtype.get("config")).get("name")
    if isinstance(dtype, str):
        return {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}.get(dtype, dtype)
    return None


def _history(item: Any, refs: List[Tuple[Ref, Optional[tuple]]], depth: int = 0) -> None:
    """Collect Keras 3 keras-tensor references (with their recorded shapes) from call args / kwargs."""
    if depth > 32:
        return
    if isinstance(item, dict):
        if item.get("class_name") == "__keras_tensor__":
            config = _mapping(item.get("config"))
            history = config.get("keras_history")
            if _is_ref(history):
                refs.append(((history[0], history[1], history[2]), _shape(config.get("shape"))))
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
    nodes = layer.get("inbound_nodes")
    for node in nodes if isinstance(nodes, list) else ():
        refs: List[Tuple[Ref, Optional[tuple]]] = []
        if isinstance(node, dict):
            _history(node.get("args"), refs)
            _history(node.get("kwargs"), refs)
        elif isinstance(node, list):
            # A call is a list of [layer, call, tensor, kwargs] entries; TF op layers store one bare entry.
            for entry in ([node] if node and isinstance(node[0], str) else node):
                if _is_ref(entry):
                    refs.append(((entry[0], entry[1], entry[2]), None))
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
        if _is_ref(entry):
            refs.append((entry[0], entry[1], entry[2]))
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


@dataclass
class _Scope:
    """One model config laid into the graph: the top-level model (`path` empty), or a nested model inlined
    at `path`, called once per entry of `bindings` (the values fed to its inputs, in its inputs' order).
    Outer call c of a nested model is inner call c × calls[layer] + i of each of its layers."""

    path: Tuple[str, ...]
    bindings: Optional[List[List[Value]]] = None
    calls: Dict[str, int] = field(default_factory=dict)
    input_layers: set = field(default_factory=set)

    @property
    def times(self) -> int:
        return 1 if self.bindings is None else len(self.bindings)

    def key(self, ref: Ref, call: int) -> Key:
        return (self.path, ref[0], call * self.calls.get(ref[0], 1) + ref[1], ref[2])


class _Builder:
    def __init__(self, weights: Weights, depth: int):
        self.weights = weights
        self.depth = depth
        self.values: Dict[Key, Value] = {}
        self.top_layers: set = set()  # names of the top-level model's layers
        self.top_inputs: set = set()  # ... and of its input layers
        self.placed: Dict[Tuple[str, ...], List[Tuple[str, Dataset]]] = {}  # nested layer path → its weights
        self.inlined = False

    def value(self, key: Key) -> Value:
        """The tensor `key` names: `layer` for a layer's first output, else `layer:call:tensor` (and always
        for top-level input layers, whose own name is the graph input feeding them); inside a nested model
        prefixed by its path."""
        if key not in self.values:
            path, layer, call, tensor = key
            plain = (call, tensor) == (0, 0) and not (not path and layer in self.top_inputs)
            name = layer if plain else f"{layer}:{call}:{tensor}"
            self.values[key] = Value("/".join((*path, name)), TensorType(None, None))
        return self.values[key]

    @staticmethod
    def set_shape(value: Value, shape: Optional[tuple], dtype: Optional[str]) -> None:
        kind = value.type
        if kind.shape is None and shape is not None:
            kind.shape = shape
        if kind.dtype is None and dtype is not None:
            kind.dtype = dtype

    def build(self, model_config: dict) -> Graph:
        if self.depth > MAX_NESTING:
            raise FormatError("nested models nest too deeply")
        entries = layer_entries(model_config)
        if entries is None:
            raise FormatError("model config has no layers list")
        config = model_config.get("config") if isinstance(model_config.get("config"), dict) else {}
        graph = Graph(name=str(config.get("name", "")))
        self.top_layers = {layer_name(layer, index) for index, layer in enumerate(entries)}
        self.top_inputs = {layer_name(layer, index) for index, layer in enumerate(entries)
                           if layer.get("class_name") == "InputLayer"}
        names, outputs = self.lay(graph, model_config, _Scope(()))
        for name, value in zip(names, outputs[0]):
            graph.outputs.append(Argument(name, [value]))
        if self.inlined:  # INFO-JSON counts the entries of the top-level layers list, a nested model as one
            graph.stored_operators = {}
            for layer in entries:
                class_name = str(layer.get("class_name", "Layer"))
                graph.stored_operators[class_name] = graph.stored_operators.get(class_name, 0) + 1
        return graph

    def lay(self, graph: Graph, model_config: dict, scope: _Scope, depth: int = 0
            ) -> Tuple[List[str], List[List[Value]]]:
        """Adds the nodes of one model's layers to `graph`; returns the layers giving its outputs and the
        output values of each call."""
        if depth > MAX_NESTING:
            raise FormatError("nested models nest too deeply")
        entries = layer_entries(model_config) or []
        config = model_config.get("config") if isinstance(model_config.get("config"), dict) else {}
        functional = model_config.get("class_name") != "Sequential" and any(
            layer.get("inbound_nodes") for layer in entries)
        names = [layer_name(layer, index) for index, layer in enumerate(entries)]
        known = set(names)
        inputs = [ref[0] for ref in _refs(config.get("input_layers"))] if functional else []
        scope.input_layers = {name for name, layer in zip(names, entries) if layer.get("class_name") == "InputLayer"}
        layer_calls = {}
        for name, layer in zip(names, entries):
            if functional:
                layer_calls[name] = [[(ref, shape) for ref, shape in call if ref[0] in known]
                                     for call in _calls(layer)]
            scope.calls[name] = max(len(layer_calls.get(name, ())), 1)
        if scope.bindings is not None:  # bound before any layer asks for their tensors
            for position, (name, layer) in enumerate((n, e) for n, e in zip(names, entries) if n in scope.input_layers):
                config_of = layer.get("config") if isinstance(layer.get("config"), dict) else {}
                self.bind_input(scope, name, config_of, inputs.index(name) if name in inputs else position)
        previous: Optional[str] = None
        for index, (name, layer) in enumerate(zip(names, entries)):
            layer_config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
            class_name = str(layer.get("class_name", "Layer"))
            if scope.bindings is not None and class_name == "InputLayer":
                previous = name
                continue
            calls: List[list] = []
            for outer in range(scope.times):
                if functional:
                    own = layer_calls[name]
                    calls.extend([(self.value(scope.key(ref, outer)), shape) for ref, shape in call] for call in own)
                elif previous is not None:
                    calls.append([(self.value(scope.key((previous, 0, 0), outer)), None)])
                elif scope.bindings is not None:
                    calls.append([(value, None) for value in scope.bindings[outer][:1]])
            if not calls and class_name != "InputLayer" and not functional:
                calls = [[(self._sequential_input(graph, name, layer_config), None)]]
            if not (is_model(layer) and self.inline(graph, name, layer, scope, calls, depth)):
                graph.nodes.append(self.node(graph, scope, name, class_name, layer_config, layer, calls))
            previous = name
            if not functional and index + 1 < len(entries):  # the next layer's build shape is our output
                following = _mapping(entries[index + 1].get("build_config"))
                for outer in range(scope.times):
                    self.set_shape(self.value(scope.key((name, 0, 0), outer)),
                                   _shape(following.get("input_shape")), None)
        if functional:
            refs = _refs(config.get("output_layers"))
        else:
            refs = [(previous, 0, 0)] if previous is not None else []
        return [ref[0] for ref in refs], [[self.value(scope.key(ref, outer)) for ref in refs]
                                          for outer in range(scope.times)]

    def bind_input(self, scope: _Scope, name: str, config: dict, position: int) -> None:
        """A nested model's input layer is no node: its tensor is the one the call feeds it (or, when the
        call feeds fewer, a tensor of its own that nothing produces)."""
        shape = _input_shape(config)
        for outer, fed in enumerate(scope.bindings or ()):
            key = scope.key((name, 0, 0), outer)
            if position < len(fed):
                self.values[key] = fed[position]
            self.set_shape(self.value(key), shape, _dtype(config))

    def inline(self, graph: Graph, name: str, layer: dict, scope: _Scope, calls, depth: int) -> bool:
        """Lays a nested model's layers into `graph` in its place, each in the model's group; False when the
        file's weights for it cannot be told apart by layer (then it stays one node)."""
        path = scope.path + (name,)
        if not scope.path:
            placed = place_weights(self.weights.get(name, ()), leaf_layers(layer, path))
            if placed is None:
                return False
            self.placed.update(placed)
        bindings = []
        for call in calls:
            for value, recorded in call:
                self.set_shape(value, recorded, None)
            bindings.append([value for value, _ in call])
        inner = _Scope(path, bindings)
        _, results = self.lay(graph, {"class_name": layer.get("class_name"), "config": layer.get("config")},
                              inner, depth + 1)
        for call, values in enumerate(results):
            for tensor, value in enumerate(values):
                self.values[(scope.path, name, call, tensor)] = value
        self.inlined = True
        return True

    def outputs(self, node: Node, scope: _Scope, call: int, shapes: Optional[List[Optional[tuple]]], dtype
                ) -> None:
        """The output tensors of one call of `node` (one per shape; one of unknown shape when none)."""
        values = []
        for tensor in range(max(len(shapes or ()), 1)):
            value = self.value((scope.path, node.name, call, tensor))
            self.set_shape(value, shapes[tensor] if shapes else None, dtype)
            values.append(value)
        node.outputs.append(Argument("output" if call == 0 else f"output_{call}", values))

    def _sequential_input(self, graph: Graph, name: str, config: dict) -> Value:
        """Sequential models without an InputLayer entry: the first layer's input as a graph input."""
        shape = _shape(config.get("batch_input_shape") or config.get("batch_shape"))
        value = self.values[((), f"{name}_input", 0, 0)] = Value(f"{name}_input", TensorType(_dtype(config), shape))
        graph.inputs.append(Argument(value.name, [value]))
        return value

    def layer_weights(self, scope: _Scope, name: str) -> List[Tuple[str, Dataset]]:
        if not scope.path:
            return list(self.weights.get(name, ()))
        # TF.js manifests name inner layers' weights by the layer itself (unless a top-level layer has its name)
        own = self.weights.get(name, ()) if name not in self.top_layers else ()
        return self.placed.get(scope.path + (name,), []) + list(own)

    def node(self, graph: Graph, scope: _Scope, name: str, class_name: str, config: dict, layer: dict, calls
             ) -> Node:
        node = Node(name, OpType(class_name, CATEGORY.get(class_name, "Layer"),
                                 documentation_source=documentation_source("keras", class_name)),
                    group_path=scope.path)
        dtype = _dtype(config)
        subgraph = None
        if is_model(layer):
            subgraph = _Builder({}, self.depth + 1).build({"class_name": class_name, "config": config})
            subgraph.name = name
            node.graphs.append(subgraph)
        if class_name == "InputLayer":
            shape = _input_shape(config)
            graph_input = Value(name, TensorType(dtype, shape))
            graph.inputs.append(Argument(name, [graph_input]))
            node.inputs.append(Argument("input", [graph_input]))
            self.outputs(node, scope, 0, [shape], dtype)
        build = _shape(_mapping(layer.get("build_config")).get("input_shape"))
        if dtype is None:  # layers saved without a dtype compute in their input's type
            dtype = next((value.type.dtype for call in calls for value, _ in call), None)
        # Call by call: a shared layer's later call may consume its own earlier output.
        for index, call in enumerate(calls):
            values = []
            for value, recorded in call:
                if index == 0 and len(call) == 1 and recorded is None:
                    recorded = build or _shape(config.get("batch_input_shape"))
                self.set_shape(value, recorded, None)
                values.append(value)
            node.inputs.append(Argument("inputs" if index == 0 else f"inputs_{index}", values))
            shapes = [value.type.shape for value in values]
            results = output_shapes(class_name, config, shapes) if shapes else None
            if subgraph is not None and subgraph.outputs:
                results = [argument.values[0].type.shape for argument in subgraph.outputs]
            self.outputs(node, scope, index, results, dtype)
        if not node.outputs:
            self.outputs(node, scope, 0, None, dtype)
        owner = "/".join(scope.path + (name,))
        for label, dataset in self.layer_weights(scope, name):
            node.inputs.append(Argument(label, [tensor_value(owner, label, dataset)]))
        activation = config.get("activation")
        inner = config.get("layer")
        if class_name == "TimeDistributed" and isinstance(inner, dict):
            activation = _mapping(inner.get("config")).get("activation")
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

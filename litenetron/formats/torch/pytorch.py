"""PyTorch `torch.save` files: state dicts, pickled `nn.Module`s, checkpoints, tensors and plain pickles.

Containers (zip, legacy stream, legacy tar) are read by `pickled`; this module turns the unpickled object
into a graph. No dataflow is stored in these files, so the graph is the modules in storage order, chained one
after the other (Netron draws them the same way).

- state dict (name → tensor): one node per key prefix (`features.0.weight` → module `features.0`) with its
  tensors as weight rows; the module type is guessed from the parameter names and shapes where that is
  unambiguous (4-D weight → Conv2d, running_mean → BatchNorm, weight_ih_l0 → LSTM/GRU/RNN, 2-D weight → Linear)
  and is otherwise "Module".
- pickled `nn.Module`: the module tree; each leaf module (and each module with tensors of its own) is a node
  titled with its class name, with its settings (kernel_size, stride, ...) as attributes.
- checkpoint: the first of `state_dict`, `model_state_dict`, `model_state`, `model`, `net` that holds a state
  dict (or a module); other scalar entries become metadata.
- anything else: every tensor or numpy array found in the object, grouped by key path the same way; an
  object without any is one node describing it.

`nodes` counts the nodes that hold tensors (leaf modules by key prefix); `parameters` the elements of every
tensor of the state dict, buffers included, as `sum(t.numel() for t in state_dict.values())` does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from ...codecs import archive
from ...codecs.pickle_objects import Global, NumpyArray, NumpyDType, Object, OrderedDictValue, PickleError
from ...model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, Value
from . import pickled
from .pickled import TorchTensor

NAME = "PyTorch"
EXTENSIONS = (".pt", ".pth", ".pkl", ".pickle", ".bin", ".tar", ".ckpt", ".pth.tar")  # also what the Open dialog offers
PICKLE_EXTENSIONS = (".pt", ".pth", ".pkl", ".pickle", ".ckpt")
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model_state", "model", "net")
MAX_DEPTH = 64
MAX_NODES = 100_000

# Module class name → box colour group.
CATEGORIES = {
    "Conv1d": "Layer", "Conv2d": "Layer", "Conv3d": "Layer", "ConvTranspose1d": "Layer",
    "ConvTranspose2d": "Layer", "ConvTranspose3d": "Layer", "Linear": "Layer", "Bilinear": "Layer",
    "LSTM": "Layer", "GRU": "Layer", "RNN": "Layer", "LSTMCell": "Layer", "GRUCell": "Layer",
    "MultiheadAttention": "Layer", "Embedding": "Transform", "EmbeddingBag": "Transform",
    "BatchNorm": "Normalization", "BatchNorm1d": "Normalization", "BatchNorm2d": "Normalization",
    "BatchNorm3d": "Normalization", "LayerNorm": "Normalization", "RMSNorm": "Normalization",
    "GroupNorm": "Normalization",
    "InstanceNorm1d": "Normalization", "InstanceNorm2d": "Normalization", "LocalResponseNorm": "Normalization",
    "ReLU": "Activation", "ReLU6": "Activation", "LeakyReLU": "Activation", "PReLU": "Activation",
    "ELU": "Activation", "SELU": "Activation", "GELU": "Activation", "SiLU": "Activation",
    "Sigmoid": "Activation", "Tanh": "Activation", "Softmax": "Activation", "LogSoftmax": "Activation",
    "Hardswish": "Activation", "Hardsigmoid": "Activation", "Mish": "Activation", "Softplus": "Activation",
    "MaxPool1d": "Pool", "MaxPool2d": "Pool", "MaxPool3d": "Pool", "AvgPool1d": "Pool", "AvgPool2d": "Pool",
    "AvgPool3d": "Pool", "AdaptiveAvgPool1d": "Pool", "AdaptiveAvgPool2d": "Pool", "AdaptiveMaxPool2d": "Pool",
    "Dropout": "Dropout", "Dropout2d": "Dropout", "AlphaDropout": "Dropout",
    "Flatten": "Shape", "Unflatten": "Shape", "Upsample": "Transform", "PixelShuffle": "Transform",
    "Identity": "Transform", "ZeroPad2d": "Tensor", "ConstantPad2d": "Tensor",
}


def match(path: Path, header: bytes) -> bool:
    name = path.name.lower()
    if archive.is_zip(header):
        if not name.endswith(EXTENSIONS) and not name.endswith(".zip"):
            return False
        with archive.open_zip(path) as zip_file:
            names = list(archive.zip_members(zip_file))
        return any(n.endswith("/data.pkl") and n.count("/") == 1 for n in names) and \
            not any(n.split("/")[1:2] == ["code"] or n.endswith("/constants.pkl") for n in names)
    if pickled.is_legacy(header):
        return True
    if pickled.is_tar(header):
        return header[:100].rstrip(b"\0") in (b"sys_info", b"pickle", b"storages", b"tensors")
    # A bare pickle only by a pickle-ish name: `.bin` files are raw weights far more often than pickles.
    return name.endswith(PICKLE_EXTENSIONS) and _looks_like_pickle(header)


def _looks_like_pickle(header: bytes) -> bool:
    if header[:1] == b"\x80":
        return len(header) > 1 and 2 <= header[1] <= 5
    return header[:1] in (b"(", b"]", b"}", b"c") and b"\n" in header[:256] or header[:2] in (b"(d", b"(l")


def read(path: Path) -> Model:
    with path.open("rb") as stream:
        header = stream.read(4096)
    try:
        loaded = pickled.load_any(path, header)
    except (PickleError, archive.ArchiveError) as error:
        raise ModelError(path, str(error)) from None
    model = build_model(loaded.root)
    if model.description == "pickled object" and loaded.container == "pickle":
        model.format = "Pickle"
    model.version = f"{CONTAINERS[loaded.container]}, {loaded.version}".rstrip(", ")
    return model


CONTAINERS = {"zip": "zip archive", "legacy": "legacy stream", "tar": "legacy tar", "pickle": "pickle"}


def build_model(root: Any) -> Model:
    """The graph of an unpickled torch object (see the module docstring for the kinds)."""
    metadata: List[Tuple[str, str]] = []
    kind, content = _classify(root, metadata)
    graph = Graph(name=kind)
    if kind == "module":
        _module_nodes(graph, content)
    elif kind in ("state_dict", "checkpoint"):
        _state_dict_nodes(graph, list(content.items()))
        graph.stored_parameters = sum(t.numel for _, t in content.items() if isinstance(t, TorchTensor))
    else:
        pairs = _arrays_in(root)
        if pairs:
            _state_dict_nodes(graph, pairs)
        else:
            graph.nodes.append(_object_node(root))
    chain_in_order(graph)
    model = Model(format="PyTorch", metadata=metadata)
    model.graphs.append(graph)
    model.description = {"state_dict": "state dict", "module": "pickled module", "checkpoint": "checkpoint",
                         "object": "pickled object"}[kind]
    return model


def _classify(root: Any, metadata: List[Tuple[str, str]]) -> Tuple[str, Any]:
    if _is_module(root):
        return "module", root
    if _is_state_dict(root):
        return "state_dict", root
    if isinstance(root, dict):
        for key in CHECKPOINT_KEYS:
            value = root.get(key)
            if _is_state_dict(value) or _is_module(value):
                for other, item in root.items():
                    if other != key and isinstance(item, (int, float, str, bool)):
                        metadata.append((str(other), str(item)))
                return ("module" if _is_module(value) else "checkpoint"), value
    return "object", root


def _is_state_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, str) for k in value) and \
        all(isinstance(v, TorchTensor) for v in value.values())


def _is_module(value: Any) -> bool:
    return isinstance(value, Object) and "_modules" in value.attributes and "_parameters" in value.attributes


# --- state dicts -----------------------------------------------------------------------------------------

def _split(key: str) -> Tuple[str, str]:
    return tuple(key.rsplit(".", 1)) if "." in key else ("", key)  # type: ignore[return-value]


def _state_dict_nodes(graph: Graph, pairs: List[Tuple[str, Any]]) -> None:
    if len({_split(key)[0] for key, _ in pairs}) > MAX_NODES:
        raise PickleError(f"state dict has more than {MAX_NODES} modules")
    weight_nodes(graph, [_weight(key, tensor) for key, tensor in pairs])


def weight_nodes(graph: Graph, tensors: List[Tensor],
                 guess: Optional[Callable[[Dict[str, Tensor], str], Tuple[str, str]]] = None) -> None:
    """One node per module prefix of the tensors' dotted names (`encoder.0.weight` → node `encoder.0` with the
    row `weight`), in first-seen order; the node keeps the full dotted module path as its name. `guess` maps
    (row name → tensor, prefix) to (type name, category); by default the PyTorch module guess."""
    groups: Dict[str, List[Tuple[str, Tensor]]] = {}
    for tensor in tensors:
        prefix, name = _split(tensor.name)
        groups.setdefault(prefix, []).append((name, tensor))
    for prefix, members in groups.items():
        params = dict(members)
        if guess is None:
            type_name = guess_module_type(params, prefix)
            category = CATEGORIES.get(type_name, "")
        else:
            type_name, category = guess(params, prefix)
        node = Node(prefix or "(root)", OpType(type_name, category))
        node.inputs.append(Argument("input"))
        for name, tensor in members:
            node.inputs.append(Argument(name, [Value(tensor.name, tensor.type, initializer=tensor)]))
        graph.nodes.append(node)


def tensor_summary(tensors: List[Tensor]) -> str:
    """`28 (24 bfloat16, 4 float32)`: how many tensors of each type, for a weights file's properties."""
    counts: Dict[str, int] = {}
    for tensor in tensors:
        counts[tensor.dtype or "?"] = counts.get(tensor.dtype or "?", 0) + 1
    kinds = ", ".join(f"{count} {name}" for name, count in counts.items())
    return f"{len(tensors)} ({kinds})" if tensors else "0"


def _weight(key: str, value: Any) -> Tensor:
    if isinstance(value, TorchTensor):
        return value.to_tensor(key)
    dtype = value.dtype.name if isinstance(value.dtype, NumpyDType) else None
    return Tensor(key, dtype, tuple(value.shape), loader=value.to_numpy, location="pickle")


def _rank(tensor: Any) -> int:
    return len(tensor.shape) if tensor is not None else -1


def guess_module_type(params: Dict[str, Any], prefix: str = "") -> str:
    """A module class name from its parameter names and shapes, or "Module" when they do not tell."""
    weight = params.get("weight")
    if "running_mean" in params or "running_var" in params:
        return "BatchNorm"
    if "weight_ih_l0" in params and "weight_hh_l0" in params:
        hidden = params["weight_hh_l0"].shape[-1] if _rank(params["weight_hh_l0"]) == 2 else 0
        gates = params["weight_ih_l0"].shape[0] // hidden if hidden else 0
        return {4: "LSTM", 3: "GRU", 1: "RNN"}.get(gates, "RNN")
    if "in_proj_weight" in params:
        return "MultiheadAttention"
    rank = _rank(weight)
    if rank in (3, 4, 5):
        return f"Conv{rank - 2}d"
    last = prefix.rsplit(".", 1)[-1].lower()
    if rank == 1 and ("norm" in last or last.startswith("ln")):  # transformer norms keep no running stats
        return "LayerNorm" if "bias" in params else "RMSNorm"
    if rank == 2 and "bias" not in params and ("embed" in prefix.lower() or last in EMBEDDING_NAMES):
        return "Embedding"  # a bias-less 2-D weight is a Linear or an Embedding; only the name tells
    if rank == 2:
        return "Linear"
    return "Module"


# --- pickled modules -------------------------------------------------------------------------------------

def _class_name(module: Object) -> str:
    return module.cls.name if isinstance(module.cls, Global) else module.type_name


def _module_nodes(graph: Graph, root: Object) -> None:
    total = 0
    counted: Dict[str, int] = {}

    def visit(module: Object, prefix: str, depth: int) -> None:
        nonlocal total
        if depth > MAX_DEPTH or len(graph.nodes) > MAX_NODES:
            raise PickleError("module tree is nested too deeply or too large")
        attributes = module.attributes
        children = attributes.get("_modules")
        children = children if isinstance(children, dict) else {}
        skipped = attributes.get("_non_persistent_buffers_set")
        skipped = skipped if isinstance(skipped, (set, frozenset, list)) else ()
        tensors: List[Tuple[str, TorchTensor]] = []
        for field in ("_parameters", "_buffers"):
            entries = attributes.get(field)
            for name, tensor in (entries.items() if isinstance(entries, dict) else ()):
                if isinstance(tensor, TorchTensor) and not (field == "_buffers" and name in skipped):
                    tensors.append((str(name), tensor))
        live_children = [(str(n), c) for n, c in children.items() if isinstance(c, Object)]
        if tensors or not live_children:
            name = _class_name(module)
            node = Node(prefix or "(root)", OpType(name, CATEGORIES.get(name, "")))
            node.inputs.append(Argument("input"))
            for param, tensor in tensors:
                key = f"{prefix}.{param}" if prefix else param
                weight = _weight(key, tensor)
                node.inputs.append(Argument(param, [Value(key, weight.type, initializer=weight)]))
                total += tensor.numel
            node.attributes.extend(_settings(attributes))
            graph.nodes.append(node)
            if tensors:
                counted[name] = counted.get(name, 0) + 1
        for child_name, child in live_children:
            visit(child, f"{prefix}.{child_name}" if prefix else child_name, depth + 1)

    visit(root, "", 0)
    graph.stored_operators = counted
    graph.stored_parameters = total


def _settings(attributes: dict) -> List[Attribute]:
    """A module's plain settings (kernel_size, stride, eps...), leaving out private fields and `training`."""
    settings = []
    for name, value in attributes.items():
        if not isinstance(name, str) or name.startswith("_") or name == "training":
            continue
        if isinstance(value, (bool, int, float, str)) or value is None:
            settings.append(Attribute(name, value, type(value).__name__))
        elif isinstance(value, tuple) and all(isinstance(v, (int, float, bool)) for v in value):
            settings.append(Attribute(name, list(value), "tuple"))
        elif isinstance(value, Global):
            settings.append(Attribute(name, value.qualname, "global"))
    return settings


# --- anything else ---------------------------------------------------------------------------------------

def _arrays_in(root: Any) -> List[Tuple[str, Any]]:
    """(key path, tensor or numpy array) for every array reachable from `root`, depth-bounded."""
    found: List[Tuple[str, Any]] = []
    seen: set = set()

    def walk(item: Any, path: str, depth: int) -> None:
        if depth > MAX_DEPTH or id(item) in seen or len(found) > MAX_NODES:
            return
        seen.add(id(item))
        if isinstance(item, (TorchTensor, NumpyArray)) and isinstance(getattr(item, "shape", None), tuple):
            found.append((path or "tensor", item))
        elif isinstance(item, dict):
            for key, child in item.items():
                walk(child, f"{path}.{key}" if path else str(key), depth + 1)
        elif isinstance(item, (list, tuple)):
            for index, child in enumerate(item):
                walk(child, f"{path}.{index}" if path else str(index), depth + 1)
        elif isinstance(item, Object):
            walk(item.attributes or item.state, path, depth + 1)
            walk(item.entries, path, depth + 1)
            walk(item.items, path, depth + 1)
    walk(root, "", 0)
    return found


def _describe(value: Any) -> str:
    """A short text for one entry of a pickled object (never the repr of a large or nested value)."""
    if isinstance(value, Object):
        return value.type_name
    if isinstance(value, Global):
        return value.qualname
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, (TorchTensor, NumpyArray)):
        return f"array ⟨{'×'.join(str(d) for d in value.shape)}⟩"
    if isinstance(value, (str, bytes, bytearray)):
        text = repr(value[:80])
        return text if len(value) <= 80 else text + "..."
    if isinstance(value, (bool, int, float, complex)) or value is None:
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    return type(value).__name__


def _object_node(root: Any) -> Node:
    """One node describing a pickle that holds no tensors: its type and its top-level entries."""
    title = root.type_name.rsplit(".", 1)[-1] if isinstance(root, Object) else type(root).__name__
    if isinstance(root, OrderedDictValue):
        title = "OrderedDict"
    node = Node("(root)", OpType(title, "Data"))
    entries = root.attributes if isinstance(root, Object) else root if isinstance(root, dict) else {}
    for key, value in list(entries.items())[:200]:
        node.attributes.append(Attribute(str(key), _describe(value), type(value).__name__))
    if not entries:
        node.attributes.append(Attribute("value", _describe(root), type(root).__name__))
    return node


HEAD_NAMES = {"lm_head", "head", "heads", "classifier", "score", "fc", "output"}
EMBEDDING_NAMES = ("wte", "wpe", "token_embd", "tok_embeddings")
# Parts of a transformer block in the order they compute (GGUF, Hugging Face Llama and GPT-2 names).
BLOCK_ORDER = {name: rank for rank, names in enumerate((
    ("attn_norm", "input_layernorm", "ln_1", "norm1"),
    ("self_attn", "attn", "attention", "attn_q", "attn_qkv", "q_proj", "c_attn", "query"),
    ("attn_k", "k_proj", "key"), ("attn_v", "v_proj", "value"), ("attn_output", "o_proj"),
    ("ffn_norm", "post_attention_layernorm", "ln_2", "norm2"), ("mlp", "ffn_gate", "gate_proj", "c_fc"),
    ("ffn_up", "up_proj"), ("ffn_down", "down_proj"),
)) for name in names}

# A module's own tensors in the order torch.nn lists them.
LEAF_ORDER = {name: rank for rank, name in enumerate(("weight", "bias", "running_mean", "running_var",
                                                      "num_batches_tracked"))}


def reading_order(names: List[str]) -> List[str]:
    """Weight names in the order a reader of the network expects when the file's own order is alphabetical
    (safetensors, GGUF): embeddings, then the numbered blocks (`layers.2` before `layers.10`, each block's parts
    in computing order), then final norms and the rest, then the heads (`lm_head`, `classifier`, `output`)."""
    def part_key(part: str) -> tuple:
        if part.isdigit():
            return 0, int(part), ()
        if part in BLOCK_ORDER:
            return 1, BLOCK_ORDER[part], ()
        return 2, 0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", part))

    def key(name: str) -> tuple:
        parts = name.split(".")[:-1] or [name]
        if any(part.isdigit() for part in parts):
            rank = 3 if parts[0] in HEAD_NAMES else 1
        elif any(part in HEAD_NAMES for part in parts):
            rank = 3
        elif "emb" in name.lower() or parts[-1] in EMBEDDING_NAMES:
            rank = 0
        else:
            rank = 2
        parts = name.split(".")
        leaf = (0, LEAF_ORDER[parts[-1]], ()) if parts[-1] in LEAF_ORDER else part_key(parts[-1])
        return rank, [part_key(part) for part in parts[:-1]] + [leaf]
    return sorted(names, key=key)


def chain_in_order(graph: Graph) -> None:
    """Connect the nodes one after the other: the file stores no dataflow, only this order."""
    previous: Optional[Value] = None
    for index, node in enumerate(graph.nodes):
        if previous is not None:
            if node.inputs and node.inputs[0].name == "input":
                node.inputs[0].values.append(previous)
            else:
                node.inputs.insert(0, Argument("input", [previous]))
        output = Value(f"{node.name}:{index}")
        node.outputs.append(Argument("output", [output]))
        previous = output
    for node in graph.nodes:
        if node.inputs and node.inputs[0].name == "input" and not node.inputs[0].values:
            node.inputs.pop(0)

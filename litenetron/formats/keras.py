"""Keras models: `.h5` (full model or weights only), `.keras` zips (Keras 3) and model JSON files.

A full model is its `model_config` JSON (Sequential chain or Functional graph whose `inbound_nodes` name the
producing (layer, call, tensor) — Keras 2 as nested lists, Keras 3 as `args`/`kwargs` holding keras tensors
with a `keras_history`) plus the weights file: Keras 2 keeps `model_weights/<layer>/<weight path>` listed by
`layer_names` / `weight_names` attributes, Keras 3 keeps `layers/<layer>/vars/<index>` in
`model.weights.h5`. HDF5 is read by our own codec; weights become lazy tensors on the layer that owns them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Collection, Dict, Iterator, List, Optional, Tuple

from ..codecs import archive
from ..codecs.binary import open_buffer
from ..codecs.hdf5 import SIGNATURE, Dataset, File, Group, Hdf5Error
from ..model import Argument, FormatError, Graph, Model, ModelError, Node, OpType
from .keras_graph import Weights, build_graph, tensor_value
from .keras_nested import MAX_NESTING, layer_entries, weight_label
from .keras_tfjs import manifest_weights
from .op_docs import documentation_source
from .schemas.keras import CATEGORY, MODEL_CLASSES, VARIABLES

NAME = "Keras"
EXTENSIONS = (".h5", ".hdf5", ".keras", ".json")  # what the Open dialog offers

MAX_CONFIG = 64 << 20  # bytes of model JSON we are willing to parse
MAX_WEIGHTS_IN_MEMORY = 2 << 30  # a compressed model.weights.h5 member is inflated into memory up to this
_WEIGHTS_MEMBER = "model.weights.h5"


def _is_hdf5(header: bytes) -> bool:
    return any(header[offset:offset + 8] == SIGNATURE for offset in (0, 512, 1024, 2048))


def _is_keras_json(header: bytes) -> bool:
    text = header.lstrip()
    if not text.startswith(b"{"):
        return False
    if b'"modelTopology"' in text and b'"class_name"' in text:  # TF.js layers models (not graph models)
        return True
    # MXNet symbols ("nodes" + "arg_nodes") and other JSON graphs are not Keras configs.
    return b'"class_name"' in text and b'"config"' in text and b'"arg_nodes"' not in text \
        and b'"nodes"' not in text


def match(path: Path, header: bytes) -> bool:
    if not header:
        return False
    if _is_hdf5(header):
        return True
    suffix = path.suffix.lower()
    if archive.is_zip(header):
        if suffix not in (".keras", ".zip"):
            return False
        with archive.open_zip(path) as zip_file:
            names = archive.zip_members(zip_file)
        return "config.json" in names and (_WEIGHTS_MEMBER in names or "metadata.json" in names)
    return suffix == ".json" and _is_keras_json(header)


def read(path: Path) -> Model:
    header = _head(path)
    try:
        if _is_hdf5(header):
            return _read_hdf5(File(path), "Keras HDF5")
        if archive.is_zip(header):
            return _read_zip(path)
        return _read_json(path)
    except Hdf5Error as error:
        raise ModelError(path, f"malformed HDF5 file ({error})") from None
    except archive.ArchiveError as error:
        raise ModelError(path, str(error)) from None
    except json.JSONDecodeError as error:
        raise ModelError(path, f"invalid model JSON ({error})") from error
    except UnicodeDecodeError as error:  # json.loads of bytes decodes them first
        raise ModelError(path, f"model JSON is not valid {error.encoding} text") from error


def _head(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(4096)


# --- containers ------------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else ""


def _read_hdf5(h5: File, format_name: str, config: Optional[dict] = None, metadata: Optional[dict] = None
               ) -> Model:
    attrs = h5.attrs
    version = _text(attrs.get("keras_version")) or _text((metadata or {}).get("keras_version"))
    if config is None and attrs.get("model_config"):
        config = json.loads(_text(attrs["model_config"]))
    groups: Dict[str, str] = {}  # layer → the weight group it was found in (Keras 3: named by its class)
    if isinstance(h5.get("layers"), Group):  # Keras 3 weights file
        weights = _keras3_weights(h5, _layer_classes(config), _layer_classes(config, nested=True), groups)
    elif isinstance(h5.get("model_weights"), Group):
        weights = _keras2_weights(h5["model_weights"], _nested_models(config))
        version = version or _text(h5["model_weights"].attrs.get("keras_version"))
    elif _attribute_list(attrs, "layer_names") is not None:
        weights = _keras2_weights(h5.root, _nested_models(config))
    else:
        weights = _plain_weights(h5.root)
    model = Model(format_name, producer=f"Keras {version}".strip(), version=version)
    backend = _text(attrs.get("backend"))
    if backend:
        model.metadata.append(("backend", backend))
    if metadata and metadata.get("date_saved"):
        model.metadata.append(("date saved", str(metadata["date_saved"])))
    if config is not None:
        graph = build_graph(config, weights, 0)
    else:
        model.format = format_name.replace("Keras", "Keras weights", 1)
        graph = _weights_graph(weights, groups)
    graph.stored_parameters = sum(dataset.size for entries in weights.values() for _, dataset in entries)
    model.graphs.append(graph)
    return model


def _read_zip(path: Path) -> Model:
    with archive.open_zip(path) as zip_file:
        members = archive.zip_members(zip_file)
        if "config.json" not in members:
            raise ModelError(path, "Keras archive has no config.json")
        config = json.loads(archive.read_member(zip_file, "config.json", MAX_CONFIG))
        metadata = {}
        if "metadata.json" in members:
            metadata = json.loads(archive.read_member(zip_file, "metadata.json", 1 << 20))
        if _WEIGHTS_MEMBER not in members:
            return _model_from_config(config, "Keras v3", metadata, {})
        span = archive.member_range(zip_file, _WEIGHTS_MEMBER)
        if span is not None:  # stored: read straight from the mapped archive, nothing is copied
            h5 = File(open_buffer(path), span[0], span[1])
        else:
            h5 = File(archive.read_member(zip_file, _WEIGHTS_MEMBER, MAX_WEIGHTS_IN_MEMORY))
    return _read_hdf5(h5, "Keras v3", config, metadata if isinstance(metadata, dict) else None)


def _read_json(path: Path) -> Model:
    if path.stat().st_size > MAX_CONFIG:
        raise ModelError(path, f"model JSON is larger than {MAX_CONFIG} bytes")
    document = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    if not isinstance(document, dict):
        raise ModelError(path, "model JSON is not an object")
    if "modelTopology" in document:  # TensorFlow.js layers model: the Keras config sits inside
        topology = document["modelTopology"] or {}
        config = topology.get("model_config", topology) if isinstance(topology, dict) else None
        if not isinstance(config, dict):
            raise ModelError(path, "TensorFlow.js model has no Keras model topology")
        weights = manifest_weights(path, document.get("weightsManifest"), list(_layer_classes(config, True)))
        return _model_from_config(config, "TensorFlow.js layers", topology, weights)
    return _model_from_config(document, "Keras JSON", document, {})


def _model_from_config(config: Any, format_name: str, metadata: Any, weights: Weights) -> Model:
    if not isinstance(config, dict):
        raise FormatError("model config is not a JSON object")
    version = _text(metadata.get("keras_version")) if isinstance(metadata, dict) else ""
    model = Model(format_name, producer=f"Keras {version}".strip(), version=version)
    graph = build_graph(config, weights, 0)
    graph.stored_parameters = sum(weight.size for entries in weights.values() for _, weight in entries)
    model.graphs.append(graph)
    return model


# --- weights ------------------------------------------------------------------------------------------

def _names(value: Any) -> List[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [_text(value)]
    if isinstance(value, list):
        return [_text(item) for item in value if isinstance(item, (str, bytes))]
    return []


def _attribute_list(attrs: dict, name: str) -> Optional[List[str]]:
    """A list attribute; Keras 2 splits one too large for an object header into `name0`, `name1`, ..."""
    if name in attrs:
        return _names(attrs[name])
    if f"{name}0" not in attrs:
        return None
    values: List[str] = []
    index = 0
    while f"{name}{index}" in attrs:
        values.extend(_names(attrs[f"{name}{index}"]))
        index += 1
    return values


def _nested_models(config: Optional[dict]) -> set:
    """The names of a model config's layers that are models with layers of their own."""
    return {name for name, (class_name, layer_config) in _layer_classes(config).items()
            if class_name in MODEL_CLASSES and isinstance(layer_config.get("layers"), list)}


def _keras2_weights(group: Group, models: Collection[str] = ()) -> Weights:
    """Layer → weights from `layer_names` / `weight_names` (Keras 2 `.h5`, full model or weights only).

    A nested model's weights (a layer in `models`) keep their whole path (`Conv1/kernel`): it names the inner layer."""
    weights: Weights = {}
    names = _attribute_list(group.attrs, "layer_names") or group.keys()
    for layer in names:
        layer_group = group.get(layer)
        if not isinstance(layer_group, Group):
            continue
        entries = []
        weight_names = _attribute_list(layer_group.attrs, "weight_names")
        if weight_names is not None:
            for weight in weight_names:
                dataset = layer_group.get(weight)
                if isinstance(dataset, Dataset):
                    entries.append((weight, dataset))
        else:
            entries = [(path[len(layer_group.path):].lstrip("/"), item)
                       for path, item in layer_group.walk() if isinstance(item, Dataset)]
        labels = [_weight_label(weight) for weight, _ in entries]
        if layer in models or len(set(labels)) < len(labels):  # nested models: inner layers share weight names
            labels = [weight.split(":", 1)[0] for weight, _ in entries]
        weights[layer] = [(label, dataset) for label, (_, dataset) in zip(labels, entries)]
    return weights


def _weight_label(path: str) -> str:
    """`dense/kernel:0` → `kernel`; `bidirectional/forward_lstm/lstm_cell/kernel:0` → `forward_lstm/kernel`."""
    return weight_label(path.split(":", 1)[0].split("/")) or path


def _natural(name: str) -> Tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _keras3_datasets(group: Group, prefix: str, depth: int) -> Iterator[Tuple[str, Dataset]]:
    """Datasets of one Keras 3 layer group: `vars/<i>` first, then nested objects, depth-first."""
    if depth > MAX_NESTING:
        raise FormatError(f"Keras weight groups nest too deeply at {group.path}")
    names = sorted(group.keys(), key=lambda name: (name != "vars", _natural(name)))
    for name in names:
        item = group.get(name)
        if isinstance(item, Dataset):
            yield prefix + name, item
        elif isinstance(item, Group):
            yield from _keras3_datasets(item, f"{prefix}{name}/", depth + 1)


def _variable_names(class_name: str, config: dict) -> List[str]:
    names = []
    for entry in VARIABLES.get(class_name, ()):
        if isinstance(entry, tuple):
            name, flag = entry
            if not config.get(flag, True):
                continue
            names.append(name)
        else:
            names.append(entry)
    return names


def _layer_classes(config: Optional[dict], nested: bool = False, depth: int = 0
                   ) -> Dict[str, Tuple[str, dict]]:
    """Layer name → (class name, config) for a model config's layers (wrappers by their inner layer);
    with `nested`, the layers of nested models too."""
    layers: Dict[str, Tuple[str, dict]] = {}
    for layer in (layer_entries(config) if isinstance(config, dict) else None) or ():
        layer_config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        name = layer.get("name") or layer_config.get("name")
        inner = layer_config.get("layer")
        if isinstance(inner, dict) and layer.get("class_name") in ("Bidirectional", "TimeDistributed"):
            inner_config = inner.get("config") if isinstance(inner.get("config"), dict) else {}
            layers[str(name)] = (str(inner.get("class_name", "")), inner_config)
        else:
            layers[str(name)] = (str(layer.get("class_name", "")), layer_config)
        if nested and depth < MAX_NESTING and isinstance(layer_config.get("layers"), list):
            for key, value in _layer_classes(layer, True, depth + 1).items():
                layers.setdefault(key, value)
    return layers


def _keras3_keys(classes: Dict[str, Tuple[str, dict]]) -> Dict[str, str]:
    """Group key → layer name as Keras 3 names weight groups: snake_case class name, `_1`, `_2`... on repeats."""
    keys: Dict[str, str] = {}
    counts: Dict[str, int] = {}
    for name, (class_name, _) in classes.items():
        base = _snake(class_name)
        number = counts.get(base, 0)
        counts[base] = number + 1
        keys[base if number == 0 else f"{base}_{number}"] = name
    return keys


def _keras3_weights(h5: File, classes: Dict[str, Tuple[str, dict]],
                    nested_classes: Dict[str, Tuple[str, dict]], groups: Dict[str, str]) -> Weights:
    """Layer → weights of a Keras 3 weights file (`layers/<group>/vars/<i>`).

    The layer's name is the `name` attribute of its `vars` group; files written before Keras recorded it
    are matched by the group naming scheme.
    """
    weights: Weights = {}
    layers = h5["layers"]
    by_key = _keras3_keys({name: entry for name, entry in classes.items() if entry[0] != "InputLayer"})
    for key in layers.keys():
        group = layers.get(key)
        if not isinstance(group, Group):
            continue
        own = group.get("vars")
        name = _text(own.attrs.get("name")) if isinstance(own, Group) else ""
        name = name or (key if key in classes else by_key.get(key, key))
        groups[name] = key
        entries = []
        for path, dataset in _keras3_datasets(group, "", 0):
            parts = path.split("/")
            label = parts[-1]
            if len(parts) >= 2 and parts[-2] == "vars" and label.isdigit():
                # The variables of a nested model's layer name that layer in their `vars` group.
                owner = name
                if len(parts) > 2:
                    variables_group = group.get("/".join(parts[:-1]))
                    inner = _text(variables_group.attrs.get("name")) if isinstance(variables_group, Group) else ""
                    owner = inner if inner in nested_classes and inner != name else name
                # Without a model config (a weights file alone) the group name tells the class.
                class_name, config = nested_classes.get(owner) or classes.get(owner) or (_guess_class(key), {})
                variables = _variable_names(class_name, config)
                index = int(label)
                label = variables[index] if index < len(variables) else label
                if owner != name:
                    parts = [owner]
                else:
                    parts = [part for part in parts[:-2] if part not in ("cell", "layers")]
            else:
                parts = parts[:-1]
            entries.append(("/".join(parts + [label]), dataset))
        weights[name] = entries
    return weights


def _plain_weights(root: Group) -> Weights:
    """Any other HDF5 file: each group that holds datasets directly is one layer."""
    weights: Weights = {}
    for path, item in root.walk():
        if isinstance(item, Dataset):
            parent = path.rsplit("/", 1)[0].lstrip("/") or "/"
            weights.setdefault(parent, []).append((item.name, item))
    return weights


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASS_BY_SNAKE = {_snake(name): name for name in list(CATEGORY) + list(VARIABLES)}


def _guess_class(group: str) -> str:
    """`conv2d_1` → `Conv2D`: layer classes from default layer / weight group names."""
    base = re.sub(r"_\d+$", "", group.rsplit("/", 1)[-1])
    return _CLASS_BY_SNAKE.get(base, base or "Layer")


def _weights_graph(weights: Weights, groups: Dict[str, str]) -> Graph:
    """A weights-only file: one node per layer group that holds weights."""
    graph = Graph(name="weights")
    for layer, entries in weights.items():
        if not entries:
            continue
        class_name = _guess_class(groups.get(layer, layer))
        node = Node(layer, OpType(class_name, CATEGORY.get(class_name, "Layer"),
                                  documentation_source=documentation_source("keras", class_name)))
        node.inputs = [Argument(label, [tensor_value(layer, label, dataset)]) for label, dataset in entries]
        graph.nodes.append(node)
    return graph


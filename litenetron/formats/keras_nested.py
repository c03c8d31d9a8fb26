"""Nested Keras models (a Functional / Sequential model used as a layer) drawn inline: which layers a nested
model holds, and which of them owns each of the weights the file stores under the nested model.

Files keep a nested model's weights under its own name, each labelled by the path of the inner layer that
made it: Keras 2 `Conv1/kernel:0`, Keras 3 `.h5` `block/b1/kernel` (the models between included), Keras 3
`.keras` (resolved by the reader from the `vars` group names) `b1/kernel`. A label is placed on the first of
its parts that names a layer of the nested model; the rest is the weight's name on that layer.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..model import FormatError
from .schemas.keras import MODEL_CLASSES

MAX_NESTING = 16
Path = Tuple[str, ...]  # layer names from the top-level model's layer down to a layer inside it


def layer_entries(model_config: dict) -> Optional[List[dict]]:
    """The `layers` list of a model config (Keras 1 Sequential keeps it as the config itself), or None."""
    config = model_config.get("config")
    layers = config if isinstance(config, list) else config.get("layers") if isinstance(config, dict) else None
    return [layer for layer in layers if isinstance(layer, dict)] if isinstance(layers, list) else None


def layer_name(layer: dict, index: int) -> str:
    config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
    return str(layer.get("name") or config.get("name") or f"layer_{index}")


def is_model(layer: dict) -> bool:
    """A model with its own layers list (a subclassed model saved without one stays a single layer)."""
    config = layer.get("config")
    return layer.get("class_name") in MODEL_CLASSES and isinstance(config, dict) and \
        isinstance(config.get("layers"), list)


def leaf_layers(model_layer: dict, path: Path, depth: int = 0) -> List[Path]:
    """The paths of the layers drawn for a nested model: its layers and those of models nested in it, but
    neither input layers (their tensors are the ones feeding the call) nor the models themselves."""
    if depth > MAX_NESTING:
        raise FormatError("nested models nest too deeply")
    leaves: List[Path] = []
    for index, layer in enumerate(layer_entries(model_layer) or ()):
        inner = path + (layer_name(layer, index),)
        if is_model(layer):
            leaves.extend(leaf_layers(layer, inner, depth + 1))
        elif layer.get("class_name") != "InputLayer":
            leaves.append(inner)
    return leaves


def weight_label(parts: Sequence[str]) -> str:
    """`owner/kernel` → `kernel`; `bidirectional/forward_lstm/lstm_cell/kernel` → `forward_lstm/kernel`."""
    parts = [part for part in parts if part]
    if len(parts) > 1:
        parts = parts[1:]
    if len(parts) > 1 and (parts[-2].endswith("_cell") or parts[-2] == "cell"):
        del parts[-2]
    return "/".join(parts)


def _owner(parts: Sequence[str], leaves: Dict[str, List[Path]]) -> Optional[Tuple[Path, int]]:
    """The leaf a weight label belongs to, and where its name sits in the label. Layers of different nested
    models may share a name: the one whose enclosing models the label also names wins."""
    for index, part in enumerate(parts):
        candidates = leaves.get(part)
        if candidates:
            scopes = set(parts[:index])
            best = max(candidates, key=lambda leaf: sum(scope in scopes for scope in leaf[:-1]))
            return best, index
    return None


def place_weights(entries: Sequence[Tuple[str, Any]], leaves: Sequence[Path]
                  ) -> Optional[Dict[Path, List[Tuple[str, Any]]]]:
    """Leaf path → (weight name, dataset) for the weights stored under a nested model; None when a weight
    names no layer of it (the model is then drawn as one node holding them all, so none is lost)."""
    by_name: Dict[str, List[Path]] = {}
    for leaf in leaves:
        by_name.setdefault(leaf[-1], []).append(leaf)
    placed: Dict[Path, List[Tuple[str, Any]]] = {}
    for label, dataset in entries:
        parts = label.split(":", 1)[0].split("/")
        found = _owner(parts, by_name)
        if found is None:
            return None
        leaf, index = found
        placed.setdefault(leaf, []).append((weight_label(parts[index:]) or label, dataset))
    return placed

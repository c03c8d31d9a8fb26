"""The difference of two graphs: which nodes pair up, which were added or removed, and what changed.

Nodes pair by name first (same name, same kind of operator), then by structure: an unpaired node of B pairs with
an unpaired node of A of the same operator kind whose inputs come from the partners of its own producers, so two
exports of one network with renamed nodes still pair up. Nodes that only re-encode a tensor (quantize,
dequantize, cast, identity) are looked through when producers are compared, so a float model and its int8
twin pair their layers. Whatever is left pairs in order within each operator kind when both sides still have
one (a rename together with a local change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..model import Graph, ModelError, Node, Tensor, format_shape
from .op_kinds import canonical

_TRANSPARENT = {"quantize", "dequantize", "quantizelinear", "dequantizelinear", "cast", "identity", "convert",
                "fakequantwithminmaxvars", "fakequantize"}


@dataclass
class AttributeChange:
    name: str
    a: str
    b: str


@dataclass
class WeightChange:
    name: str
    a_shape: Optional[tuple]
    b_shape: Optional[tuple]
    a_dtype: Optional[str]
    b_dtype: Optional[str]
    max_abs_diff: Optional[float] = None   # when both files hold the values and the shapes agree


@dataclass
class NodeChange:
    a: Node
    b: Node
    how: str   # "name" or "structure"
    type_change: Optional[Tuple[str, str]] = None
    attributes: List[AttributeChange] = field(default_factory=list)
    weights: List[WeightChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.type_change or self.attributes or
                    any(change.a_shape != change.b_shape or change.a_dtype != change.b_dtype or
                        (change.max_abs_diff or 0) > 0 for change in self.weights))


@dataclass
class GraphDiff:
    pairs: List[NodeChange]
    added: List[Node]     # in B only
    removed: List[Node]   # in A only

    @property
    def changed(self) -> List[NodeChange]:
        return [pair for pair in self.pairs if pair.changed]

    def partner_of(self) -> Dict[int, Node]:
        """id(node) → its partner, both directions."""
        partners = {}
        for pair in self.pairs:
            partners[id(pair.a)] = pair.b
            partners[id(pair.b)] = pair.a
        return partners


def _kind(node: Node) -> str:
    return canonical(node.type.name)


def _producers(graph: Graph, skip: set) -> Dict[int, List[Node]]:
    """id(node) → the nodes that produce its inputs, looking through tensor re-encoding nodes and `skip` kinds."""
    skip = skip | _TRANSPARENT
    producer: Dict[str, Node] = {}
    for node in graph.nodes:
        for argument in node.outputs:
            for value in argument.values:
                producer.setdefault(value.name, node)

    def sources(node: Node, depth: int = 0) -> List[Node]:
        found = []
        for argument in node.inputs:
            for value in argument.values:
                if value.initializer is not None or value.name not in producer:
                    continue
                source = producer[value.name]
                if _kind(source) in skip and depth < 8:
                    found.extend(sources(source, depth + 1) or [source])
                else:
                    found.append(source)
        return found

    return {id(node): sources(node) for node in graph.nodes}


def _pair_by_name(a: Graph, b: Graph, partner: Dict[int, Node]) -> List[Tuple[Node, Node]]:
    by_name: Dict[Tuple[str, str], List[Node]] = {}
    for node in a.nodes:
        if node.name:
            by_name.setdefault((node.name, _kind(node)), []).append(node)
    pairs = []
    for node in b.nodes:
        candidates = by_name.get((node.name, _kind(node))) if node.name else None
        if candidates:
            other = candidates.pop(0)
            partner[id(node)], partner[id(other)] = other, node
            pairs.append((other, node))
    return pairs


def _pair_by_structure(a: Graph, b: Graph, partner: Dict[int, Node]) -> List[Tuple[Node, Node]]:
    """One pass over B in file (topological) order: a node pairs with an unpaired A node of the same kind whose
    producers are its producers' partners. Producers of a kind the other graph lacks (a BatchNormalization
    folded into its convolution, a Dropout removed) are looked through."""
    kinds_a, kinds_b = {_kind(node) for node in a.nodes}, {_kind(node) for node in b.nodes}
    producers_a, producers_b = _producers(a, kinds_a - kinds_b), _producers(b, kinds_b - kinds_a)
    index: Dict[Tuple[str, Tuple[int, ...]], List[Node]] = {}
    for node in a.nodes:
        if id(node) not in partner:
            key = (_kind(node), tuple(sorted(id(source) for source in producers_a[id(node)])))
            index.setdefault(key, []).append(node)
    pairs = []
    for node in b.nodes:
        sources = producers_b[id(node)]
        if id(node) in partner or not all(id(source) in partner for source in sources):
            continue
        candidates = index.get((_kind(node), tuple(sorted(id(partner[id(source)]) for source in sources))), [])
        other = next((candidate for candidate in candidates if id(candidate) not in partner), None)
        if other is not None:
            partner[id(node)], partner[id(other)] = other, node
            pairs.append((other, node))
    return pairs


def _pair_in_order(a: Graph, b: Graph, partner: Dict[int, Node]) -> List[Tuple[Node, Node]]:
    left: Dict[str, List[Node]] = {}
    for node in a.nodes:
        if id(node) not in partner:
            left.setdefault(_kind(node), []).append(node)
    pairs = []
    for node in b.nodes:
        candidates = left.get(_kind(node))
        if id(node) not in partner and candidates:
            other = candidates.pop(0)
            partner[id(node)], partner[id(other)] = other, node
            pairs.append((other, node))
    return pairs


def _text(value) -> str:
    if hasattr(value, "tolist"):
        value = value.tolist()
    return str(value)


def _attribute_changes(a: Node, b: Node) -> List[AttributeChange]:
    left = {attribute.name: _text(attribute.value) for attribute in a.attributes if attribute.visible}
    right = {attribute.name: _text(attribute.value) for attribute in b.attributes if attribute.visible}
    return [AttributeChange(name, left.get(name, "—"), right.get(name, "—"))
            for name in sorted(set(left) | set(right)) if left.get(name) != right.get(name)]


def real_values(tensor: Tensor):
    """The tensor's values as float64, de-quantized (`(q − zero point) × scale`, per axis) when it is quantized,
    so a float weight and its int8 twin compare by what they stand for."""
    import numpy
    values = tensor.data()
    if values.dtype.kind not in "biuf":
        return None
    values = values.astype(numpy.float64)
    quantization = tensor.quantization or {}
    scale = numpy.asarray(quantization.get("scale") or [], dtype=numpy.float64)
    if tensor.layout != "quantized" or scale.size == 0:
        return values
    zero = numpy.asarray(quantization.get("zero_point") or [0], dtype=numpy.float64)
    if scale.size > 1:
        axis = quantization.get("axis") or 0
        if values.ndim <= axis or values.shape[axis] != scale.size or zero.size not in (1, scale.size):
            return None
        shape = [1] * values.ndim
        shape[axis] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape) if zero.size > 1 else zero
    return (values - zero) * scale


def _max_abs_diff(a: Tensor, b: Tensor) -> Optional[float]:
    try:
        import numpy
        left, right = real_values(a), real_values(b)
        if left is None or right is None or left.shape != right.shape:
            return None
        if left.size == 0:
            return 0.0
        result = float(numpy.max(numpy.abs(left - right)))
        return result if math.isfinite(result) else None
    except (ImportError, ModelError, MemoryError):
        return None


def _weight_changes(a: Node, b: Node, values: bool) -> List[WeightChange]:
    left = [(argument.name, value.initializer) for argument, value in a.weights()]
    right = [(argument.name, value.initializer) for argument, value in b.weights()]
    changes = []
    for index in range(max(len(left), len(right))):
        name_a, tensor_a = left[index] if index < len(left) else ("", None)
        name_b, tensor_b = right[index] if index < len(right) else ("", None)
        change = WeightChange(name_b or name_a, tensor_a.shape if tensor_a else None,
                              tensor_b.shape if tensor_b else None, tensor_a.dtype if tensor_a else None,
                              tensor_b.dtype if tensor_b else None)
        if values and tensor_a is not None and tensor_b is not None and tensor_a.shape == tensor_b.shape:
            change.max_abs_diff = _max_abs_diff(tensor_a, tensor_b)
        changes.append(change)
    return changes


def diff_graphs(a: Graph, b: Graph, values: bool = True) -> GraphDiff:
    """Pair the nodes of A and B and describe what changed; `values` also compares weight values (max |a−b|)."""
    partner: Dict[int, Node] = {}
    found = [(pair, "name") for pair in _pair_by_name(a, b, partner)]
    found += [(pair, "structure") for pair in _pair_by_structure(a, b, partner)]
    found += [(pair, "order") for pair in _pair_in_order(a, b, partner)]
    pairs = []
    for (node_a, node_b), how in found:
        change = NodeChange(node_a, node_b, how)
        if node_a.type.name != node_b.type.name:
            change.type_change = (node_a.type.name, node_b.type.name)
        change.attributes = _attribute_changes(node_a, node_b)
        change.weights = _weight_changes(node_a, node_b, values)
        pairs.append(change)
    order = {id(node): index for index, node in enumerate(b.nodes)}
    pairs.sort(key=lambda change: order[id(change.b)])
    return GraphDiff(pairs, [node for node in b.nodes if id(node) not in partner],
                     [node for node in a.nodes if id(node) not in partner])


def _shape(shape) -> str:
    return "—" if shape is None else format_shape(shape) or "scalar"


def _node_label(node: Node) -> str:
    return f"{node.type.name} {node.name!r}" if node.name else node.type.name


def weight_change_text(change: WeightChange) -> str:
    parts = []
    if change.a_shape != change.b_shape:
        parts.append(f"{_shape(change.a_shape)} → {_shape(change.b_shape)}")
    if change.a_dtype != change.b_dtype:
        parts.append(f"{change.a_dtype or '—'} → {change.b_dtype or '—'}")
    if change.max_abs_diff:
        parts.append(f"max |a−b| {change.max_abs_diff:.6g}")
    return f"weight {change.name}: " + ", ".join(parts)


def change_lines(change: NodeChange) -> List[str]:
    """What differs between a node and its partner, one line each."""
    lines = []
    if change.type_change:
        lines.append(f"operator {change.type_change[0]} → {change.type_change[1]}")
    if change.a.name and change.a.name != change.b.name:
        lines.append(f"name {change.a.name!r} → {change.b.name!r}")
    lines += [f"attribute {item.name}: {item.a} → {item.b}" for item in change.attributes]
    lines += [weight_change_text(item) for item in change.weights
              if item.a_shape != item.b_shape or item.a_dtype != item.b_dtype or item.max_abs_diff]
    return lines


def diff_summary(diff: GraphDiff) -> dict:
    """The JSON form of `--diff --json`."""
    how: Dict[str, int] = {}
    for pair in diff.pairs:
        how[pair.how] = how.get(pair.how, 0) + 1
    compared = [item.max_abs_diff for pair in diff.pairs for item in pair.weights if item.max_abs_diff is not None]
    return {
        "matched": len(diff.pairs),
        "matched_by": how,
        "added": [{"name": node.name, "type": node.type.name} for node in diff.added],
        "removed": [{"name": node.name, "type": node.type.name} for node in diff.removed],
        "changed": [{
            "a": pair.a.name, "b": pair.b.name, "type": pair.b.type.name,
            "type_change": list(pair.type_change) if pair.type_change else None,
            "attributes": [{"name": item.name, "a": item.a, "b": item.b} for item in pair.attributes],
            "weights": [{"name": item.name, "a_shape": _json_shape(item.a_shape), "b_shape": _json_shape(item.b_shape),
                         "a_dtype": item.a_dtype, "b_dtype": item.b_dtype, "max_abs_diff": item.max_abs_diff}
                        for item in pair.weights],
        } for pair in diff.changed],
        "weights_compared": len(compared),
        "max_abs_diff": max(compared) if compared else None,
    }


def _json_shape(shape) -> Optional[list]:
    return None if shape is None else [d if isinstance(d, (int, str)) else "?" for d in shape]


def diff_text(diff: GraphDiff, limit: int = 50) -> str:
    summary = diff_summary(diff)
    how = ", ".join(f"{count} by {name}" for name, count in summary["matched_by"].items())
    lines = [f"nodes: {summary['matched']} matched ({how or 'none'}), {len(diff.added)} added, "
             f"{len(diff.removed)} removed, {len(summary['changed'])} changed"]
    if summary["weights_compared"]:
        lines.append(f"weights: {summary['weights_compared']} compared, max |a−b| {summary['max_abs_diff']:.6g}")
    for title, entries in (("changed", diff.changed), ("added", diff.added), ("removed", diff.removed)):
        if not entries:
            continue
        lines.append(f"{title}:")
        for entry in entries[:limit]:
            if isinstance(entry, NodeChange):
                lines.append(f"  {_node_label(entry.b)}: " + "; ".join(change_lines(entry)))
            else:
                lines.append(f"  {_node_label(entry)}")
        if len(entries) > limit:
            lines.append(f"  … and {len(entries) - limit} more")
    return "\n".join(lines)

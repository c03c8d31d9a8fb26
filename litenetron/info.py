"""The `--info` summary of a model: a readable text and the JSON shape fixed for every format."""

from __future__ import annotations

import json
from typing import List, Optional

from .analysis.costs import GraphCosts, channels_last, graph_costs
from .model import Argument, Graph, Model, format_shape


def _shape_json(shape) -> Optional[list]:
    if shape is None:
        return None
    return [d if isinstance(d, str) or (isinstance(d, int) and d >= 0) else "?" for d in shape]


def _arguments_json(arguments: List[Argument]) -> list:
    entries = []
    for argument in arguments:
        for value in argument.values or ():
            kind = value.type
            entries.append({
                "name": value.name or argument.name,
                "dtype": kind.dtype if kind else None,
                "shape": _shape_json(kind.shape) if kind else None,
            })
    return entries


def graph_summary(graph: Graph, costs: Optional[GraphCosts] = None) -> dict:
    summary = {
        "name": graph.name,
        "nodes": graph.node_count(),
        "operators": graph.operators(),
        "inputs": _arguments_json(graph.inputs),
        "outputs": _arguments_json(graph.outputs),
        "parameters": graph.parameters(),
    }
    if costs is not None:
        summary.update({
            "macs": costs.macs,
            "flops": costs.flops,
            "activation_bytes": costs.activation_bytes,
            # the figures above leave out `unknown_cost_nodes` nodes and count unbound symbols as 1
            "costs_are_lower_bounds": costs.lower_bound,
            "unknown_cost_nodes": costs.unknown,
        })
    return summary


def model_costs(model: Model, symbols: Optional[dict] = None) -> List[GraphCosts]:
    nhwc = channels_last(model.format)
    return [graph_costs(graph, symbols, nhwc) for graph in model.graphs]


def model_summary(model: Model, symbols: Optional[dict] = None) -> dict:
    return {
        "path": model.path,
        "format": model.format,
        "producer": model.producer,
        "graphs": [graph_summary(graph, costs) for graph, costs in zip(model.graphs, model_costs(model, symbols))],
    }


def info_json(model: Model, symbols: Optional[dict] = None) -> str:
    return json.dumps(model_summary(model, symbols), indent=2)


def format_count(number: Optional[float], unit: str = "") -> str:
    """4_100_299_240 → `4.10 G`; bytes with unit "B" → `106.6 MB`-style binary-free decimal prefixes."""
    if number is None:
        return "unknown"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= factor:
            return f"{number / factor:.2f} {prefix}{unit}"
    return f"{number:.0f} {unit}".rstrip()


def costs_text(costs: GraphCosts) -> str:
    """One line of totals: `MACs 4.10 G · FLOPs 8.22 G · weights 102.2 MB · peak activations 111.7 MB`."""
    mark = "≥ " if costs.lower_bound else ""
    parts = [f"MACs {mark}{format_count(costs.macs)}", f"FLOPs {mark}{format_count(costs.flops)}",
             f"weights {format_count(costs.weight_bytes, 'B')}",
             f"peak activations {format_count(costs.activation_bytes, 'B')}"]
    notes = []
    if costs.unknown:
        notes.append(f"{costs.unknown} nodes of unknown cost")
    if costs.free_symbols:
        notes.append("unbound " + ", ".join(costs.free_symbols[:6]) + " counted as 1")
    return " · ".join(parts) + (f"  ({'; '.join(notes)})" if notes else "")


def info_text(model: Model, symbols: Optional[dict] = None) -> str:
    lines = [f"{model.path}", f"  format:    {model.format}"]
    for label, text in (("producer", model.producer), ("version", model.version),
                        ("imports", ", ".join(model.imports)), ("description", model.description)):
        if text:
            lines.append(f"  {label + ':':<10} {text}")
    for key, text in model.metadata:
        lines.append(f"  {key}: {text}")
    for index, (graph, costs) in enumerate(zip(model.graphs, model_costs(model, symbols))):
        summary = graph_summary(graph)
        lines.append(f"graph {index}: {graph.name or '(unnamed)'}")
        lines.append(f"  nodes: {summary['nodes']}   parameters: {summary['parameters']:,}")
        lines.append(f"  {costs_text(costs)}")
        for label, key in (("input", "inputs"), ("output", "outputs")):
            for entry in summary[key]:
                shape = format_shape(entry["shape"] and tuple(None if d == "?" else d for d in entry["shape"]))
                lines.append(f"  {label:<7} {entry['name']}: {entry['dtype'] or '?'}[{shape}]")
        operators = sorted(summary["operators"].items(), key=lambda item: (-item[1], item[0]))
        lines.append("  operators: " + ", ".join(f"{name} ×{count}" for name, count in operators))
    return "\n".join(lines)

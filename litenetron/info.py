"""The `--info` summary of a model: a readable text and the JSON shape fixed for every format."""

from __future__ import annotations

import json
from typing import List, Optional

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


def graph_summary(graph: Graph) -> dict:
    return {
        "name": graph.name,
        "nodes": graph.node_count(),
        "operators": graph.operators(),
        "inputs": _arguments_json(graph.inputs),
        "outputs": _arguments_json(graph.outputs),
        "parameters": graph.parameters(),
    }


def model_summary(model: Model) -> dict:
    return {
        "path": model.path,
        "format": model.format,
        "producer": model.producer,
        "graphs": [graph_summary(graph) for graph in model.graphs],
    }


def info_json(model: Model) -> str:
    return json.dumps(model_summary(model), indent=2)


def info_text(model: Model) -> str:
    lines = [f"{model.path}", f"  format:    {model.format}"]
    for label, text in (("producer", model.producer), ("version", model.version),
                        ("imports", ", ".join(model.imports)), ("description", model.description)):
        if text:
            lines.append(f"  {label + ':':<10} {text}")
    for key, text in model.metadata:
        lines.append(f"  {key}: {text}")
    for index, graph in enumerate(model.graphs):
        summary = graph_summary(graph)
        lines.append(f"graph {index}: {graph.name or '(unnamed)'}")
        lines.append(f"  nodes: {summary['nodes']}   parameters: {summary['parameters']:,}")
        for label, key in (("input", "inputs"), ("output", "outputs")):
            for entry in summary[key]:
                shape = format_shape(entry["shape"] and tuple(None if d == "?" else d for d in entry["shape"]))
                lines.append(f"  {label:<7} {entry['name']}: {entry['dtype'] or '?'}[{shape}]")
        operators = sorted(summary["operators"].items(), key=lambda item: (-item[1], item[0]))
        lines.append("  operators: " + ", ".join(f"{name} ×{count}" for name, count in operators))
    return "\n".join(lines)

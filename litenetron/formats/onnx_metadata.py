"""Operator metadata for ONNX nodes: documentation, input/output names and attribute defaults from
`onnx.defs`, plus our colour category table."""

from __future__ import annotations

from functools import cache
from typing import Any, Dict, List, Optional, Tuple

from .schemas.onnx import CATEGORIES

_CATEGORY_OF = {op: category for category, ops in CATEGORIES.items() for op in ops}
DEFAULT_DOMAINS = ("", "ai.onnx")


def category(op_type: str, domain: str = "") -> str:
    if domain in DEFAULT_DOMAINS or domain in ("ai.onnx.ml", "com.microsoft"):
        return _CATEGORY_OF.get(op_type, "")
    return ""


class OpSchema:
    """What the onnx package knows of one operator at one opset."""

    def __init__(self, schema):
        self.documentation = schema_markdown(schema)
        self.since_version = schema.since_version
        self.inputs: List[Tuple[str, bool]] = [(p.name, str(p.option).endswith("Variadic"))
                                               for p in schema.inputs]
        self.outputs: List[Tuple[str, bool]] = [(p.name, str(p.option).endswith("Variadic"))
                                                for p in schema.outputs]
        self.defaults: Dict[str, Any] = {}
        self.attribute_docs: Dict[str, str] = {}
        for name, attribute in schema.attributes.items():
            self.attribute_docs[name] = attribute.description
            default = attribute.default_value
            if default is not None and default.name:
                self.defaults[name] = _default_value(default)


def schema_markdown(schema) -> str:
    """The sections Netron shows for an operator, as Markdown: summary, attributes (type, default), inputs,
    outputs and type constraints."""
    parts = [(schema.doc or "").strip()]
    if schema.attributes:
        lines = ["## Attributes", ""]
        for name, attribute in sorted(schema.attributes.items()):
            kind = str(attribute.type).rsplit(".", 1)[-1].lower()
            default = attribute.default_value
            extra = "required" if attribute.required else ""
            if default is not None and default.name:
                extra = f"default {_default_value(default)!r}"
            lines.append(f"- `{name}`: *{kind}*{', ' + extra if extra else ''} — {attribute.description.strip()}")
        parts.append("\n".join(lines))
    for title, params in (("Inputs", schema.inputs), ("Outputs", schema.outputs)):
        if params:
            lines = [f"## {title}", ""]
            for param in params:
                option = str(param.option).rsplit(".", 1)[-1].lower()
                note = "" if option == "single" else f" ({option})"
                lines.append(f"- `{param.name}`{note}: *{param.type_str}* — {param.description.strip()}")
            parts.append("\n".join(lines))
    if schema.type_constraints:
        lines = ["## Type Constraints", ""]
        for constraint in schema.type_constraints:
            allowed = ", ".join(constraint.allowed_type_strs)
            lines.append(f"- `{constraint.type_param_str}`: {allowed} — {constraint.description.strip()}")
        parts.append("\n".join(lines))
    parts.append(f"*Since opset {schema.since_version} of {schema.domain or 'ai.onnx'}.*")
    return "\n\n".join(part for part in parts if part)


def _default_value(proto) -> Any:
    from onnx import helper
    value = helper.get_attribute_value(proto)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [item.decode("utf-8", errors="replace") if isinstance(item, bytes) else item for item in value]
    return value


@cache
def op_schema(op_type: str, domain: str, opset: int) -> Optional[OpSchema]:
    try:
        from onnx import defs
    except ImportError:
        return None
    try:
        return OpSchema(defs.get_schema(op_type, opset, "" if domain == "ai.onnx" else domain))
    except Exception:  # noqa: BLE001 - unknown operator / domain: no metadata
        return None


def slot_names(params: List[Tuple[str, bool]], count: int, fallback: str) -> List[str]:
    """One argument name per position; a trailing variadic parameter takes the rest."""
    names = []
    for index in range(count):
        if index < len(params):
            names.append(params[index][0])
        elif params and params[-1][1]:
            names.append(params[-1][0])
        else:
            names.append(f"{fallback}{index}")
    return names

"""Operator metadata for ONNX nodes: input/output names, attribute defaults and since-versions from our
generated schema table (`schemas/onnx_ops.json`, no `import onnx`), documentation from `onnx.defs` on demand,
plus our colour category table."""

from __future__ import annotations

import json
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from .schemas.onnx import CATEGORIES

_CATEGORY_OF = {op: category for category, ops in CATEGORIES.items() for op in ops}
DEFAULT_DOMAINS = ("", "ai.onnx")
_TABLE = Path(__file__).with_name("schemas") / "onnx_ops.json"


def category(op_type: str, domain: str = "") -> str:
    if domain in DEFAULT_DOMAINS or domain in ("ai.onnx.ml", "com.microsoft"):
        return _CATEGORY_OF.get(op_type, "")
    return ""


class Formal:
    """One input or output parameter of a schema."""

    __slots__ = ("name", "option", "type_str", "homogeneous", "min_arity")

    def __init__(self, name: str, option: str, type_str: str, homogeneous: bool, min_arity: int):
        self.name, self.option, self.type_str = name, option, type_str
        self.homogeneous, self.min_arity = homogeneous, min_arity

    @property
    def variadic(self) -> bool:
        return self.option == "V"

    @property
    def optional(self) -> bool:
        return self.option == "O"


class OpSchema:
    """One operator at one version, as the generated table describes it."""

    def __init__(self, domain: str, name: str, entry: list):
        since, deprecated, documented, inputs, outputs, attributes, constraints, arity = entry
        self.domain, self.name = domain, name
        self.since_version: int = since
        self.deprecated: bool = deprecated
        self.documented: bool = documented
        self.formal_inputs = [Formal(*item) for item in inputs]
        self.formal_outputs = [Formal(*item) for item in outputs]
        self.inputs: List[Tuple[str, bool]] = [(item.name, item.variadic) for item in self.formal_inputs]
        self.outputs: List[Tuple[str, bool]] = [(item.name, item.variadic) for item in self.formal_outputs]
        self.attribute_types: Dict[str, str] = {item[0]: item[1] for item in attributes}
        self.required = [item[0] for item in attributes if item[2]]
        self.defaults: Dict[str, Any] = {item[0]: item[3] for item in attributes if item[3] is not None}
        self.type_constraints: Dict[str, Tuple[str, ...]] = {param: tuple(types) for param, types in constraints}
        self.arity = tuple(arity)

    def documentation(self) -> str:
        return documentation(self.name, self.domain, self.since_version)


@lru_cache(maxsize=1)
def _ops() -> Dict[Tuple[str, str], list]:
    table = json.loads(_TABLE.read_text(encoding="utf-8"))
    return {(domain, name): versions for domain, name, versions in table["ops"]}


def table_version() -> str:
    """The onnx release the schema table was generated from."""
    return json.loads(_TABLE.read_text(encoding="utf-8").split(', "ops"', 1)[0] + "}")["onnx_version"]


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
    """The newest version of the operator not newer than `opset` (what `onnx.defs.get_schema` answers)."""
    domain = "" if domain == "ai.onnx" else domain
    versions = _ops().get((domain, op_type))
    if not versions:
        return None
    chosen = None
    for entry in versions:
        if entry[0] <= opset:
            chosen = entry
    return OpSchema(domain, op_type, chosen) if chosen is not None else None


@cache
def documentation(op_type: str, domain: str, version: int) -> str:
    """The operator's documentation from `onnx.defs` ("" without the onnx package); imported only here."""
    try:
        from onnx import defs
    except ImportError:
        return ""
    try:
        schema = defs.get_schema(op_type, version, "" if domain == "ai.onnx" else domain)
    except Exception:  # noqa: BLE001 - an operator this onnx release does not know
        return ""
    return schema_markdown(schema)


@lru_cache(maxsize=1)
def onnx_available() -> bool:
    """Whether the onnx package is installed, without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec("onnx") is not None
    except (ImportError, ValueError):  # an import hook that refuses it counts as absent
        return False


def documentation_source(schema: Optional[OpSchema]) -> Optional[Callable[[], str]]:
    """What fetches a node type's documentation later (None when there is none to fetch)."""
    if schema is None or not schema.documented or not onnx_available():
        return None
    return partial(documentation, schema.name, schema.domain, schema.since_version)


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

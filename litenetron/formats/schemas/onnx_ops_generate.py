"""Writes `onnx_ops.json`: every operator schema `onnx.defs` knows (all domains, all versions) as plain data, so
opening an ONNX file needs no `import onnx` for argument names, attribute defaults and since-versions.

    python -m litenetron.formats.schemas.onnx_ops_generate      # with the onnx package installed

Documentation is left out (it stays with `onnx.defs`, read when the user asks for it); `documented` says
whether a schema has any.
"""

from __future__ import annotations

import json
from pathlib import Path

OUTPUT = Path(__file__).with_name("onnx_ops.json")
_OPTION = {"Single": "S", "Optional": "O", "Variadic": "V"}

# The file: {"onnx_version": ..., "format": ..., "ops": [[domain, operator, [version, ...]], ...]}, one
# operator per line, versions oldest first.
FORMAT = ("version = [since_version, deprecated, documented, inputs, outputs, attributes, type_constraints, arity]; "
          "inputs/outputs: [name, option S/O/V (single/optional/variadic), type string, homogeneous, min_arity]; "
          "attributes: [name, type, required, default or null]; type_constraints: [parameter, [allowed types]]; "
          "arity: [min_input, max_input, min_output, max_output]")


def _formal(parameter) -> tuple:
    option = _OPTION[str(parameter.option).rsplit(".", 1)[-1]]
    return parameter.name, option, parameter.type_str, bool(parameter.is_homogeneous), int(parameter.min_arity)


def _default(attribute):
    from onnx import helper

    proto = attribute.default_value
    if proto is None or not proto.name:
        return None
    value = helper.get_attribute_value(proto)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [item.decode("utf-8", errors="replace") if isinstance(item, bytes) else item for item in value]
    if isinstance(value, (int, float, str)):
        return value
    return None  # tensors / graphs as defaults: none in the standard set


def _version(schema) -> tuple:
    attributes = tuple((name, str(attribute.type).rsplit(".", 1)[-1], bool(attribute.required), _default(attribute))
                       for name, attribute in sorted(schema.attributes.items()))
    constraints = tuple((constraint.type_param_str, tuple(constraint.allowed_type_strs))
                        for constraint in schema.type_constraints)
    arity = (schema.min_input, schema.max_input, schema.min_output, schema.max_output)
    return (schema.since_version, bool(schema.deprecated), bool(schema.doc), tuple(map(_formal, schema.inputs)),
            tuple(map(_formal, schema.outputs)), attributes, constraints, arity)


def generate() -> str:
    import onnx
    from onnx import defs

    versions = {}
    for schema in defs.get_all_schemas_with_history():
        versions.setdefault((schema.domain, schema.name), []).append(_version(schema))
    head = json.dumps({"onnx_version": onnx.__version__, "format": FORMAT})[:-1]
    lines = [json.dumps([domain, name, sorted(versions[domain, name], key=lambda item: item[0])],
                        separators=(",", ":")) for domain, name in sorted(versions)]
    return head + ', "ops": [\n' + ",\n".join(lines) + "\n]}\n"


if __name__ == "__main__":
    OUTPUT.write_text(generate(), encoding="utf-8")
    print(f"wrote {OUTPUT}")

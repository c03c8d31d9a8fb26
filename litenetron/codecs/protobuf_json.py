"""Protobuf messages from their JSON mapping (proto3 JSON: lowerCamelCase names, 64-bit integers as strings,
bytes as base64, enums by name, maps as objects), driven by the same schema tables as `codecs.protobuf`.

The result is the `Message` tree the binary and text decoders build, so a reader written for one encoding
reads the others. Map fields are schema messages with `key` and `value` fields (repeated): a JSON object
becomes one such entry per member. Fields the schema lacks are ignored; values of the wrong JSON kind raise
`ProtobufError`, and nesting is bounded.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any, Optional

from .protobuf import MAX_DEPTH, Message, ProtobufError, Schema, _CompiledMessage, compile_schema

_INTEGERS = {"int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32",
             "sfixed64"}
_FLOATS = {"float", "double"}
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_CAMEL = re.compile(r"([A-Z])")


def _snake(name: str) -> str:
    return _CAMEL.sub(lambda match: "_" + match.group(1).lower(), name)


def _scalar(value: Any, type_name: str, field: str) -> Any:
    if type_name in _INTEGERS:
        if isinstance(value, bool):
            raise ProtobufError(f"{field}: expected an integer, found {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise ProtobufError(f"{field}: expected an integer, found {str(value)[:40]!r}")
    if type_name in _FLOATS:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            if value in _SPECIAL_FLOATS:
                return _SPECIAL_FLOATS[value]
            try:
                return float(value)
            except ValueError:
                pass
        raise ProtobufError(f"{field}: expected a number, found {str(value)[:40]!r}")
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        raise ProtobufError(f"{field}: expected true or false, found {str(value)[:40]!r}")
    if type_name == "enum":
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            return value  # by name (as the text format keeps it) or by number
        raise ProtobufError(f"{field}: expected an enum name or number, found {str(value)[:40]!r}")
    if type_name == "string":
        if isinstance(value, str):
            return value
        raise ProtobufError(f"{field}: expected a string, found {str(value)[:40]!r}")
    if type_name == "bytes":
        if not isinstance(value, str):
            raise ProtobufError(f"{field}: expected base64 text, found {str(value)[:40]!r}")
        try:
            return base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            raise ProtobufError(f"{field}: bad base64 text") from None
    raise ProtobufError(f"{field}: unknown type {type_name}")


def _value(value: Any, type_name: str, sub: Optional[_CompiledMessage], field: str, depth: int) -> Any:
    if sub is not None:
        return _message(value, sub, depth + 1)
    return _scalar(value, type_name, field)


def _message(obj: Any, compiled: _CompiledMessage, depth: int) -> Message:
    if depth > MAX_DEPTH:
        raise ProtobufError("messages nested too deeply")
    if not isinstance(obj, dict):
        raise ProtobufError(f"{compiled.name}: expected an object, found {type(obj).__name__}")
    message = Message(compiled)
    for key, value in obj.items():
        name = key if key in compiled.by_name else _snake(str(key))
        info = compiled.by_name.get(name)
        if info is None or value is None:
            continue
        type_name, repeated, sub = info
        field = f"{compiled.name}.{name}"
        if repeated:
            if isinstance(value, dict) and sub is not None and "key" in sub.by_name and "value" in sub.by_name:
                entries = [{"key": entry_key, "value": entry} for entry_key, entry in value.items()]
                message[name] = [_message(entry, sub, depth + 1) for entry in entries]
                continue
            if not isinstance(value, list):
                raise ProtobufError(f"{field}: expected a list, found {type(value).__name__}")
            message[name] = [_value(item, type_name, sub, field, depth) for item in value]
        else:
            message[name] = _value(value, type_name, sub, field, depth)
    return message


def from_json(obj: Any, schema: Schema, message_name: str) -> Message:
    """The message `obj` (parsed JSON) encodes, as a `Message` of `schema[message_name]`."""
    return _message(obj, compile_schema(schema)[message_name], 0)

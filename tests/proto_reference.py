"""Reference message classes compiled by the `protobuf` package from a descriptor built in the test itself.

Tests of our schema-table decoders describe the subset of a framework's messages they check in a compact
spec written independently of our tables, and let the protobuf package decode (and encode fixtures) with it.
No .proto or generated _pb2 file is involved.
"""

from __future__ import annotations

from typing import Dict, Tuple

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_SCALARS = {
    "double": 1, "float": 2, "int64": 3, "uint64": 4, "int32": 5, "bool": 8, "string": 9, "bytes": 12,
    "uint32": 13, "sint32": 17, "sint64": 18, "fixed32": 7, "fixed64": 6, "sfixed32": 15, "sfixed64": 16,
}

# {message: {field: (number, type)}}; type "T*" is repeated, "T*p" repeated packed (proto2), a message name
# refers to another message of the spec.
Spec = Dict[str, Dict[str, Tuple[int, str]]]


def message_classes(package: str, spec: Spec, syntax: str = "proto3") -> dict:
    file = descriptor_pb2.FileDescriptorProto(name=f"{package}_reference.proto", package=package, syntax=syntax)
    for message_name, fields in spec.items():
        message = file.message_type.add(name=message_name)
        for field_name, (number, kind) in fields.items():
            packed = kind.endswith("*p")
            repeated = packed or kind.endswith("*")
            base = kind.rstrip("*p") if packed else kind.rstrip("*")
            field = message.field.add(name=field_name, number=number)
            field.label = field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL
            if base in spec:
                field.type, field.type_name = field.TYPE_MESSAGE, f".{package}.{base}"
            else:
                field.type = _SCALARS[base]
            if packed:
                field.options.packed = True
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}"))
            for name in spec}

"""Our protobuf decoder against messages encoded by the `protobuf` package itself."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from proto_reference import message_classes

from litenetron.codecs.protobuf import (
    BytesRef,
    PackedRef,
    ProtobufError,
    decode,
    encode_varint,
    iter_fields,
    matches_signature,
    parse_text,
    peek_fields,
    read_varint,
)

SCHEMA = {
    "Sample": {
        1: ("i32", "int32"), 2: ("i64", "int64"), 3: ("u32", "uint32"), 4: ("u64", "uint64"),
        5: ("s32", "sint32"), 6: ("s64", "sint64"), 7: ("flag", "bool"), 8: ("kind", "enum"),
        9: ("f32", "float"), 10: ("f64", "double"), 11: ("fx32", "fixed32"), 12: ("sfx64", "sfixed64"),
        13: ("text", "string"), 14: ("blob", "bytes"), 15: ("child", "Child"), 16: ("children", "Child[]"),
        17: ("packed_floats", "float[]"), 18: ("packed_ints", "int64[]"), 19: ("loose_ints", "int32[]"),
        20: ("names", "string[]"),
    },
    "Child": {1: ("name", "string"), 2: ("child", "Child")},
}


def _reference_kind(name: str, type_name: str) -> str:
    """Our schema's type as proto_reference spells it; an enum is an int32 on the wire."""
    base = type_name[:-2] if type_name.endswith("[]") else type_name
    base = "int32" if base == "enum" else base
    if type_name.endswith("[]"):
        return base + ("*p" if name.startswith("packed") else "*")
    return base


# The same messages compiled by the protobuf package (a descriptor built here, no .proto file).
REFERENCE = message_classes("t", {message: {name: (number, _reference_kind(name, type_name))
                                            for number, (name, type_name) in fields.items()}
                                  for message, fields in SCHEMA.items()}, syntax="proto2")


def _sample(**values):
    message = REFERENCE["Sample"]()
    for name, value in values.items():
        field = getattr(message, name)
        if isinstance(value, list):
            field.extend(value)
        else:
            setattr(message, name, value)
    return message


def test_scalars_round_trip_through_the_reference_encoder():
    message = _sample(i32=-5, i64=-(2 ** 40), u32=2 ** 32 - 1, u64=2 ** 64 - 1, s32=-123, s64=-(2 ** 50),
                      flag=True, kind=3, f32=1.5, f64=math.pi, fx32=0xDEADBEEF, sfx64=-7, text="héllo ⟨x⟩",
                      blob=b"\x00\x01\xff")
    decoded = decode(message.SerializeToString(), SCHEMA, "Sample")
    assert decoded.i32 == -5 and decoded.i64 == -(2 ** 40)
    assert decoded.u32 == 2 ** 32 - 1 and decoded.u64 == 2 ** 64 - 1
    assert decoded.s32 == -123 and decoded.s64 == -(2 ** 50)
    assert decoded.flag is True and decoded.kind == 3
    assert decoded.f32 == 1.5 and decoded.f64 == math.pi
    assert decoded.fx32 == 0xDEADBEEF and decoded.sfx64 == -7
    assert decoded.text == "héllo ⟨x⟩" and decoded.blob == b"\x00\x01\xff"


def test_defaults_for_absent_fields():
    decoded = decode(b"", SCHEMA, "Sample")
    assert decoded.i32 == 0 and decoded.text == "" and decoded.blob == b"" and decoded.flag is False
    assert decoded.children == [] and decoded.child is None
    with pytest.raises(AttributeError):
        decoded.not_a_field  # noqa: B018


def test_nested_repeated_packed_and_unpacked():
    message = _sample(packed_floats=[0.5, -2.0], packed_ints=[1, -1, 2 ** 40], loose_ints=[7, -8],
                      names=["a", "b"])
    message.child.name = "outer"
    message.child.child.name = "inner"
    message.children.add(name="x")
    message.children.add(name="y")
    decoded = decode(message.SerializeToString(), SCHEMA, "Sample")
    assert decoded.packed_floats == [0.5, -2.0]
    assert decoded.packed_ints == [1, -1, 2 ** 40]
    assert decoded.loose_ints == [7, -8]
    assert decoded.names == ["a", "b"]
    assert decoded.child.child.name == "inner"
    assert [child.name for child in decoded.children] == ["x", "y"]


def test_large_bytes_and_packed_arrays_are_referenced_not_copied():
    floats = [float(i) for i in range(2000)]
    blob = bytes(range(256)) * 20
    data = _sample(blob=blob, packed_floats=floats).SerializeToString()
    decoded = decode(data, SCHEMA, "Sample")
    assert isinstance(decoded.blob, BytesRef) and decoded.blob.tobytes() == blob
    assert data[decoded.blob.offset:decoded.blob.offset + len(blob)] == blob
    assert isinstance(decoded.packed_floats, PackedRef) and len(decoded.packed_floats) == 2000
    assert decoded.packed_floats.array().tolist() == floats


def test_unknown_fields_and_groups_are_skipped():
    known = _sample(text="kept").SerializeToString()
    unknown = (encode_varint(99 << 3 | 0) + encode_varint(150)                      # varint field 99
               + encode_varint(100 << 3 | 1) + struct.pack("<d", 1.0)             # fixed64 field 100
               + encode_varint(21 << 3 | 3) + encode_varint(1 << 3 | 0) + b"\x05"  # group 21 with a field
               + encode_varint(21 << 3 | 4))                                      # end of group 21
    decoded = decode(unknown + known, SCHEMA, "Sample")
    assert decoded.text == "kept"
    assert set(decoded) == {"text"}


@pytest.mark.parametrize("data, reason", [
    (b"\x08", "truncated varint"),
    (b"\x6a\x05ab", "runs past"),
    (b"\x08" + b"\xff" * 11, "varint too long"),
    (b"\x0f", "invalid wire type"),
])
def test_malformed_input_raises_protobuf_error(data, reason):
    with pytest.raises(ProtobufError, match=reason):
        decode(data, SCHEMA, "Sample")


def test_encode_varint_round_trips_and_matches_protobuf():
    for value in (0, 1, 127, 128, 300, 1 << 35, (1 << 64) - 1):
        data = encode_varint(value)
        assert read_varint(data, 0, len(data)) == (value, len(data))
    assert encode_varint(300) == b"\xac\x02"
    # A negative int64 is its 64-bit two's complement: ten bytes, as protobuf's own encoder writes it.
    assert encode_varint(-1) == _sample(i64=-1).SerializeToString()[1:]


def test_nesting_depth_is_bounded():
    data = b""
    for _ in range(200):  # Child.child nested 200 deep
        data = bytes([2 << 3 | 2]) + encode_varint(len(data)) + data
    with pytest.raises(ProtobufError, match="nested too deeply"):
        decode(data, SCHEMA, "Child")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_decode_or_fail_cleanly(data):
    try:
        decode(data, SCHEMA, "Sample")
    except ProtobufError:
        pass


def test_peek_fields_and_signature():
    data = _sample(i32=1, text="x" * 5000).SerializeToString()
    header = data[:100]
    assert peek_fields(header) == [(1, 0), (13, 2)]
    assert matches_signature(header, {1: (0,), 13: (2,)}, required=(1,))
    assert not matches_signature(header, {1: (0,)})
    assert not matches_signature(b"\x89PNG\r\n\x1a\n", {1: (0,), 13: (2,)})


def test_iter_fields_spans_each_field():
    data = _sample(i32=1, f64=2.0, fx32=3, text="abc", packed_ints=[300, 1]).SerializeToString()
    fields = list(iter_fields(data, 0, len(data)))
    assert [(number, wire) for number, wire, *_ in fields] == [(1, 0), (10, 1), (11, 5), (13, 2), (18, 2)]
    assert fields[0][2] == 0 and all(a[4] == b[2] for a, b in zip(fields, fields[1:])) and fields[-1][4] == len(data)
    _, _, _, payload, stop = fields[3]
    assert bytes(data[payload:stop]) == b"abc"
    with pytest.raises(ProtobufError, match="past the end"):
        list(iter_fields(data[:-1], 0, len(data) - 1))


def test_text_format_matches_the_reference_parser():
    from google.protobuf import text_format
    message = _sample(i32=-3, f32=0.25, text='q"uote\n', blob=b"\x00\xfe", flag=True, names=["a", "b"],
                      packed_ints=[4, 5])
    message.child.child.name = "deep"
    text = text_format.MessageToString(message)
    parsed = parse_text(text, SCHEMA, "Sample")
    assert parsed.i32 == -3 and parsed.f32 == 0.25 and parsed.flag is True
    assert parsed.text == 'q"uote\n' and parsed.blob == b"\x00\xfe"
    assert parsed.names == ["a", "b"] and parsed.packed_ints == [4, 5]
    assert parsed.child.child.name == "deep"


def test_text_format_syntax_variants():
    text = """
    # a comment
    i32: 0x10 f64: -inf text: 'single' "joined"
    names: ["x", 'y'] names: "z"
    child < name: "angle" >
    child { child { name: "merged" } }
    kind: SOME_ENUM
    extra_field { anything: 1.5 nested { deep: true } }
    """
    parsed = parse_text(text, SCHEMA, "Sample")
    assert parsed.i32 == 16 and parsed.f64 == float("-inf") and parsed.text == "singlejoined"
    assert parsed.names == ["x", "y", "z"]
    assert parsed.child.name == "angle" and parsed.child.child.name == "merged"
    assert parsed.kind == "SOME_ENUM"
    assert parsed.extra_field[0]["anything"] == [1.5]
    assert parsed.extra_field[0]["nested"][0]["deep"] == [True]


@pytest.mark.parametrize("text", ['text: "unterminated', "child { name: 'x'", "i32: ]", 'text: "\\q"'])
def test_text_format_errors(text):
    with pytest.raises(ProtobufError):
        parse_text(text, SCHEMA, "Sample")


def test_text_strings_with_every_byte_and_escape_form():
    from google.protobuf import text_format
    every = bytes(range(256)) * 3
    message = _sample(blob=every, text="é ☃ \t tab")
    for as_utf8 in (False, True):
        parsed = parse_text(text_format.MessageToString(message, as_utf8=as_utf8), SCHEMA, "Sample")
        assert parsed.blob == every and parsed.text == "é ☃ \t tab"
    parsed = parse_text(r'blob: "\x41\x4a\101\7z\u00e9\U0001F600\a\?\'" text: ' + "'it\\'s'", SCHEMA, "Sample")
    assert parsed.blob == b"AJA\x07z" + "é😀".encode() + b"\a?'" and parsed.text == "it's"


def _packed_chunk(number: int, fmt: str, values) -> bytes:
    payload = struct.pack(f"<{len(values)}{fmt}", *values)
    return encode_varint(number << 3 | 2) + encode_varint(len(payload)) + payload


def _loose(number: int, fmt: str, value) -> bytes:
    return encode_varint(number << 3 | 5) + struct.pack(f"<{fmt}", value)


@pytest.mark.parametrize("sizes", [(400, 300), (10, 400), (400, 10), (400, 400, 400), (3, 4)])
def test_packed_field_split_over_chunks_is_concatenated(sizes):
    # Protobuf: a packed field may arrive in several chunks, large (referenced lazily) or small (copied).
    chunks, expected = b"", []
    for index, size in enumerate(sizes):
        values = [float(index * 1000 + i) for i in range(size)]
        chunks += _packed_chunk(17, "f", values)
        expected += values
    message = decode(chunks, SCHEMA, "Sample")
    values = message.packed_floats
    assert len(values) == len(expected)
    assert list(values) == expected


def test_packable_field_written_unpacked_mixed_with_packed():
    big = [float(i) for i in range(300)]  # > 1 KiB: a lazy reference
    data = _loose(17, "f", -1.0) + _packed_chunk(17, "f", big) + _loose(17, "f", -2.0) + _packed_chunk(17, "f", [7.0])
    values = decode(data, SCHEMA, "Sample").packed_floats
    assert isinstance(values, PackedRef)  # still read lazily, never copied on open
    assert list(values) == [-1.0, *big, -2.0, 7.0]
    ints = encode_varint(18 << 3 | 0) + encode_varint(5)
    ints += encode_varint(18 << 3 | 2) + encode_varint(2) + encode_varint(6) + encode_varint(7)
    assert decode(ints, SCHEMA, "Sample").packed_ints == [5, 6, 7]


def test_fields_named_like_dict_methods_read_as_fields():
    schema = {"Bag": {1: ("values", "float[]"), 2: ("items", "string[]"), 3: ("copy", "int32"), 4: ("name", "string")}}
    data = _packed_chunk(1, "f", [1.5, 2.5]) + b"\x12\x01a" + b"\x12\x01b" + b"\x18\x07" + b"\x22\x01n"
    message = decode(data, schema, "Bag")
    assert message.values == [1.5, 2.5] and message.items == ["a", "b"] and message.copy == 7
    assert message.name == "n" and message["values"] == [1.5, 2.5]
    assert sorted(dict.keys(message)) == ["copy", "items", "name", "values"]
    empty = decode(b"", schema, "Bag")
    assert empty.values == [] and empty.copy == 0  # schema defaults, not the dict methods
    text = parse_text('values: 3.0 values: 4.0 items: "x" copy: 2', schema, "Bag")
    assert text.values == [3.0, 4.0] and text.items == ["x"] and text.copy == 2


def test_compiled_schemas_are_never_confused():
    # Short-lived schema tables (the same size, created one after another) must each decode by their own.
    for index in range(200):
        schema = {"M": {1: (f"field{index}", "int32")}}
        assert getattr(decode(b"\x08\x05", schema, "M"), f"field{index}") == 5
        del schema

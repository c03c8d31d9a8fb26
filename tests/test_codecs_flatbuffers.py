"""Our FlatBuffers reader against buffers written by the reference `flatbuffers` package."""

from __future__ import annotations

import flatbuffers
import flatbuffers.flexbuffers as flexbuffers
import numpy as np
import pytest

from litenetron.codecs.flatbuffers import (
    LAZY_THRESHOLD,
    FlatBufferError,
    Reader,
    VectorRef,
    decode,
    decode_flexbuffer,
    decode_nested,
)

TABLES = {
    "Root": (("count", "int", 7), ("name", "string"), ("values", "[short]"), ("blob", "[ubyte]"),
             ("child", "Child"), ("children", "[Child]"), ("kind", "byte:Kind"), ("payload", "union:Payload"),
             ("words", "[string]"), ("flag", "bool", True)),
    "Child": (("value", "float"), ("next", "Child")),
    "Other": (("text", "string"),),
}
UNIONS = {"Payload": ("NONE", "Child", "Other")}


def _child(builder, value, nested=None):
    builder.StartObject(2)
    builder.PrependFloat32Slot(0, value, 0.0)
    if nested is not None:
        builder.PrependUOffsetTRelativeSlot(1, nested, 0)
    return builder.EndObject()


def _build(blob_size=16, payload="other"):
    builder = flatbuffers.Builder(1024)
    name = builder.CreateString("root")
    words = [builder.CreateString(w) for w in ("a", "bc")]
    builder.StartVector(4, len(words), 4)
    for word in reversed(words):
        builder.PrependUOffsetTRelative(word)
    words_vector = builder.EndVector()
    values = builder.CreateNumpyVector(np.array([1, -2, 3], dtype="<i2"))
    blob = builder.CreateNumpyVector(np.arange(blob_size, dtype=np.uint8))
    grandchild = _child(builder, 2.5)
    child = _child(builder, 1.5, grandchild)
    children = [_child(builder, float(i)) for i in range(3)]
    builder.StartVector(4, len(children), 4)
    for item in reversed(children):
        builder.PrependUOffsetTRelative(item)
    children_vector = builder.EndVector()
    if payload == "other":
        text = builder.CreateString("hello")
        builder.StartObject(1)
        builder.PrependUOffsetTRelativeSlot(0, text, 0)
        payload_offset, payload_type = builder.EndObject(), 2
    else:
        payload_offset, payload_type = _child(builder, 9.0), 1
    builder.StartObject(11)
    builder.PrependUOffsetTRelativeSlot(1, name, 0)
    builder.PrependUOffsetTRelativeSlot(2, values, 0)
    builder.PrependUOffsetTRelativeSlot(3, blob, 0)
    builder.PrependUOffsetTRelativeSlot(4, child, 0)
    builder.PrependUOffsetTRelativeSlot(5, children_vector, 0)
    builder.PrependInt8Slot(6, 3, 0)
    builder.PrependUint8Slot(7, payload_type, 0)
    builder.PrependUOffsetTRelativeSlot(8, payload_offset, 0)
    builder.PrependUOffsetTRelativeSlot(9, words_vector, 0)
    builder.Finish(builder.EndObject())
    return bytes(builder.Output())


def test_fields_defaults_vectors_and_union():
    root = decode(_build(), "Root", TABLES, UNIONS)
    assert root.count == 7 and root.flag is True  # absent fields read as schema defaults
    assert root.name == "root" and root["values"] == [1, -2, 3] and root.blob == list(range(16))
    assert root.child.value == 1.5 and root.child.next.value == 2.5 and root.child.next.next is None
    assert [c.value for c in root.children] == [0.0, 1.0, 2.0]
    assert root.kind == 3 and root.words == ["a", "bc"]
    assert root.payload_type == 2 and root.payload.text == "hello" and root.payload.type_name == "Other"
    assert decode(_build(payload="child"), "Root", TABLES, UNIONS).payload.value == 9.0


def test_large_scalar_vectors_stay_in_place():
    data = _build(blob_size=LAZY_THRESHOLD + 1)
    blob = decode(data, "Root", TABLES, UNIONS).blob
    assert isinstance(blob, VectorRef) and len(blob) == LAZY_THRESHOLD + 1
    np.testing.assert_array_equal(blob.array(), np.arange(LAZY_THRESHOLD + 1, dtype=np.uint8))
    assert data[blob.offset:blob.offset + 3] == bytes([0, 1, 2])


def test_unknown_union_member_keeps_type_code():
    root = Reader(_build(), TABLES, {"Payload": ("NONE", "Child")}).root("Root")
    assert root.payload_type == 2 and root.payload is None


@pytest.mark.parametrize("cut", [9, 20, 40, 60])
def test_truncated_buffers_raise(cut):
    data = _build()
    with pytest.raises(FlatBufferError):
        decode(data[:cut], "Root", TABLES, UNIONS)


def test_vector_count_past_end_raises():
    data = bytearray(_build())
    root = Reader(bytes(data), TABLES, UNIONS).root("Root")
    values_at = bytes(data).find(np.array([1, -2, 3], dtype="<i2").tobytes()) - 4
    assert values_at > 0 and root["values"] == [1, -2, 3]
    data[values_at:values_at + 4] = (10**9).to_bytes(4, "little")
    with pytest.raises(FlatBufferError, match="past the end"):
        decode(bytes(data), "Root", TABLES, UNIONS)


def test_deep_nesting_is_bounded():
    builder = flatbuffers.Builder(1024)
    node = _child(builder, 0.0)
    for index in range(100):
        node = _child(builder, float(index), node)
    builder.Finish(node)
    with pytest.raises(FlatBufferError, match="deeper"):
        decode(bytes(builder.Output()), "Child", TABLES, UNIONS)


def test_shared_subtables_cannot_blow_up():
    # Each level is a vector of 64 offsets to the same table: 64**6 visits from a tiny buffer.
    schema = {"Level": (("items", "[Level]"),)}
    builder = flatbuffers.Builder(1024)
    builder.StartObject(1)
    level = builder.EndObject()
    for _ in range(6):
        builder.StartVector(4, 64, 4)
        for _ in range(64):
            builder.PrependUOffsetTRelative(level)
        items = builder.EndVector()
        builder.StartObject(1)
        builder.PrependUOffsetTRelativeSlot(0, items, 0)
        level = builder.EndObject()
    builder.Finish(level)
    with pytest.raises(FlatBufferError, match="far more data"):
        decode(bytes(builder.Output()), "Level", schema)


FLEX_VALUES = [
    {"a": 1, "b": [1, 2, 3], "c": "hi", "d": 2.5, "e": True, "f": None, "g": {"x": [1.5, 2.5]}, "h": -300,
     "big": 1 << 40, "blob": b"\x00\x01"},
    [1, "x", [2, 3], {"k": "v"}], 5, -7, 3.25, "text", b"bytes", [True, False], [],
]


@pytest.mark.parametrize("value", FLEX_VALUES, ids=range(len(FLEX_VALUES)))
def test_flexbuffers_match_reference_encoder(value):
    assert decode_flexbuffer(flexbuffers.Dumps(value)) == value


def test_flexbuffers_typed_vectors():
    builder = flexbuffers.Builder()
    with builder.Map():
        builder.TypedVectorFromElements("ints", [1, -2, 300])
        builder.TypedVectorFromElements("floats", [0.5, 1.5])
        builder.FixedTypedVectorFromElements("pair", [4, 5])
    decoded = decode_flexbuffer(builder.Finish())
    assert decoded == {"ints": [1, -2, 300], "floats": [0.5, 1.5], "pair": [4, 5]}


@pytest.mark.parametrize("cut", [1, 3, 8])
def test_flexbuffers_truncated(cut):
    data = flexbuffers.Dumps({"key": [1, 2, 3], "name": "value"})
    with pytest.raises(FlatBufferError):
        decode_flexbuffer(data[cut:])


@pytest.mark.parametrize("padding", [0, LAZY_THRESHOLD])
def test_nested_flatbuffer(padding):
    inner_builder = flatbuffers.Builder(64)
    text = inner_builder.CreateString("inside")
    inner_builder.StartObject(1)
    inner_builder.PrependUOffsetTRelativeSlot(0, text, 0)
    inner_builder.Finish(inner_builder.EndObject())
    inner = bytes(inner_builder.Output()) + b"\0" * padding
    outer_builder = flatbuffers.Builder(64)
    blob = outer_builder.CreateNumpyVector(np.frombuffer(inner, dtype=np.uint8))
    outer_builder.StartObject(11)
    outer_builder.PrependUOffsetTRelativeSlot(3, blob, 0)
    outer_builder.Finish(outer_builder.EndObject())
    root = decode(bytes(outer_builder.Output()), "Root", TABLES, UNIONS)
    assert decode_nested(root.blob, "Other", TABLES).text == "inside"

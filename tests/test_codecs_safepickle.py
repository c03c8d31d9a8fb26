"""The restricted pickle machine: faithful on plain data, inert on everything else, bounded on hostile input."""

from __future__ import annotations

import collections
import os
import pickle
import pickletools
import struct
import subprocess
import sys

import numpy
import pytest

from conftest import PickledCall
from litenetron.codecs import safepickle
from litenetron.codecs.pickle_objects import Global, NumpyArray, Object, OrderedDictValue, PickleError
from litenetron.codecs.safepickle import loads
from litenetron.model import DECODE_ERRORS

PLAIN = {
    "ints": [0, 1, -1, 255, 256, 65535, 65536, -(2 ** 31), 2 ** 31, 2 ** 64, -(2 ** 100)],
    "floats": [0.0, -1.5, 1e300, float("inf")],
    "text": ["", "ascii", "ünïcødé €", "line\nbreak", "quote ' \" \\"],
    "bytes": [b"", b"\x00\xff" * 100, bytes(range(256))],
    "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
    "flags": [True, False, None],
    "set": {1, 2, 3}, "frozenset": frozenset({"a"}), "complex": 1.5 - 2j, "slice": slice(1, 9, 2),
    "bytearray": bytearray(b"xyz"), "nested": {"a": [{"b": ({"c": 1},)}]},
    "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
}


class Plain:
    def __init__(self) -> None:
        self.value = 3
        self.items = ["x"]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_plain_values_match_the_standard_unpickler(protocol):
    data = pickle.dumps(PLAIN, protocol=protocol)
    assert loads(data) == pickle.loads(data)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_shared_references_stay_shared(protocol):
    shared = [1, 2]
    value = loads(pickle.dumps({"a": shared, "b": shared}, protocol=protocol))
    assert value["a"] is value["b"]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_instances_become_inert_objects_with_their_state(protocol):
    value = loads(pickle.dumps(Plain(), protocol=protocol))
    assert isinstance(value, Object)
    assert value.cls == Global(__name__, "Plain")
    assert value.attributes == {"value": 3, "items": ["x"]}


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("dtype", ["float32", ">i2", "uint8", "float64", "bool"])
def test_numpy_arrays_are_described_and_decodable(protocol, dtype):
    array = (numpy.arange(12).reshape(3, 4) % 3).astype(dtype)
    for sample in (array, array.T):
        value = loads(pickle.dumps(sample, protocol=protocol))
        assert isinstance(value, NumpyArray)
        assert value.shape == sample.shape
        numpy.testing.assert_array_equal(value.to_numpy(), sample)


def test_ordered_dict_keeps_order_and_build_state():
    value = loads(pickle.dumps(collections.OrderedDict([("b", 1), ("a", 2)]), protocol=2))
    assert isinstance(value, OrderedDictValue)
    assert list(value) == ["b", "a"]


def test_every_opcode_of_the_pickle_protocol_is_handled():
    known = {ord(op.code) if len(op.code) == 1 else op.code for op in pickletools.opcodes}
    assert known <= set(safepickle._DISPATCH) | {safepickle.STOP}


def test_the_position_after_stop_allows_consecutive_pickles():
    data = pickle.dumps(1, protocol=2) + pickle.dumps("two", protocol=0)
    first = safepickle.Unpickler(data)
    assert first.load() == 1
    assert safepickle.Unpickler(data, first.position).load() == "two"


# --- hostile streams ------------------------------------------------------------------------------------

def _hostile_payloads(canary):
    command = f"touch {canary}"
    return [
        PickledCall(os.system, command),
        PickledCall(eval, f"open({str(canary)!r}, 'w').close()"),
        PickledCall(exec, f"open({str(canary)!r}, 'w').close()"),
        PickledCall(__import__, "antigravity"),
        PickledCall(subprocess.Popen, ["touch", str(canary)]),
        PickledCall(getattr, PickledCall(__import__, "os"), "system"),
    ]


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_reduce_to_dangerous_callables_executes_nothing(tmp_path, protocol):
    canary = tmp_path / "canary"
    modules_before = set(sys.modules)
    for payload in _hostile_payloads(canary):
        value = loads(pickle.dumps(payload, protocol=protocol))
        assert isinstance(value, Object)
        assert isinstance(value.cls, Global)
    assert not canary.exists()
    assert "antigravity" not in sys.modules
    assert set(sys.modules) == modules_before


def test_a_made_up_module_is_never_imported():
    data = b"\x80\x02cmadeup_evil_module\nrun\nq\x00)R."
    value = loads(data)
    assert value.cls == Global("madeup_evil_module", "run")
    assert "madeup_evil_module" not in sys.modules


@pytest.mark.parametrize("data, message", [
    (b"\x80\x02\x8e" + struct.pack("<Q", 1 << 60) + b"x.", "exceeds"),        # BINBYTES8 length
    (b"\x80\x02X" + struct.pack("<I", 0xFFFFFFF0) + b".", "exceeds"),         # BINUNICODE length
    (b"\x80\x02T" + struct.pack("<i", -5) + b".", "exceeds"),                 # negative BINSTRING
    (b"\x80\x04\x95" + struct.pack("<Q", 1 << 40) + b"N.", "frame"),          # FRAME beyond the data
    (b"\x80\x02\x8b" + struct.pack("<i", 1 << 30) + b".", "too long"),        # LONG4 size
    (b"\x80\x02h\x05.", "memo key"),                                          # GET of an unknown key
    (b"\x80\x02a.", "underflow"),                                             # APPEND on nothing
    (b"\x80\x02t.", "MARK"),                                                  # TUPLE without MARK
    (b"\x80\x09N.", "protocol"),                                              # unknown protocol
    (b"\x80\x02\xff.", "opcode"),                                             # unknown opcode
    (b"\x80\x02N", "without STOP"),                                           # truncated
    (b"\x80\x05\x97.", "out-of-band"),                                        # NEXT_BUFFER
    (b"(" * (safepickle.MAX_MARKS + 1), "nest"),                              # deep MARKs
])
def test_malformed_streams_fail_with_a_clear_error(data, message):
    with pytest.raises(PickleError, match=message):
        loads(data)


def test_random_bytes_fail_cleanly():
    hypothesis = pytest.importorskip("hypothesis")
    strategies = pytest.importorskip("hypothesis.strategies")

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(strategies.binary(max_size=64))
    def check(body):
        for data in (body, b"\x80\x02" + body, pickle.dumps({"k": [1, (2, 3)]}, 2)[:len(body) % 20] + body):
            try:
                loads(data)
            except DECODE_ERRORS:
                pass
    check()


def test_mutated_real_pickles_fail_cleanly():
    data = bytearray(pickle.dumps([PLAIN, Plain(), numpy.arange(4)], protocol=4))
    for index in range(0, len(data), 3):
        mutated = bytearray(data)
        mutated[index] ^= 0x5A
        try:
            loads(bytes(mutated))
        except DECODE_ERRORS:
            pass

"""The inert values the restricted pickle machine builds, and the reducers for well-known globals.

A `Global` is a class or function reference as two strings; an `Object` is what calling or instantiating one
would have made, kept as its arguments and state. Reducers are pure functions of the pickled arguments that
turn a few well-known globals (builtins, collections, numpy arrays and dtypes) into plain values; nothing here
imports or calls anything a stream names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple

from .errors import CodecError


class PickleError(CodecError):
    """A malformed, truncated or over-large pickle stream."""


@dataclass(frozen=True)
class Global:
    """A reference to `module.name` as the stream spells it; nothing is imported."""

    module: str
    name: str

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"

    def __repr__(self) -> str:
        return self.qualname


@dataclass(eq=False)
class Object:
    """An instance the stream builds from a class reference: its arguments and state, never executed."""

    cls: Any
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    state: Any = None
    items: List[Any] = field(default_factory=list)  # APPEND(S) onto a list-like object
    entries: Dict[Any, Any] = field(default_factory=dict)  # SETITEM(S) onto a dict-like object

    @property
    def type_name(self) -> str:
        return self.cls.qualname if isinstance(self.cls, Global) else type(self.cls).__name__

    @property
    def attributes(self) -> dict:
        """The instance dict set by BUILD (`__dict__` state, or the first half of a (dict, slots) pair)."""
        state = self.state
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            merged = dict(state[0]) if isinstance(state[0], dict) else {}
            merged.update(state[1])
            return merged
        return state if isinstance(state, dict) else {}


class OrderedDictValue(dict):
    """A `collections.OrderedDict` (or similar mapping) rebuilt as a plain ordered dict; BUILD state is kept
    in `attributes` (e.g. a state_dict's `_metadata`)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.attributes: dict = {}


@dataclass
class NumpyDType:
    """A `numpy.dtype(...)` description: the type code as pickled and its byte order from BUILD."""

    code: str
    byteorder: str = "="

    @property
    def name(self) -> str:
        return NUMPY_TYPE_CODES.get(self.code.lstrip("<>=|"), self.code)


@dataclass
class NumpyArray:
    """A pickled `numpy.ndarray`: dtype, shape and the raw bytes (or the items of an object array)."""

    dtype: Any = None
    shape: Tuple[int, ...] = ()
    fortran: bool = False
    data: Any = None

    def to_numpy(self) -> Any:
        import numpy

        dtype = numpy.dtype(self.dtype.code if isinstance(self.dtype, NumpyDType) else "O")
        if isinstance(self.dtype, NumpyDType) and self.dtype.byteorder in "<>":
            dtype = dtype.newbyteorder(self.dtype.byteorder)
        raw = self.data.encode("latin-1") if isinstance(self.data, str) else self.data
        if not isinstance(raw, (bytes, bytearray)):
            raise PickleError("numpy array holds Python objects, not raw values")
        count = math.prod(self.shape)
        if count * dtype.itemsize > len(raw):
            raise PickleError("numpy array data is shorter than its shape")
        array = numpy.frombuffer(raw, dtype=dtype, count=count)
        return array.reshape(self.shape, order="F" if self.fortran else "C")


NUMPY_TYPE_CODES = {
    "b1": "bool", "i1": "int8", "u1": "uint8", "i2": "int16", "u2": "uint16", "i4": "int32", "u4": "uint32",
    "i8": "int64", "u8": "uint64", "f2": "float16", "f4": "float32", "f8": "float64", "c8": "complex64",
    "c16": "complex128", "O8": "object", "O4": "object", "U": "string", "S": "bytes",
}


def _numpy_reconstruct(args: tuple) -> NumpyArray:
    return NumpyArray()


def _numpy_frombuffer(args: tuple) -> Any:
    # Protocol 5 writes arrays as numpy.core.numeric._frombuffer(buffer, dtype, shape, order).
    if len(args) == 4 and isinstance(args[1], NumpyDType) and isinstance(args[2], tuple):
        return NumpyArray(args[1], tuple(int(d) for d in args[2]), args[3] == "F", bytes(args[0]))
    return Object(Global("numpy", "_frombuffer"), tuple(args))


def _numpy_dtype(args: tuple) -> NumpyDType:
    return NumpyDType(str(args[0]) if args else "")


def _numpy_scalar(args: tuple) -> Any:
    # numpy.core.multiarray.scalar(dtype, bytes): keep the value inert but readable.
    if len(args) == 2 and isinstance(args[0], NumpyDType):
        raw = args[1].encode("latin-1") if isinstance(args[1], str) else args[1]
        return NumpyArray(args[0], (), False, raw)
    return Object(Global("numpy", "scalar"), tuple(args))


def _codecs_encode(args: tuple) -> Any:
    # Protocol 2 writes Python 3 bytes as _codecs.encode(text, "latin1").
    if len(args) == 2 and isinstance(args[0], str) and str(args[1]).lower().replace("-", "") == "latin1":
        return args[0].encode("latin-1")
    return Object(Global("_codecs", "encode"), tuple(args))


def _complex(args: tuple) -> Any:
    if all(isinstance(part, (int, float)) for part in args) and len(args) <= 2:
        return complex(*args)
    return Object(Global("builtins", "complex"), tuple(args))


def collection(kind: type) -> Callable[[tuple], Any]:
    def build(args: tuple) -> Any:
        items = args[0] if args else ()
        try:
            return kind(items) if isinstance(items, (list, tuple, set, frozenset)) else kind()
        except TypeError:  # unhashable members: keep them as a list
            return list(items)
    return build


def _bytes(args: tuple) -> Any:
    # Protocols 0-2 write b"" as bytes() and other bytes as _codecs.encode or bytes(list of ints).
    if not args:
        return b""
    if isinstance(args[0], (list, tuple)) and all(isinstance(b, int) and 0 <= b < 256 for b in args[0]):
        return bytes(args[0])
    if len(args) == 2 and isinstance(args[0], str):
        return _codecs_encode(args)
    return Object(Global("builtins", "bytes"), tuple(args))


def _slice(args: tuple) -> Any:
    return slice(*args[:3])


def _reconstructor(args: tuple) -> Any:
    # copyreg._reconstructor(cls, base, state): the protocol 0/1 way to make an instance of cls.
    return Object(args[0] if args else None, ())


def _ordered_dict(args: tuple) -> OrderedDictValue:
    value = OrderedDictValue()
    if args and isinstance(args[0], (list, tuple)):
        for pair in args[0]:
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                value[hashable_key(pair[0])] = pair[1]
    return value


REDUCERS: Dict[Tuple[str, str], Callable[[tuple], Any]] = {
    ("collections", "OrderedDict"): _ordered_dict,
    ("collections", "defaultdict"): lambda args: OrderedDictValue(),
    ("builtins", "set"): collection(set),
    ("builtins", "frozenset"): collection(frozenset),
    ("builtins", "list"): collection(list),
    ("builtins", "tuple"): collection(tuple),
    ("builtins", "complex"): _complex,
    ("builtins", "slice"): _slice,
    ("builtins", "bytes"): _bytes,
    ("builtins", "bytearray"): lambda args: bytearray(args[0]) if args and isinstance(args[0], bytes) else bytearray(),
    ("_codecs", "encode"): _codecs_encode,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _numpy_frombuffer,
    ("numpy", "dtype"): _numpy_dtype,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
}


def hashable_key(key: Any) -> Any:
    """Dict keys from a stream may be placeholders or lists; map unhashable ones to a stable stand-in."""
    try:
        hash(key)
    except TypeError:
        return f"<{type(key).__name__} key {id(key):x}>"
    return key


def build_state(target: Any, state: Any) -> Any:
    """BUILD: give `target` its state without running any `__setstate__`."""
    if isinstance(target, Object):
        target.state = state
    elif isinstance(target, NumpyArray):
        # ndarray state: (version, shape, dtype, is_fortran, rawdata)
        if isinstance(state, tuple) and len(state) == 5:
            _, shape, dtype, fortran, data = state
            target.shape = tuple(int(d) for d in shape)
            target.dtype, target.fortran, target.data = dtype, bool(fortran), data
    elif isinstance(target, NumpyDType):
        # dtype state: (version, byteorder, subarray, names, fields, elsize, alignment, flags)
        if isinstance(state, tuple) and len(state) >= 2 and isinstance(state[1], str):
            target.byteorder = state[1]
    elif isinstance(target, OrderedDictValue):
        if isinstance(state, dict):
            target.attributes.update(state)
    elif hasattr(target, "pickle_state"):
        target.pickle_state = state
    return target

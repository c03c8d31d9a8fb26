"""A restricted pickle machine (protocols 0–5) that builds inert placeholders and never imports or calls.

Python's own `pickle.load` imports whatever module a stream names and calls whatever it reduces; this machine
only reads. GLOBAL / STACK_GLOBAL push a `Global` (two strings); REDUCE / NEWOBJ / NEWOBJ_EX / INST / OBJ build
an `Object` (class reference, arguments, state) unless a *reducer* for that global is known, in which case the
reducer — a pure function of the arguments, written here or passed in by a format reader — builds a plain value
(a set, a complex number, a numpy array description, a torch tensor description...). Persistent ids go to a
callback. Every length is checked against the bytes that remain, and the stack, mark stack and memo are capped,
so a hostile stream fails with `PickleError` instead of allocating or looping without bound.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

HIGHEST_PROTOCOL = 5
STOP = ord(".")
MAX_STACK = 5_000_000
MAX_MARKS = 10_000
MAX_MEMO = 5_000_000
MAX_LONG_BYTES = 4096
MAX_LINE = 1 << 16
# Python 2 module names that protocol 0–2 streams use for builtins.
_MODULE_ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg", "exceptions": "builtins"}


class PickleError(ValueError):
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
        count = 1
        for dim in self.shape:
            count *= dim
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


def _collection(kind: type) -> Callable[[tuple], Any]:
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
                value[_hashable(pair[0])] = pair[1]
    return value


REDUCERS: Dict[Tuple[str, str], Callable[[tuple], Any]] = {
    ("collections", "OrderedDict"): _ordered_dict,
    ("collections", "defaultdict"): lambda args: OrderedDictValue(),
    ("builtins", "set"): _collection(set),
    ("builtins", "frozenset"): _collection(frozenset),
    ("builtins", "list"): _collection(list),
    ("builtins", "tuple"): _collection(tuple),
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


def _hashable(key: Any) -> Any:
    """Dict keys from a stream may be placeholders or lists; map unhashable ones to a stable stand-in."""
    try:
        hash(key)
    except TypeError:
        return f"<{type(key).__name__} key {id(key):x}>"
    return key


def _build(target: Any, state: Any) -> Any:
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


class Unpickler:
    """Reads one pickle from `data` starting at `offset`; `load()` returns the object, `position` the end.

    `reducers` adds (module, name) → function(args) builders for known globals; `persistent_load` turns a
    persistent id into a value (default: an inert `Object` of class `persistent_id`).
    """

    def __init__(self, data: bytes, offset: int = 0, *,
                 reducers: Optional[Mapping[Tuple[str, str], Callable[[tuple], Any]]] = None,
                 persistent_load: Optional[Callable[[Any], Any]] = None,
                 string_encoding: str = "ascii") -> None:
        self.data = memoryview(data) if not isinstance(data, memoryview) else data
        self.position = offset
        self.reducers = dict(REDUCERS)
        if reducers:
            self.reducers.update(reducers)
        self.persistent_load = persistent_load or (lambda pid: Object(Global("", "persistent_id"), (pid,)))
        self.string_encoding = string_encoding
        self.protocol = 0
        self.globals_seen: List[Global] = []

    # --- reading bytes --------------------------------------------------------------------------------
    def _take(self, size: int) -> memoryview:
        if size < 0 or size > len(self.data) - self.position:
            raise PickleError(f"length {size} at offset {self.position} exceeds the {len(self.data) - self.position}"
                              " bytes that remain")
        start = self.position
        self.position += size
        return self.data[start:self.position]

    def _line(self) -> bytes:
        end = bytes(self.data[self.position:self.position + MAX_LINE]).find(b"\n")
        if end < 0:
            raise PickleError(f"unterminated text argument at offset {self.position}")
        line = bytes(self.data[self.position:self.position + end])
        self.position += end + 1
        return line

    def _unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

    # --- stack helpers --------------------------------------------------------------------------------
    def _push(self, value: Any) -> None:
        if len(self.stack) >= MAX_STACK:
            raise PickleError("pickle stack grows beyond its limit")
        self.stack.append(value)

    def _pop(self) -> Any:
        if not self.stack:
            raise PickleError(f"stack underflow at offset {self.position - 1}")
        return self.stack.pop()

    def _pop_mark(self) -> list:
        if not self.marks:
            raise PickleError(f"no MARK before offset {self.position - 1}")
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def _top(self) -> Any:
        if not self.stack:
            raise PickleError(f"stack underflow at offset {self.position - 1}")
        return self.stack[-1]

    def _memo_put(self, key: int, value: Any) -> None:
        if len(self.memo) >= MAX_MEMO and key not in self.memo:
            raise PickleError("pickle memo grows beyond its limit")
        self.memo[key] = value

    def _memo_get(self, key: int) -> Any:
        if key not in self.memo:
            raise PickleError(f"memo key {key} was never stored")
        return self.memo[key]

    # --- object construction --------------------------------------------------------------------------
    def _global(self, module: str, name: str) -> Global:
        module = _MODULE_ALIASES.get(module, module)
        reference = Global(module, name)
        self.globals_seen.append(reference)
        return reference

    def _call(self, callable_: Any, args: Any, kwargs: Optional[dict] = None) -> Any:
        args = tuple(args) if isinstance(args, (list, tuple)) else (args,)
        if isinstance(callable_, Global):
            reducer = self.reducers.get((callable_.module, callable_.name))
            if reducer is not None:
                return reducer(args) if not kwargs else reducer(args + (kwargs,))
        return Object(callable_, args, dict(kwargs or {}))

    # --- main loop ------------------------------------------------------------------------------------
    def load(self) -> Any:
        self.stack: List[Any] = []
        self.marks: List[List[Any]] = []
        self.memo: Dict[int, Any] = {}
        dispatch = _DISPATCH
        data = self.data
        while True:
            if self.position >= len(data):
                raise PickleError("pickle ends without STOP")
            opcode = data[self.position]
            self.position += 1
            if opcode == STOP:
                return self._pop()
            handler = dispatch.get(opcode)
            if handler is None:
                raise PickleError(f"unknown opcode 0x{opcode:02x} at offset {self.position - 1}")
            handler(self)


def _proto(self: Unpickler) -> None:
    version = self._take(1)[0]
    if version > HIGHEST_PROTOCOL:
        raise PickleError(f"unsupported pickle protocol {version}")
    self.protocol = version


def _frame(self: Unpickler) -> None:
    size = self._unpack("<Q")
    if size > len(self.data) - self.position:
        raise PickleError(f"frame of {size} bytes exceeds the bytes that remain")


def _mark(self: Unpickler) -> None:
    if len(self.marks) >= MAX_MARKS:
        raise PickleError("MARKs nest deeper than the limit")
    self.marks.append(self.stack)
    self.stack = []


def _int_text(self: Unpickler) -> None:
    line = self._line()
    if line == b"00":
        self._push(False)
    elif line == b"01":
        self._push(True)
    else:
        self._push(int(line))


def _long_text(self: Unpickler) -> None:
    line = self._line()
    if len(line) > 2 * MAX_LONG_BYTES:
        raise PickleError("integer literal is too long")
    self._push(int(line[:-1] if line.endswith(b"L") else line))


def _long_binary(size_format: str) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        size = self._unpack(size_format)
        if size > MAX_LONG_BYTES:
            raise PickleError(f"integer of {size} bytes is too long")
        self._push(int.from_bytes(self._take(size), "little", signed=True))
    return handler


def _fixed(fmt: str) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        self._push(self._unpack(fmt))
    return handler


def _float_text(self: Unpickler) -> None:
    self._push(float(self._line()))


def _string_text(self: Unpickler) -> None:
    line = self._line()
    if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b"'", b'"'):
        raise PickleError("STRING argument is not quoted")
    self._push(_decode_str(self, codecs.escape_decode(line[1:-1])[0]))


def _decode_str(self: Unpickler, raw: bytes) -> Any:
    # Python 2 `str`: text when it decodes, bytes otherwise (numpy raw data, binary blobs).
    try:
        return raw.decode(self.string_encoding)
    except UnicodeDecodeError:
        return raw


def _counted(size_format: str, kind: str) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        size = self._unpack(size_format)
        raw = bytes(self._take(size))
        if kind == "unicode":
            self._push(raw.decode("utf-8", "surrogatepass"))
        elif kind == "str":
            self._push(_decode_str(self, raw))
        elif kind == "bytearray":
            self._push(bytearray(raw))
        else:
            self._push(raw)
    return handler


def _unicode_text(self: Unpickler) -> None:
    self._push(self._line().decode("raw-unicode-escape"))


def _const(value: Any) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        self._push(value)
    return handler


def _empty(kind: type) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        self._push(kind())
    return handler


def _tuple_mark(self: Unpickler) -> None:
    self._push(tuple(self._pop_mark()))


def _tuple_n(count: int) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        if len(self.stack) < count:
            raise PickleError(f"stack underflow at offset {self.position - 1}")
        items = tuple(self.stack[-count:])
        del self.stack[-count:]
        self._push(items)
    return handler


def _list_mark(self: Unpickler) -> None:
    self._push(self._pop_mark())


def _dict_mark(self: Unpickler) -> None:
    items = self._pop_mark()
    self._push(_set_items({}, items))


def _frozenset_mark(self: Unpickler) -> None:
    self._push(_collection(frozenset)((self._pop_mark(),)))


def _set_items(target: Any, items: list) -> Any:
    if len(items) % 2:
        raise PickleError("odd number of items for a dict")
    for index in range(0, len(items), 2):
        key, value = _hashable(items[index]), items[index + 1]
        if isinstance(target, dict):
            target[key] = value
        elif isinstance(target, Object):
            target.entries[key] = value
        else:
            raise PickleError(f"SETITEM on a {type(target).__name__}")
    return target


def _append_items(target: Any, items: list) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, Object):
        target.items.extend(items)
    else:
        raise PickleError(f"APPEND on a {type(target).__name__}")


def _append(self: Unpickler) -> None:
    value = self._pop()
    _append_items(self._top(), [value])


def _appends(self: Unpickler) -> None:
    items = self._pop_mark()
    _append_items(self._top(), items)


def _setitem(self: Unpickler) -> None:
    value = self._pop()
    key = self._pop()
    _set_items(self._top(), [key, value])


def _setitems(self: Unpickler) -> None:
    items = self._pop_mark()
    _set_items(self._top(), items)


def _additems(self: Unpickler) -> None:
    items = self._pop_mark()
    target = self._top()
    if isinstance(target, set):
        for item in items:
            target.add(_hashable(item))
    elif isinstance(target, Object):
        target.items.extend(items)
    else:
        raise PickleError(f"ADDITEMS on a {type(target).__name__}")


def _pop_op(self: Unpickler) -> None:
    if self.stack:
        self.stack.pop()
    else:
        self._pop_mark()


def _pop_mark_op(self: Unpickler) -> None:
    self._pop_mark()


def _dup(self: Unpickler) -> None:
    self._push(self._top())


def _get_text(self: Unpickler) -> None:
    self._push(self._memo_get(int(self._line())))


def _get(fmt: str) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        self._push(self._memo_get(self._unpack(fmt)))
    return handler


def _put_text(self: Unpickler) -> None:
    self._memo_put(int(self._line()), self._top())


def _put(fmt: str) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        self._memo_put(self._unpack(fmt), self._top())
    return handler


def _memoize(self: Unpickler) -> None:
    self._memo_put(len(self.memo), self._top())


def _global_text(self: Unpickler) -> None:
    module = self._line().decode("utf-8")
    name = self._line().decode("utf-8")
    self._push(self._global(module, name))


def _stack_global(self: Unpickler) -> None:
    name = self._pop()
    module = self._pop()
    if not isinstance(module, str) or not isinstance(name, str):
        raise PickleError("STACK_GLOBAL needs two strings")
    self._push(self._global(module, name))


def _ext(fmt: str) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        self._push(Global("copyreg.extension", str(self._unpack(fmt))))
    return handler


def _reduce(self: Unpickler) -> None:
    args = self._pop()
    callable_ = self._pop()
    self._push(self._call(callable_, args))


def _newobj(self: Unpickler) -> None:
    args = self._pop()
    cls = self._pop()
    self._push(self._call(cls, args))


def _newobj_ex(self: Unpickler) -> None:
    kwargs = self._pop()
    args = self._pop()
    cls = self._pop()
    self._push(self._call(cls, args, kwargs if isinstance(kwargs, dict) else None))


def _inst(self: Unpickler) -> None:
    module = self._line().decode("utf-8")
    name = self._line().decode("utf-8")
    args = self._pop_mark()
    self._push(self._call(self._global(module, name), args))


def _obj(self: Unpickler) -> None:
    items = self._pop_mark()
    if not items:
        raise PickleError("OBJ without a class")
    self._push(self._call(items[0], items[1:]))


def _build_op(self: Unpickler) -> None:
    state = self._pop()
    _build(self._top(), state)


def _persid_text(self: Unpickler) -> None:
    self._push(self.persistent_load(self._line().decode("ascii")))


def _binpersid(self: Unpickler) -> None:
    self._push(self.persistent_load(self._pop()))


def _next_buffer(self: Unpickler) -> None:
    raise PickleError("the pickle needs out-of-band buffers that a file cannot carry")


def _readonly_buffer(self: Unpickler) -> None:
    self._top()


_DISPATCH: Dict[int, Callable[[Unpickler], None]] = {ord(code): handler for code, handler in {
    "\x80": _proto, "\x95": _frame, "(": _mark, "0": _pop_op, "1": _pop_mark_op, "2": _dup,
    "I": _int_text, "J": _fixed("<i"), "K": _fixed("<B"), "M": _fixed("<H"), "L": _long_text,
    "\x8a": _long_binary("<B"), "\x8b": _long_binary("<i"), "F": _float_text, "G": _fixed(">d"),
    "N": _const(None), "\x88": _const(True), "\x89": _const(False),
    "S": _string_text, "T": _counted("<i", "str"), "U": _counted("<B", "str"),
    "B": _counted("<I", "bytes"), "C": _counted("<B", "bytes"), "\x8e": _counted("<Q", "bytes"),
    "\x96": _counted("<Q", "bytearray"),
    "V": _unicode_text, "X": _counted("<I", "unicode"), "\x8c": _counted("<B", "unicode"),
    "\x8d": _counted("<Q", "unicode"),
    ")": _empty(tuple), "t": _tuple_mark, "\x85": _tuple_n(1), "\x86": _tuple_n(2), "\x87": _tuple_n(3),
    "]": _empty(list), "l": _list_mark, "a": _append, "e": _appends,
    "}": _empty(dict), "d": _dict_mark, "s": _setitem, "u": _setitems,
    "\x8f": _empty(set), "\x90": _additems, "\x91": _frozenset_mark,
    "g": _get_text, "h": _get("<B"), "j": _get("<I"), "p": _put_text, "q": _put("<B"), "r": _put("<I"),
    "\x94": _memoize,
    "c": _global_text, "\x93": _stack_global, "\x82": _ext("<B"), "\x83": _ext("<H"), "\x84": _ext("<i"),
    "R": _reduce, "\x81": _newobj, "\x92": _newobj_ex, "i": _inst, "o": _obj, "b": _build_op,
    "P": _persid_text, "Q": _binpersid, "\x97": _next_buffer, "\x98": _readonly_buffer,
}.items()}


def loads(data: bytes, **options: Any) -> Any:
    """Read the first pickle of `data` into inert values (see `Unpickler` for the options)."""
    return Unpickler(data, **options).load()

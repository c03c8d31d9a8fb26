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
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from .pickle_objects import REDUCERS, Global, Object, PickleError, build_state, collection, hashable_key

HIGHEST_PROTOCOL = 5
STOP = ord(".")
MAX_STACK = 5_000_000
MAX_MARKS = 10_000
MAX_MEMO = 5_000_000
MAX_LONG_BYTES = 4096
MAX_LINE = 1 << 16
# Python 2 module names that protocol 0–2 streams use for builtins.
_STRUCTS = {fmt: struct.Struct(fmt) for fmt in ("<B", "<H", "<i", "<I", "<Q", ">d")}
_MODULE_ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg", "exceptions": "builtins"}


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
        layout = _STRUCTS[fmt]
        if layout.size > len(self.data) - self.position:
            raise PickleError(f"truncated argument at offset {self.position}")
        value = layout.unpack_from(self.data, self.position)[0]
        self.position += layout.size
        return value

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
        return Global(_MODULE_ALIASES.get(module, module), name)

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
            try:
                handler(self)
            except UnicodeDecodeError as error:  # only text arguments are decoded
                raise PickleError(f"text argument before offset {self.position} is not valid "
                                  f"{error.encoding}") from error


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
        self._push(_parse(self, int, line))


def _long_text(self: Unpickler) -> None:
    line = self._line()
    if len(line) > 2 * MAX_LONG_BYTES:
        raise PickleError("integer literal is too long")
    self._push(_parse(self, int, line[:-1] if line.endswith(b"L") else line))


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
    self._push(_parse(self, float, self._line()))


def _parse(self: Unpickler, convert: Callable[[Any], Any], line: bytes) -> Any:
    """A number written as text (protocol 0 arguments)."""
    try:
        return convert(line)
    except ValueError as error:
        raise PickleError(f"argument before offset {self.position} is not a number: {line[:40]!r}") from error


def _string_text(self: Unpickler) -> None:
    line = self._line()
    if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b"'", b'"'):
        raise PickleError("STRING argument is not quoted")
    try:
        raw = codecs.escape_decode(line[1:-1])[0]
    except ValueError as error:  # a bad backslash escape
        raise PickleError(f"STRING argument before offset {self.position}: {error}") from error
    self._push(_decode_str(self, raw))


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
    self._push(collection(frozenset)((self._pop_mark(),)))


def _set_items(target: Any, items: list) -> Any:
    if len(items) % 2:
        raise PickleError("odd number of items for a dict")
    for index in range(0, len(items), 2):
        key, value = hashable_key(items[index]), items[index + 1]
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
            target.add(hashable_key(item))
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
    self._push(self._memo_get(_parse(self, int, self._line())))


def _get(fmt: str) -> Callable[[Unpickler], None]:
    def handler(self: Unpickler) -> None:
        self._push(self._memo_get(self._unpack(fmt)))
    return handler


def _put_text(self: Unpickler) -> None:
    self._memo_put(_parse(self, int, self._line()), self._top())


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
    build_state(self._top(), state)


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

"""Our own protobuf decoder: binary wire format and text format, driven by schema tables.

A schema is plain data: ``{message_name: {field_number: (field_name, type)}}`` where ``type`` is a scalar
type name (``int32``, ``int64``, ``uint32``, ``uint64``, ``sint32``, ``sint64``, ``bool``, ``enum``,
``fixed32``, ``fixed64``, ``sfixed32``, ``sfixed64``, ``float``, ``double``, ``string``, ``bytes``) or the name
of another message of the schema; a ``[]`` suffix marks a repeated field.

Decoding produces `Message` objects (dicts keyed by field name with attribute access and schema defaults;
a field named like a dict method — `values`, `items`, `copy`... — wins: `message.values` is the field, and
such a message's dict method is reached as `dict.values(message)`).
Binary decoding works on absolute offsets over one buffer (bytes or a read-only mmap): large ``bytes`` fields
and large packed fixed-width arrays are recorded as `BytesRef` / `PackedRef` (offset, length), not copied, so
opening a 1 GB model reads only its structure. Every length is checked against the bytes that remain and
nesting depth is bounded; malformed input raises `ProtobufError` (a ValueError).
"""

from __future__ import annotations

import mmap
import re
import struct
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from .errors import CodecError

MAX_DEPTH = 100
LAZY_THRESHOLD = 1024  # bytes fields / packed arrays larger than this are referenced, not copied

Schema = Dict[str, Dict[int, Tuple[str, str]]]

_FIXED = {"fixed32": "<I", "sfixed32": "<i", "float": "<f", "fixed64": "<Q", "sfixed64": "<q", "double": "<d"}
_VARINT = {"int32", "int64", "uint32", "uint64", "sint32", "sint64", "bool", "enum"}
_SCALAR_DEFAULTS = {"string": "", "bytes": b"", "bool": False, "float": 0.0, "double": 0.0}
_NUMPY_TYPES = {"fixed32": "<u4", "sfixed32": "<i4", "float": "<f4", "fixed64": "<u8", "sfixed64": "<i8",
                "double": "<f8"}


class ProtobufError(CodecError):
    """The bytes or text are not a valid encoding of the expected message."""


class BytesRef:
    """A ``bytes`` field left in place: `(offset, length)` into the source buffer, read on demand."""

    __slots__ = ("source", "offset", "length")

    def __init__(self, source, offset: int, length: int):
        self.source, self.offset, self.length = source, offset, length

    def __len__(self) -> int:
        return self.length

    def tobytes(self) -> bytes:
        return bytes(self.source[self.offset:self.offset + self.length])

    def __repr__(self) -> str:
        return f"BytesRef(offset={self.offset}, length={self.length})"


class PackedRef(BytesRef):
    """A large packed array of a fixed-width type, decoded on demand with numpy.

    Protobuf lets a packed field arrive in several chunks (and a packable field element by element): `parts`
    then lists the pieces in order, each a span `(offset, length)` of the source or bytes already in hand.
    """

    __slots__ = ("type", "parts")

    def __init__(self, source, offset: int, length: int, type_name: str):
        super().__init__(source, offset, length)
        self.type = type_name
        self.parts: Optional[List[Union[Tuple[int, int], bytes]]] = None  # None: the one span above

    def __len__(self) -> int:
        return self.length // struct.calcsize(_FIXED[self.type])

    def append(self, more: Union[PackedRef, List[Any], Any]) -> None:
        """Add a later chunk: another PackedRef, a short list of values, or one value."""
        if self.parts is None:
            self.parts = [(self.offset, self.length)]
        if isinstance(more, PackedRef):
            self.parts.extend(more.parts if more.parts is not None else [(more.offset, more.length)])
            self.length += more.length
            return
        values = more if isinstance(more, list) else [more]
        raw = struct.pack(f"<{len(values)}{_FIXED[self.type][1]}", *values)
        self.parts.append(raw)
        self.length += len(raw)

    def tobytes(self) -> bytes:
        if self.parts is None:
            return super().tobytes()
        return b"".join(part if isinstance(part, bytes) else bytes(self.source[part[0]:part[0] + part[1]])
                        for part in self.parts)

    def array(self):
        import numpy as np
        return np.frombuffer(self.tobytes(), dtype=_NUMPY_TYPES[self.type])

    def __iter__(self):
        return iter(self.array().tolist())


def _merge_repeated(existing: Any, more: Any, type_name: str) -> Any:
    """`existing` (None, a list or a PackedRef) followed by `more` (a PackedRef, a list or one value)."""
    if existing is None:
        return more if isinstance(more, (list, PackedRef)) else [more]
    if isinstance(existing, PackedRef):
        existing.append(more)
        return existing
    if isinstance(more, PackedRef):  # short chunks first, a large one after: keep the large one lazy
        merged = PackedRef(more.source, 0, 0, type_name)
        merged.parts = []
        if existing:
            merged.append(existing)
        merged.append(more)
        return merged
    if isinstance(more, list):
        existing.extend(more)
    else:
        existing.append(more)
    return existing


def to_bytes(value: Union[bytes, BytesRef, None]) -> bytes:
    """The bytes of a field whether it was copied or referenced."""
    if value is None:
        return b""
    return value.tobytes() if isinstance(value, BytesRef) else bytes(value)


class Message(dict):
    """A decoded message: field name → value, with attribute access returning schema defaults."""

    __slots__ = ("_type",)

    def __init__(self, compiled: Optional[_CompiledMessage] = None):
        super().__init__()
        self._type = compiled

    def __getattr__(self, name: str) -> Any:
        if name in self:
            return self[name]
        compiled = self._type
        if compiled is not None and name in compiled.by_name:
            return compiled.default(name)
        raise AttributeError(name)

    def has(self, name: str) -> bool:
        return name in self

    @property
    def type_name(self) -> str:
        return self._type.name if self._type else ""


def _field_property(name: str) -> property:
    def read(message: Message) -> Any:
        if dict.__contains__(message, name):
            return dict.__getitem__(message, name)
        return message._type.default(name)
    return property(read)


def _message_class(compiled: _CompiledMessage) -> type:
    """Message, or a subclass whose properties give fields named like a dict (or Message) attribute
    precedence over that attribute."""
    shadowed = [name for name in compiled.by_name if hasattr(Message, name) and not name.startswith("__")]
    if not shadowed:
        return Message
    return type(f"Message_{compiled.name}", (Message,),
                {"__slots__": (), **{name: _field_property(name) for name in shadowed}})


class _CompiledMessage:
    __slots__ = ("name", "fields", "by_name", "message_class")

    def __init__(self, name: str):
        self.name = name
        self.message_class: type = Message
        # number → (name, type, repeated, sub-message or None)
        self.fields: Dict[int, Tuple[str, str, bool, Optional[_CompiledMessage]]] = {}
        self.by_name: Dict[str, Tuple[str, bool, Optional[_CompiledMessage]]] = {}

    def default(self, name: str) -> Any:
        type_name, repeated, sub = self.by_name[name]
        if repeated:
            return []
        if sub is not None:
            return None
        return _SCALAR_DEFAULTS.get(type_name, 0)


# id(schema) → (schema, compiled): holding the schema keeps its id from being reused by another table.
_compiled_cache: Dict[int, Tuple[Schema, Dict[str, _CompiledMessage]]] = {}


def compile_schema(schema: Schema) -> Dict[str, _CompiledMessage]:
    """Resolve message references once per schema table."""
    cached = _compiled_cache.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    compiled = {name: _CompiledMessage(name) for name in schema}
    for message_name, fields in schema.items():
        target = compiled[message_name]
        for number, (field_name, type_name) in fields.items():
            repeated = type_name.endswith("[]")
            base = type_name[:-2] if repeated else type_name
            sub = compiled.get(base)
            if sub is None and base not in _VARINT and base not in _FIXED and base not in ("string", "bytes"):
                raise KeyError(f"schema: {message_name}.{field_name} has unknown type {base!r}")
            target.fields[number] = (field_name, base, repeated, sub)
            target.by_name[field_name] = (base, repeated, sub)
    for target in compiled.values():
        target.message_class = _message_class(target)
    _compiled_cache[id(schema)] = (schema, compiled)
    return compiled


def open_buffer(path: Union[str, Path]):
    """The file's bytes as a read-only mmap (or b"" for an empty file)."""
    with open(path, "rb") as stream:
        try:
            return mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file
            return b""


# --- binary wire format ---------------------------------------------------------------------------------

def read_varint(buffer, position: int, end: int) -> Tuple[int, int]:
    result = shift = 0
    while True:
        if position >= end:
            raise ProtobufError("truncated varint")
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7
        if shift >= 70:
            raise ProtobufError("varint too long")


def encode_varint(value: int) -> bytes:
    """The base-128 varint bytes of `value`; a negative value is written as its 64-bit two's complement, as
    protobuf writes negative int32/int64 fields."""
    if value < 0:
        value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _signed64(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def _convert_varint(value: int, type_name: str) -> Any:
    if type_name in ("int32", "int64", "enum"):
        value = _signed64(value)
        return value if type_name != "int32" else ((value + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
    if type_name in ("sint32", "sint64"):
        return (value >> 1) ^ -(value & 1)
    if type_name == "bool":
        return value != 0
    if type_name == "uint32":
        return value & 0xFFFFFFFF
    return value & 0xFFFFFFFFFFFFFFFF


def _skip_group(buffer, position: int, end: int, number: int, depth: int) -> int:
    if depth > MAX_DEPTH:
        raise ProtobufError("groups nested too deeply")
    while position < end:
        key, position = read_varint(buffer, position, end)
        wire = key & 7
        if wire == 4:
            if key >> 3 != number:
                raise ProtobufError("mismatched end of group")
            return position
        position = _skip_field(buffer, position, end, key, depth + 1)
    raise ProtobufError("unterminated group")


def _skip_field(buffer, position: int, end: int, key: int, depth: int) -> int:
    wire = key & 7
    if wire == 0:
        return read_varint(buffer, position, end)[1]
    if wire == 1:
        position += 8
    elif wire == 5:
        position += 4
    elif wire == 2:
        length, position = read_varint(buffer, position, end)
        position += length
    elif wire == 3:
        return _skip_group(buffer, position, end, key >> 3, depth)
    else:
        raise ProtobufError(f"invalid wire type {wire}")
    if position > end:
        raise ProtobufError("field runs past the end of its message")
    return position


def iter_fields(buffer, start: int, end: int) -> Iterator[Tuple[int, int, int, int, int]]:
    """(number, wire type, field start, payload start, field end) of each field in buffer[start:end], for
    code that copies or rewrites encoded messages without decoding them."""
    position = start
    while position < end:
        field_start = position
        key, position = read_varint(buffer, position, end)
        payload = read_varint(buffer, position, end)[1] if key & 7 == 2 else position
        stop = _skip_field(buffer, position, end, key, 0)
        yield key >> 3, key & 7, field_start, payload, stop
        position = stop


def _decode_packed(buffer, start: int, end: int, type_name: str) -> Any:
    if type_name in _FIXED:
        fmt = _FIXED[type_name]
        size = struct.calcsize(fmt)
        if (end - start) % size:
            raise ProtobufError("packed array length is not a multiple of its element size")
        if end - start > LAZY_THRESHOLD:
            return PackedRef(buffer, start, end - start, type_name)
        return list(struct.unpack_from(f"<{(end - start) // size}{fmt[1]}", buffer, start))
    values = []
    position = start
    while position < end:
        value, position = read_varint(buffer, position, end)
        values.append(_convert_varint(value, type_name))
    return values


def _decode(buffer, compiled: _CompiledMessage, position: int, end: int, depth: int) -> Message:
    if depth > MAX_DEPTH:
        raise ProtobufError("messages nested too deeply")
    message = compiled.message_class(compiled)
    fields = compiled.fields
    while position < end:
        key, position = read_varint(buffer, position, end)
        number, wire = key >> 3, key & 7
        field = fields.get(number)
        if field is None:
            position = _skip_field(buffer, position, end, key, depth)
            continue
        name, type_name, repeated, sub = field
        if wire == 2:
            length, position = read_varint(buffer, position, end)
            stop = position + length
            if stop > end:
                raise ProtobufError(f"field {name!r} runs past the end of its message")
            if sub is not None:
                value = _decode(buffer, sub, position, stop, depth + 1)
            elif type_name == "string":
                value = bytes(buffer[position:stop]).decode("utf-8", errors="replace")
            elif type_name == "bytes":
                value = BytesRef(buffer, position, length) if length > LAZY_THRESHOLD \
                    else bytes(buffer[position:stop])
            elif repeated:
                packed = _decode_packed(buffer, position, stop, type_name)
                message[name] = _merge_repeated(dict.get(message, name), packed, type_name)
                position = stop
                continue
            else:
                raise ProtobufError(f"field {name!r} has a length-delimited encoding but is a {type_name}")
            position = stop
        elif wire == 0 and type_name in _VARINT:
            raw, position = read_varint(buffer, position, end)
            value = _convert_varint(raw, type_name)
        elif wire in (1, 5) and type_name in _FIXED:
            fmt = _FIXED[type_name]
            size = 8 if wire == 1 else 4
            if struct.calcsize(fmt) != size:
                raise ProtobufError(f"field {name!r} has the wrong fixed width")
            if position + size > end:
                raise ProtobufError(f"field {name!r} runs past the end of its message")
            value = struct.unpack_from(fmt, buffer, position)[0]
            position += size
        else:
            # Wire type does not fit the schema (an unknown extension or a different message): skip it.
            position = _skip_field(buffer, position, end, key, depth)
            continue
        if repeated:
            message[name] = _merge_repeated(dict.get(message, name), value, type_name)
        elif sub is not None and name in message:
            dict.update(message[name], value)  # protobuf merges repeated occurrences of a message field
        else:
            message[name] = value
    if position != end:
        raise ProtobufError("message runs past its end")
    return message


def decode(buffer, schema: Schema, message_name: str, start: int = 0, end: Optional[int] = None) -> Message:
    """Decode `buffer[start:end]` as `message_name` of `schema`."""
    compiled = compile_schema(schema)[message_name]
    end = len(buffer) if end is None else end
    if not 0 <= start <= end <= len(buffer):
        raise ProtobufError("message range outside the buffer")
    return _decode(buffer, compiled, start, end, 0)


def peek_fields(header: bytes, limit: int = 16) -> List[Tuple[int, int]]:
    """The (field number, wire type) pairs of the first top-level fields in `header`, for cheap detection.

    Stops at the end of the header or at the first invalid key; a length-delimited field whose bytes run past
    the header still counts (the header is a prefix of the file).
    """
    pairs: List[Tuple[int, int]] = []
    position, end = 0, len(header)
    while position < end and len(pairs) < limit:
        try:
            key, position = read_varint(header, position, end)
        except ProtobufError:
            break
        number, wire = key >> 3, key & 7
        if number == 0 or wire in (3, 4, 6, 7):
            return pairs + [(0, wire)]
        pairs.append((number, wire))
        try:
            position = _skip_field(header, position, end, key, 0)
        except ProtobufError:
            break
    return pairs


def matches_signature(header: bytes, allowed: Dict[int, Tuple[int, ...]], required: Tuple[int, ...] = (),
                      minimum: int = 1) -> bool:
    """True when the header's leading fields all use numbers/wire types from `allowed` ({number: wires})."""
    pairs = peek_fields(header)
    if len(pairs) < minimum:
        return False
    for number, wire in pairs:
        if wire not in allowed.get(number, ()):
            return False
    numbers = {number for number, _ in pairs}
    return all(number in numbers for number in required)


# --- text format ----------------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b",
            "f": "\f", "v": "\v", "?": "?"}


class _Tokens:
    """A tokenizer for protobuf text format: identifiers, numbers, strings and punctuation."""

    def __init__(self, text: str):
        self.text, self.position, self.length = text, 0, len(text)

    def _skip_space(self, separators: str = ",;") -> None:
        text, position = self.text, self.position
        while position < self.length:
            char = text[position]
            if char in " \t\r\n\f\v" or char in separators:
                position += 1
            elif char == "#":
                newline = text.find("\n", position)
                position = self.length if newline < 0 else newline + 1
            else:
                break
        self.position = position

    def peek(self) -> str:
        self._skip_space()
        if self.position >= self.length:
            return ""
        return self.text[self.position]

    def word(self) -> str:
        """An identifier, number or dotted/bracketed name."""
        self._skip_space()
        start = position = self.position
        text = self.text
        if position < self.length and text[position] == "[":  # extension or Any type URL
            close = text.find("]", position)
            if close < 0:
                raise ProtobufError("unterminated [extension] name")
            self.position = close + 1
            return text[position:close + 1]
        while position < self.length and (text[position].isalnum() or text[position] in "_.-+"):
            position += 1
        if position == start:
            raise ProtobufError(f"unexpected {text[start:start + 1]!r} at offset {start}")
        self.position = position
        return text[start:position]

    def string(self) -> bytes:
        """One or more adjacent quoted strings, unescaped, as bytes."""
        parts = [self._quoted()]
        while True:
            self._skip_space(separators="")  # a comma ends the string: ["a", "b"] is two values
            if self.position >= self.length or self.text[self.position] not in ("'", '"'):
                return b"".join(parts)
            parts.append(self._quoted())

    def _quoted(self) -> bytes:
        self._skip_space()
        quote = self.text[self.position]
        # The body in one regex step, then its escapes in one substitution: TensorFlow text graphs hold
        # megabytes of octal-escaped tensor bytes, which a character loop reads slowly.
        body = _STRING_BODY[quote].match(self.text, self.position + 1)
        end = body.end()
        if end >= self.length:
            raise ProtobufError("unterminated string")
        if self.text[end] != quote:
            raise ProtobufError("newline inside a string")
        self.position = end + 1
        raw = body.group().encode("utf-8")
        return _ESCAPE.sub(_unescape_cached, raw) if b"\\" in raw else raw


_STRING_BODY = {quote: re.compile(rf"(?:[^{quote}\\\n]|\\.)*") for quote in ("'", '"')}
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|[xX]([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)


def _unescape(match) -> bytes:
    octal, hexadecimal, short, long, other = match.groups()
    if octal:
        return bytes((int(octal, 8) & 0xFF,))
    if hexadecimal:
        return bytes((int(hexadecimal, 16),))
    if short or long:
        return chr(int(short or long, 16)).encode("utf-8")
    mapped = _ESCAPES.get(other.decode("latin-1"))
    if mapped is None:
        raise ProtobufError(f"bad escape \\{other.decode('latin-1')}")
    return mapped.encode()


# Escapes seen so far → their bytes (octal escapes repeat all through tensor contents; at most a few
# thousand distinct spellings exist besides \u ones, which the size check keeps out).
_UNESCAPED: Dict[bytes, bytes] = {}


def _unescape_cached(match) -> bytes:
    spelled = match.group()
    value = _UNESCAPED.get(spelled)
    if value is None:
        value = _unescape(match)
        if len(_UNESCAPED) < 4096:
            _UNESCAPED[spelled] = value
    return value


def _text_scalar(token: str, type_name: str) -> Any:
    try:
        return _text_scalar_value(token, type_name)
    except ValueError as error:
        if isinstance(error, ProtobufError):
            raise
        raise ProtobufError(f"{token[:40]!r} is not a {type_name}") from error


def _text_scalar_value(token: str, type_name: str) -> Any:
    lowered = token.lower()
    if type_name in ("float", "double"):
        special = lowered.lstrip("-")
        if special in ("inf", "infinity", "inff", "infinityf", "nan", "nanf"):
            sign = "-" if lowered.startswith("-") else ""
            return float(sign + ("nan" if special.startswith("nan") else "inf"))
        return float(token[:-1] if lowered.endswith("f") else token)  # 1.5f is C-style float text
    if type_name == "bool":
        if lowered in ("true", "t", "1"):
            return True
        if lowered in ("false", "f", "0"):
            return False
        raise ProtobufError(f"bad bool {token!r}")
    if type_name == "enum":
        try:
            return int(token, 0)
        except ValueError:
            return token  # symbolic enum value, kept by name
    if type_name in _VARINT or type_name in _FIXED:
        return int(token, 0)
    return _guess_scalar(token)


def _guess_scalar(token: str) -> Any:
    """A value of a field the schema does not know: number when it parses as one, else the identifier."""
    lowered = token.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (lambda t: int(t, 0), float):
        try:
            return convert(token)
        except ValueError:
            pass
    return token


def _parse_text_message(tokens: _Tokens, compiled: Optional[_CompiledMessage], close: str, depth: int) -> Message:
    if depth > MAX_DEPTH:
        raise ProtobufError("messages nested too deeply")
    message = Message(None) if compiled is None else compiled.message_class(compiled)  # None: unknown message
    while True:
        char = tokens.peek()
        if char == close:
            if close:
                tokens.position += 1
            return message
        if char == "":
            raise ProtobufError("unexpected end of text")
        name = tokens.word()
        info = compiled.by_name.get(name) if compiled is not None else None
        type_name, repeated, sub = info if info is not None else ("", True, None)
        if tokens.peek() == ":":
            tokens.position += 1
        values = []
        if tokens.peek() == "[":
            tokens.position += 1
            while tokens.peek() != "]":
                values.append(_parse_text_value(tokens, type_name, sub, info is None, depth))
            tokens.position += 1
        else:
            values.append(_parse_text_value(tokens, type_name, sub, info is None, depth))
        if repeated:
            dict.setdefault(message, name, []).extend(values)
        elif sub is not None and name in message:
            dict.update(message[name], values[-1])
        else:
            message[name] = values[-1]


def _parse_text_value(tokens: _Tokens, type_name: str, sub, unknown: bool, depth: int) -> Any:
    char = tokens.peek()
    if char in ("{", "<"):
        tokens.position += 1
        return _parse_text_message(tokens, sub, "}" if char == "{" else ">", depth + 1)
    if char in ("'", '"'):
        raw = tokens.string()
        return raw if type_name == "bytes" else raw.decode("utf-8", errors="replace")
    token = tokens.word()
    return _guess_scalar(token) if unknown else _text_scalar(token, type_name)


def parse_text(text: str, schema: Schema, message_name: str) -> Message:
    """Parse protobuf text format into a Message. Fields the schema lacks are kept with guessed types
    (repeated: a list per name) so readers can still show them."""
    compiled = compile_schema(schema)[message_name]
    return _parse_text_message(_Tokens(text), compiled, "", 0)

"""The common model every format reader produces.

Model ▸ Graph ▸ Node / Argument / Value / TensorType / Tensor / Attribute / OpType: plain data, no Tk, no
layout, no format knowledge. Weight bytes are read lazily through `Tensor.data()`.
"""

from __future__ import annotations

import math
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

from .codecs.errors import CodecError, FormatError  # noqa: F401 - FormatError: readers import it from here

# The box colour groups (Netron's palette is the reference look).
CATEGORIES = (
    "Layer", "Activation", "Pool", "Normalization", "Dropout", "Shape", "Tensor", "Transform", "Data",
    "Quantization", "Control", "Custom", "Constant",
)

# A dimension is a size, a symbol ("batch") or unknown (None, drawn "?").
Dim = Union[int, str, None]

# Bytes per element of the dtypes we know; sub-byte types count as fractions.
DTYPE_ITEMSIZE = {
    "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8,
    "uint64": 8, "float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "complex64": 8, "complex128": 16,
    "float8_e4m3fn": 1, "float8_e4m3fnuz": 1, "float8_e5m2": 1, "float8_e5m2fnuz": 1, "float8_e8m0fnu": 1,
    "int4": 0.5, "uint4": 0.5, "float4_e2m1fn": 0.5, "int2": 0.25, "uint2": 0.25, "qint8": 1, "quint8": 1,
    "qint16": 2, "quint16": 2, "qint32": 4,
}


# What "the bytes are not a valid file" looks like when a decoder finds it: the codecs' own errors, the
# standard library's decoders, and numbers too large for the arithmetic they feed. Anything else escaping a
# reader (TypeError, KeyError, AttributeError, a plain ValueError, ...) is a bug of ours, reported as an
# internal error and never as a false statement about the user's file. Text decoding errors are caught where
# the text is decoded (json, xml, utf-8) and turned into ModelError there.
DECODE_ERRORS = (
    CodecError, struct.error, zlib.error, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OverflowError,
)


MAX_REASON = 300  # characters of an error's reason: a quoted piece of a hostile file can be megabytes long


class ModelError(Exception):
    """A model file that cannot be read: names the file and says what is wrong with it (in one short line)."""

    def __init__(self, path: Any, reason: str):
        self.path = str(path)
        reason = " ".join(str(reason).split())
        if len(reason) > MAX_REASON:
            reason = f"{reason[:MAX_REASON - 60]} … {reason[-50:]}"
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def internal_error_message(path: Any, error: BaseException, doing: str = "reading") -> str:
    """The one line that reports a bug of ours met while handling `path` (never blamed on the file)."""
    detail = " ".join(str(error).split())
    if len(detail) > MAX_REASON:
        detail = f"{detail[:MAX_REASON - 60]} … {detail[-50:]}"
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return f"internal error {doing} {path} ({what}); please report it"


def format_dim(dim: Dim) -> str:
    return "?" if dim is None or (isinstance(dim, int) and dim < 0) else str(dim)


def format_shape(shape: Optional[Tuple[Dim, ...]], separator: str = "×") -> str:
    """`(None, 32, 224, 224)` → `?×32×224×224`; a scalar is `()`→ ``""``; unknown rank → ``"?"``."""
    if shape is None:
        return "?"
    return separator.join(format_dim(d) for d in shape)


def element_count(shape: Optional[Tuple[Dim, ...]]) -> Optional[int]:
    """Number of elements, or None when a dimension is not a known size."""
    if shape is None or not all(isinstance(d, int) and d >= 0 for d in shape):
        return None
    return math.prod(shape)


@dataclass
class OpType:
    """What a node does: its operator name, colour category and optional documentation."""

    name: str
    category: str = ""
    documentation: str = ""
    domain: str = ""
    version: Optional[int] = None
    # Where documentation that is costly to fetch comes from (ONNX: onnx.defs); `describe()` calls it once.
    documentation_source: Optional[Callable[[], str]] = field(default=None, repr=False, compare=False)

    def has_documentation(self) -> bool:
        return bool(self.documentation) or self.documentation_source is not None

    def describe(self) -> str:
        """The documentation, fetched from its source on first use."""
        if not self.documentation and self.documentation_source is not None:
            self.documentation = self.documentation_source() or ""
            self.documentation_source = None
        return self.documentation


@dataclass
class TensorType:
    """Element type and shape of a tensor; `shape` None means even the rank is unknown."""

    dtype: Optional[str] = None
    shape: Optional[Tuple[Dim, ...]] = None
    denotation: str = ""

    def __str__(self) -> str:
        shape = format_shape(self.shape)
        return f"{self.dtype or '?'}[{shape}]"


@dataclass
class Tensor:
    """A constant tensor (weights). `loader` reads its values on demand and returns a numpy array."""

    name: str
    dtype: Optional[str]
    shape: Optional[Tuple[Dim, ...]]
    loader: Optional[Callable[[], Any]] = field(default=None, repr=False, compare=False)
    layout: str = "dense"  # dense / sparse / quantized / external
    quantization: Optional[dict] = None
    location: str = ""  # where the bytes are: "inline", a companion file name, ...
    # Overrides the element count when the shape does not tell it (e.g. sparse initializers).
    count: Optional[int] = None

    @property
    def size(self) -> Optional[int]:
        """Element count, or None when the shape is not fully known."""
        return self.count if self.count is not None else element_count(self.shape)

    @property
    def nbytes(self) -> Optional[int]:
        size, itemsize = self.size, DTYPE_ITEMSIZE.get(self.dtype or "")
        return None if size is None or itemsize is None else math.ceil(size * itemsize)

    @property
    def type(self) -> TensorType:
        return TensorType(self.dtype, self.shape)

    def data(self) -> Any:
        """The values as a numpy array; raises ModelError when the file cannot give them (bugs propagate)."""
        if self.loader is None:
            raise ModelError(self.name, "the file holds no values for this tensor")
        try:
            return self.loader()
        except ModelError:
            raise
        except OSError as error:
            where = f": {Path(error.filename).name}" if error.filename else ""   # which companion file is missing
            raise ModelError(self.name, f"cannot read the values ({error.strerror or error}{where})") from error
        except MemoryError as error:
            raise ModelError(self.name, "cannot read the values (they do not fit in memory)") from error
        except RecursionError as error:
            raise ModelError(self.name, "cannot read the values (their structure is nested too deeply)") from error
        except DECODE_ERRORS as error:
            raise ModelError(self.name, f"cannot read the values ({error})") from error


@dataclass
class Value:
    """One tensor flowing along edges; producers and consumers meet by `name`."""

    name: str
    type: Optional[TensorType] = None
    initializer: Optional[Tensor] = None
    description: str = ""


@dataclass
class Argument:
    """A named slot on a node or graph ("X", "bottom", "weights") holding one or more values."""

    name: str
    values: List[Value] = field(default_factory=list)
    visible: bool = True


@dataclass
class Attribute:
    """A node setting; `visible` is False for defaults and noise (hidden unless asked for)."""

    name: str
    value: Any
    type: str = ""
    visible: bool = True
    description: str = ""


@dataclass
class Node:
    name: str
    type: OpType
    inputs: List[Argument] = field(default_factory=list)
    outputs: List[Argument] = field(default_factory=list)
    attributes: List[Attribute] = field(default_factory=list)
    chain: List[Node] = field(default_factory=list)  # fused activations, drawn inside the box
    graphs: List[Graph] = field(default_factory=list)  # If/Loop bodies, functions, submodules
    description: str = ""
    device: str = ""
    # The groups the file itself places this node in, outermost first (Keras nested models). When any node
    # of a graph has one, groups.py takes these paths for the whole graph instead of reading scopes from names.
    group_path: Tuple[str, ...] = ()

    def weights(self) -> Iterator[Tuple[Argument, Value]]:
        """The constant inputs, drawn as rows inside the box."""
        for argument in self.inputs:
            for value in argument.values:
                if value.initializer is not None:
                    yield argument, value


@dataclass
class Graph:
    name: str = ""
    inputs: List[Argument] = field(default_factory=list)
    outputs: List[Argument] = field(default_factory=list)
    nodes: List[Node] = field(default_factory=list)
    description: str = ""
    # Counts as the file stores them, when a reader folds records into boxes (e.g. TensorFlow Const nodes
    # shown as weights): op type → count and element total. None → computed from `nodes`.
    stored_operators: Optional[dict] = None
    stored_parameters: Optional[int] = None

    def operators(self) -> dict:
        if self.stored_operators is not None:
            return dict(self.stored_operators)
        counts: dict = {}
        for node in self.nodes:
            counts[node.type.name] = counts.get(node.type.name, 0) + 1
        return counts

    def node_count(self) -> int:
        return sum(self.operators().values())

    def tensors(self) -> Iterator[Tensor]:
        """Each constant tensor of the graph once (nodes may share one)."""
        seen = set()
        for node in self.nodes:
            for _, value in node.weights():
                tensor = value.initializer
                if id(tensor) not in seen:
                    seen.add(id(tensor))
                    yield tensor

    def parameters(self) -> int:
        if self.stored_parameters is not None:
            return self.stored_parameters
        return sum(tensor.size or 0 for tensor in self.tensors())


@dataclass
class Model:
    format: str
    graphs: List[Graph] = field(default_factory=list)
    producer: str = ""
    version: str = ""
    description: str = ""
    metadata: List[Tuple[str, str]] = field(default_factory=list)
    imports: List[str] = field(default_factory=list)  # opsets / framework versions
    path: str = ""
    functions: List[Graph] = field(default_factory=list)  # local functions / function library

"""Torch objects inside pickles: storages, tensors, dtypes, and the three containers `torch.save` writes.

Shared by the PyTorch (`torch.save`) and TorchScript readers. Every torch constructor a pickle names is a
*reducer* for the restricted machine in `codecs/safepickle.py`: a pure function that turns the pickled arguments
into a `TorchTensor` description (dtype, shape, strides, offset, lazy storage). Storage bytes are only located
when a file is opened (zip member ranges, legacy stream offsets); `TorchTensor.load()` reads them on demand.

Containers:
- zip (`torch.save` since 1.6, TorchScript): `<root>/data.pkl`, storages in `<root>/data/<key>`, `byteorder`.
- legacy stream: pickles of the magic number, protocol, sys_info, the object, the storage key list, then per
  storage an int64 element count and its raw bytes.
- legacy tar: members `storages` (count, per storage a (key, location, type) pickle + count + bytes, then a list
  of views), `tensors` (count, per tensor a (key, storage key, type) pickle + ndim, sizes, strides, offset) and
  `pickle` (the object; persistent ids name tensors by key).
"""

from __future__ import annotations

import math
import mmap
import struct
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

from ...codecs import archive
from ...codecs.pickle_objects import Global, NumpyArray, Object, PickleError
from ...codecs.safepickle import Unpickler
from ...model import DTYPE_ITEMSIZE, Tensor

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
MAX_PICKLE_BYTES = 512 << 20

# torch.<Name>Storage → element type.
STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32", "QUInt4x2Storage": "uint8", "QUInt2x4Storage": "uint8", "UntypedStorage": "uint8",
    "Float8_e4m3fnStorage": "float8_e4m3fn", "Float8_e5m2Storage": "float8_e5m2",
    "Float8_e4m3fnuzStorage": "float8_e4m3fnuz", "Float8_e5m2fnuzStorage": "float8_e5m2fnuz",
    "UInt16Storage": "uint16", "UInt32Storage": "uint32", "UInt64Storage": "uint64",
}

# torch.<name> dtype globals → element type.
TORCH_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64", "float16": "float16",
    "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64", "int32": "int32",
    "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
    "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128", "cdouble": "complex128",
    "qint8": "qint8", "quint8": "quint8", "qint32": "qint32", "uint16": "uint16", "uint32": "uint32",
    "uint64": "uint64", "float8_e4m3fn": "float8_e4m3fn", "float8_e5m2": "float8_e5m2",
    "float8_e4m3fnuz": "float8_e4m3fnuz", "float8_e5m2fnuz": "float8_e5m2fnuz",
}

# Element type → numpy type code used to read it (quantized values as their integers, bfloat16 widened).
_NUMPY_CODES = {
    "bool": "b1", "int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
    "int64": "i8", "uint64": "u8", "float16": "f2", "float32": "f4", "float64": "f8", "complex64": "c8",
    "complex128": "c16", "qint8": "i1", "quint8": "u1", "qint32": "i4", "bfloat16": "u2",
}


def dtype_of(value: Any) -> Optional[str]:
    """A torch dtype global (`torch.float32`) or storage class as an element-type name."""
    if isinstance(value, Global):
        if value.name in STORAGE_DTYPES:
            return STORAGE_DTYPES[value.name]
        return TORCH_DTYPES.get(value.name)
    return None


@dataclass(eq=False)
class TorchStorage:
    """A flat block of `size` elements; `read(start, count)` returns `count` bytes from byte `start`."""

    dtype: str
    key: str
    size: int
    location: str = ""
    reader: Optional[Callable[[int, int], bytes]] = None
    byteorder: str = "little"

    @property
    def itemsize(self) -> int:
        return max(1, int(DTYPE_ITEMSIZE.get(self.dtype, 1)))

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    def read(self, start: int, count: int) -> bytes:
        if self.reader is None:
            raise PickleError(f"storage '{self.key}' is missing from the file or shorter than {self.size} elements")
        if start < 0 or count < 0 or start + count > self.nbytes:
            raise PickleError(f"bytes {start}..{start + count} lie outside storage '{self.key}' ({self.nbytes})")
        return self.reader(start, count)


@dataclass(eq=False)
class TorchTensor:
    """A pickled tensor: where its elements lie in a storage, never its values."""

    storage: Optional[TorchStorage]
    dtype: Optional[str]
    shape: Tuple[int, ...]
    stride: Tuple[int, ...] = ()
    offset: int = 0
    requires_grad: bool = False
    parameter: bool = False
    quantization: Optional[dict] = None
    array: Optional[NumpyArray] = None  # tensors pickled as numpy arrays (device tensors)
    pickle_state: Any = None

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    def load(self) -> Any:
        """The values as a numpy array (a copy), checked against the storage bounds."""
        import numpy

        if self.array is not None:
            return self.array.to_numpy()
        if self.storage is None:
            raise PickleError("tensor has no storage (a meta tensor)")
        if self.numel == 0:
            return numpy.zeros(self.shape, dtype=numpy.uint8)
        stride = self.stride or _contiguous_strides(self.shape)
        if len(stride) != len(self.shape) or any(s < 0 for s in stride):
            raise PickleError("tensor strides do not match its shape")
        extent = 1 + sum((dim - 1) * step for dim, step in zip(self.shape, stride))
        dtype_name = self.dtype or self.storage.dtype
        code = _NUMPY_CODES.get(dtype_name) or ("u1" if dtype_name.startswith("float8") else None)
        if code is None:
            raise PickleError(f"cannot decode {dtype_name} values")
        order = "<" if self.storage.byteorder == "little" else ">"
        element = numpy.dtype(order + code)
        raw = self.storage.read(self.offset * element.itemsize, extent * element.itemsize)
        flat = numpy.frombuffer(raw, dtype=element)
        if dtype_name == "bfloat16":  # the high half of a float32
            flat = (flat.astype(numpy.uint32) << 16).view(numpy.float32)
        itemsize = flat.dtype.itemsize
        view = numpy.lib.stride_tricks.as_strided(flat, shape=self.shape, strides=[s * itemsize for s in stride])
        return numpy.array(view)

    def to_tensor(self, name: str) -> Tensor:
        dtype = self.dtype or (self.storage.dtype if self.storage else None)
        return Tensor(name, dtype, tuple(self.shape), loader=self.load,
                      layout="quantized" if self.quantization else "dense", quantization=self.quantization,
                      location=self.storage.key if self.storage else "")


def _contiguous_strides(shape: Tuple[int, ...]) -> Tuple[int, ...]:
    strides, step = [], 1
    for dim in reversed(shape):
        strides.append(step)
        step *= max(dim, 1)
    return tuple(reversed(strides))


def _ints(value: Any, what: str) -> Tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, int) and v >= 0 for v in value):
        raise PickleError(f"tensor {what} is not a list of sizes")
    return tuple(value)


def _tensor(storage: Any, offset: Any, size: Any, stride: Any, dtype: Optional[str] = None) -> TorchTensor:
    if not isinstance(storage, TorchStorage):
        raise PickleError("tensor refers to something that is not a storage")
    if not isinstance(offset, int) or offset < 0:
        raise PickleError("tensor storage offset is not a size")
    return TorchTensor(storage, dtype or storage.dtype, _ints(size, "shape"), _ints(stride, "strides"), offset)


def _rebuild_tensor(args: tuple) -> TorchTensor:
    return _tensor(*args[:4])


def _rebuild_tensor_v2(args: tuple) -> TorchTensor:
    tensor = _tensor(*args[:4])
    tensor.requires_grad = bool(args[4]) if len(args) > 4 else False
    return tensor


def _rebuild_tensor_v3(args: tuple) -> TorchTensor:
    tensor = _tensor(*args[:4], dtype=dtype_of(args[6]) if len(args) > 6 else None)
    tensor.requires_grad = bool(args[4]) if len(args) > 4 else False
    return tensor


def _rebuild_qtensor(args: tuple) -> TorchTensor:
    tensor = _tensor(*args[:4])
    params = args[4] if len(args) > 4 and isinstance(args[4], tuple) else ()
    scheme = params[0].name if params and isinstance(params[0], Global) else str(params[0]) if params else ""
    quantization: Dict[str, Any] = {"scheme": scheme}
    fields = ("scale", "zero_point", "axis")[:len(params) - 1] if len(params) in (3, 4) else ()
    for name, value in zip(fields, params[1:]):
        # per-channel scales and zero points are tensors of their own
        quantization[name] = value.to_tensor(name) if isinstance(value, TorchTensor) else value
    tensor.quantization = quantization
    return tensor


def _rebuild_parameter(args: tuple) -> Any:
    data = args[0] if args else None
    if isinstance(data, TorchTensor):
        data.parameter = True
        data.requires_grad = bool(args[1]) if len(args) > 1 else True
        if len(args) > 3:
            data.pickle_state = args[3]
    return data


def _rebuild_meta(args: tuple) -> TorchTensor:
    dtype = dtype_of(args[0]) if args else None
    return TorchTensor(None, dtype, _ints(args[1] if len(args) > 1 else (), "shape"))


def _rebuild_from_numpy(args: tuple) -> Any:
    data = args[0] if args else None
    if isinstance(data, NumpyArray):
        return TorchTensor(None, dtype_of(args[1]) if len(args) > 1 else None, data.shape, array=data)
    return data


def _rebuild_from_type(args: tuple) -> Any:
    # _rebuild_from_type(_v2)(func, type, args, state): a tensor subclass around an ordinary rebuild.
    if len(args) >= 3 and isinstance(args[0], Global) and isinstance(args[2], tuple):
        reducer = TORCH_REDUCERS.get((args[0].module, args[0].name))
        if reducer is not None:
            return reducer(args[2])
    return Object(Global("torch._tensor", "_rebuild_from_type_v2"), args)


def _passthrough(args: tuple) -> Any:
    return args[0] if args else None


def _listed(args: tuple) -> Any:
    return list(args[0]) if args and isinstance(args[0], (list, tuple)) else []


TORCH_REDUCERS: Dict[Tuple[str, str], Callable[[tuple], Any]] = {
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_qtensor"): _rebuild_qtensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._utils", "_rebuild_meta_tensor_no_storage"): _rebuild_meta,
    ("torch._utils", "_rebuild_device_tensor_from_numpy"): _rebuild_from_numpy,
    ("torch._utils", "_rebuild_device_tensor_from_cpu_tensor"): _passthrough,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
    ("torch._tensor", "_rebuild_from_type"): _rebuild_from_type,
    ("torch", "Size"): lambda args: tuple(args[0]) if args and isinstance(args[0], (tuple, list)) else (),
    ("torch", "device"): lambda args: ":".join(str(a) for a in args),
    ("torch.serialization", "_get_layout"): _passthrough,
    ("torch.jit._pickle", "build_intlist"): _listed,
    ("torch.jit._pickle", "build_doublelist"): _listed,
    ("torch.jit._pickle", "build_boollist"): _listed,
    ("torch.jit._pickle", "build_tensorlist"): _listed,
    ("torch.jit._pickle", "restore_type_tag"): _passthrough,
}


# --- containers ------------------------------------------------------------------------------------------

@dataclass
class Loaded:
    """What a torch container held: the unpickled object and facts about the file."""

    root: Any
    container: str  # "zip", "legacy", "tar"
    version: str = ""


def _storage_pid(resolve: Callable[[str, str, str, int], TorchStorage]) -> Callable[[Any], Any]:
    """persistent_load for ('storage', type, key, location, numel[, view]) ids; `resolve` finds the data."""
    views: Dict[Tuple[str, int, int], TorchStorage] = {}

    def load(pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid:
            raise PickleError(f"unexpected persistent id of type {type(pid).__name__}")
        if pid[0] == "module":
            return Object(Global("torch", "module_source"), pid[1:2])
        if pid[0] != "storage" or len(pid) < 5:
            raise PickleError(f"unexpected persistent id '{str(pid[0])[:40]}'")
        dtype = dtype_of(pid[1]) or "uint8"
        key, location, size = str(pid[2]), str(pid[3]), pid[4]
        if not isinstance(size, int) or size < 0:
            raise PickleError(f"storage '{key}' has no valid size")
        storage = resolve(dtype, key, location, size)
        view = pid[5] if len(pid) > 5 else None
        if isinstance(view, tuple) and len(view) == 3:
            _, start, count = view
            if not (isinstance(start, int) and isinstance(count, int) and 0 <= start and start + count <= size):
                raise PickleError(f"storage view of '{key}' lies outside it")
            if (key, start, count) not in views:
                views[(key, start, count)] = TorchStorage(
                    dtype, f"{key}[{start}:{start + count}]", count, location,
                    lambda offset, length, s=storage, b=start * storage.itemsize: s.reader(b + offset, length),
                    storage.byteorder)
            return views[(key, start, count)]
        return storage
    return load


def load_zip(path: Path, zip_file: Any, root: str, pickle_name: str = "data.pkl", folder: str = "data") -> Loaded:
    """Unpickle `<root>/<pickle_name>` of a torch zip with storages from `<root>/<folder>/<key>`."""
    members = archive.zip_members(zip_file)
    prefix = f"{root}/" if root else ""
    byteorder = "little"
    if f"{prefix}byteorder" in members:
        byteorder = archive.read_member(zip_file, members[f"{prefix}byteorder"], 16).decode("ascii", "replace")
    version = ""
    if f"{prefix}version" in members:
        version = archive.read_member(zip_file, members[f"{prefix}version"], 64).decode("ascii", "replace").strip()
    storages: Dict[str, TorchStorage] = {}

    def resolve(dtype: str, key: str, location: str, size: int) -> TorchStorage:
        if key in storages:
            return storages[key]
        info = members.get(f"{prefix}{folder}/{key}")
        reader = None
        if info is not None and info.file_size >= size * max(1, int(DTYPE_ITEMSIZE.get(dtype, 1))):
            reader = _zip_reader(path, zip_file, info)
        storages[key] = TorchStorage(dtype, key, size, location, reader, byteorder)
        return storages[key]

    info = members.get(f"{prefix}{pickle_name}")
    if info is None:
        raise PickleError(f"archive has no {prefix}{pickle_name}")
    data = archive.read_member(zip_file, info, MAX_PICKLE_BYTES)
    unpickler = Unpickler(data, reducers=TORCH_REDUCERS, persistent_load=_storage_pid(resolve))
    return Loaded(unpickler.load(), "zip", version)


def _zip_reader(path: Path, zip_file: Any, info: Any) -> Callable[[int, int], bytes]:
    span = archive.member_range(zip_file, info)
    if span is not None:
        base = span[0]
        return lambda offset, size: archive.read_range(path, base + offset, size)

    def read_compressed(offset: int, size: int) -> bytes:
        with archive.open_zip(path) as again:
            return archive.read_member(again, info.filename, info.file_size)[offset:offset + size]
    return read_compressed


def _file_reader(path: Path, base: int) -> Callable[[int, int], bytes]:
    return lambda offset, size: archive.read_range(path, base + offset, size)


def _mapped(path: Path) -> Tuple[Any, memoryview]:
    stream = open(path, "rb")
    try:
        mapping = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    finally:
        stream.close()
    return mapping, memoryview(mapping)


def load_legacy(path: Path) -> Loaded:
    """A pre-1.6 `torch.save` stream: pickles, then the raw storages located by their count headers."""
    mapping, view = _mapped(path)
    try:
        return _load_legacy(path, view)
    finally:
        view.release()
        mapping.close()


def _load_legacy(path: Path, view: memoryview) -> Loaded:
    first = Unpickler(view)
    if first.load() != LEGACY_MAGIC:
        raise PickleError("not a legacy torch file (wrong magic number)")
    second = Unpickler(view, first.position)
    protocol = second.load()
    third = Unpickler(view, second.position)
    sys_info = third.load()
    little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
    storages: Dict[str, TorchStorage] = {}

    def resolve(dtype: str, key: str, location: str, size: int) -> TorchStorage:
        if key not in storages:
            storages[key] = TorchStorage(dtype, key, size, location, None, "little" if little else "big")
        return storages[key]

    body = Unpickler(view, third.position, reducers=TORCH_REDUCERS, persistent_load=_storage_pid(resolve))
    root = body.load()
    keys_pickle = Unpickler(view, body.position)
    keys = keys_pickle.load()
    if not isinstance(keys, list):
        raise PickleError("legacy storage key list is missing")
    offset, end = keys_pickle.position, len(view)
    for key in keys:
        storage = storages.get(str(key))
        if storage is None:
            raise PickleError(f"storage key '{key}' names no storage of the object")
        if offset + 8 > end:
            raise PickleError(f"storage '{key}' lies beyond the end of the file")
        count = struct.unpack_from("<q" if little else ">q", view, offset)[0]
        if count != storage.size or offset + 8 + count * storage.itemsize > end:
            raise PickleError(f"storage '{key}' declares {count} elements where {storage.size} were expected")
        storage.reader = _file_reader(path, offset + 8)
        offset += 8 + count * storage.itemsize
    return Loaded(root, "legacy", f"protocol {protocol}")


def load_tar(path: Path) -> Loaded:
    """The oldest `torch.save` format: a tar with `storages`, `tensors` and `pickle` members."""
    try:
        with tarfile.open(str(path), mode="r:") as tar:
            members = archive.tar_members(tar)
            for name in ("storages", "tensors", "pickle"):
                if name not in members:
                    raise PickleError(f"legacy torch tar has no '{name}' member")
            spans = {name: (members[name].offset_data, members[name].size) for name in ("storages", "tensors")}
            pickle_bytes = archive.read_tar_member(tar, "pickle", MAX_PICKLE_BYTES)
    except tarfile.TarError as error:
        raise archive.ArchiveError(f"damaged tar archive ({error})") from error
    mapping, view = _mapped(path)
    try:
        objects = _tar_objects(path, view, spans)
    finally:
        view.release()
        mapping.close()

    def persistent(pid: Any) -> Any:
        if isinstance(pid, tuple):
            return Object(Global("torch", "module_source"), pid[:1])
        key = str(pid)
        if key not in objects:
            raise PickleError(f"persistent id '{key}' names no tensor of the file")
        return objects[key]
    unpickler = Unpickler(pickle_bytes, reducers=TORCH_REDUCERS, persistent_load=persistent)
    return Loaded(unpickler.load(), "tar", "legacy tar")


def _tar_member(view: memoryview, spans: Dict[str, Tuple[int, int]], name: str) -> Tuple[memoryview, int, int]:
    """(the file up to the end of member `name`, its record count, where its first record starts); each of
    the legacy tar's 'storages' and 'tensors' members opens with a pickled count."""
    start, size = spans[name]
    if start + size > len(view):
        raise PickleError(f"'{name}' member runs past the end of the file")
    part = view[:start + size]
    reader = Unpickler(part, start)
    count = reader.load()
    if not isinstance(count, int) or count < 0 or count > size:
        raise PickleError(f"'{name}' member declares an impossible count")
    return part, count, reader.position


def _tar_objects(path: Path, view: memoryview, spans: Dict[str, Tuple[int, int]]) -> Dict[str, Any]:
    objects: Dict[str, Any] = {}
    part, count, position = _tar_member(view, spans, "storages")
    for _ in range(count):
        entry = Unpickler(part, position)
        key, location, storage_type = entry.load()
        dtype = dtype_of(storage_type) or "uint8"
        position = entry.position
        if position + 8 > len(part):
            raise PickleError(f"storage '{key}' is truncated")
        elements = struct.unpack_from("<q", part, position)[0]
        itemsize = max(1, int(DTYPE_ITEMSIZE.get(dtype, 1)))
        if elements < 0 or position + 8 + elements * itemsize > len(part):
            raise PickleError(f"storage '{key}' declares more bytes than the member holds")
        objects[str(key)] = TorchStorage(dtype, str(key), elements, str(location), _file_reader(path, position + 8))
        position += 8 + elements * itemsize
    views = Unpickler(part, position).load()
    for target, root, offset, numel in views if isinstance(views, list) else ():
        base = objects.get(str(root))
        if not isinstance(base, TorchStorage) or offset < 0 or offset + numel > base.size:
            raise PickleError(f"storage view '{target}' lies outside storage '{root}'")
        objects[str(target)] = TorchStorage(
            base.dtype, str(target), numel, base.location,
            lambda o, n, b=base, skip=offset * base.itemsize: b.reader(skip + o, n))
    part, count, position = _tar_member(view, spans, "tensors")
    for _ in range(count):
        entry = Unpickler(part, position)
        key, storage_key, _ = entry.load()
        position = entry.position
        ndim = struct.unpack_from("<i", part, position)[0]
        if ndim < 0 or position + 8 + 16 * ndim + 8 > len(part):
            raise PickleError(f"tensor '{key}' header is truncated")
        shape = struct.unpack_from(f"<{ndim}q", part, position + 8)
        stride = struct.unpack_from(f"<{ndim}q", part, position + 8 + 8 * ndim)
        offset = struct.unpack_from("<q", part, position + 8 + 16 * ndim)[0]
        position += 16 + 16 * ndim
        objects[str(key)] = _tensor(objects.get(str(storage_key)), offset, shape, stride)
    return objects


def load_any(path: Path, header: bytes) -> Loaded:
    """Open whichever torch container `path` is."""
    if archive.is_zip(header):
        with archive.open_zip(path) as zip_file:
            names = list(archive.zip_members(zip_file))
            pickles = [name for name in names if name.endswith("data.pkl") and name.count("/") <= 1]
            if not pickles:
                raise PickleError("zip archive holds no data.pkl")
            root = pickles[0].rsplit("/", 1)[0] if "/" in pickles[0] else ""
            return load_zip(path, zip_file, root)
    if is_tar(header):
        return load_tar(path)
    if is_legacy(header):
        return load_legacy(path)
    return load_pickle(path)


def load_pickle(path: Path) -> Loaded:
    """A plain pickle file (no torch container): inert objects, torch tensors only as descriptions."""
    mapping, view = _mapped(path)
    try:
        unpickler = Unpickler(view, reducers=TORCH_REDUCERS)
        root = unpickler.load()
        return Loaded(root, "pickle", f"protocol {unpickler.protocol}")
    finally:
        view.release()
        mapping.close()


def is_tar(header: bytes) -> bool:
    return len(header) >= 262 and header[257:262] == b"ustar"


def is_legacy(header: bytes) -> bool:
    """A pickle whose first object is the legacy torch magic number (LONG1 of 10 bytes)."""
    return header[:2] == b"\x80\x02" and header[2:4] == b"\x8a\x0a" and \
        int.from_bytes(header[4:14], "little") == LEGACY_MAGIC

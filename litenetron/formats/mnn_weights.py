"""MNN weights: lazy tensors over the vectors of parameter tables, `Blob`s, fp16 / int8-compressed convolution
weights (`IDSTQuan`, decoded by mnn_idst.py) and the external `.weight` file.

Nothing is read when a model opens: each Tensor records where its values are (a vector of the FlatBuffer, left
in place by the codec, or an offset range of the external file) and decodes them with numpy when asked.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from ..codecs.binary import NUMPY_DTYPES
from ..codecs.flatbuffers import Table, VectorRef
from ..model import DTYPE_ITEMSIZE, ModelError, Tensor
from . import mnn_idst
from .schemas.tensorflow import DTYPES

# Float vectors of parameter tables that hold weights (everything else is an attribute).
WEIGHT_FIELDS = {
    "Convolution2D": ("weight", "bias"), "Convolution3D": ("weight", "bias"), "InnerProduct": ("weight", "bias"),
    "MatMul": ("weight", "bias"), "BatchNorm": ("slopeData", "meanData", "varData", "biasData", "Adata", "Bdata"),
    "Scale": ("scaleData", "biasData"), "LayerNorm": ("gamma", "beta"), "GroupNorm": ("gamma", "beta"),
    "PRelu": ("slope",), "Normalize": ("scale",),
}
# Parameter tables whose `Blob` fields are weights.
BLOB_FIELDS = {"LSTM": ("weightI", "weightH", "bias", "weightIQ", "weightIA"),
               "Proposal": ("ratios", "scales", "anchors")}
_BLOB_VECTORS = (("float32s", "float32"), ("int32s", "int32"), ("int64s", "int64"), ("uint8s", "uint8"),
                 ("int8s", "int8"))
# IDSTQuan.type: 3 stores the weights as IEEE half floats; the others are MNN's int8 codings.
_IDST_FP16 = 3
_IDST_KINDS = {1: "int8 indexed", 2: "int8 sparse", 3: "float16", 4: "int8 weight-only"}


class WeightSource:
    """Where weights outside the FlatBuffer live: `<model>.weight` beside the model (MNN's external data)."""

    def __init__(self, path: Path):
        self.path = path
        candidate = path.with_name(path.name + ".weight")
        self.external: Optional[Path] = candidate if candidate.is_file() else None

    def loader(self, owner: str, offset: int, size: int, dtype: str, shape: Tuple[int, ...]) -> Callable:
        external = self.external

        def load():
            import numpy as np

            if external is None:
                raise ModelError(owner, f"the values are in the external file {self.path.name}.weight, "
                                        "which is not beside the model")
            if offset + size > external.stat().st_size:
                raise ModelError(owner, f"{external.name} ends before the {size} bytes at offset {offset}")
            with external.open("rb") as stream:
                stream.seek(offset)
                data = stream.read(size)
            if len(data) != size:
                raise ModelError(owner, f"{external.name} ends before the {size} bytes at offset {offset}")
            return _shaped(np.frombuffer(data, dtype=NUMPY_DTYPES[dtype]), shape)

        return load


def _shaped(array, shape: Tuple[int, ...]):
    return array.reshape(shape) if math.prod(shape) == array.size else array


def _fit(count: int, shape: Optional[Tuple[int, ...]]) -> Tuple[int, ...]:
    """The layout shape when it holds exactly `count` elements, else a flat vector."""
    return shape if shape is not None and math.prod(shape) == count else (count,)


def _vector_loader(vector, dtype: str, shape: Tuple[int, ...], raw_dtype: Optional[str] = None) -> Callable:
    """Values of a vector field; `raw_dtype` reinterprets its bytes (e.g. fp16 stored in a byte vector)."""

    def load():
        import numpy as np

        if isinstance(vector, VectorRef):
            array = np.frombuffer(vector.tobytes(), dtype=NUMPY_DTYPES[raw_dtype]) if raw_dtype else vector.array()
        else:
            array = np.asarray(vector, dtype=NUMPY_DTYPES[dtype])
            if raw_dtype:
                array = array.view(NUMPY_DTYPES[raw_dtype])
        return _shaped(array, shape)

    return load


def _vector_tensor(name: str, vector, dtype: str, shape: Optional[Tuple[int, ...]]) -> Tensor:
    shape = _fit(len(vector), shape)
    return Tensor(name, dtype, shape, loader=_vector_loader(vector, dtype, shape), location="inline")


def _external(parameter: Table) -> List[int]:
    vector = parameter.get("external")
    if not vector:
        return []
    values = vector.tolist() if isinstance(vector, VectorRef) else list(vector)
    if any(value < 0 for value in values):
        raise ModelError(parameter.type_name, f"external data range {values} has a negative entry")
    return values


def _conv_shape(parameter: Table) -> Optional[Tuple[int, ...]]:
    common = parameter.get("common")
    if common is None or parameter.type_name != "Convolution2D":
        return None
    group = max(common.group, 1)
    if common.outputCount <= 0 or common.inputCount <= 0 or common.inputCount % group:
        return None
    return (common.outputCount, common.inputCount // group, common.kernelY, common.kernelX)


def _quantized(name: str, quan: Table, shape: Optional[Tuple[int, ...]], fallback: int) -> Tensor:
    """Convolution / InnerProduct weights in an IDSTQuan: fp16 as stored, int8 codings de-quantized."""
    buffer = quan.buffer or []
    if quan.type == _IDST_FP16:
        count = len(buffer) // 2
        shape = _fit(count, shape)
        return Tensor(name, "float16", shape, loader=_vector_loader(buffer, "int8", shape, raw_dtype="float16"),
                      location="inline")
    count = math.prod(shape) if shape is not None else (quan.weightSize or fallback)
    shape = _fit(count, shape)
    kind = _IDST_KINDS.get(quan.type, f"IDST type {quan.type}")
    scales = len(quan.alpha or quan.alphaFp16 or [])
    asymmetric = quan.readType != 0
    info = {"type": kind, "bits": quan.aMaxOrBits, "scales": scales, "asymmetric": asymmetric,
            "text": f"{kind}, {quan.aMaxOrBits} bits, {'(min, scale)' if asymmetric else 'scale'} per channel"}
    return Tensor(name, "float32", shape, loader=lambda: mnn_idst.decode(name, quan, shape), layout="quantized",
                  quantization=info, location="inline")


def table_weights(owner: str, parameter: Table, source: WeightSource, path: Path) -> List[Tuple[str, Tensor]]:
    """(label, Tensor) for every weight a parameter table holds."""
    kind = parameter.type_name
    weights: List[Tuple[str, Tensor]] = []
    shape = _conv_shape(parameter)
    if kind == "InnerProduct" and parameter.outputCount > 0 and parameter.weightSize % parameter.outputCount == 0:
        shape = (parameter.outputCount, parameter.weightSize // parameter.outputCount)
    fields = WEIGHT_FIELDS.get(kind, ())
    external = _external(parameter) if fields else []
    position = external[0] if external else 0
    for index, field in enumerate(fields):
        vector = parameter.get(field)
        name = f"{owner}/{field}"
        field_shape = shape if index == 0 else None
        if vector:
            weights.append((field, _vector_tensor(name, vector, "float32", field_shape)))
        elif index == 0 and parameter.get("quanParameter") is not None:
            fallback = parameter.get("weightSize") or 0
            weights.append((field, _quantized(name, parameter.quanParameter, shape, fallback)))
            if len(external) > 1:
                position += external[1]
        elif 1 + index < len(external) and external[1 + index]:
            size = external[1 + index]
            field_shape = _fit(size // 4, field_shape)
            loader = source.loader(name, position, size, "float32", field_shape)
            weights.append((field, Tensor(name, "float32", field_shape, loader=loader,
                                          location=f"{path.name}.weight")))
            position += size
    symmetric = parameter.get("symmetricQuan")
    if isinstance(symmetric, Table):
        for field, dtype in (("weight", "int8"), ("bias", "int32")):
            vector = symmetric.get(field)
            if vector:
                weights.append((field, _vector_tensor(f"{owner}/{field}", vector, dtype,
                                                      shape if field == "weight" else None)))
    for field in BLOB_FIELDS.get(kind, ()):
        blob = parameter.get(field)
        if isinstance(blob, Table):
            weights.append((field, blob_tensor(f"{owner}/{field}", blob, source, path)))
    return weights


def blob_tensor(name: str, blob: Table, source: WeightSource, path: Path) -> Tensor:
    """A Const `Blob`: dims, data type and the vector that holds its values (or its external range)."""
    dims = blob.dims.tolist() if isinstance(blob.dims, VectorRef) else list(blob.dims or [])
    if any(dim < 0 for dim in dims):
        raise ModelError(path, f"constant {name} has a negative dimension {dims}")
    shape = tuple(dims)
    dtype = DTYPES.get(blob.dataType) or "float32"
    count = math.prod(shape)
    if blob.strings:
        strings = list(blob.strings)
        return Tensor(name, "string", shape, loader=lambda: _strings(strings, shape), location="inline")
    for field, native in _BLOB_VECTORS:
        vector = blob.get(field)
        if vector:
            # Types without a vector of their own (fp16, int16…) keep their bytes in a byte vector.
            itemsize = DTYPE_ITEMSIZE.get(dtype)
            raw = dtype if dtype != native and dtype in NUMPY_DTYPES and itemsize and \
                len(vector) * DTYPE_ITEMSIZE[native] == count * itemsize else None
            return Tensor(name, raw or native, shape, loader=_vector_loader(vector, native, shape, raw_dtype=raw),
                          location="inline")
    external = _external(blob)
    if len(external) >= 2 and dtype in NUMPY_DTYPES:
        return Tensor(name, dtype, shape, loader=source.loader(name, external[0], external[1], dtype, shape),
                      location=f"{path.name}.weight")
    return Tensor(name, dtype, shape, loader=None, location="")


def _strings(strings: List[str], shape: Tuple[int, ...]):
    import numpy as np

    return _shaped(np.array(strings, dtype=object), shape)

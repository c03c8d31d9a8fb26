"""A tiny PaddlePaddle ProgramDesc / LoDTensor encoder for test fixtures (paddlepaddle is not installed here).

Writes the protobuf wire format by hand from framework.proto's field numbers, and saved tensors as Paddle
does: u32 version, u64 LoD level count, u32 tensor version, i32 TensorDesc size + TensorDesc, raw data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from litenetron.codecs.protobuf import encode_varint

FP32, INT64 = 5, 3
LOD_TENSOR, FEED_MINIBATCH, FETCH_LIST = 7, 9, 10


def key(number: int, wire: int) -> bytes:
    return encode_varint(number << 3 | wire)


def int_field(number: int, value: int) -> bytes:
    return key(number, 0) + encode_varint(value)


def bytes_field(number: int, payload: bytes) -> bytes:
    return key(number, 2) + encode_varint(len(payload)) + payload


def str_field(number: int, text: str) -> bytes:
    return bytes_field(number, text.encode())


def tensor_desc(dtype: int, dims: Optional[Sequence[int]]) -> bytes:
    body = int_field(1, dtype)
    for dim in dims or ():
        body += int_field(2, dim)
    return body


def var_desc(name: str, dims: Optional[Sequence[int]], persistable: bool = False, kind: int = LOD_TENSOR,
             dtype: int = FP32) -> bytes:
    var_type = int_field(1, kind)
    if kind == LOD_TENSOR:
        var_type += bytes_field(3, bytes_field(1, tensor_desc(dtype, dims)))
    return str_field(1, name) + bytes_field(2, var_type) + int_field(3, int(persistable))


def attr(name: str, value) -> bytes:
    """An OpDesc.Attr; the Python type picks the AttrType (tuples tag the rarer kinds)."""
    body = str_field(1, name)
    if isinstance(value, tuple) and value[0] == "longs":
        return body + int_field(2, 11) + b"".join(int_field(15, v) for v in value[1])
    if isinstance(value, tuple) and value[0] == "float64s":
        return body + int_field(2, 12) + b"".join(key(16, 1) + struct.pack("<d", v) for v in value[1])
    if isinstance(value, tuple) and value[0] == "block":
        return body + int_field(2, 8) + int_field(12, value[1])
    if isinstance(value, tuple) and value[0] == "long":
        return body + int_field(2, 9) + int_field(13, value[1])
    if isinstance(value, tuple) and value[0] == "scalar":
        return body + int_field(2, 16) + bytes_field(20, int_field(1, 3) + key(4, 1) + struct.pack("<d", value[1]))
    if isinstance(value, bool):
        return body + int_field(2, 6) + int_field(10, int(value))
    if isinstance(value, int):
        return body + int_field(2, 0) + int_field(3, value)
    if isinstance(value, float):
        return body + int_field(2, 1) + key(4, 5) + struct.pack("<f", value)
    if isinstance(value, str):
        return body + int_field(2, 2) + str_field(5, value)
    if isinstance(value, list) and value and isinstance(value[0], str):
        return body + int_field(2, 5) + b"".join(str_field(8, v) for v in value)
    if isinstance(value, list) and value and isinstance(value[0], float):
        return body + int_field(2, 4) + b"".join(key(7, 5) + struct.pack("<f", v) for v in value)
    return body + int_field(2, 3) + b"".join(int_field(6, v) for v in value)


@dataclass
class Op:
    type: str
    inputs: Dict[str, List[str]]
    outputs: Dict[str, List[str]]
    attrs: Dict[str, object] = field(default_factory=dict)

    def encode(self) -> bytes:
        body = b""
        for slot, names in sorted(self.inputs.items()):
            body += bytes_field(1, str_field(1, slot) + b"".join(str_field(2, n) for n in names))
        for slot, names in sorted(self.outputs.items()):
            body += bytes_field(2, str_field(1, slot) + b"".join(str_field(2, n) for n in names))
        body += str_field(3, self.type)
        for name, value in sorted(self.attrs.items()):
            body += bytes_field(4, attr(name, value))
        return body


def block(index: int, parent: int, variables: Sequence[bytes], ops: Sequence[Op]) -> bytes:
    body = int_field(1, index) + int_field(2, parent & 0xFFFFFFFFFFFFFFFF)
    body += b"".join(bytes_field(3, var) for var in variables)
    body += b"".join(bytes_field(4, op.encode()) for op in ops)
    return body


def program(blocks: Sequence[bytes], version: int = 2006002) -> bytes:
    return b"".join(bytes_field(1, item) for item in blocks) + bytes_field(4, int_field(1, version))


def lod_tensor(array: np.ndarray) -> bytes:
    desc = tensor_desc(FP32, array.shape)
    return (struct.pack("<IQI", 0, 0, 0) + struct.pack("<i", len(desc)) + desc
            + np.ascontiguousarray(array, dtype="<f4").tobytes())


# --- the seed article's network ------------------------------------------------------------------------

def reference_network(size: int = 448, widths: Tuple[int, int] = (32, 64), shapes: bool = True,
                      seed: int = 0) -> Tuple[bytes, Dict[str, np.ndarray]]:
    """The walkthrough's conv/bn/relu ×2 → pool → residual block, and its weights by variable name.

    With `shapes=False` only the input, weights and output keep dims: every other shape must be inferred.
    """
    first, second = widths
    rng = np.random.default_rng(seed)
    weights: Dict[str, np.ndarray] = {}
    variables: List[bytes] = [var_desc("feed", None, True, FEED_MINIBATCH), var_desc("fetch", None, True, FETCH_LIST),
                              var_desc("image", [-1, 3, size, size])]
    ops: List[Op] = [Op("feed", {"X": ["feed"]}, {"Out": ["image"]}, {"col": 0})]
    half, quarter = size // 2, size // 4

    def tensor(name: str, dims: Sequence[int]) -> str:
        weights[name] = rng.standard_normal(dims).astype(np.float32)
        variables.append(var_desc(name, dims, persistable=True))
        return name

    def temp(name: str, dims: Sequence[int]) -> str:
        variables.append(var_desc(name, dims if shapes else None))
        return name

    def conv(prefix: str, x: str, cin: int, cout: int, kernel: int, stride: int, pad: int, out: int) -> str:
        w = tensor(f"{prefix}.w_0", [cout, cin, kernel, kernel])
        y = temp(f"{prefix}.tmp_0", [-1, cout, out, out])
        ops.append(Op("conv2d", {"Input": [x], "Filter": [w]}, {"Output": [y]}, {
            "strides": [stride, stride], "paddings": [pad, pad], "dilations": [1, 1], "groups": 1,
            "data_format": "NCHW", "padding_algorithm": "EXPLICIT", "op_role": 0}))
        return y

    def bn(prefix: str, x: str, channels: int, out: int) -> str:
        scale, bias = tensor(f"{prefix}.w_0", [channels]), tensor(f"{prefix}.b_0", [channels])
        mean, variance = tensor(f"{prefix}.w_1", [channels]), tensor(f"{prefix}.w_2", [channels])
        y = temp(f"{prefix}.tmp_2", [-1, channels, out, out])
        saved_mean, saved_variance = temp(f"{prefix}.tmp_0", [channels]), temp(f"{prefix}.tmp_1", [channels])
        ops.append(Op("batch_norm", {"X": [x], "Scale": [scale], "Bias": [bias], "Mean": [mean],
                                     "Variance": [variance], "MomentumTensor": []},
                      {"Y": [y], "MeanOut": [mean], "VarianceOut": [variance], "SavedMean": [saved_mean],
                       "SavedVariance": [saved_variance]},
                      {"epsilon": 1e-5, "momentum": 0.9, "is_test": True, "data_layout": "NCHW"}))
        return y

    def relu(name: str, x: str, channels: int, out: int) -> str:
        y = temp(name, [-1, channels, out, out])
        ops.append(Op("relu", {"X": [x]}, {"Out": [y]}))
        return y

    x = relu("relu_0.tmp_0", bn("bn1", conv("conv1", "image", 3, first, 3, 2, 1, half), first, half), first, half)
    x = relu("relu_1.tmp_0", bn("bn2", conv("conv2", x, first, second, 3, 1, 1, half), second, half), second, half)
    pooled = temp("pool2d_0.tmp_0", [-1, second, quarter, quarter])
    ops.append(Op("pool2d", {"X": [x]}, {"Out": [pooled]}, {
        "ksize": [2, 2], "strides": [2, 2], "paddings": [0, 0], "pooling_type": "max", "global_pooling": False,
        "adaptive": False, "ceil_mode": False, "exclusive": True, "data_format": "NCHW",
        "padding_algorithm": "EXPLICIT"}))
    branch = relu("relu_2.tmp_0", bn("bn3", conv("conv3", pooled, second, second, 1, 1, 0, quarter), second,
                                     quarter), second, quarter)
    branch = bn("bn4", conv("conv4", branch, second, second, 3, 1, 1, quarter), second, quarter)
    added = temp("elementwise_add_0", [-1, second, quarter, quarter])
    ops.append(Op("elementwise_add", {"X": [branch], "Y": [pooled]}, {"Out": [added]}, {"axis": -1}))
    variables.append(var_desc("relu_3.tmp_0", [-1, second, quarter, quarter]))
    ops.append(Op("relu", {"X": [added]}, {"Out": ["relu_3.tmp_0"]}))
    ops.append(Op("fetch", {"X": ["relu_3.tmp_0"]}, {"Out": ["fetch"]}, {"col": 0}))
    return program([block(0, -1, variables, ops)]), weights


def pdiparams(weights: Dict[str, np.ndarray]) -> bytes:
    """A combined weights file: every persistable tensor in sorted-name order."""
    return b"".join(lod_tensor(weights[name]) for name in sorted(weights))


# --- Paddle 3 PIR JSON programs ------------------------------------------------------------------------

def _pir_type(dims: Sequence[int], element: str = "0.t_f32") -> dict:
    return {"#": "0.t_dtensor", "D": [{"#": element}, list(dims), "NCHW", [], 0]}


def _pir_attr(name: str, kind: str, data) -> dict:
    return {"N": name, "AT": {"#": kind, "D": data}}


def reference_pir(size: int = 448, widths: Tuple[int, int] = (32, 64),
                  seed: int = 0) -> Tuple[dict, Dict[str, np.ndarray]]:
    """The walkthrough's network as a PIR JSON program (compressed parameter ops), and its weights."""
    first, second = widths
    rng = np.random.default_rng(seed)
    weights: Dict[str, np.ndarray] = {}
    ops: List[dict] = []
    counter = [0]

    def new_value(dims: Sequence[int]) -> dict:
        counter[0] += 1
        return {"%": counter[0], "TT": _pir_type(dims)}

    def parameter(name: str, dims: Sequence[int]) -> int:
        weights[name] = rng.standard_normal(dims).astype(np.float32)
        value = new_value(dims)
        ops.append({"#": "p", "A": [0, 1, 1, name], "O": value, "OA": [1, 0, 1]})
        return value["%"]

    def op(name: str, inputs: Sequence[int], out_dims: Sequence[int], attrs: Sequence[dict] = ()) -> int:
        value = new_value(out_dims)
        ops.append({"#": name, "I": [{"%": i} for i in inputs], "O": [value], "A": list(attrs)})
        return value["%"]

    def conv(prefix: str, x: int, cin: int, cout: int, kernel: int, stride: int, pad: int, out: int) -> int:
        w = parameter(f"{prefix}.w_0", [cout, cin, kernel, kernel])
        return op("1.conv2d", [x, w], [-1, cout, out, out], [
            _pir_attr("strides", "0.a_array", [{"#": "0.a_i32", "D": stride}] * 2),
            _pir_attr("paddings", "0.a_array", [{"#": "0.a_i32", "D": pad}] * 2),
            _pir_attr("data_format", "0.a_str", "NCHW")])

    def bn(prefix: str, x: int, channels: int, out: int) -> int:
        mean, variance = parameter(f"{prefix}.w_1", [channels]), parameter(f"{prefix}.w_2", [channels])
        scale, bias = parameter(f"{prefix}.w_0", [channels]), parameter(f"{prefix}.b_0", [channels])
        return op("1.batch_norm_", [x, mean, variance, scale, bias], [-1, channels, out, out],
                  [_pir_attr("epsilon", "0.a_f32", 1e-5), _pir_attr("is_test", "0.a_bool", True)])

    half, quarter = size // 2, size // 4
    image = new_value([-1, 3, size, size])
    ops.append({"#": "1.data", "I": [], "O": [image], "A": [
        _pir_attr("name", "0.a_str", "image"), _pir_attr("shape", "1.a_intarray", [-1, 3, size, size]),
        _pir_attr("dtype", "1.a_dtype", "float32")]})
    x = op("1.relu", [bn("bn1", conv("conv1", image["%"], 3, first, 3, 2, 1, half), first, half)],
           [-1, first, half, half])
    x = op("1.relu", [bn("bn2", conv("conv2", x, first, second, 3, 1, 1, half), second, half)],
           [-1, second, half, half])
    kernel = op("1.full_int_array", [], [2], [_pir_attr("value", "0.a_array", [{"#": "0.a_i64", "D": 2}] * 2)])
    pooled = op("1.pool2d", [x, kernel], [-1, second, quarter, quarter], [
        _pir_attr("pooling_type", "0.a_str", "max"),
        _pir_attr("strides", "0.a_array", [{"#": "0.a_i32", "D": 2}] * 2)])
    branch = op("1.relu", [bn("bn3", conv("conv3", pooled, second, second, 1, 1, 0, quarter), second, quarter)],
                [-1, second, quarter, quarter])
    branch = bn("bn4", conv("conv4", branch, second, second, 3, 1, 1, quarter), second, quarter)
    out = op("1.relu", [op("1.add", [branch, pooled], [-1, second, quarter, quarter])], [-1, second, quarter, quarter])
    op("1.fetch", [out], [-1, second, quarter, quarter], [_pir_attr("name", "0.a_str", "output"),
                                                          _pir_attr("col", "0.a_i32", 0)])
    program_json = {"base_code": {"magic": "pir", "trainable": False, "version": 1},
                    "program": {"regions": [{"#": "region_0", "blocks": [{"#": "block_0", "args": [], "ops": ops}]}]}}
    return program_json, weights

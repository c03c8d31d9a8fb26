"""Shape inference for the common PaddlePaddle ops, for variables whose VarDesc leaves the shape unknown.

Programs saved by Paddle usually carry every shape; hand-built or pruned ones may not. Each rule takes the
input shapes and attributes of one op and gives its main output's shape; dims may be None (unknown batch).
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..codecs.protobuf import Message
from ..model import Dim, TensorType
from .schemas.paddle import ATTR_FIELDS
from .windows import same_output, window_output

Shape = Tuple[Dim, ...]

# Ops whose main output has the shape of input X.
_SAME_SHAPE = {
    "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "hard_swish", "hard_sigmoid",
    "swish", "silu", "gelu", "elu", "selu", "mish", "softplus", "softsign", "brelu", "prelu", "exp", "log",
    "sqrt", "rsqrt", "abs", "square", "pow", "scale", "clip", "dropout", "batch_norm", "sync_batch_norm",
    "layer_norm", "instance_norm", "group_norm", "lrn", "affine_channel", "cast", "assign", "sign", "floor",
    "ceil", "round", "reciprocal", "logsigmoid", "thresholded_relu", "hardtanh", "fake_quantize_abs_max",
    "quantize_linear", "dequantize_linear", "fake_dequantize_max_abs", "fake_quantize_moving_average_abs_max",
    "fake_channel_wise_dequantize_max_abs", "fake_quantize_range_abs_max",
}
_OUTPUT_SLOTS = ("Out", "Output", "Y")


def _attr(op: Message, name: str, default=None):
    for attr in op.attrs:
        if attr.name == name:
            field = ATTR_FIELDS.get(attr.type)
            return default if field is None else getattr(attr, field)
    return default


def _known(dim: Dim) -> bool:
    return isinstance(dim, int) and dim >= 0


def _window(size: Dim, kernel: int, stride: int, pad: int, dilation: int = 1, ceil: bool = False) -> Dim:
    return window_output(size, kernel, stride, pad, dilation, ceil, clamp_last=False)


def _pads(paddings: Sequence[int], rank: int) -> List[int]:
    """Total padding per spatial axis: `[p0, p1]` pads both sides; `[p0b, p0e, p1b, p1e]` each side."""
    paddings = list(paddings) or [0] * rank
    if len(paddings) == rank:
        return [2 * p for p in paddings]
    if len(paddings) == 2 * rank:
        return [paddings[2 * i] + paddings[2 * i + 1] for i in range(rank)]
    return [0] * rank


def _spatial(op: Message, shape: Shape) -> Tuple[bool, List[Dim]]:
    channel_last = _attr(op, "data_format", "NCHW") in ("NHWC", "NDHWC")
    return channel_last, list(shape[1:-1] if channel_last else shape[2:])


def _assemble(shape: Shape, channel_last: bool, channels: Dim, spatial: List[Dim]) -> Shape:
    if channel_last:
        return (shape[0], *spatial, channels)
    return (shape[0], channels, *spatial)


def _sliding(op: Message, shape: Shape, kernel: List[int], channels: Dim, dilations: List[int],
             ceil: bool = False) -> Optional[Shape]:
    channel_last, sizes = _spatial(op, shape)
    rank = len(sizes)
    if len(kernel) != rank:
        return None
    strides = list(_attr(op, "strides", [1] * rank)) or [1] * rank
    algorithm = _attr(op, "padding_algorithm", "EXPLICIT")
    pads = _pads(_attr(op, "paddings", []), rank)
    out: List[Dim] = []
    for axis in range(rank):
        size, stride = sizes[axis], strides[axis] if axis < len(strides) else 1
        if algorithm == "SAME":
            out.append(same_output(size, stride))
        else:
            pad = 0 if algorithm == "VALID" else pads[axis]
            dilation = dilations[axis] if axis < len(dilations) else 1
            out.append(_window(size, kernel[axis], stride, pad, dilation, ceil))
    return _assemble(shape, channel_last, channels, out)


def _conv(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x, w = shapes.get("Input"), shapes.get("Filter")
    if x is None or w is None or len(x) < 3 or len(w) != len(x):
        return None
    dilations = list(_attr(op, "dilations", [])) or [1] * (len(x) - 2)
    return _sliding(op, x, [d if _known(d) else 1 for d in w[2:]], w[0], dilations)


def _pool(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x = shapes.get("X")
    if x is None or len(x) < 3:
        return None
    channel_last, sizes = _spatial(op, x)
    channels = x[-1] if channel_last else x[1]
    kernel = list(_attr(op, "ksize", []))
    if _attr(op, "global_pooling", False):
        return _assemble(x, channel_last, channels, [1] * len(sizes))
    if _attr(op, "adaptive", False):
        return _assemble(x, channel_last, channels, kernel) if len(kernel) == len(sizes) else None
    return _sliding(op, x, kernel, channels, [1] * len(sizes), ceil=bool(_attr(op, "ceil_mode", False)))


def _broadcast(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x, y = shapes.get("X"), shapes.get("Y")
    if x is None or y is None:
        return x or y
    if len(x) != len(y):
        return x if len(x) > len(y) else y
    return tuple(a if _known(a) and a != 1 else b if _known(b) else a for a, b in zip(x, y))


def _matmul(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x, y = shapes.get("X"), shapes.get("Y")
    if x is None or y is None or len(x) < 2 or len(y) < 2:
        return None
    if _attr(op, "trans_x", False) or _attr(op, "transpose_X", False):
        x = (*x[:-2], x[-1], x[-2])
    if _attr(op, "trans_y", False) or _attr(op, "transpose_Y", False):
        y = (*y[:-2], y[-1], y[-2])
    batch = x[:-2] if len(x) >= len(y) else y[:-2]
    return (*batch, x[-2], y[-1])


def _mul(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x, y = shapes.get("X"), shapes.get("Y")
    if x is None or y is None:
        return None
    return (*x[:_attr(op, "x_num_col_dims", 1)], *y[_attr(op, "y_num_col_dims", 1):])


def _fc(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x, w = shapes.get("Input"), shapes.get("W")
    if x is None or w is None or len(w) != 2:
        return None
    return (*x[:_attr(op, "in_num_col_dims", 1)], w[1])


def _concat(op: Message, shapes: Dict[str, Shape], all_inputs: List[Optional[Shape]]) -> Optional[Shape]:
    if not all_inputs or any(shape is None for shape in all_inputs):
        return None
    first = all_inputs[0]
    axis = _attr(op, "axis", 0)
    axis = axis + len(first) if axis < 0 else axis
    if not 0 <= axis < len(first) or any(len(shape) != len(first) for shape in all_inputs):
        return None
    sizes = [shape[axis] for shape in all_inputs]
    total = sum(sizes) if all(_known(size) for size in sizes) else None
    return (*first[:axis], total, *first[axis + 1:])


def _reshape(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x = shapes.get("X")
    target = list(_attr(op, "shape", []))
    if not target:
        return None
    out: List[Dim] = [x[i] if d == 0 and x is not None and i < len(x) else d for i, d in enumerate(target)]
    if -1 in out:
        rest = [d for d in out if d != -1]
        total = math.prod(x) if x is not None and all(_known(d) for d in x) else None
        known = all(_known(d) for d in rest)
        out[out.index(-1)] = total // math.prod(rest) if total is not None and known and math.prod(rest) else None
    return tuple(d if d is None or d >= 0 else None for d in out)


def _flatten(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x = shapes.get("X")
    if x is None:
        return None
    start, stop = _attr(op, "start_axis", 1), _attr(op, "stop_axis", -1)
    start, stop = start % max(len(x), 1), stop % max(len(x), 1)
    middle = x[start:stop + 1]
    size = math.prod(middle) if all(_known(d) for d in middle) else None
    return (*x[:start], size, *x[stop + 1:])


def _transpose(op: Message, shapes: Dict[str, Shape]) -> Optional[Shape]:
    x, axes = shapes.get("X"), list(_attr(op, "axis", []))
    if x is None or sorted(axes) != list(range(len(x))):
        return None
    return tuple(x[axis] for axis in axes)


_RULES: Dict[str, Callable] = {
    "conv2d": _conv, "depthwise_conv2d": _conv, "conv3d": _conv, "conv2d_fusion": _conv,
    "pool2d": _pool, "pool3d": _pool, "matmul": _matmul, "matmul_v2": _matmul, "mul": _mul, "fc": _fc,
    "reshape2": _reshape, "reshape": _reshape, "flatten_contiguous_range": _flatten, "transpose2": _transpose,
    "transpose": _transpose,
}


def infer_shapes(ops: List[Message], types: Dict[str, Optional[TensorType]]) -> None:
    """Fill in `types[name]` (in place) for op outputs whose shape the program does not declare."""
    for op in ops:
        targets = [name for slot in op.outputs if slot.parameter in _OUTPUT_SLOTS for name in slot.arguments[:1]]
        if not targets:
            continue
        current = types.get(targets[0])
        if current is not None and current.shape is not None:
            continue
        shapes: Dict[str, Shape] = {}
        dtype = None
        for slot in op.inputs:
            if slot.arguments:
                known = types.get(slot.arguments[0])
                if known is not None and known.shape is not None:
                    shapes[slot.parameter] = known.shape
                dtype = dtype or (known.dtype if known is not None and slot.parameter in ("X", "Input") else None)
        shape = _infer(op, shapes, types)
        if shape is not None:
            types[targets[0]] = TensorType((current.dtype if current else None) or dtype, tuple(shape))


def _infer(op: Message, shapes: Dict[str, Shape], types: Dict[str, Optional[TensorType]]) -> Optional[Shape]:
    kind = op.type
    if kind in _SAME_SHAPE:
        return shapes.get("X")
    if kind.startswith("elementwise_"):
        return _broadcast(op, shapes)
    if kind == "concat":
        names = [name for slot in op.inputs if slot.parameter == "X" for name in slot.arguments]
        found = [types.get(name) for name in names]
        return _concat(op, shapes, [t.shape if t is not None else None for t in found])
    rule = _RULES.get(kind)
    return rule(op, shapes) if rule is not None else None

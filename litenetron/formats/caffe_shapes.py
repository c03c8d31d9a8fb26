"""Output shapes of Caffe layers from their input shapes and parameters (Caffe's own Reshape rules).

`infer(layer_type, layer, input_shapes, top_count)` returns one shape per top, or None when the layer type is
not known or an input shape is missing. Dimensions are ints or None (unknown); layer parameters come from
binary decoding (numbers, schema defaults) or text parsing (symbolic enum names), so both spellings are read.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .windows import transposed_output, window_output

Shape = Tuple[Optional[int], ...]

# Layers whose single output has the shape of their first input.
_SAME_SHAPE = {
    "ReLU", "ReLU6", "PReLU", "ELU", "Sigmoid", "TanH", "AbsVal", "BNLL", "Power", "Exp", "Log", "Threshold",
    "Swish", "Clip", "HardSwish", "Mish", "Softmax", "BatchNorm", "Scale", "Bias", "Dropout", "LRN", "MVN",
    "Normalize", "Eltwise", "ShuffleChannel", "InstanceNorm",
}


def _param(layer, name: str):
    value = layer.get(name) if layer is not None else None
    return value if value is not None else {}


def _list(param, name: str) -> List[int]:
    value = param.get(name)
    if value is None:
        return []
    return [int(item) for item in value] if isinstance(value, (list, tuple)) else [int(value)]


def _spatial(param, name: str, count: int, default: int) -> List[int]:
    """Per-axis values of a convolution setting: `name_h`/`name_w` when given, else the repeated `name`."""
    if count == 2 and (f"{name}_h" in param or f"{name}_w" in param):
        return [int(param.get(f"{name}_h", default)), int(param.get(f"{name}_w", default))]
    values = _list(param, name) or [default]
    return [values[min(index, len(values) - 1)] for index in range(count)]


def _axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


def _conv(layer, shapes: Sequence[Shape], deconvolution: bool) -> List[Shape]:
    param = _param(layer, "convolution_param")
    shape = shapes[0]
    count = len(shape) - 2
    kernel = _spatial(param, "kernel", count, 1) if "kernel_h" in param else _spatial(param, "kernel_size", count, 1)
    pad = _spatial(param, "pad", count, 0)
    stride = _spatial(param, "stride", count, 1)
    dilation = _spatial(param, "dilation", count, 1)
    out: List[Optional[int]] = [shape[0], int(param.get("num_output", 0)) or None]
    for size, k, p, s, d in zip(shape[2:], kernel, pad, stride, dilation):
        if deconvolution:
            out.append(transposed_output(size, k, s, 2 * p, d))
        else:
            out.append(window_output(size, k, s, 2 * p, d))
    return [tuple(out)]


def _pool(layer, shapes: Sequence[Shape]) -> List[Shape]:
    param = _param(layer, "pooling_param")
    shape = shapes[0]
    if len(shape) != 4:
        return [shape]
    if param.get("global_pooling"):
        return [(shape[0], shape[1], 1, 1)]
    kernel = [int(param.get("kernel_h", 0)), int(param.get("kernel_w", 0))] if "kernel_h" in param \
        else [int(param.get("kernel_size", 0))] * 2
    pad = [int(param.get("pad_h", 0)), int(param.get("pad_w", 0))] if "pad_h" in param \
        else [int(param.get("pad", 0))] * 2
    stride = [int(param.get("stride_h", 1)), int(param.get("stride_w", 1))] if "stride_h" in param \
        else [int(param.get("stride", 1))] * 2
    floor = param.get("round_mode") in (1, "FLOOR")
    out: List[Optional[int]] = [shape[0], shape[1]]
    for size, k, p, s in zip(shape[2:], kernel, pad, stride):
        # Caffe's ceil mode: the last window must start inside the image, checked only when padded
        out.append(window_output(size, k, s, 2 * p, ceil=not floor, pad_before=p, clamp_last=bool(p)))
    return [tuple(out)]


def _inner_product(layer, shapes: Sequence[Shape]) -> List[Shape]:
    param = _param(layer, "inner_product_param")
    axis = _axis(int(param.get("axis", 1)), len(shapes[0]))
    return [tuple(shapes[0][:axis]) + (int(param.get("num_output", 0)) or None,)]


def _concat(layer, shapes: Sequence[Shape]) -> List[Shape]:
    param = _param(layer, "concat_param")
    axis = _axis(int(param.get("axis", param.get("concat_dim", 1))), len(shapes[0]))
    sizes = [shape[axis] for shape in shapes]
    total = None if any(size is None for size in sizes) else sum(sizes)
    return [tuple(shapes[0][:axis]) + (total,) + tuple(shapes[0][axis + 1:])]


def _product(dims: Sequence[Optional[int]]) -> Optional[int]:
    return None if any(dim is None for dim in dims) else math.prod(dims)


def _flatten(layer, shapes: Sequence[Shape]) -> List[Shape]:
    param = _param(layer, "flatten_param")
    shape = shapes[0]
    axis = _axis(int(param.get("axis", 1)), len(shape))
    end = _axis(int(param.get("end_axis", -1)), len(shape))
    return [tuple(shape[:axis]) + (_product(shape[axis:end + 1]),) + tuple(shape[end + 1:])]


def _reshape(layer, shapes: Sequence[Shape]) -> List[Shape]:
    param = _param(layer, "reshape_param")
    shape = shapes[0]
    dims = _list(_param(param, "shape"), "dim")
    axis = _axis(int(param.get("axis", 0)), len(shape) + 1)
    num_axes = int(param.get("num_axes", -1))
    end = len(shape) if num_axes == -1 else axis + num_axes
    middle: List[Optional[int]] = [shape[axis + index] if dim == 0 and axis + index < len(shape) else dim
                                   for index, dim in enumerate(dims)]
    if -1 in middle:
        known = _product([dim for dim in middle if dim != -1])
        total = _product(shape[axis:end])
        middle[middle.index(-1)] = total // known if total is not None and known else None
    return [tuple(shape[:axis]) + tuple(middle) + tuple(shape[end:])]


def _crop(layer, shapes: Sequence[Shape]) -> List[Shape]:
    if len(shapes) < 2:
        return [shapes[0]]
    axis = _axis(int(_param(layer, "crop_param").get("axis", 2)), len(shapes[0]))
    return [tuple(shapes[0][:axis]) + tuple(shapes[1][axis:])]


def _slice(layer, shapes: Sequence[Shape], tops: int) -> List[Shape]:
    param = _param(layer, "slice_param")
    shape = shapes[0]
    axis = _axis(int(param.get("axis", param.get("slice_dim", 1))), len(shape))
    size = shape[axis]
    points = _list(param, "slice_point")
    if points:
        bounds = [0] + points + [size]
        sizes = [None if high is None else high - low for low, high in zip(bounds, bounds[1:])]
    else:
        sizes = [None if size is None else size // max(tops, 1)] * tops
    return [tuple(shape[:axis]) + (part,) + tuple(shape[axis + 1:]) for part in sizes[:tops]]


def _permute(layer, shapes: Sequence[Shape]) -> List[Shape]:
    shape = shapes[0]
    order = [axis for axis in _list(_param(layer, "permute_param"), "order") if 0 <= axis < len(shape)]
    order += [axis for axis in range(len(shape)) if axis not in order]
    return [tuple(shape[axis] for axis in order)]


def _tile(layer, shapes: Sequence[Shape]) -> List[Shape]:
    param = _param(layer, "tile_param")
    shape = list(shapes[0])
    axis = _axis(int(param.get("axis", 1)), len(shape))
    tiles = int(param.get("tiles", 1))
    shape[axis] = None if shape[axis] is None else shape[axis] * tiles
    return [tuple(shape)]


def _prior_box(layer, shapes: Sequence[Shape]) -> List[Shape]:
    param = _param(layer, "prior_box_param")
    ratios = [1.0]
    flip = param.get("flip", True)
    for ratio in param.get("aspect_ratio", []) or []:
        if all(abs(ratio - known) > 1e-6 for known in ratios):
            ratios.append(float(ratio))
            if flip and ratio:
                ratios.append(1.0 / ratio)
    priors = len(ratios) * len(param.get("min_size", []) or []) + len(param.get("max_size", []) or [])
    area = _product(shapes[0][2:4]) if len(shapes[0]) >= 4 else None
    return [(1, 2, None if area is None else area * priors * 4)]


_INFER: Dict[str, Callable] = {
    "Convolution": lambda layer, shapes, tops: _conv(layer, shapes, False),
    "DepthwiseConvolution": lambda layer, shapes, tops: _conv(layer, shapes, False),
    "ConvolutionDepthwise": lambda layer, shapes, tops: _conv(layer, shapes, False),
    "Deconvolution": lambda layer, shapes, tops: _conv(layer, shapes, True),
    "Pooling": lambda layer, shapes, tops: _pool(layer, shapes),
    "InnerProduct": lambda layer, shapes, tops: _inner_product(layer, shapes),
    "Concat": lambda layer, shapes, tops: _concat(layer, shapes),
    "Flatten": lambda layer, shapes, tops: _flatten(layer, shapes),
    "Reshape": lambda layer, shapes, tops: _reshape(layer, shapes),
    "Crop": lambda layer, shapes, tops: _crop(layer, shapes),
    "Slice": _slice,
    "Permute": lambda layer, shapes, tops: _permute(layer, shapes),
    "Tile": lambda layer, shapes, tops: _tile(layer, shapes),
    "PriorBox": lambda layer, shapes, tops: _prior_box(layer, shapes),
    "Split": lambda layer, shapes, tops: [shapes[0]] * tops,
}


def input_shapes(layer_type: str, layer) -> Optional[List[Shape]]:
    """Shapes declared by data layers (Input, DummyData, MemoryData), or None."""
    if layer_type == "Input":
        return [tuple(int(dim) for dim in _list(shape, "dim"))
                for shape in _param(layer, "input_param").get("shape", []) or []] or None
    if layer_type == "DummyData":
        return [tuple(int(dim) for dim in _list(shape, "dim"))
                for shape in _param(layer, "dummy_data_param").get("shape", []) or []] or None
    if layer_type == "MemoryData":
        param = _param(layer, "memory_data_param")
        return [tuple(int(param.get(key, 0)) for key in ("batch_size", "channels", "height", "width"))]
    return None


def infer(layer_type: str, layer, shapes: Sequence[Optional[Shape]], tops: int) -> Optional[List[Shape]]:
    """One output shape per top, or None when it cannot be known."""
    if not shapes or any(shape is None for shape in shapes):
        return None
    if layer_type in _SAME_SHAPE:
        return [shapes[0]] * tops
    rule = _INFER.get(layer_type)
    if rule is None:
        return None
    try:
        result = rule(layer, shapes, tops)
    except (IndexError, ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None  # parameters that do not fit the input: leave the shapes unknown
    return result if len(result) == tops else None

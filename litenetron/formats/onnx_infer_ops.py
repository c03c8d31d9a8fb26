"""Shape rules of the standard ONNX operators, for `onnx_infer`: each rule takes a NodeContext and returns one
Value per output it can type (fewer, or None entries, when it cannot). Dimensions are int, symbol (str) or None.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional

BOOL, INT32, INT64, FLOAT = 9, 6, 7, 1
UINT8 = 2


class UnknownShape(Exception):
    """A rule met something it cannot reason about (an input it needs is untyped): outputs stay unknown."""


class Value:
    """What inference knows of one tensor: element type, shape, and its values when small and constant."""

    __slots__ = ("elem", "shape", "const")

    def __init__(self, elem: Optional[int], shape: Optional[tuple], const: Optional[list] = None):
        self.elem, self.shape, self.const = elem, shape, const


def _value(elem, shape, const=None) -> Value:
    return Value(elem, tuple(shape) if shape is not None else None, const)


def _axis(axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise UnknownShape(f"axis {axis} out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def _known(dims) -> bool:
    return dims is not None and all(isinstance(dim, int) for dim in dims)


def _product(dims) -> Optional[int]:
    if not _known(dims):
        return None
    return math.prod(dims)


def _as_dim(item) -> object:
    """A folded shape element as a dimension: negatives and floats are unknown."""
    if isinstance(item, bool):
        return int(item)
    if isinstance(item, int):
        return item if item >= 0 else None
    return item if isinstance(item, str) else None


# --- broadcasting and elementwise ----------------------------------------------------------------------------

def broadcast(shapes: List[Optional[tuple]]) -> Optional[tuple]:
    """Multidirectional (numpy) broadcasting, with onnx's rules for symbols and unknown dimensions."""
    if any(shape is None for shape in shapes):
        return None
    rank = max((len(shape) for shape in shapes), default=0)
    result = []
    for position in range(rank):
        dims = [shape[position - rank + len(shape)] for shape in shapes if position - rank + len(shape) >= 0]
        values = [dim for dim in dims if isinstance(dim, int) and dim != 1]
        if values:
            result.append(values[0])
            continue
        others = [dim for dim in dims if not isinstance(dim, int)]
        if not others:
            result.append(1)
        elif len(set(others)) == 1 and others[0] is not None:
            result.append(others[0])
        else:
            result.append(None)
    return tuple(result)


def _fold_binary(op: str, left: list, right: list) -> Optional[list]:
    if left is None or right is None or not left or not right:
        return None
    if len(left) != len(right) and len(left) != 1 and len(right) != 1:
        return None
    count = max(len(left), len(right))
    pairs = [(left[i if len(left) > 1 else 0], right[i if len(right) > 1 else 0]) for i in range(count)]
    if any(not isinstance(a, (int, float)) or not isinstance(b, (int, float)) for a, b in pairs):
        if op in ("Mul", "Add"):  # a symbol times 1 / plus 0 stays itself
            out = []
            for a, b in pairs:
                if op == "Mul" and (a == 1 or b == 1):
                    out.append(b if a == 1 else a)
                elif op == "Add" and (a == 0 or b == 0):
                    out.append(b if a == 0 else a)
                else:
                    out.append(None)
            return out
        return None
    try:
        if op == "Add":
            return [a + b for a, b in pairs]
        if op == "Sub":
            return [a - b for a, b in pairs]
        if op == "Mul":
            return [a * b for a, b in pairs]
        if op == "Div":
            return [(a // b if isinstance(a, int) and isinstance(b, int) else a / b) for a, b in pairs]
        if op == "Mod" and all(isinstance(a, int) and isinstance(b, int) for a, b in pairs):
            return [a % b for a, b in pairs]  # fmod=0 on integers: the sign of the divisor, as Python's %
        if op == "Equal":
            return [a == b for a, b in pairs]
        if op == "Less":
            return [a < b for a, b in pairs]
        if op == "Greater":
            return [a > b for a, b in pairs]
        if op == "Max":
            return [max(a, b) for a, b in pairs]
        if op == "Min":
            return [min(a, b) for a, b in pairs]
    except (ZeroDivisionError, OverflowError):
        return None
    return None


_COMPARISONS = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"}


def elementwise(context):
    count = len(context.inputs)
    shapes = [context.shape(index) for index in range(count) if context.present(index)]
    op = context.node.op_type
    elem = BOOL if op in _COMPARISONS else next((context.elem(i) for i in range(count) if context.elem(i)), None)
    const = None
    if count == 2:
        const = _fold_binary(op, context.dims(0), context.dims(1))
        shape = broadcast(shapes)
        if const is not None and (shape is None or _product(shape) != len(const)):
            const = None
    return [_value(elem, broadcast(shapes), const)]


def same_as_input(context):
    value = context.value(0)
    if value is None:
        return []
    const = value.const if context.node.op_type == "Identity" else None
    outputs = [_value(value.elem, value.shape, const)]
    if context.node.op_type == "Dropout" and context.outputs > 1:
        outputs.append(_value(BOOL, value.shape))
    return outputs


def unary_bool(context):
    return [_value(BOOL, context.shape(0))]


def cast(context):
    to = context.attr("to")
    const = context.dims(0)
    if const is not None and to in (INT64, INT32) and all(isinstance(item, (int, float, bool, str)) for item in const):
        const = [int(item) if not isinstance(item, str) else item for item in const]
    elif const is not None and to in (FLOAT, 10, 11):
        const = [float(item) if isinstance(item, (int, float)) else None for item in const]
        const = None if None in const else const
    else:
        const = None
    return [_value(to, context.shape(0), const)]


def cast_like(context):
    return [_value(context.elem(1), context.shape(0))]


def where(context):
    shape = broadcast([context.shape(0), context.shape(1), context.shape(2)])
    condition, left, right = context.const(0), context.dims(1), context.dims(2)
    const = None
    if None not in (condition, left, right) and shape is not None and _product(shape) is not None:
        count = _product(shape)

        def pick(values, index):
            return values[index] if len(values) == count else values[0] if len(values) == 1 else None
        if all(len(values) in (1, count) for values in (condition, left, right)):
            const = [pick(left, i) if pick(condition, i) else pick(right, i) for i in range(count)]
    return [_value(context.elem(1) or context.elem(2), shape, const)]


# --- shapes and tensors -------------------------------------------------------------------------------------

def shape_op(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(INT64, (None,))]
    rank = len(shape)
    start = context.attr("start", 0) or 0
    end = context.attr("end", rank) if context.has("end") else rank
    start = min(max(start + rank if start < 0 else start, 0), rank)
    end = min(max(end + rank if end < 0 else end, 0), rank)
    dims = list(shape[start:end]) if end > start else []
    return [_value(INT64, (len(dims),), dims)]


def size(context):
    return [_value(INT64, (), [_product(context.shape(0))] if _product(context.shape(0)) is not None else None)]


def reshape(context):
    target = context.dims(1)
    data = context.shape(0)
    if target is None:
        length = context.shape(1)
        rank = length[0] if length and len(length) == 1 and isinstance(length[0], int) else None
        return [_value(context.elem(0), (None,) * rank if rank is not None else None)]
    allowzero = context.attr("allowzero", 0)
    dims = []
    for index, item in enumerate(target):
        if item == 0 and not allowzero and not isinstance(item, bool):
            dims.append(data[index] if data is not None and index < len(data) else None)
        elif isinstance(item, int) and item == -1:
            dims.append(-1)
        else:
            dims.append(_as_dim(item))
    if -1 in dims:
        rest = [dim for dim in dims if dim != -1]
        total = _product(data) if data is not None else None
        known = _product(rest)
        if total is not None and known:
            dims[dims.index(-1)] = total // known
        else:
            dims[dims.index(-1)] = _symbolic_remainder(data, rest)
    return [_value(context.elem(0), dims, _reshaped_const(context.dims(0), dims))]


def _symbolic_remainder(data, rest):
    """The -1 of a Reshape when sizes involve symbols: the one input dimension nothing else accounts for."""
    if data is None:
        return None
    remaining = list(data)
    for dim in rest:
        if dim in remaining:
            remaining.remove(dim)
        else:
            return None
    if len(remaining) == 1 and remaining[0] is not None:
        return remaining[0]
    if _known(remaining):
        return math.prod(remaining)
    return None


def _reshaped_const(const, dims):
    return const if const is not None and _product(dims) == len(const) else None


def flatten(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(context.elem(0), (None, None))]
    axis = context.attr("axis", 1)
    axis = axis + len(shape) if axis < 0 else axis
    if not 0 <= axis <= len(shape):
        raise UnknownShape("Flatten axis")
    outer, inner = _product(shape[:axis]), _product(shape[axis:])
    if axis == 0:
        outer = 1
    if axis == len(shape):
        inner = 1
    if outer is None and axis == 1:
        outer = shape[0]
    if inner is None and axis == len(shape) - 1:
        inner = shape[-1]
    return [_value(context.elem(0), (outer, inner), context.dims(0))]


def _axes(context, index: int = 1) -> Optional[list]:
    """Axes from the attribute (older opsets) or the input (newer)."""
    if context.has("axes"):
        return context.attr("axes")
    if context.present(index):
        axes = context.const(index)
        if axes is None:
            raise UnknownShape("axes not constant")
        return list(axes)
    return None


def squeeze(context):
    shape = context.shape(0)
    axes = _axes(context)
    if shape is None:
        return [_value(context.elem(0), None)]
    if axes is None:
        if not _known(shape):
            return [_value(context.elem(0), None)]
        dims = [dim for dim in shape if dim != 1]
    else:
        drop = {_axis(axis, len(shape)) for axis in axes}
        dims = [dim for index, dim in enumerate(shape) if index not in drop]
    return [_value(context.elem(0), dims, context.dims(0))]


def unsqueeze(context):
    shape = context.shape(0)
    axes = _axes(context)
    if shape is None or axes is None:
        return [_value(context.elem(0), None)]
    rank = len(shape) + len(axes)
    inserted = {_axis(axis, rank) for axis in axes}
    source = iter(shape)
    dims = [1 if index in inserted else next(source) for index in range(rank)]
    return [_value(context.elem(0), dims, context.dims(0))]


def transpose(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(context.elem(0), None)]
    perm = context.attr("perm") or list(range(len(shape)))[::-1]
    if sorted(perm) != list(range(len(shape))):
        raise UnknownShape("bad perm")
    return [_value(context.elem(0), [shape[index] for index in perm])]


def concat(context):
    shapes = [context.shape(index) for index in range(len(context.inputs)) if context.present(index)]
    elem = next((context.elem(i) for i in range(len(context.inputs)) if context.elem(i)), None)
    known = [shape for shape in shapes if shape is not None]
    if not known:
        return [_value(elem, None)]
    rank = len(known[0])
    axis = _axis(context.attr("axis", 0), rank)
    dims = []
    for position in range(rank):
        column = [shape[position] if shape is not None and len(shape) == rank else None for shape in shapes]
        if position == axis:
            dims.append(sum(column) if all(isinstance(dim, int) for dim in column) else None)
        else:
            dims.append(next((dim for dim in column if isinstance(dim, int)), None)
                        if any(isinstance(dim, int) for dim in column)
                        else (column[0] if len(set(column)) == 1 else None))
    const = None
    if rank == 1:
        parts = [_partial_const(context.value(i)) for i in range(len(context.inputs)) if context.present(i)]
        if all(part is not None for part in parts):
            const = [item for part in parts for item in part]
            if dims[0] is None:
                dims[0] = len(const)
    return [_value(elem, dims, const)]


def _partial_const(value):
    """A 1-D value's elements, None for the unknown ones (a shape being built from known and unknown parts)."""
    if value is None:
        return None
    if value.const is not None:
        return value.const
    if value.shape is not None and len(value.shape) <= 1 and (not value.shape or isinstance(value.shape[0], int)):
        return [None] * (value.shape[0] if value.shape else 1)
    return None


def split(context):
    shape = context.shape(0)
    count = context.outputs
    if shape is None:
        return [_value(context.elem(0), None)] * count
    axis = _axis(context.attr("axis", 0), len(shape))
    sizes = context.attr("split") if context.has("split") else (context.const(1) if context.present(1) else None)
    if sizes is None:
        total = shape[axis]
        if isinstance(total, int):
            chunk = -(-total // count)  # onnx: equal chunks, the last one takes what is left
            last = total - chunk * (count - 1)
            sizes = [chunk] * (count - 1) + [last if last >= 0 else None]
        else:
            sizes = [None] * count
    outputs = []
    for index in range(count):
        dims = list(shape)
        dims[axis] = sizes[index] if index < len(sizes) else None
        outputs.append(_value(context.elem(0), dims))
    return outputs


def _clamp_slice(start, end, step, size):
    """numpy-style slice length of a dimension of `size`."""
    return len(range(size)[slice(start, end, step)])


def slice_op(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(context.elem(0), None)]
    if context.has("starts"):  # opset < 10
        starts, ends = context.attr("starts"), context.attr("ends")
        axes, steps = context.attr("axes"), None
    else:
        starts, ends = context.const(1), context.const(2)
        axes = context.const(3) if context.present(3) else None
        steps = context.const(4) if context.present(4) else None
        if starts is None or ends is None or (context.present(3) and axes is None) or \
                (context.present(4) and steps is None):
            return [_value(context.elem(0), (None,) * len(shape))]
    axes = list(axes) if axes else list(range(len(starts)))
    steps = list(steps) if steps else [1] * len(starts)
    dims = list(shape)
    const = context.dims(0)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = _axis(axis, len(shape))
        if not all(isinstance(item, int) for item in (start, end, step)) or step == 0:
            dims[axis] = None
            const = None
            continue
        size = shape[axis]
        if isinstance(size, int):
            dims[axis] = _clamp_slice(start, end, step, size)
            if const is not None and len(shape) == 1:
                const = const[slice(start, end, step)]
        elif start == 0 and step == 1 and end >= 2 ** 31 - 1:
            dims[axis] = size
        else:
            dims[axis] = None
            const = None
    if const is not None and (len(shape) != 1 or len(const) != dims[0]):
        const = None
    return [_value(context.elem(0), dims, const)]


def gather(context):
    data, indices = context.shape(0), context.shape(1)
    if data is None or indices is None:
        return [_value(context.elem(0), None)]
    axis = _axis(context.attr("axis", 0), len(data))
    dims = list(data[:axis]) + list(indices) + list(data[axis + 1:])
    const = None
    values, positions = context.dims(0), context.const(1)
    if values is not None and positions is not None and len(data) == 1:
        try:
            const = [values[int(index)] for index in positions]
        except (IndexError, TypeError, ValueError):
            const = None
    return [_value(context.elem(0), dims, const)]


def gather_elements(context):
    return [_value(context.elem(0), context.shape(1))]


def gather_nd(context):
    data, indices = context.shape(0), context.shape(1)
    if data is None or indices is None or not indices or not isinstance(indices[-1], int):
        return [_value(context.elem(0), None)]
    batch = context.attr("batch_dims", 0)
    dims = list(indices[:-1]) + list(data[batch + indices[-1]:])
    return [_value(context.elem(0), dims)]


def expand(context):
    target = context.dims(1)
    if target is None:
        length = context.shape(1)
        rank = length[0] if length and isinstance(length[0], int) else None
        data = context.shape(0)
        if rank is None or data is None:
            return [_value(context.elem(0), None)]
        return [_value(context.elem(0), (None,) * max(rank, len(data)))]
    return [_value(context.elem(0), broadcast([context.shape(0), tuple(_as_dim(item) for item in target)]))]


def tile(context):
    shape, repeats = context.shape(0), context.const(1)
    if shape is None:
        return [_value(context.elem(0), None)]
    if repeats is None or len(repeats) != len(shape):
        return [_value(context.elem(0), (None,) * len(shape))]
    return [_value(context.elem(0), [dim * count if isinstance(dim, int) else (dim if count == 1 else None)
                                     for dim, count in zip(shape, repeats)])]


def pad(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(context.elem(0), None)]
    pads = context.attr("pads") if context.has("pads") or context.opset < 11 else context.const(1)
    if pads is None:
        return [_value(context.elem(0), (None,) * len(shape))]
    axes = list(range(len(shape)))
    if context.opset >= 18 and context.present(3):
        given = context.const(3)
        if given is None:
            return [_value(context.elem(0), (None,) * len(shape))]
        axes = [_axis(axis, len(shape)) for axis in given]
    dims = list(shape)
    count = len(axes)
    if len(pads) != 2 * count:
        raise UnknownShape("pads length")
    for position, axis in enumerate(axes):
        dim = shape[axis]
        extra = pads[position] + pads[position + count]
        dims[axis] = dim + extra if isinstance(dim, int) else (dim if extra == 0 else None)
    return [_value(context.elem(0), dims)]


def constant(context):
    for name, kind in (("value", "tensor"), ("value_float", FLOAT), ("value_int", INT64), ("value_floats", FLOAT),
                       ("value_ints", INT64), ("value_string", 8), ("value_strings", 8)):
        if not context.has(name):
            continue
        value = context.attr(name)
        if kind == "tensor":
            from .onnx_infer import tensor_values
            if not hasattr(value, "dims"):
                raise UnknownShape("Constant value is not a tensor")
            return [_value(value.data_type or None, tuple(value.dims), tensor_values(value))]
        if isinstance(value, list):
            return [_value(kind, (len(value),), value if kind != 8 else None)]
        return [_value(kind, (), [value] if kind != 8 else None)]
    return []  # sparse_value: its dims are in the SparseTensorProto, which attr() does not decode


def constant_of_shape(context):
    target = context.dims(0)
    value = context.attr("value")
    elem = value.data_type if value is not None else FLOAT
    if target is None:
        length = context.shape(0)
        rank = length[0] if length and isinstance(length[0], int) else None
        return [_value(elem, (None,) * rank if rank is not None else None)]
    dims = [_as_dim(item) for item in target]
    const = None
    if _known(dims) and _product(dims) <= 1024 and value is not None:
        from .onnx_infer import tensor_values
        filler = tensor_values(value)
        const = filler * _product(dims) if filler and len(filler) == 1 else None
    return [_value(elem, dims, const)]


def range_op(context):
    start, limit, delta = context.const(0), context.const(1), context.const(2)
    elem = context.elem(0)
    if None in (start, limit, delta) or not (start and limit and delta) or delta[0] == 0 or \
            not all(isinstance(item[0], (int, float)) for item in (start, limit, delta)):
        return [_value(elem, (None,))]
    count = max(math.ceil((limit[0] - start[0]) / delta[0]), 0)
    const = [start[0] + delta[0] * index for index in range(count)] if count <= 1024 else None
    return [_value(elem, (count,), const)]


def eye_like(context):
    return [_value(context.attr("dtype", None) or context.elem(0), context.shape(0))]


def random(context):
    return [_value(context.attr("dtype", FLOAT), context.attr("shape"))]


def random_like(context):
    return [_value(context.attr("dtype", None) or context.elem(0), context.shape(0))]


def non_zero(context):
    shape = context.shape(0)
    return [_value(INT64, (len(shape) if shape is not None else None, None))]


def one_hot(context):
    indices, depth = context.shape(0), context.const(1)
    if indices is None:
        return [_value(context.elem(2), None)]
    rank = len(indices) + 1
    axis = _axis(context.attr("axis", -1), rank)
    count = int(depth[0]) if depth and isinstance(depth[0], (int, float)) else None
    dims = list(indices)
    dims.insert(axis, count)
    return [_value(context.elem(2), dims)]


def top_k(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(context.elem(0), None), _value(INT64, None)]
    axis = _axis(context.attr("axis", -1), len(shape))
    count = context.attr("k") if context.opset < 10 else (context.const(1) or [None])[0]
    dims = list(shape)
    dims[axis] = count
    return [_value(context.elem(0), dims), _value(INT64, dims)]


def depth_to_space(context):
    shape = context.shape(0)
    block = context.attr("blocksize")
    if shape is None or len(shape) != 4:
        return [_value(context.elem(0), None if shape is None else (None,) * len(shape))]
    if not isinstance(block, int) or block <= 0:
        raise UnknownShape("blocksize")
    n, c, h, w = shape
    scale = block * block
    if context.node.op_type == "DepthToSpace":
        dims = (n, c // scale if isinstance(c, int) else None, _times(h, block), _times(w, block))
    else:
        dims = (n, _times(c, scale), h // block if isinstance(h, int) else None,
                w // block if isinstance(w, int) else None)
    return [_value(context.elem(0), dims)]


def _times(dim, factor):
    return dim * factor if isinstance(dim, int) else None


def trilu_like(context):
    return [_value(context.elem(0), context.shape(0))]


def bernoulli(context):
    return [_value(context.attr("dtype", None) or context.elem(0), context.shape(0))]


def grid_sample(context):
    shape, grid = context.shape(0), context.shape(1)
    if shape is None or grid is None or len(grid) != len(shape):
        return [_value(context.elem(0), None if shape is None else (None,) * len(shape))]
    return [_value(context.elem(0), [shape[0], shape[1]] + list(grid[1:-1]))]


def non_max_suppression(context):
    return [_value(INT64, (None, 3))]


RuleFunction = Callable[[object], List]
RULES: Dict[str, RuleFunction] = {}  # operator → rule; onnx_infer_nn adds the network operators


def register(rule: RuleFunction, *ops: str) -> None:
    for op in ops:
        RULES[op] = rule


register(elementwise, "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Mod", "BitShift",
          "BitwiseAnd", "BitwiseOr", "BitwiseXor", "PRelu", *_COMPARISONS)
register(same_as_input, "Relu", "Sigmoid", "Tanh", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Floor",
          "Ceil", "Round", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
          "Atanh", "Sign", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign",
          "Mish", "Gelu", "Clip", "Softmax", "LogSoftmax", "Hardmax", "Identity", "Dropout", "Shrink",
          "ThresholdedRelu", "CumSum", "LRN", "InstanceNormalization", "LpNormalization",
          "MeanVarianceNormalization", "GroupNormalization", "RMSNormalization", "BitwiseNot", "ReverseSequence",
          "Scatter", "ScatterElements", "ScatterND", "Swish", "CumProd", "RotaryEmbedding")
register(unary_bool, "IsNaN", "IsInf", "Not")
register(cast, "Cast")
register(cast_like, "CastLike")
register(where, "Where")
register(shape_op, "Shape")
register(size, "Size")
register(reshape, "Reshape")
register(flatten, "Flatten")
register(squeeze, "Squeeze")
register(unsqueeze, "Unsqueeze")
register(transpose, "Transpose")
register(concat, "Concat")
register(split, "Split")
register(slice_op, "Slice")
register(gather, "Gather")
register(gather_elements, "GatherElements")
register(gather_nd, "GatherND")
register(expand, "Expand")
register(tile, "Tile")
register(pad, "Pad")
register(constant, "Constant")
register(constant_of_shape, "ConstantOfShape")
register(range_op, "Range")
register(eye_like, "EyeLike")
register(random, "RandomNormal", "RandomUniform")
register(random_like, "RandomNormalLike", "RandomUniformLike")
register(non_zero, "NonZero")
register(one_hot, "OneHot")
register(top_k, "TopK")
register(depth_to_space, "DepthToSpace", "SpaceToDepth")
register(trilu_like, "Trilu")
register(bernoulli, "Bernoulli")
register(grid_sample, "GridSample")
register(non_max_suppression, "NonMaxSuppression")

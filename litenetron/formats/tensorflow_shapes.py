"""Output shapes of common TensorFlow ops, for graphs whose NodeDefs carry no `_output_shapes` (frozen graphs).

`infer_shapes(graph, constants)` walks the nodes in dependency order and fills `Value.type.shape` where it is still
unknown, from the input shapes, the node's attributes and the values of tiny integer constants (shape,
axis and permutation operands, decoded by the reader with the standard library). An op without a rule
leaves its outputs unknown.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence

from ..model import Graph, Node, TensorType
from .windows import same_output, window_output

Shape = tuple

_SAME_SHAPE = {
    "Identity", "Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus",
    "Softsign", "LeakyRelu", "BiasAdd", "Cast", "StopGradient", "Neg", "Exp", "Log", "Sqrt", "Rsqrt", "Square",
    "Abs", "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", "LRN", "Floor", "Ceil", "Round", "Sign",
    "Reciprocal", "ZerosLike", "OnesLike", "CheckNumerics", "Snapshot", "PreventGradient", "Erf", "Gelu",
    "QuantizeAndDequantizeV2", "QuantizeAndDequantizeV3", "FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxArgs",
    "EnsureShape", "IdentityN", "ReadVariableOp",
}
_VARIABLES = {"VarHandleOp", "VariableV2", "Variable"}
_BROADCAST = {
    "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "Maximum", "Minimum", "Pow", "SquaredDifference",
    "FloorDiv", "FloorMod", "Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "LogicalAnd",
    "LogicalOr", "BiasAddV1", "SelectV2",
}
_REDUCE = {"Mean", "Sum", "Max", "Min", "Prod", "All", "Any", "ArgMax", "ArgMin"}


def _input_constant(constants: Dict[str, List[int]], data: list, index: int) -> Optional[List[int]]:
    """The values of a node's `index`-th data input when it is a tiny integer Const, else None."""
    return constants.get(data[index].name.split(":", 1)[0]) if 0 <= index < len(data) else None


def _broadcast(shapes: Sequence[Shape]) -> Optional[Shape]:
    rank = max(len(shape) for shape in shapes)
    result = []
    for index in range(rank):
        dims = [shape[index - rank + len(shape)] for shape in shapes if index - rank + len(shape) >= 0]
        known = [dim for dim in dims if dim is not None and dim != 1]
        if known:
            result.append(known[0])
        elif any(dim is None for dim in dims):
            result.append(None)
        else:
            result.append(1)
    return tuple(result)


def _window(size, kernel: int, stride: int, padding: str, dilation: int = 1):
    if padding == "SAME":
        return same_output(size, stride)
    return window_output(size, kernel, stride, 0, dilation) if padding == "VALID" else None


def _spatial_axes(attrs: dict, rank: int) -> List[int]:
    channels_first = str(attrs.get("data_format", "NHWC")).startswith("NC")
    return list(range(2, rank)) if channels_first else list(range(1, rank - 1))


def _conv(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    data, kernel = shapes[0], shapes[1] if len(shapes) > 1 else None
    if data is None or kernel is None or len(kernel) != len(data):
        return None
    axes = _spatial_axes(attrs, len(data))
    strides = attrs.get("strides") or [1] * len(data)
    dilations = attrs.get("dilations") or [1] * len(data)
    out = list(data)
    for index, axis in enumerate(axes):
        out[axis] = _window(data[axis], kernel[index], strides[axis], attrs.get("padding", ""), dilations[axis])
    channel = 1 if axes[0] == 2 else len(data) - 1
    if node.type.name.lstrip("_") in ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
        multiplier = kernel[-1]
        out[channel] = None if data[channel] is None or multiplier is None else data[channel] * multiplier
    else:
        out[channel] = kernel[-1]
    return [tuple(out)]


def _pool(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    data = shapes[0]
    if data is None:
        return None
    sizes = attrs.get("ksize") or [1] * len(data)
    strides = attrs.get("strides") or [1] * len(data)
    out = list(data)
    for axis in _spatial_axes(attrs, len(data)):
        out[axis] = _window(data[axis], sizes[axis], strides[axis], attrs.get("padding", ""))
    return [tuple(out)]


def _matmul(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    a, b = shapes[0], shapes[1] if len(shapes) > 1 else None
    if a is None or b is None or len(a) < 2 or len(b) < 2:
        return None
    transpose_a = attrs.get("transpose_a") or attrs.get("adj_x")
    transpose_b = attrs.get("transpose_b") or attrs.get("adj_y")
    rows = a[-1] if transpose_a else a[-2]
    columns = b[-2] if transpose_b else b[-1]
    batch = _broadcast([a[:-2], b[:-2]]) if len(a) > 2 or len(b) > 2 else ()
    return [tuple(batch) + (rows, columns)]


def _reshape(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    target = constants(1)
    if target is None:
        return None
    dims: List[Optional[int]] = [None if dim < 0 else dim for dim in target]
    data = shapes[0]
    total = math.prod(data) if data is not None and all(dim is not None for dim in data) else None
    if target.count(-1) == 1 and total is not None:
        known = math.prod(dim for dim in dims if dim is not None)
        dims[target.index(-1)] = total // known if known else None
    return [tuple(dims)]


def _squeeze(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    data = shapes[0]
    if data is None:
        return None
    axes = {axis % len(data) for axis in attrs.get("squeeze_dims") or attrs.get("axis") or []} if data else set()
    if not axes:
        if any(dim is None for dim in data):
            return None
        return [tuple(dim for dim in data if dim != 1)]
    return [tuple(dim for index, dim in enumerate(data) if index not in axes)]


def _reduce(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    data, axes = shapes[0], constants(1)
    if data is None or axes is None or not data:
        return None
    axes = {axis % len(data) for axis in axes}
    if node.type.name in ("ArgMax", "ArgMin"):
        return [tuple(dim for index, dim in enumerate(data) if index not in axes)]
    keep = attrs.get("keep_dims") or attrs.get("keepdims")
    if keep:
        return [tuple(1 if index in axes else dim for index, dim in enumerate(data))]
    return [tuple(dim for index, dim in enumerate(data) if index not in axes)]


def _concat(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    axis = constants(len(shapes) - 1)
    parts = shapes[:-1]
    if axis is None or not parts or any(shape is None for shape in parts) or not parts[0]:
        return None
    axis_index = axis[0] % len(parts[0])
    sizes = [shape[axis_index] for shape in parts]
    out = list(parts[0])
    out[axis_index] = None if any(size is None for size in sizes) else sum(sizes)
    return [tuple(out)]


def _transpose(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    permutation = constants(1)
    if shapes[0] is None or permutation is None or len(permutation) != len(shapes[0]):
        return None
    return [tuple(shapes[0][axis] for axis in permutation)]


def _pad(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    paddings = constants(1)
    data = shapes[0]
    if data is None or paddings is None or len(paddings) != 2 * len(data):
        return None
    return [tuple(None if dim is None else dim + paddings[2 * index] + paddings[2 * index + 1]
                  for index, dim in enumerate(data))]


def _expand_dims(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    axis = constants(1)
    if shapes[0] is None or axis is None:
        return None
    out = list(shapes[0])
    position = axis[0] if axis[0] >= 0 else len(out) + 1 + axis[0]
    out.insert(position, 1)
    return [tuple(out)]


def _pack(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    if any(shape is None for shape in shapes) or not shapes:
        return None
    out = list(shapes[0])
    axis = int(attrs.get("axis", 0))
    out.insert(axis if axis >= 0 else len(out) + 1 + axis, len(shapes))
    return [tuple(out)]


def _split(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    """Split (axis, value) in `num_split` equal parts; SplitV (value, size_splits, axis)."""
    if node.type.name == "SplitV":
        data, sizes, axis = shapes[0], constants(1), constants(2)
    else:
        data, axis = shapes[1], constants(0)
        count = int(attrs.get("num_split", 0))
        sizes = None if data is None or axis is None or not count or data[axis[0] % len(data)] is None \
            else [data[axis[0] % len(data)] // count] * count
    if data is None or sizes is None or axis is None or not data:
        return None
    index = axis[0] % len(data)
    if sizes.count(-1) == 1 and data[index] is not None:
        sizes[sizes.index(-1)] = data[index] - sum(size for size in sizes if size != -1)
    return [tuple(data[:index]) + (size if size >= 0 else None,) + tuple(data[index + 1:]) for size in sizes]


def _unpack(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    data = shapes[0]
    if data is None or not data:
        return None
    axis = int(attrs.get("axis", 0)) % len(data)
    count = int(attrs.get("num", 0)) or data[axis] or 0
    return [tuple(data[:axis]) + tuple(data[axis + 1:])] * count


def _tile(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    multiples = constants(1)
    if shapes[0] is None or multiples is None or len(multiples) != len(shapes[0]):
        return None
    return [tuple(None if dim is None else dim * times for dim, times in zip(shapes[0], multiples))]


def _slice(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    begin, size = constants(1), constants(2)
    if shapes[0] is None or begin is None or size is None or len(size) != len(shapes[0]):
        return None
    return [tuple(length if length >= 0 else (None if dim is None else dim - start)
                  for dim, start, length in zip(shapes[0], begin, size))]


def _fill(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    dims = constants(0)
    return None if dims is None else [tuple(dims)]


def _gather(node: Node, attrs: dict, shapes, constants) -> Optional[List[Shape]]:
    params, indices = shapes[0], shapes[1] if len(shapes) > 1 else None
    axis = constants(2) if node.type.name == "GatherV2" else [0]
    if params is None or indices is None or axis is None or not params:
        return None
    index = axis[0] % len(params)
    return [tuple(params[:index]) + tuple(indices) + tuple(params[index + 1:])]


_RULES: Dict[str, Callable] = {
    "Split": _split, "SplitV": _split, "Unpack": _unpack, "Tile": _tile, "Slice": _slice, "Fill": _fill,
    "Gather": _gather, "GatherV2": _gather,
    "Conv2D": _conv, "DepthwiseConv2dNative": _conv, "Conv3D": _conv,
    # Grappler's fused ops (frozen and TF.js graphs): the convolution or product decides the shape.
    "_FusedConv2D": _conv, "_FusedDepthwiseConv2dNative": _conv, "FusedDepthwiseConv2dNative": _conv,
    "_FusedMatMul": _matmul,
    "MaxPool": _pool, "AvgPool": _pool, "MaxPool3D": _pool, "AvgPool3D": _pool,
    "MatMul": _matmul, "BatchMatMul": _matmul, "BatchMatMulV2": _matmul, "BatchMatMulV3": _matmul,
    "Reshape": _reshape, "Squeeze": _squeeze, "ConcatV2": _concat, "Transpose": _transpose, "Pad": _pad,
    "PadV2": _pad, "MirrorPad": _pad, "ExpandDims": _expand_dims, "Pack": _pack,
    "Shape": lambda node, attrs, shapes, constants: [(len(shapes[0]),)] if shapes[0] is not None else None,
    **{op: _reduce for op in _REDUCE},
}


def _ordered(graph: Graph) -> List[Node]:
    """Nodes with every producer before its consumers (file order where the graph allows)."""
    producer = {value.name: node for node in graph.nodes for argument in node.outputs for value in argument.values}
    state: Dict[int, int] = {}
    order: List[Node] = []
    for root in graph.nodes:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                state[id(node)] = 2
                order.append(node)
                continue
            if state.get(id(node)):
                continue
            state[id(node)] = 1
            stack.append((node, True))
            for argument in node.inputs:
                for value in argument.values:
                    source = producer.get(value.name)
                    if source is not None and not state.get(id(source)):
                        stack.append((source, False))
    return order


def _ports(node_name: str, outputs: list) -> List[tuple]:
    """(value, output index) pairs: `x` → 0, `x:2` → 2; in function bodies `x:arg:2` → 2 when the node's
    references all name one output argument (otherwise the index within the argument is not the port)."""
    pairs = []
    arguments = {value.name.split(":")[1] for value in outputs if value.name.count(":") == 2}
    for value in outputs:
        parts = value.name[len(node_name):].split(":")
        if parts == [""]:
            pairs.append((value, 0))
        elif len(parts) == 2 and parts[1].isdigit():
            pairs.append((value, int(parts[1])))
        elif len(parts) == 3 and parts[2].isdigit() and len(arguments) == 1:
            pairs.append((value, int(parts[2])))
    return pairs


def infer_shapes(graph: Graph, constants: Dict[str, List[int]]) -> None:
    """Fill unknown output shapes of the graph's nodes where a rule and the input shapes allow;
    `constants` holds the values of the tiny integer Consts (by node name) that shape operands come from."""
    for node in _ordered(graph):
        outputs = [value for argument in node.outputs for value in argument.values]
        if not outputs or all(value.type is not None and value.type.shape is not None for value in outputs):
            continue
        data = [value for argument in node.inputs if argument.name != "control" for value in argument.values]
        shapes = [value.type.shape if value.type is not None else None for value in data]
        attrs = {attribute.name: attribute.value for attribute in node.attributes}
        op = node.type.name
        if op in _VARIABLES:
            # The handle's edge shows the variable's shape: what its readers will produce.
            result = [attrs["shape"]] if isinstance(attrs.get("shape"), tuple) else None
        elif not shapes:
            continue
        elif op == "IdentityN":
            result = shapes
        elif op in _SAME_SHAPE:
            result = [shapes[0]]
        elif op in _BROADCAST:
            known = [shape for shape in shapes if shape is not None]
            result = [_broadcast(known)] if len(known) == len(shapes) else None
        elif op in _RULES:
            try:
                result = _RULES[op](node, attrs, shapes, partial(_input_constant, constants, data))
            except (TypeError, ValueError, IndexError, ZeroDivisionError):
                result = None  # attributes that do not fit the inputs: leave the shapes unknown
        else:
            result = None
        # Element-wise ops keep their input's dtype when the NodeDef does not name one.
        dtype = data[0].type.dtype if data and data[0].type is not None and op in _SAME_SHAPE | _BROADCAST \
            else None
        for value, port in _ports(node.name, outputs):
            shape = result[port] if result and port < len(result) else None
            if shape is not None and (value.type is None or value.type.shape is None):
                value.type = TensorType(value.type.dtype if value.type and value.type.dtype else dtype, tuple(shape))

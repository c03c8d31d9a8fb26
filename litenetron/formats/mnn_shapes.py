"""Output shapes of common MNN ops (an MNN file stores only its inputs' shapes), so edges can be labelled.

`infer_shapes(graph, constants)` walks the ops in file order (the converter writes them in dependency order)
and fills `Value.type` where it is unknown, from the input shapes, the op's attributes and the values of tiny
int32 constants (reshape dims, axes). Convolution and pooling windows follow MNN's NCHW layout. An op without
a rule leaves its outputs unknown.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Sequence

from ..model import Graph, Node, TensorType
from .tensorflow_shapes import _broadcast
from .windows import window_output

Shape = tuple

_SAME_SHAPE = {"ReLU", "ReLU6", "Sigmoid", "TanH", "Softmax", "ConvertTensor", "ELU", "PReLU", "Selu", "Dropout",
               "BatchNorm", "Scale", "LayerNorm", "InstanceNorm", "UnaryOp", "GroupNorm", "Normalize", "Cast", "LRN",
               "Threshold", "Identity", "GatedRMSNorm"}


def _axis(axis: int, rank: int) -> Optional[int]:
    axis = axis + rank if axis < 0 else axis
    return axis if 0 <= axis < rank else None


def _pads(attrs: dict, mode_key: str) -> Optional[List[int]]:
    """[top, bottom, left, right] padding of a 2-D window, or None for SAME (output = ceil(input / stride))."""
    if attrs.get(mode_key) == "SAME":
        return None
    if attrs.get(mode_key) == "VALID":
        return [0, 0, 0, 0]
    pads = attrs.get("pads")
    if isinstance(pads, list) and len(pads) == 4:
        return [pads[0], pads[2], pads[1], pads[3]]
    return [attrs.get("padY", 0)] * 2 + [attrs.get("padX", 0)] * 2


def _spatial(data: Shape, attrs: dict, mode_key: str, ceil: bool) -> Optional[List]:
    pads = _pads(attrs, mode_key)
    sizes = []
    for index, axis in enumerate("YX"):
        size, stride = data[2 + index], max(attrs.get(f"stride{axis}", 1), 1)
        if pads is None:
            sizes.append(None if size is None else -(-size // stride))
        else:
            sizes.append(window_output(size, attrs.get(f"kernel{axis}", 1), stride,
                                       pads[2 * index] + pads[2 * index + 1], attrs.get(f"dilate{axis}", 1), ceil,
                                       clamp_last=False))
    return sizes


def _conv(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    data = shapes[0]
    if data is None or len(data) != 4 or not attrs.get("outputCount"):
        return None
    return (data[0], attrs["outputCount"], *_spatial(data, attrs, "padMode", ceil=False))


def _pool(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    data = shapes[0]
    if data is None or len(data) < 3:
        return None
    if attrs.get("isGlobal"):
        return tuple(data[:2]) + (1,) * (len(data) - 2)
    if len(data) != 4:
        return None
    return (data[0], data[1], *_spatial(data, attrs, "padType", ceil=bool(attrs.get("ceilModel", True))))


def _concat(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    if not shapes or any(shape is None or len(shape) != len(shapes[0]) for shape in shapes):
        return None
    axis = _axis(attrs.get("axis", 0), len(shapes[0]))
    if axis is None:
        return None
    sizes = [shape[axis] for shape in shapes]
    total = sum(sizes) if all(isinstance(size, int) for size in sizes) else None
    return tuple(shapes[0][:axis]) + (total,) + tuple(shapes[0][axis + 1:])


def _reshape(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    dims = constants[1] if len(constants) > 1 and constants[1] is not None else attrs.get("dims")
    data = shapes[0]
    if not isinstance(dims, list) or not dims or len(dims) > 8:
        return None
    out = [data[i] if dim == 0 and data is not None and i < len(data) else dim for i, dim in enumerate(dims)]
    if out.count(-1) == 1 and data is not None and all(isinstance(d, int) for d in data):
        known = math.prod(d for d in out if d != -1)
        out[out.index(-1)] = math.prod(data) // known if known else None
    return tuple(None if d is None or d < 0 else d for d in out)


def _flatten(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    data = shapes[0]
    axis = _axis(attrs.get("axis", 1), len(data)) if data is not None else None
    if data is None or axis is None:
        return None
    head, tail = data[:axis], data[axis:]
    known = all(isinstance(d, int) for d in data)
    return (math.prod(head) if known else None, math.prod(tail) if known else None)


def _permute(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    data, dims = shapes[0], attrs.get("dims")
    if data is None or not isinstance(dims, list) or sorted(dims) != list(range(len(data))):
        return None
    return tuple(data[d] for d in dims)


def _binary(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    return _broadcast(shapes) if shapes and all(shape is not None for shape in shapes) else None


def _inner_product(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    data = shapes[0]
    return None if data is None or not attrs.get("outputCount") else (data[0], attrs["outputCount"])


def _matmul(node: Node, attrs: dict, shapes: List, constants) -> Optional[Shape]:
    if len(shapes) < 2 or shapes[0] is None or shapes[1] is None or len(shapes[0]) < 2 or len(shapes[1]) < 2:
        return None
    a, b = shapes[0], shapes[1]
    rows = a[-1] if attrs.get("transposeA") else a[-2]
    columns = b[-2] if attrs.get("transposeB") else b[-1]
    batch = _broadcast([a[:-2], b[:-2]]) if len(a) > 2 or len(b) > 2 else ()
    return tuple(batch) + (rows, columns)


_RULES: Dict[str, Callable] = {
    "Convolution": _conv, "ConvolutionDepthwise": _conv, "Pooling": _pool, "Pooling3D": _pool,
    "Concat": _concat, "Reshape": _reshape, "Flatten": _flatten, "Permute": _permute, "BinaryOp": _binary,
    "Eltwise": _binary, "InnerProduct": _inner_product, "MatMul": _matmul, "BatchMatMul": _matmul,
    "Shape": lambda node, attrs, shapes, constants: (len(shapes[0]),) if shapes and shapes[0] is not None else None,
    "Rank": lambda node, attrs, shapes, constants: (),
    "Size": lambda node, attrs, shapes, constants: (),
}


def _data_inputs(node: Node) -> Sequence:
    """The op's tensor inputs (its weight rows come after them, named after their fields)."""
    return [argument.values[0] for argument in node.inputs
            if argument.values and argument.name.startswith("input")]


def infer_shapes(graph: Graph, constants: Dict[str, List[int]]) -> None:
    for node in graph.nodes:
        if not node.outputs or not node.outputs[0].values:
            continue
        output = node.outputs[0].values[0]
        if output.type is not None and output.type.shape is not None:
            continue
        inputs = _data_inputs(node)
        shapes = [value.type.shape if value.type is not None else None for value in inputs]
        dtype = next((value.type.dtype for value in inputs if value.type is not None and value.type.dtype), None)
        shape: Optional[Shape] = None
        if node.type.name in _SAME_SHAPE and shapes:
            shape = shapes[0]
        elif node.type.name in _RULES:
            attrs = {attribute.name: attribute.value for attribute in node.attributes}
            shape = _RULES[node.type.name](node, attrs, shapes, [constants.get(value.name) for value in inputs])
        if shape is not None:
            if node.type.name in ("Shape", "Rank", "Size"):
                dtype = "int32"
            output.type = TensorType(dtype, tuple(shape))

"""Shape rules of the ONNX network operators (reductions, MatMul/Gemm, convolutions and pools, Resize,
normalizations, recurrent layers, quantization, If/Loop) for `onnx_infer`; the tensor operators are in
`onnx_infer_ops`."""

from __future__ import annotations

import math

from .onnx_infer_ops import BOOL, FLOAT, INT32, INT64, UINT8, UnknownShape, _as_dim, _axis, _value, broadcast, register

# --- reductions -----------------------------------------------------------------------------------------------

def reduce(context):
    shape = context.shape(0)
    op = context.node.op_type
    elem = INT64 if op in ("ArgMax", "ArgMin") else context.elem(0)
    keep = context.attr("keepdims", 1)
    if shape is None:
        return [_value(elem, None)]
    if op in ("ArgMax", "ArgMin"):
        axes = [context.attr("axis", 0)]
    elif context.has("axes") or not context.present(1):
        axes = context.attr("axes")
    else:
        axes = context.const(1)
        if axes is None:
            return [_value(elem, (None,) * len(shape) if keep else None)]
    if not axes:
        if context.attr("noop_with_empty_axes", 0) and op not in ("ArgMax", "ArgMin"):
            return [_value(elem, shape)]
        axes = list(range(len(shape)))
    reduced = {_axis(axis, len(shape)) for axis in axes}
    if keep:
        dims = [1 if index in reduced else dim for index, dim in enumerate(shape)]
    else:
        dims = [dim for index, dim in enumerate(shape) if index not in reduced]
    return [_value(elem, dims)]


# --- linear algebra -------------------------------------------------------------------------------------------

def matmul(context):
    left, right = context.shape(0), context.shape(1)
    op = context.node.op_type
    elem = INT32 if op == "MatMulInteger" else context.elem(7) if op == "QLinearMatMul" else context.elem(0)
    if op == "QLinearMatMul":
        left, right = context.shape(0), context.shape(3)
    if left is None or right is None or not left or not right:
        return [_value(elem, None)]
    a = list(left) if len(left) > 1 else [1] + list(left)
    b = list(right) if len(right) > 1 else list(right) + [1]
    batch = broadcast([tuple(a[:-2]), tuple(b[:-2])])
    dims = list(batch) + [a[-2], b[-1]]
    if len(left) == 1:
        del dims[-2]
    if len(right) == 1:
        del dims[-1]
    return [_value(elem, dims)]


def gemm(context):
    a, b = context.shape(0), context.shape(1)
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        return [_value(context.elem(0), (None, None))]
    rows = a[1] if context.attr("transA", 0) else a[0]
    columns = b[0] if context.attr("transB", 0) else b[1]
    return [_value(context.elem(0), (rows, columns))]


# --- convolution and pooling ----------------------------------------------------------------------------------

def window_output(size, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int,
                  ceil_mode: bool = False):
    """Output length of a sliding window over `size` (None when the size is unknown or the window too big).
    One small function so a shared convolution helper can replace it."""
    if not isinstance(size, int):
        return None
    span = dilation * (kernel - 1) + 1
    room = size + pad_begin + pad_end - span
    if room < 0 or stride <= 0:
        return None
    count = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + pad_begin:  # the last window must start inside the input
        count -= 1
    return count


def _check_lengths(*pairs) -> None:
    """Window attributes must have one (pads: two) int entry per spatial axis, strides positive."""
    for values, length in pairs:
        if not isinstance(values, list) and not isinstance(values, tuple) or len(values) != length or \
                not all(isinstance(item, int) for item in values):
            raise UnknownShape("window attribute of the wrong length")


def _spatial(context, shape, kernel, spatial_count):
    strides = context.attr("strides") or [1] * spatial_count
    dilations = context.attr("dilations") or [1] * spatial_count
    pads = context.attr("pads") or [0] * (2 * spatial_count)
    auto_pad = context.attr("auto_pad", "NOTSET") or "NOTSET"
    ceil_mode = bool(context.attr("ceil_mode", 0))
    _check_lengths((kernel, spatial_count), (strides, spatial_count), (dilations, spatial_count),
                   (pads, 2 * spatial_count))
    dims = []
    for index in range(spatial_count):
        size = shape[2 + index]
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            dims.append(-(-size // strides[index]) if isinstance(size, int) else None)
        elif auto_pad == "VALID":
            dims.append(window_output(size, kernel[index], strides[index], 0, 0, dilations[index], ceil_mode))
        else:
            dims.append(window_output(size, kernel[index], strides[index], pads[index], pads[index + spatial_count],
                                      dilations[index], ceil_mode))
    return dims


def conv(context):
    op = context.node.op_type
    x_index, w_index = (0, 3) if op == "QLinearConv" else (0, 1)
    shape, weights = context.shape(x_index), context.shape(w_index)
    elem = INT32 if op == "ConvInteger" else context.elem(7) if op == "QLinearConv" else context.elem(0)
    if shape is None or len(shape) < 3:
        return [_value(elem, None if shape is None else (None,) * len(shape))]
    spatial = len(shape) - 2
    kernel = context.attr("kernel_shape") or (list(weights[2:]) if weights is not None else None)
    channels = weights[0] if weights is not None else None
    if not kernel or not all(isinstance(item, int) for item in kernel):
        return [_value(elem, [shape[0], channels] + [None] * spatial)]
    return [_value(elem, [shape[0], channels] + _spatial(context, shape, kernel, spatial))]


def conv_transpose(context):
    shape, weights = context.shape(0), context.shape(1)
    if shape is None or len(shape) < 3:
        return [_value(context.elem(0), None if shape is None else (None,) * len(shape))]
    spatial = len(shape) - 2
    group = context.attr("group", 1)
    channels = weights[1] * group if weights is not None and isinstance(weights[1], int) else None
    kernel = context.attr("kernel_shape") or (list(weights[2:]) if weights is not None else None)
    output_shape = context.attr("output_shape")
    if output_shape:
        return [_value(context.elem(0), [shape[0], channels] + [_as_dim(item) for item in output_shape[-spatial:]])]
    if not kernel or not all(isinstance(item, int) for item in kernel):
        return [_value(context.elem(0), [shape[0], channels] + [None] * spatial)]
    strides = context.attr("strides") or [1] * spatial
    dilations = context.attr("dilations") or [1] * spatial
    pads = context.attr("pads") or [0] * (2 * spatial)
    extra = context.attr("output_padding") or [0] * spatial
    auto_pad = context.attr("auto_pad", "NOTSET") or "NOTSET"
    _check_lengths((kernel, spatial), (strides, spatial), (dilations, spatial), (pads, 2 * spatial),
                   (extra, spatial))
    dims = []
    for index in range(spatial):
        size = shape[2 + index]
        if not isinstance(size, int):
            dims.append(None)
        elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            dims.append(size * strides[index])
        else:
            total_pad = 0 if auto_pad == "VALID" else pads[index] + pads[index + spatial]
            dims.append(strides[index] * (size - 1) + extra[index] + (kernel[index] - 1) * dilations[index] + 1
                        - total_pad)
    return [_value(context.elem(0), [shape[0], channels] + dims)]


def pool(context):
    shape = context.shape(0)
    if shape is None or len(shape) < 3:
        return [_value(context.elem(0), None if shape is None else (None,) * len(shape))]
    kernel = context.attr("kernel_shape")
    if not kernel:
        raise UnknownShape("pool without kernel_shape")
    dims = [shape[0], shape[1]] + _spatial(context, shape, kernel, len(shape) - 2)
    outputs = [_value(context.elem(0), dims)]
    if context.outputs > 1:
        outputs.append(_value(INT64, dims))
    return outputs


def global_pool(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(context.elem(0), None)]
    return [_value(context.elem(0), list(shape[:2]) + [1] * (len(shape) - 2))]


def resize(context):
    shape = context.shape(0)
    if shape is None:
        return [_value(context.elem(0), None)]
    op = context.node.op_type
    if op == "Upsample":
        scales = context.attr("scales") if context.has("scales") else context.const(1)
        sizes = None
    else:
        sizes = context.dims(3) if context.present(3) else None
        scales = context.const(2) if context.present(2) and context.opset >= 11 else \
            (context.const(1) if context.opset < 11 else None)
        if scales is not None and not scales:
            scales = None
    axes = context.attr("axes") if context.opset >= 18 else None
    axes = [_axis(axis, len(shape)) for axis in axes] if axes else list(range(len(shape)))
    dims = list(shape)
    if sizes is not None and len(sizes) == len(axes):
        if context.attr("keep_aspect_ratio_policy", "stretch") not in ("stretch", None):
            return [_value(context.elem(0), (None,) * len(shape))]
        for axis, size in zip(axes, sizes):
            dims[axis] = _as_dim(size)
        return [_value(context.elem(0), dims)]
    if scales is not None and len(scales) == len(axes):
        for axis, scale in zip(axes, scales):
            dim = shape[axis]
            dims[axis] = int(math.floor(dim * scale)) if isinstance(dim, int) else (dim if scale == 1 else None)
        return [_value(context.elem(0), dims)]
    return [_value(context.elem(0), (None,) * len(shape))]


# --- normalization, recurrent, quantization -------------------------------------------------------------------

def batch_norm(context):
    outputs = [_value(context.elem(0), context.shape(0))]
    for _ in range(1, context.outputs):
        outputs.append(_value(context.elem(1) or context.elem(0), context.shape(1)))
    return outputs


def layer_norm(context):
    shape = context.shape(0)
    outputs = [_value(context.elem(0), shape)]
    if context.outputs > 1:
        stash = context.attr("stash_type", 1)
        if shape is None:
            statistics = None
        else:
            axis = _axis(context.attr("axis", -1), len(shape))
            statistics = list(shape[:axis]) + [1] * (len(shape) - axis)
        outputs += [_value(stash, statistics)] * (context.outputs - 1)
    return outputs


def recurrent(context):
    shape, weights = context.shape(0), context.shape(1)
    hidden = context.attr("hidden_size")
    if hidden is None and weights is not None and isinstance(weights[1], int):
        gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[context.node.op_type]
        hidden = weights[1] // gates
    directions = 2 if context.attr("direction", "forward") == "bidirectional" else 1
    if shape is None or len(shape) != 3:
        sequence = batch = None
    elif context.attr("layout", 0):
        batch, sequence = shape[0], shape[1]
    else:
        sequence, batch = shape[0], shape[1]
    elem = context.elem(0)
    if context.attr("layout", 0):
        outputs = [_value(elem, (batch, sequence, directions, hidden)), _value(elem, (batch, directions, hidden))]
    else:
        outputs = [_value(elem, (sequence, directions, batch, hidden)), _value(elem, (directions, batch, hidden))]
    outputs.append(outputs[1])
    return outputs[:context.outputs]


def quantize(context):
    elem = context.elem(2) if context.present(2) else None
    if elem is None:
        elem = context.attr("output_dtype", 0) or UINT8
    return [_value(elem, context.shape(0))]


def dequantize(context):
    elem = context.elem(1)
    if context.opset >= 23 and context.attr("output_dtype", 0):
        elem = context.attr("output_dtype")
    return [_value(elem, context.shape(0))]


def dynamic_quantize(context):
    return [_value(UINT8, context.shape(0)), _value(FLOAT, ()), _value(UINT8, ())]


# --- control flow ---------------------------------------------------------------------------------------------

def if_op(context):
    then = context.subgraph("then_branch", [])
    other = context.subgraph("else_branch", [])
    if then is None or other is None:
        raise UnknownShape("If branches")
    outputs = []
    for left, right in zip(then, other):
        if left is None or right is None:
            outputs.append(None)
            continue
        if left.shape is None or right.shape is None or len(left.shape) != len(right.shape):
            shape = None
        else:
            shape = tuple(a if a == b else None for a, b in zip(left.shape, right.shape))
        outputs.append(_value(left.elem or right.elem, shape))
    return outputs


def loop(context):
    carried = [context.value(index) for index in range(2, len(context.inputs))]
    body_inputs = [_value(INT64, ()), _value(BOOL, ())] + [
        _value(value.elem, value.shape) if value is not None else None for value in carried]
    body = context.subgraph("body", body_inputs)
    if body is None:
        raise UnknownShape("Loop body")
    outputs = []
    for index in range(context.outputs):
        value = body[index + 1] if index + 1 < len(body) else None
        if index < len(carried):
            start = carried[index]
            shape = None
            if value is not None and start is not None and value.shape is not None and start.shape is not None \
                    and len(value.shape) == len(start.shape):
                shape = tuple(a if a == b else None for a, b in zip(value.shape, start.shape))
            outputs.append(_value((value.elem if value else None) or (start.elem if start else None), shape))
        elif value is not None:
            outputs.append(_value(value.elem, (None,) + value.shape if value.shape is not None else None))
        else:
            outputs.append(None)
    return outputs


register(reduce, "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
          "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin")
register(matmul, "MatMul", "MatMulInteger", "QLinearMatMul")
register(gemm, "Gemm")
register(conv, "Conv", "ConvInteger", "QLinearConv")
register(conv_transpose, "ConvTranspose")
register(pool, "MaxPool", "AveragePool", "LpPool")
register(global_pool, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
register(resize, "Resize", "Upsample")
register(batch_norm, "BatchNormalization")
register(layer_norm, "LayerNormalization")
register(recurrent, "LSTM", "GRU", "RNN")
register(quantize, "QuantizeLinear")
register(dequantize, "DequantizeLinear")
register(dynamic_quantize, "DynamicQuantizeLinear")
register(if_op, "If")
register(loop, "Loop")

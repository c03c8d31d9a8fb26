"""Shapes for Core ML neural-network layers that the file leaves unshaped (most networks before spec 4).

Image-style networks work on C×H×W blobs; each rule takes the layer's parameters and its inputs' shapes and
gives its first output's shape, or None when it cannot tell (then the edge is drawn without a label).
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Tuple

from ..codecs.protobuf import Message
from .windows import window_output

Shape = Tuple[int, ...]

# Layers whose output has the shape of their first input.
_SAME = {"activation", "batchnorm", "unary", "bias", "softmax", "lrn", "mvn", "l2normalize", "copy", "clip",
         "scale", "softmaxND", "sigmoid", "tanh", "gelu", "clampedReLU", "floor", "ceil", "round", "sign"}
_ELEMENTWISE = {"add", "multiply", "max", "min", "average"}


def _borders(amounts: Optional[Message]) -> List[int]:
    """Total padding per spatial axis (start + end) from a BorderAmounts message."""
    borders = amounts.get("borderAmounts", []) if amounts is not None else []
    totals = [int(item.get("startEdgeSize", 0)) + int(item.get("endEdgeSize", 0)) for item in borders]
    return (totals + [0, 0])[:2]


def _window(size: int, kernel: int, stride: int, pad: int, dilation: int = 1, ceil: bool = False) -> Optional[int]:
    return window_output(size, kernel, stride, pad, dilation, ceil, clamp_last=False)


def _spatial(params: Message, shape: Shape, kernel: List[int], ceil_complete: bool = False) -> Optional[List[int]]:
    strides = [int(s) for s in params.get("stride", [])] or [1, 1]
    dilations = [int(d) for d in params.get("dilationFactor", [])] or [1, 1]
    sizes = list(shape[1:3])
    if "same" in params:
        return [math.ceil(size / stride) for size, stride in zip(sizes, strides)]
    complete = params.get("includeLastPixel")
    if complete is not None:
        pads = [2 * int(p) for p in complete.get("paddingAmounts", [])] + [0, 0]
        return [_window(sizes[i], kernel[i], strides[i], pads[i], ceil=True) for i in range(2)]
    pads = _borders((params.get("valid") or Message()).get("paddingAmounts"))
    return [_window(sizes[i], kernel[i], strides[i], pads[i], dilations[i], ceil_complete) for i in range(2)]


def _convolution(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    shape = shapes[0]
    kernel = [int(k) for k in params.get("kernelSize", [])] or [3, 3]
    channels = int(params.get("outputChannels", 0))
    if params.get("isDeconvolution"):
        target = [int(d) for d in params.get("outputShape", [])]
        if len(target) == 2:
            return (channels, *target)
        strides = [int(s) for s in params.get("stride", [])] or [1, 1]
        return (channels, *[(shape[1 + i] - 1) * strides[i] + kernel[i] for i in range(2)])
    spatial = _spatial(params, shape, kernel)
    return None if spatial is None or None in spatial else (channels, *spatial)


def _pooling(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    shape = shapes[0]
    if params.get("globalPooling"):
        return (shape[0], 1, 1)
    kernel = [int(k) for k in params.get("kernelSize", [])] or [3, 3]
    spatial = _spatial(params, shape, kernel)
    return None if spatial is None or None in spatial else (shape[0], *spatial)


def _padding(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    pads = _borders(params.get("paddingAmounts"))
    return (shapes[0][0], shapes[0][1] + pads[0], shapes[0][2] + pads[1])


def _crop(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    if len(shapes) > 1:
        return (shapes[0][0], *shapes[1][1:])
    pads = _borders(params.get("cropAmounts"))
    return (shapes[0][0], shapes[0][1] - pads[0], shapes[0][2] - pads[1])


def _upsample(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    factors = [float(f) for f in params.get("fractionalScalingFactor", [])] or \
        [float(f) for f in params.get("scalingFactor", [])] or [1.0, 1.0]
    shape = shapes[0]
    return (shape[0], int(shape[1] * factors[0]), int(shape[2] * factors[-1]))


def _concat(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    if params.get("sequenceConcat") or any(s[1:] != shapes[0][1:] for s in shapes):
        return None
    return (sum(s[0] for s in shapes), *shapes[0][1:])


def _elementwise(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    return tuple(max(dims) for dims in zip(*shapes))


def _reorganize(params: Message, shapes: List[Shape]) -> Optional[Shape]:
    block = int(params.get("blockSize", 0))
    channels, height, width = shapes[0]
    if block <= 0:
        return None
    if params.get("mode", 0) == 0:  # SPACE_TO_DEPTH
        return (channels * block * block, height // block, width // block)
    return (channels // (block * block), height * block, width * block)


_RULES: Dict[str, Callable[[Message, List[Shape]], Optional[Shape]]] = {
    "convolution": _convolution, "pooling": _pooling, "padding": _padding, "crop": _crop, "upsample": _upsample,
    "concat": _concat, "reorganizeData": _reorganize,
    "innerProduct": lambda params, shapes: (int(params.get("outputChannels", 0)), 1, 1),
    "flatten": lambda params, shapes: (math.prod(shapes[0]), 1, 1),
}


def layer_shape(kind: str, params: Optional[Message], shapes: List[Optional[Tuple]]) -> Optional[Shape]:
    """The C×H×W output shape of a layer whose inputs are all known C×H×W shapes, else None."""
    if not shapes or any(s is None or len(s) != 3 or not all(isinstance(d, int) for d in s) for s in shapes):
        return None
    if kind in _SAME:
        return tuple(shapes[0])
    if kind in _ELEMENTWISE:
        return _elementwise(params or Message(), shapes)
    rule = _RULES.get(kind)
    return rule(params if params is not None else Message(), shapes) if rule is not None else None

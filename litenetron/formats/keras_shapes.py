"""Output shapes of common Keras layers from their config and input shapes (channels-last unless told).

`output_shapes(class_name, config, inputs)` returns one shape per output tensor, or None when the layer is not
one we know or an input shape is missing. A dimension is an int or None (unknown / batch).
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Tuple

from .windows import same_output, window_output

Shape = Tuple[Optional[int], ...]

_IDENTITY = (
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "Dropout",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout", "GaussianDropout",
    "GaussianNoise", "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "Normalization", "Rescaling", "Masking", "ActivityRegularization", "SyncBatchNormalization",
    "RMSNormalization",
)
_ELEMENTWISE = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


def _pair(value, rank: int) -> Tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    return (int(value),) * rank


def _spatial(size: Optional[int], kernel: int, stride: int, padding: str, dilation: int = 1) -> Optional[int]:
    if padding in ("same", "causal"):
        return same_output(size, stride)
    return window_output(size, kernel, stride, 0, dilation)


def _split(shape: Shape, config: dict, rank: int):
    """(batch, spatial dims, channels, channels_first) of an input of `rank` spatial dimensions."""
    first = config.get("data_format") == "channels_first"
    if len(shape) != rank + 2:
        raise ValueError("rank")
    if first:
        return shape[0], shape[2:], shape[1], True
    return shape[0], shape[1:-1], shape[-1], False


def _join(batch, spatial, channels, first: bool) -> Shape:
    return (batch, channels, *spatial) if first else (batch, *spatial, channels)


def _conv(rank: int, transpose: bool = False, depthwise: bool = False):
    def infer(config: dict, inputs: List[Shape]) -> List[Shape]:
        batch, spatial, channels, first = _split(inputs[0], config, rank)
        kernel = _pair(config.get("kernel_size", 1), rank)
        strides = _pair(config.get("strides", 1), rank)
        dilation = _pair(config.get("dilation_rate", 1), rank)
        padding = config.get("padding", "valid")
        if transpose:
            sizes = tuple(None if n is None else (n * s if padding == "same" else n * s + max(k - s, 0))
                          for n, k, s in zip(spatial, kernel, strides))
        else:
            sizes = tuple(_spatial(n, k, s, padding, d) for n, k, s, d in zip(spatial, kernel, strides, dilation))
        if depthwise:
            out = None if channels is None else channels * int(config.get("depth_multiplier", 1))
        else:
            out = config.get("filters")
        return [_join(batch, sizes, out, first)]
    return infer


def _pool(rank: int):
    def infer(config: dict, inputs: List[Shape]) -> List[Shape]:
        batch, spatial, channels, first = _split(inputs[0], config, rank)
        pool = _pair(config.get("pool_size", 2), rank)
        strides = _pair(config.get("strides") or pool, rank)
        padding = config.get("padding", "valid")
        sizes = tuple(_spatial(n, k, s, padding) for n, k, s in zip(spatial, pool, strides))
        return [_join(batch, sizes, channels, first)]
    return infer


def _global_pool(rank: int):
    def infer(config: dict, inputs: List[Shape]) -> List[Shape]:
        batch, spatial, channels, first = _split(inputs[0], config, rank)
        if config.get("keepdims"):
            return [_join(batch, (1,) * rank, channels, first)]
        return [(batch, channels)]
    return infer


def _dense(config: dict, inputs: List[Shape]) -> List[Shape]:
    return [(*inputs[0][:-1], config.get("units"))]


def _flatten(config: dict, inputs: List[Shape]) -> List[Shape]:
    rest = inputs[0][1:]
    size = math.prod(rest) if all(isinstance(d, int) for d in rest) else None
    return [(inputs[0][0], size)]


def _reshape(config: dict, inputs: List[Shape]) -> List[Shape]:
    target = [int(d) for d in config.get("target_shape") or ()]
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        rest = inputs[0][1:]
        total = math.prod(rest) if all(isinstance(d, int) for d in rest) else None
        target[target.index(-1)] = total // known if total is not None and known else None
    return [(inputs[0][0], *target)]


def _concatenate(config: dict, inputs: List[Shape]) -> List[Shape]:
    axis = int(config.get("axis", -1))
    rank = len(inputs[0])
    axis = axis % rank
    sizes = [shape[axis] for shape in inputs]
    output = list(inputs[0])
    output[axis] = sum(sizes) if all(isinstance(s, int) for s in sizes) else None
    return [tuple(output)]


def _recurrent(config: dict, inputs: List[Shape], units: Optional[int] = None) -> List[Shape]:
    units = units if units is not None else config.get("units")
    batch = inputs[0][0]
    output = (batch, inputs[0][1], units) if config.get("return_sequences") else (batch, units)
    if not config.get("return_state"):
        return [output]
    states = 2 if config.get("_class") == "LSTM" else 1
    return [output] + [(batch, units)] * states


def _bidirectional(config: dict, inputs: List[Shape]) -> Optional[List[Shape]]:
    inner = config.get("layer") or {}
    inner_config = dict(inner.get("config") or {})
    units = inner_config.get("units")
    merge = config.get("merge_mode", "concat")
    if merge == "concat" and units is not None:
        units *= 2
    inner_config["return_state"] = False
    return _recurrent(inner_config, inputs, units)


def _embedding(config: dict, inputs: List[Shape]) -> List[Shape]:
    return [(*inputs[0], config.get("output_dim"))]


def _time_distributed(config: dict, inputs: List[Shape]) -> Optional[List[Shape]]:
    inner = config.get("layer") or {}
    shape = inputs[0]
    outputs = output_shapes(inner.get("class_name", ""), inner.get("config") or {}, [(shape[0], *shape[2:])])
    if not outputs:
        return None
    return [(shape[0], shape[1], *outputs[0][1:])]


def _repeat(config: dict, inputs: List[Shape]) -> List[Shape]:
    return [(inputs[0][0], config.get("n"), *inputs[0][1:])]


def _permute(config: dict, inputs: List[Shape]) -> List[Shape]:
    return [(inputs[0][0], *(inputs[0][int(d)] for d in config.get("dims", ())))]


def _upsampling(rank: int):
    def infer(config: dict, inputs: List[Shape]) -> List[Shape]:
        batch, spatial, channels, first = _split(inputs[0], config, rank)
        size = _pair(config.get("size", 2), rank)
        return [_join(batch, tuple(None if n is None else n * s for n, s in zip(spatial, size)), channels, first)]
    return infer


_RULES: Dict[str, Callable] = {
    "Dense": _dense, "Flatten": _flatten, "Reshape": _reshape, "Concatenate": _concatenate,
    "LSTM": _recurrent, "GRU": _recurrent, "SimpleRNN": _recurrent, "CuDNNLSTM": _recurrent,
    "CuDNNGRU": _recurrent, "Bidirectional": _bidirectional, "Embedding": _embedding,
    "TimeDistributed": _time_distributed, "RepeatVector": _repeat, "Permute": _permute,
    "Conv1D": _conv(1), "Conv2D": _conv(2), "Conv3D": _conv(3),
    "Conv1DTranspose": _conv(1, transpose=True), "Conv2DTranspose": _conv(2, transpose=True),
    "Conv3DTranspose": _conv(3, transpose=True), "SeparableConv1D": _conv(1), "SeparableConv2D": _conv(2),
    "DepthwiseConv1D": _conv(1, depthwise=True), "DepthwiseConv2D": _conv(2, depthwise=True),
    "UpSampling1D": _upsampling(1), "UpSampling2D": _upsampling(2), "UpSampling3D": _upsampling(3),
}
for _rank in (1, 2, 3):
    for _name in ("MaxPooling", "AveragePooling", "MaxPool", "AvgPool"):
        _RULES[f"{_name}{_rank}D"] = _pool(_rank)
    for _name in ("GlobalMaxPooling", "GlobalAveragePooling", "GlobalMaxPool", "GlobalAvgPool"):
        _RULES[f"{_name}{_rank}D"] = _global_pool(_rank)


def output_shapes(class_name: str, config: dict, inputs: List[Optional[Shape]]) -> Optional[List[Shape]]:
    """Output shapes of one call of a layer, or None when they cannot be worked out."""
    if not inputs or any(shape is None for shape in inputs):
        return None
    if class_name in _IDENTITY:
        return [inputs[0]]
    if class_name in _ELEMENTWISE:
        return [max(inputs, key=len)]
    rule = _RULES.get(class_name)
    if rule is None:
        return None
    try:
        return rule(dict(config, _class=class_name), inputs)
    except (ValueError, TypeError, IndexError, ZeroDivisionError, OverflowError):
        return None

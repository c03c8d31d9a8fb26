"""Convolution and pooling window arithmetic, one answer for every reader.

A window of `kernel` elements, dilated by `dilation`, slides by `stride` over `size` elements padded by `pad`
in total (both sides summed). Sizes the file cannot mean (an unknown or negative size, a stride, kernel or
dilation below 1, negative padding, a window wider than the padded input) give None: the shape is drawn `?`
instead of a made-up number.
"""

from __future__ import annotations

from typing import Any, Optional


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def window_output(size: Any, kernel: int, stride: int, pad: int = 0, dilation: int = 1, ceil: bool = False,
                  pad_before: Optional[int] = None, clamp_last: bool = True) -> Optional[int]:
    """Output length: floor((size + pad - span) / stride) + 1 with span = dilation * (kernel - 1) + 1.

    `ceil` rounds up instead (Caffe's and PyTorch's ceil mode); then the last window must start inside the
    input or its leading padding (`pad_before`, half of `pad` unless given), which `clamp_last` enforces.
    """
    if not all(_whole(v) for v in (size, kernel, stride, pad, dilation)):
        return None
    if size < 0 or kernel < 1 or stride < 1 or dilation < 1 or pad < 0:
        return None
    extent = size + pad - (dilation * (kernel - 1) + 1)
    if extent < 0:
        return None
    out = (-(-extent // stride) if ceil else extent // stride) + 1
    if ceil and clamp_last and (out - 1) * stride >= size + (pad // 2 if pad_before is None else pad_before):
        out -= 1
    return out if out >= 1 else None


def same_output(size: Any, stride: int) -> Optional[int]:
    """Output length of "same" padding: ceil(size / stride)."""
    if not (_whole(size) and _whole(stride)) or size < 0 or stride < 1:
        return None
    return -(-size // stride)


def transposed_output(size: Any, kernel: int, stride: int, pad: int = 0, dilation: int = 1,
                      output_padding: int = 0) -> Optional[int]:
    """Output length of a transposed convolution: (size - 1) * stride - pad + span + output_padding."""
    if not all(_whole(v) for v in (size, kernel, stride, pad, dilation, output_padding)):
        return None
    if size < 1 or kernel < 1 or stride < 1 or dilation < 1 or pad < 0 or output_padding < 0:
        return None
    out = (size - 1) * stride - pad + dilation * (kernel - 1) + 1 + output_padding
    return out if out >= 1 else None

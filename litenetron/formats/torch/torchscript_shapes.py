"""Output shapes of TorchScript operators, worked out from their inputs' shapes as the forward graph is read.

`infer(op, names, args, kwargs, outputs)` gets the call's arguments with every tensor replaced by its
`TensorType` (rank unknown: `TensorType()`), known scalars (`size(x, 0)` of a traced input) as ints and constants
as they are; it returns one `TensorType` or None per output. The rules follow the aten operator definitions; whatever
they cannot settle (an unknown rank, a non-constant stride, an inconsistent call) stays None and is drawn `?`
— a shape is never guessed. Standard library only.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ...model import TensorType
from ..schemas.torchscript import ARGUMENT_NAMES, SCALAR_TYPES, SHAPE_KEEPING
from ..windows import transposed_output, window_output

Shape = Tuple[Any, ...]
_ABSENT = object()  # an argument the call left out (its default applies), unlike an explicit None
_FLOATING = ("float16", "bfloat16", "float32", "float64")


def argument_names(op: str) -> Sequence[str]:
    """The aten argument names of `op` (in-place `relu_` as `relu`)."""
    return ARGUMENT_NAMES.get(op) or ARGUMENT_NAMES.get(op.rstrip("_"), ())


def infer(op: str, names: Sequence[str], args: List[Any], kwargs: Dict[str, Any],
          outputs: int) -> List[Optional[TensorType]]:
    """Output types of a call of `op` whose positional `args` have the parameter `names`.

    `op` is the aten name, or a TorchScript function's (`_max_pool2d`, named by its own parameters)."""
    rule = _RULES.get(op) or _RULES.get(op.strip("_"))
    result: Any = None
    if rule is not None:
        bound = dict(zip(names, args))
        bound.update(kwargs)
        try:
            result = rule(bound)
        except (ArithmeticError, TypeError, ValueError, IndexError, AttributeError):
            result = None  # an argument of an unexpected kind: unknown, not an error
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    results = [r if r is not None and (r.dtype or r.shape is not None) else None for r in results]
    return (results + [None] * outputs)[:max(1, outputs)]


def keeps_rank(op: str) -> bool:
    """Whether `op`'s result always has the rank of its first argument (so one tells the other)."""
    rule = _RULES.get(op) or _RULES.get(op.strip("_"))
    return rule is not None and (rule is _same or op.strip("_") in _RANK_KEEPING)


def scalar(op: str, args: List[Any]) -> Optional[int]:
    """The value of an integer scalar operator whose operands are known (`size(x, 0)`, `NumToTensor`, `mul`)."""
    if op == "size" and len(args) == 2 and _is_tensor(args[0]) and _is_int(args[1]):
        shape = args[0].shape
        dim = _wrap(args[1], len(shape)) if shape else None
        return shape[dim] if dim is not None and _is_int(shape[dim]) else None
    if op in ("NumToTensor", "Int") and len(args) == 1 and _is_int(args[0]):
        return args[0]
    if op in _INT_ARITHMETIC and len(args) == 2 and all(_is_int(a) and abs(a) < 1 << 62 for a in args):
        # bounded operands: `a = mul(a, a)` repeated must not grow a huge integer
        return _INT_ARITHMETIC[op](args[0], args[1]) if op != "floordiv" or args[1] else None
    return None


_INT_ARITHMETIC: Dict[str, Callable[[int, int], int]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "floordiv": lambda a, b: a // b}


# --- helpers ----------------------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, TensorType)


def _dim(value: Any) -> Any:
    """A dimension as drawn: an int ≥ 0 or a symbol, else None."""
    if _is_int(value):
        return value if value >= 0 else None
    return value if isinstance(value, str) else None


def _wrap(dim: Any, rank: int) -> Optional[int]:
    if not _is_int(dim) or not -max(rank, 1) <= dim < max(rank, 1):
        return None
    return dim + rank if dim < 0 else dim


def _ints(value: Any, count: int) -> Optional[List[int]]:
    """An int-or-list argument (stride, padding, kernel) as `count` ints."""
    if _is_int(value):
        return [value] * count
    if isinstance(value, list) and all(_is_int(v) for v in value) and len(value) in (1, count):
        return value * count if len(value) == 1 else list(value)
    return None


def _dtype(code: Any, fallback: Optional[str]) -> Optional[str]:
    """A `dtype=` argument: a ScalarType number, None or left out (keep `fallback`), else unknown."""
    if code is None or code is _ABSENT:
        return fallback
    return SCALAR_TYPES.get(code) if _is_int(code) else None


def _tensor(bound: Dict[str, Any], name: str = "input") -> Optional[TensorType]:
    value = bound.get(name)
    return value if _is_tensor(value) else None


def _first_dtype(*values: Any) -> Optional[str]:
    return next((v.dtype for v in values if _is_tensor(v) and v.dtype), None)


def _merge(a: Any, b: Any) -> Any:
    """Two dims that must be equal: the known one (None on a conflict or when both are unknown)."""
    if _is_int(a) and _is_int(b):
        return a if a == b else None
    return a if a is not None else b


# --- rules ------------------------------------------------------------------------------------------------

def _same(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound)
    return TensorType(_dtype(bound.get("dtype", _ABSENT), x.dtype), x.shape) if x else None


def _bounded(bound: Dict[str, Any]) -> Optional[TensorType]:
    """clamp / masked_fill: the input's shape, unless a bound or the mask is a tensor (which broadcasts)."""
    if any(_is_tensor(bound.get(key)) for key in ("min", "max", "mask")):
        return None
    return _same(bound)


def _convolution(bound: Dict[str, Any], transposed: Optional[bool] = None) -> Optional[TensorType]:
    x, w = _tensor(bound), _tensor(bound, "weight")
    if transposed is None:
        transposed = bound.get("transposed")
        if not isinstance(transposed, bool):
            return None
    if not x or not w or x.shape is None or w.shape is None or len(w.shape) < 3:
        return None
    n = len(w.shape) - 2
    if len(x.shape) not in (n + 1, n + 2) or not all(_is_int(k) for k in w.shape):
        return None
    groups = bound.get("groups", 1)
    stride = _ints(bound.get("stride", 1), n)
    dilation = _ints(bound.get("dilation", 1), n)
    padding: Any = bound.get("padding", 0)
    padding = [0] * n if padding == "valid" else padding
    output_padding = _ints(bound.get("output_padding", 0), n)
    if not _is_int(groups) or groups < 1 or stride is None or dilation is None or output_padding is None:
        return None
    channels = w.shape[1] * groups if not transposed else w.shape[0]
    if _is_int(x.shape[-n - 1]) and x.shape[-n - 1] != channels:
        return None  # the call does not fit the weight: say nothing rather than something wrong
    spatial: List[Any] = []
    for index, size in enumerate(x.shape[-n:]):
        kernel, s, d = w.shape[2 + index], stride[index], dilation[index]
        if padding == "same" and not transposed:
            spatial.append(size)
            continue
        pads = _ints(padding, n)
        if pads is None or not _is_int(size):
            spatial.append(None)
        else:
            if transposed:
                spatial.append(transposed_output(size, kernel, s, 2 * pads[index], d, output_padding[index]))
            else:
                spatial.append(window_output(size, kernel, s, 2 * pads[index], d))
    out_channels = w.shape[0] if not transposed else w.shape[1] * groups
    return TensorType(x.dtype or w.dtype, x.shape[:-n - 1] + (out_channels,) + tuple(spatial))


def _pool(n: int, dilated: bool) -> Callable[[Dict[str, Any]], Any]:
    def rule(bound: Dict[str, Any]) -> Any:
        x = _tensor(bound)
        if not x or x.shape is None or len(x.shape) not in (n + 1, n + 2):
            return None
        kernel = _ints(bound.get("kernel_size"), n)
        stride_value = bound.get("stride", [])
        stride = kernel if stride_value == [] else _ints(stride_value, n)
        padding = _ints(bound.get("padding", 0), n)
        dilation = _ints(bound.get("dilation", 1), n) if dilated else [1] * n
        ceil = bound.get("ceil_mode", False)
        if kernel is None or stride is None or padding is None or dilation is None or not isinstance(ceil, bool):
            return None
        spatial = []
        for index, size in enumerate(x.shape[-n:]):
            k, s, p, d = kernel[index], stride[index], padding[index], dilation[index]
            spatial.append(window_output(size, k, s, 2 * p, d, ceil, pad_before=p))
        out_type = TensorType(x.dtype, x.shape[:-n] + tuple(spatial))
        return [out_type, TensorType("int64", out_type.shape)]
    return rule


def _adaptive(n: int) -> Callable[[Dict[str, Any]], Any]:
    def rule(bound: Dict[str, Any]) -> Any:
        x, size = _tensor(bound), bound.get("output_size")
        if not x or x.shape is None or len(x.shape) not in (n + 1, n + 2):
            return None
        sizes = [size] * n if _is_int(size) else size if isinstance(size, list) and len(size) == n else None
        if sizes is None:
            return None
        out_type = TensorType(x.dtype, x.shape[:-n] + tuple(_dim(s) for s in sizes))
        return [out_type, TensorType("int64", out_type.shape)]
    return rule


def _flatten(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound)
    start, end = bound.get("start_dim", 0), bound.get("end_dim", -1)
    if not x or not _is_int(start) or not _is_int(end):
        return None
    if x.shape is None:  # flattening to the end fixes the rank even when the input's is unknown
        return TensorType(x.dtype, (None,) * (start + 1)) if end == -1 and start >= 0 else None
    if not x.shape:
        return TensorType(x.dtype, (1,))
    first, last = _wrap(start, len(x.shape)), _wrap(end, len(x.shape))
    if first is None or last is None or first > last:
        return None
    merged = x.shape[first:last + 1]
    size = math.prod(merged) if all(_is_int(d) for d in merged) else None
    return TensorType(x.dtype, x.shape[:first] + (size,) + x.shape[last + 1:])


def _reshape(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound)
    sizes = bound.get("shape", bound.get("size"))
    if not x or not isinstance(sizes, list) or sum(1 for s in sizes if s == -1) > 1:
        return None
    if any(_is_int(s) and s < -1 for s in sizes):
        return None
    dims = [s if _is_int(s) else None for s in sizes]
    if -1 in dims:
        known = [d for d in dims if d != -1]
        total = math.prod(x.shape) if x.shape is not None and all(_is_int(d) for d in x.shape) else None
        rest = math.prod(known) if all(_is_int(d) for d in known) else None
        inferred = total // rest if total is not None and rest and total % rest == 0 else None
        dims = [inferred if d == -1 else d for d in dims]
    return TensorType(x.dtype, tuple(dims))


def _linear(bound: Dict[str, Any]) -> Optional[TensorType]:
    x, w = _tensor(bound), _tensor(bound, "weight")
    if not x or not w or not x.shape or w.shape is None or len(w.shape) not in (1, 2):
        return None
    if _is_int(x.shape[-1]) and _is_int(w.shape[-1]) and x.shape[-1] != w.shape[-1]:
        return None
    return TensorType(x.dtype or w.dtype, x.shape[:-1] + w.shape[:-1])


def _broadcast(shapes: List[Shape]) -> Optional[Shape]:
    rank = max(len(s) for s in shapes)
    out = []
    for index in range(rank):
        dims = [s[len(s) - rank + index] for s in shapes if len(s) - rank + index >= 0]
        sized = {d for d in dims if _is_int(d) and d != 1}
        if len(sized) > 1:
            return None
        if sized:
            out.append(sized.pop())  # any unknown dim here must be 1 or this size
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            unknown = [d for d in dims if d != 1]
            out.append(unknown[0] if len(set(unknown)) == 1 else None)
    return tuple(out)


def _elementwise(result_dtype: Optional[str] = "") -> Callable[[Dict[str, Any]], Any]:
    """Broadcasting binary operators; `result_dtype` "" means the operands' common dtype."""
    def rule(bound: Dict[str, Any]) -> Any:
        a, b = bound.get("input"), bound.get("other")
        tensors = [v for v in (a, b) if _is_tensor(v)]
        if not tensors or any(not _is_tensor(v) and not isinstance(v, (int, float)) for v in (a, b)):
            return None
        shapes = [t.shape for t in tensors]
        shape = _broadcast(shapes) if all(s is not None for s in shapes) else None
        if result_dtype != "":
            return TensorType(result_dtype, shape)
        dtypes = {t.dtype for t in tensors}
        dtype = dtypes.pop() if len(dtypes) == 1 else None
        number = next((v for v in (a, b) if not _is_tensor(v)), None)
        if _is_int(number) and dtype == "bool":
            dtype = "int64"
        elif isinstance(number, float) and dtype not in _FLOATING:
            dtype = None  # a Python float makes an integer tensor the default float type
        return TensorType(dtype, shape)
    return rule


def _divide(bound: Dict[str, Any]) -> Any:
    result = _elementwise()(bound)
    if result is not None and result.dtype not in _FLOATING:
        result.dtype = None  # true division of integers gives the default float type
    return result


def _matmul(bound: Dict[str, Any]) -> Optional[TensorType]:
    a, b = _tensor(bound), _tensor(bound, "other")
    if not a or not b or not a.shape or not b.shape:
        return None
    left = a.shape if len(a.shape) > 1 else (1,) + a.shape
    right = b.shape if len(b.shape) > 1 else b.shape + (1,)
    batch = _broadcast([left[:-2], right[:-2]]) if len(left) > 2 or len(right) > 2 else ()
    if batch is None or _is_int(left[-1]) and _is_int(right[-2]) and left[-1] != right[-2]:
        return None
    out = batch + ((left[-2],) if len(a.shape) > 1 else ()) + ((right[-1],) if len(b.shape) > 1 else ())
    return TensorType(a.dtype or b.dtype, out)


def _mm(first: str, second: str) -> Callable[[Dict[str, Any]], Any]:
    def rule(bound: Dict[str, Any]) -> Any:
        a, b = _tensor(bound, first), _tensor(bound, second)
        if not a or not b or a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
            return None
        if len(a.shape) == 2:
            return TensorType(a.dtype or b.dtype, (a.shape[0], b.shape[1]))
        if len(a.shape) == 3:
            return TensorType(a.dtype or b.dtype, (_merge(a.shape[0], b.shape[0]), a.shape[1], b.shape[2]))
        return None
    return rule


def _concatenate(stack: bool) -> Callable[[Dict[str, Any]], Any]:
    def rule(bound: Dict[str, Any]) -> Any:
        items, dim = bound.get("tensors"), bound.get("dim", 0)
        if not isinstance(items, list) or not items or not all(_is_tensor(t) for t in items):
            return None
        if not stack:  # legacy: empty 1-D tensors are skipped by cat
            items = [t for t in items if t.shape != (0,)] or items
        dtypes = {t.dtype for t in items}
        dtype = dtypes.pop() if len(dtypes) == 1 else None
        shapes = [t.shape for t in items]
        if any(s is None for s in shapes) or len({len(s) for s in shapes}) != 1:
            return None
        rank = len(shapes[0])
        axis = _wrap(dim, rank + 1 if stack else rank)
        if axis is None:
            return None
        merged = list(shapes[0])
        for shape in shapes[1:]:
            if any(_is_int(m) and _is_int(d) and m != d for i, (m, d) in enumerate(zip(merged, shape))
                   if stack or i != axis):
                return None  # the call does not fit together: say nothing
            merged = [_merge(m, d) for m, d in zip(merged, shape)]
        if stack:
            return TensorType(dtype, tuple(merged[:axis]) + (len(items),) + tuple(merged[axis:]))
        along = [s[axis] for s in shapes]
        merged[axis] = sum(along) if all(_is_int(d) for d in along) else None
        return TensorType(dtype, tuple(merged))
    return rule


def _transpose(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound)
    if not x or x.shape is None:
        return None
    if "dim0" not in bound:  # t(): a 0-D or 1-D tensor stays, a matrix swaps
        return TensorType(x.dtype, x.shape[::-1]) if len(x.shape) <= 2 else None
    rank = len(x.shape)
    first, second = _wrap(bound.get("dim0"), rank), _wrap(bound.get("dim1"), rank)
    if first is None or second is None:
        return None
    dims = list(x.shape)
    dims[first], dims[second] = dims[second], dims[first]
    return TensorType(x.dtype, tuple(dims))


def _permute(bound: Dict[str, Any]) -> Optional[TensorType]:
    x, order = _tensor(bound), bound.get("dims")
    if not x or x.shape is None or not isinstance(order, list) or len(order) != len(x.shape):
        return None
    wrapped = [_wrap(d, len(x.shape)) for d in order]
    if sorted(w for w in wrapped if w is not None) != list(range(len(x.shape))):
        return None
    return TensorType(x.dtype, tuple(x.shape[w] for w in wrapped))


def _unsqueeze(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound)
    axis = _wrap(bound.get("dim"), len(x.shape) + 1) if x and x.shape is not None else None
    return TensorType(x.dtype, x.shape[:axis] + (1,) + x.shape[axis:]) if axis is not None else None


def _squeeze(bound: Dict[str, Any]) -> Optional[TensorType]:
    x, dims = _tensor(bound), bound.get("dim", _ABSENT)
    if not x or x.shape is None:
        return None
    rank = len(x.shape)
    axes = range(rank) if dims is _ABSENT else [dims] if _is_int(dims) else dims
    if not isinstance(axes, (list, range)):
        return None
    wrapped = {_wrap(d, rank) for d in axes}
    if None in wrapped and rank:
        return None
    if any(not _is_int(x.shape[w]) for w in wrapped if w is not None and w < rank):
        return None  # whether an unknown dim is 1 decides the rank
    return TensorType(x.dtype, tuple(d for i, d in enumerate(x.shape) if not (i in wrapped and d == 1)))


def _select(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound)
    axis = _wrap(bound.get("dim"), len(x.shape)) if x and x.shape else None
    return TensorType(x.dtype, x.shape[:axis] + x.shape[axis + 1:]) if axis is not None else None


def _slice(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound)
    if not x or not x.shape:
        return None
    axis = _wrap(bound.get("dim", 0), len(x.shape))
    start, end, step = bound.get("start", _ABSENT), bound.get("end", _ABSENT), bound.get("step", 1)
    if axis is None or not _is_int(step) or step < 1:
        return None
    size = x.shape[axis]
    # An explicit None may stand for a value the reader could not work out: only a left-out bound is open.
    known = all(v is _ABSENT or _is_int(v) for v in (start, end))
    if known and start in (_ABSENT, 0) and (end is _ABSENT or end >= 1 << 62) and step == 1:
        length = size  # the whole dim (traced code writes `end` as the largest int64)
    elif known and _is_int(size):
        first, last = (None if v is _ABSENT else v for v in (start, end))
        length = len(range(*slice(first, last, step).indices(size)))
    else:
        length = None
    return TensorType(x.dtype, x.shape[:axis] + (length,) + x.shape[axis + 1:])


def _embedding(bound: Dict[str, Any]) -> Optional[TensorType]:
    # aten::embedding(weight, indices); torch.nn.functional.embedding(input, weight)
    w, indices = _tensor(bound, "weight"), _tensor(bound, "indices") or _tensor(bound, "input")
    if not w or not indices or indices.shape is None or w.shape is None or len(w.shape) != 2:
        return None
    return TensorType(w.dtype, indices.shape + (w.shape[1],))


def _recurrent(gates: int, cell_state: bool) -> Callable[[Dict[str, Any]], Any]:
    def rule(bound: Dict[str, Any]) -> Any:
        x, params = _tensor(bound), bound.get("params")
        layers, bidirectional, batch_first = (bound.get(k) for k in ("num_layers", "bidirectional", "batch_first"))
        if not isinstance(bidirectional, bool) or not isinstance(batch_first, bool) or not _is_int(layers):
            return None  # the packed-sequence overload, or settings the reader could not work out
        if not x or x.shape is None or len(x.shape) != 3 or not isinstance(params, list) or len(params) < 2:
            return None
        w_hh = params[1].shape if _is_tensor(params[1]) else None
        if w_hh is None or len(w_hh) != 2 or not _is_int(w_hh[0]) or not _is_int(w_hh[1]):
            return None
        directions = 2 if bidirectional else 1
        dtype = x.dtype or _first_dtype(*params)
        batch = x.shape[0] if batch_first else x.shape[1]
        output = TensorType(dtype, x.shape[:2] + (directions * w_hh[1],))
        hidden = TensorType(dtype, (directions * layers, batch, w_hh[1]))
        if not cell_state:
            return [output, hidden]
        return [output, hidden, TensorType(dtype, (directions * layers, batch, w_hh[0] // gates))]
    return rule


def _size(bound: Dict[str, Any]) -> Optional[TensorType]:
    return TensorType("int64", ()) if "dim" in bound else None  # without a dim: a list of ints


def _number_to_tensor(bound: Dict[str, Any]) -> TensorType:
    value = bound.get("input")
    integer = _is_int(value) or _is_tensor(value) and value.dtype == "int64" and value.shape == ()
    return TensorType("int64" if integer else None, ())


def _factory(bound: Dict[str, Any]) -> Optional[TensorType]:
    sizes = bound.get("size")
    if not isinstance(sizes, list):
        return None
    return TensorType(_dtype(bound.get("dtype", _ABSENT), None), tuple(_dim(s) for s in sizes))


def _to(bound: Dict[str, Any]) -> Optional[TensorType]:
    """`to(x, dtype)`, `to(x, device, dtype)` or `to(x, other)`: the shape stays, the dtype is the target."""
    x = _tensor(bound)
    if not x:
        return None
    first, second = bound.get("arg1", _ABSENT), bound.get("arg2", _ABSENT)
    dtype = bound.get("dtype", _ABSENT)
    if dtype is _ABSENT:
        if _is_tensor(first):
            return TensorType(first.dtype, x.shape)
        dtype = first if _is_int(first) else second if isinstance(first, str) and _is_int(second) else None
    return TensorType(_dtype(dtype, x.dtype) if dtype is not None else None, x.shape)


def _like(bound: Dict[str, Any]) -> Optional[TensorType]:
    x = _tensor(bound, "other")
    return TensorType(_first_dtype(bound.get("input")), x.shape) if x else None


def _expand(bound: Dict[str, Any]) -> Optional[TensorType]:
    x, sizes = _tensor(bound), bound.get("size")
    if not x or x.shape is None or not isinstance(sizes, list) or len(sizes) < len(x.shape):
        return None
    lead = len(sizes) - len(x.shape)
    dims = [x.shape[i - lead] if s == -1 and i >= lead else _dim(s) for i, s in enumerate(sizes)]
    return TensorType(x.dtype, tuple(dims))


def _reduce(integer_sum: bool) -> Callable[[Dict[str, Any]], Any]:
    """`sum`/`mean` over `dim` (all dims when left out); `sum` of integers or bools gives int64."""
    def rule(bound: Dict[str, Any]) -> Any:
        x, dims, keep = _tensor(bound), bound.get("dim", _ABSENT), bound.get("keepdim", False)
        if not x or not isinstance(keep, bool):
            return None
        dtype = x.dtype
        if integer_sum and dtype and dtype not in _FLOATING and not dtype.startswith("complex"):
            dtype = "int64"
        dtype = _dtype(bound.get("dtype", _ABSENT), dtype)
        if dims is _ABSENT:
            return TensorType(dtype, ())
        axes = [dims] if _is_int(dims) else dims
        if x.shape is None or not isinstance(axes, list) or not axes:
            return None
        wrapped = {_wrap(d, len(x.shape)) for d in axes}
        if None in wrapped:
            return None
        shape = tuple(1 if i in wrapped else d for i, d in enumerate(x.shape) if keep or i not in wrapped)
        return TensorType(dtype, shape)
    return rule


def _pad(bound: Dict[str, Any]) -> Optional[TensorType]:
    x, pads = _tensor(bound), bound.get("pad")
    if not x or x.shape is None or not isinstance(pads, list) or len(pads) % 2 or len(pads) // 2 > len(x.shape):
        return None
    dims = list(x.shape)
    for index in range(len(pads) // 2):
        axis = len(dims) - 1 - index
        low, high = pads[2 * index], pads[2 * index + 1]
        dims[axis] = dims[axis] + low + high if _is_int(dims[axis]) and _is_int(low) and _is_int(high) else None
    return TensorType(x.dtype, tuple(dims))


_RANK_KEEPING = {"conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                 "convolution", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
                 "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
                 "adaptive_max_pool2d", "adaptive_max_pool3d"}

_RULES: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    **{name: _same for name in SHAPE_KEEPING},
    "clamp": _bounded, "clamp_min": _bounded, "clamp_max": _bounded,
    "conv1d": lambda b: _convolution(b, False), "conv2d": lambda b: _convolution(b, False),
    "conv3d": lambda b: _convolution(b, False), "conv_transpose1d": lambda b: _convolution(b, True),
    "conv_transpose2d": lambda b: _convolution(b, True), "conv_transpose3d": lambda b: _convolution(b, True),
    "_convolution": _convolution,
    "max_pool1d": _pool(1, True), "max_pool2d": _pool(2, True), "max_pool3d": _pool(3, True),
    "max_pool2d_with_indices": _pool(2, True),
    "avg_pool1d": _pool(1, False), "avg_pool2d": _pool(2, False), "avg_pool3d": _pool(3, False),
    "adaptive_avg_pool1d": _adaptive(1), "adaptive_avg_pool2d": _adaptive(2), "adaptive_avg_pool3d": _adaptive(3),
    "adaptive_max_pool1d": _adaptive(1), "adaptive_max_pool2d": _adaptive(2), "adaptive_max_pool3d": _adaptive(3),
    "flatten": _flatten, "view": _reshape, "reshape": _reshape,
    "linear": _linear, "matmul": _matmul, "mm": _mm("input", "mat2"), "bmm": _mm("input", "mat2"),
    "addmm": _mm("mat1", "mat2"),
    "add": _elementwise(), "sub": _elementwise(), "rsub": _elementwise(), "mul": _elementwise(),
    "div": _divide, "pow": _elementwise(), "maximum": _elementwise(), "minimum": _elementwise(),
    "eq": _elementwise("bool"), "ne": _elementwise("bool"), "lt": _elementwise("bool"),
    "gt": _elementwise("bool"), "le": _elementwise("bool"), "ge": _elementwise("bool"),
    "cat": _concatenate(False), "stack": _concatenate(True),
    "transpose": _transpose, "t": _transpose, "permute": _permute, "unsqueeze": _unsqueeze,
    "squeeze": _squeeze, "select": _select, "slice": _slice, "embedding": _embedding,
    "gru": _recurrent(3, False), "rnn_tanh": _recurrent(1, False), "rnn_relu": _recurrent(1, False),
    "lstm": _recurrent(4, True),
    "size": _size, "NumToTensor": _number_to_tensor,
    "zeros": _factory, "ones": _factory, "empty": _factory, "rand": _factory, "randn": _factory,
    "full": _factory,
    "to": _to, "type_as": lambda b: _to({"input": b.get("input"), "arg1": b.get("other")}),
    "expand": _expand, "expand_as": _like, "view_as": _like, "reshape_as": _like,
    "sum": _reduce(True), "mean": _reduce(False), "constant_pad_nd": _pad, "pad": _pad,
}

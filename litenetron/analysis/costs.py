"""MACs, FLOPs and bytes per node, from the shapes and attributes a graph already carries.

Definitions (what we count, and where other tools count differently):
- MACs are multiply-accumulates: convolutions (out elements × weights per output channel), matmul / gemm /
  linear (out elements × K), einsum, attention (QKᵀ and the weighted sum of V), recurrent cells, and the
  per-element affine of batch norm / Scale (one MAC). A bias add counts one MAC per output element, as onnx-tool
  and thop count it. Pooling, elementwise ops and activations do no multiply-accumulate: 0 MACs.
- FLOPs are arithmetic operations: 2 per MAC, plus the elementwise work of every other operator (one per
  elementary operation per element: exp, tanh, erf, sqrt, division count one each), pooling (kernel size per
  output), softmax (5 per element), reductions (one per input element), resize (linear: 2ⁿ MACs per output for n
  resized axes; nearest: a copy, 0).
- Data movement (reshape, transpose, concat, gather, slice, pad, cast…) costs 0. An operator with no rule is
  unknown (None), never 0, and makes the graph total a lower bound.
- Dimensions: an unknown or symbolic leading (batch) dimension counts as 1; other symbols take the values the
  caller binds (`seq = 128`); an unbound or unknown one counts as 1 and marks the figure as a lower bound.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from ..model import DTYPE_ITEMSIZE, Graph, Node, Value
from .op_kinds import VARIADIC_ELEMENTWISE, canonical, kind_of

Shape = Optional[Tuple]
Symbols = Dict[str, int]

# Families whose tensors are channels-last (NHWC): the output-channel axis of a convolution is the last one.
_CHANNELS_LAST = ("TensorFlow", "Keras", "TF.js", "TensorFlow.js")

# Symbols that name the batch: evaluated as 1 without making a figure a lower bound.
_BATCH_SYMBOLS = {"batch", "batch_size", "batchsize", "n", "b", "bs", "N", "B"}


def channels_last(format_name: str) -> bool:
    return format_name.startswith(_CHANNELS_LAST)


@dataclass
class Cost:
    """A node's arithmetic: None means unknown; `bound` means a dimension was unknown (counted as 1)."""

    macs: Optional[int]
    flops: Optional[int]
    bound: bool = False


@dataclass
class NodeCost:
    node: Node
    cost: Cost
    parameters: int
    weight_bytes: int
    output_bytes: Optional[int]


@dataclass
class OpTypeCost:
    count: int = 0
    macs: int = 0
    flops: int = 0
    unknown: int = 0


@dataclass
class GraphCosts:
    nodes: List[NodeCost]
    macs: int
    flops: int
    unknown: int          # nodes whose cost is unknown: the totals are lower bounds when this is not 0
    bound: bool           # some dimension was unknown or an unbound symbol
    weight_bytes: int
    activation_bytes: Optional[int]   # peak bytes of live activations in a topological execution
    by_type: Dict[str, OpTypeCost] = field(default_factory=dict)
    symbols: Dict[str, int] = field(default_factory=dict)   # the bindings used
    free_symbols: List[str] = field(default_factory=list)   # symbols seen but not bound (counted as 1)

    @property
    def lower_bound(self) -> bool:
        return self.bound or self.unknown > 0

    def by_node(self) -> Dict[int, NodeCost]:
        return {id(entry.node): entry for entry in self.nodes}


_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_FUNCTIONS = {"floor": math.floor, "ceil": math.ceil, "max": max, "min": min, "Max": max, "Min": min,
              "floordiv": operator.floordiv, "FloorDiv": operator.floordiv}


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def evaluate_dimension(text: str, symbols: Symbols) -> Optional[int]:
    """The size a symbolic dimension such as `floor(height/2 - 1/2) + 1` takes under the bindings, or None when
    it names an unbound symbol or is not plain arithmetic (nothing is ever executed: the text is parsed)."""
    if len(text) > 200:
        return None
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError:
        return None

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name):
            return symbols[node.id] if node.id in symbols else None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = walk(node.operand)
            return None if operand is None else -operand
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = walk(node.left), walk(node.right)
            if left is None or right is None or (isinstance(node.op, ast.Pow) and abs(right) > 64):
                return None
            return _OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
            arguments = [walk(argument) for argument in node.args]
            return None if None in arguments or not arguments else _FUNCTIONS[node.func.id](*arguments)
        return None

    try:
        result = walk(tree)
    except (ArithmeticError, ValueError):   # division by zero, floor(inf), a float too big
        return None
    return int(result) if isinstance(result, (int, float)) and math.isfinite(result) and result >= 0 else None


class _Dims:
    """Resolves dimensions to sizes under the symbol bindings, remembering when it had to guess."""

    def __init__(self, symbols: Symbols, free: set):
        self.symbols, self.free, self.bound = symbols, free, False
        self.cache: Dict[tuple, Tuple[Tuple[int, ...], bool]] = {}   # shapes repeat: resolve each once

    def size(self, dim, axis: int) -> int:
        if isinstance(dim, int) and dim >= 0:
            return dim
        if isinstance(dim, str):
            if dim in self.symbols:
                return self.symbols[dim]
            if axis == 0 and dim in _BATCH_SYMBOLS:
                return 1
            if self.symbols and not dim.isidentifier():
                size = evaluate_dimension(dim, self.symbols)
                if size is not None:
                    return size
            self.free.update(name for name in _NAME.findall(dim) if name not in _FUNCTIONS)
        elif axis == 0:
            return 1   # an unknown batch dimension: costs are per sample
        self.bound = True
        return 1

    def shape(self, shape: Shape) -> Optional[Tuple[int, ...]]:
        if shape is None:
            return None
        known = self.cache.get(shape)
        if known is None:
            before, self.bound = self.bound, False
            known = tuple(self.size(dim, axis) for axis, dim in enumerate(shape)), self.bound
            self.cache[shape] = known
            self.bound = before
        self.bound = self.bound or known[1]
        return known[0]

    def numel(self, shape: Shape) -> Optional[int]:
        resolved = self.shape(shape)
        return None if resolved is None else math.prod(resolved)


@dataclass
class _Operand:
    value: Value
    shape: Optional[Tuple[int, ...]]   # resolved
    constant: bool

    @property
    def numel(self) -> int:
        return math.prod(self.shape) if self.shape is not None else 0

    @property
    def rank(self) -> int:
        return len(self.shape) if self.shape is not None else -1


def _declared_shape(value: Value) -> Shape:
    if value.initializer is not None:
        return value.initializer.shape
    return value.type.shape if value.type is not None else None


def _operands(arguments, dims: _Dims) -> List[_Operand]:
    return [_Operand(value, dims.shape(_declared_shape(value)), value.initializer is not None)
            for argument in arguments for value in argument.values
            if value.name is not None and not value.name.startswith("^")]


def _attribute(node: Node, *names: str):
    for attribute in node.attributes:
        if attribute.name in names:
            return attribute.value
    return None


def _flag(node: Node, *names: str) -> bool:
    value = _attribute(node, *names)
    if isinstance(value, (list, tuple)):
        return False
    try:
        return bool(int(value)) if value is not None else False
    except (TypeError, ValueError):
        return str(value).lower() == "true"


def _int_list(value) -> Optional[List[int]]:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return [int(value)]
    try:
        items = list(value.tolist() if hasattr(value, "tolist") else value)
        return [int(item) for item in items]
    except (TypeError, ValueError):
        return None


class _Rules:
    """One method per operator kind: each returns (MACs, FLOPs) or None when the shapes do not tell."""

    def __init__(self, node: Node, inputs: List[_Operand], outputs: List[_Operand], nhwc: bool):
        self.node, self.inputs, self.outputs, self.nhwc = node, inputs, outputs, nhwc
        self.out = next((operand for operand in outputs if operand.shape is not None), None)

    def _channel(self, shape: Tuple[int, ...], candidates: Sequence[int]) -> Optional[int]:
        """The channel count of an activation shape: the axis the family's layout says, checked against the
        dimensions of the weight (`candidates`), else the other axis."""
        if len(shape) < 2:
            return shape[-1] if shape else None
        first, last = (shape[-1], shape[1]) if self.nhwc else (shape[1], shape[-1])
        for channel in (first, last):
            if channel in candidates:
                return channel
        return None

    def _weight(self, minimum_rank: int, skip: Optional[_Operand] = None) -> Optional[_Operand]:
        found = [operand for operand in self.inputs[1:] if operand.rank >= minimum_rank and operand is not skip]
        constant = [operand for operand in found if operand.constant]
        return (constant or found or [None])[0]

    def _has_bias(self, channels: int, weight: _Operand) -> bool:
        return any(operand is not weight and operand.rank == 1 and operand.numel == channels and operand.constant
                   for operand in self.inputs[1:]) or \
            any(operand is not weight and operand.rank == 1 and operand.numel == channels
                for operand in self.inputs[2:3])

    def conv(self):
        weight = self._weight(3)
        if self.out is None:
            return None
        if weight is None:
            return self._conv_from_attributes()
        shape = weight.shape
        candidates = {shape[0], shape[-1], shape[-2] * shape[-1] if len(shape) == 4 else shape[0]}
        channels = self._channel(self.out.shape, candidates)
        if not channels or weight.numel % channels:
            return None
        per_output = weight.numel // channels
        out = self.out.numel
        bias = out if self._has_bias(channels, weight) else 0
        return out * per_output + bias, 2 * out * per_output + bias

    def _conv_from_attributes(self):
        """A convolution whose weights the file does not hold (a Caffe .prototxt alone): its window and groups."""
        kernel = self._kernel()
        source = self.inputs[0] if self.inputs else None
        if kernel is None or source is None or source.rank < 3:
            return None
        channels = source.shape[-1] if self.nhwc else source.shape[1]
        groups = (_int_list(_attribute(self.node, "group", "groups", "num_group")) or [1])[0] or 1
        per_output = channels // groups * kernel
        out = self.out.numel
        bias = out if _flag(self.node, "bias_term", "has_bias", "use_bias") else 0
        return out * per_output + bias, 2 * out * per_output + bias

    def transposed(self):
        weight = self._weight(3)
        data = [operand for operand in self.inputs if operand is not weight and operand.rank >= 3]
        if self.out is None or weight is None or not data:
            return None
        source = data[0]
        channels = self._channel(source.shape, {weight.shape[0], weight.shape[-1]})
        if not channels or weight.numel % channels:
            return None
        per_input = weight.numel // channels   # each input element feeds (out channels / groups) × kernel
        out_channels = self._channel(self.out.shape, {self.out.shape[1], self.out.shape[-1]})
        bias = self.out.numel if out_channels and self._has_bias(out_channels, weight) else 0
        return source.numel * per_input + bias, 2 * source.numel * per_input + bias

    def linear(self):
        if self.out is None or not self.out.shape:
            return None
        channels = self.out.shape[-1]
        weight = next((operand for operand in self.inputs[1:] if operand.constant and operand.rank >= 2), None)
        if weight is not None and channels and weight.numel % channels == 0:
            depth = weight.numel // channels
        else:
            weight = self.inputs[1] if len(self.inputs) > 1 else None
            depth = self._contracted(self.inputs[0] if self.inputs else None, weight)
        if depth is None:
            return None
        out = self.out.numel
        bias = out if any(operand is not weight and operand.numel in (channels, out) and operand.rank >= 1
                          for operand in self.inputs[2:]) else 0
        return out * depth + bias, 2 * out * depth + bias

    def _contracted(self, left: Optional[_Operand], right: Optional[_Operand]) -> Optional[int]:
        """K of a matrix product from its operands and transpose flags."""
        if left is not None and left.rank >= 1:
            transposed = _flag(self.node, "transA", "adj_x", "transpose_a", "trans_x", "transpose_X")
            return left.shape[-2] if transposed and left.rank >= 2 else left.shape[-1]
        if right is not None and right.rank >= 2:
            transposed = _flag(self.node, "transB", "adj_y", "transpose_b", "trans_y", "transpose_Y")
            return right.shape[-1] if transposed else right.shape[-2]
        return None

    def matmul(self):
        if self.out is None or len(self.inputs) < 2:
            return None
        depth = self._contracted(self.inputs[0], self.inputs[1])
        if depth is None:
            return None
        out = self.out.numel
        return out * depth, 2 * out * depth

    def einsum(self):
        equation = _attribute(self.node, "equation")
        if isinstance(equation, bytes):
            equation = equation.decode("utf-8", "replace")
        if not isinstance(equation, str) or "->" not in equation:
            return None
        terms = equation.replace(" ", "").split("->")[0].split(",")
        if len(terms) != len(self.inputs) or any(operand.shape is None for operand in self.inputs):
            return None
        sizes: Dict[str, int] = {}
        for term, operand in zip(terms, self.inputs):
            letters = term.replace("...", "")
            ellipsis = operand.rank - len(letters)
            if ellipsis < 0:
                return None
            if "..." in term:
                sizes["..."] = max(sizes.get("...", 1), math.prod(operand.shape[term.index("..."):][:ellipsis]))
            shape = list(operand.shape)
            if "..." in term:
                start = term.index("...")
                del shape[start:start + ellipsis]
            for letter, size in zip(letters, shape):
                sizes[letter] = max(sizes.get(letter, 1), size)
        total = math.prod(sizes.values())
        if len(terms) == 1:
            return 0, total
        return total, 2 * total

    def attention(self):
        data = [operand for operand in self.inputs[:3] if not operand.constant]
        if len(data) < 3 or any(operand.rank < 3 for operand in data):
            return None
        query, key, value = data
        rows = math.prod(query.shape[:-1])   # batch × heads × L
        columns = key.shape[-2]              # S
        macs = rows * columns * (query.shape[-1] + value.shape[-1])
        return macs, 2 * macs + 5 * rows * columns

    def recurrent(self):
        source = self.inputs[0] if self.inputs else None
        weights = [operand for operand in self.inputs[1:] if operand.rank >= 2]
        if source is None or source.rank < 2 or not weights or not source.shape[-1]:
            return None
        steps = source.numel // source.shape[-1]   # time steps × batch
        macs = steps * sum(operand.numel for operand in weights)
        return macs, 2 * macs

    def pool(self):
        if self.out is None or not self.inputs or self.inputs[0].shape is None:
            return None
        if _flag(self.node, "global_pooling", "global_pool", "global"):
            return self.global_pool()
        kernel = self._kernel()
        if kernel is None:
            kernel = max(1, self.inputs[0].numel // max(1, self.out.numel))
        return 0, self.out.numel * kernel

    def _kernel(self) -> Optional[int]:
        """Elements in the pooling / convolution window, from whichever attribute the family names it by."""
        for name in ("kernel_shape", "ksize", "kernel_size", "pool_size", "kernel", "filter_size"):
            values = _int_list(_attribute(self.node, name))
            if values:
                if len(values) == 1 and self.inputs and self.inputs[0].rank >= 4:
                    values = values * (self.inputs[0].rank - 2)   # one size for every spatial axis
                return max(1, math.prod(values))
        for height, width in (("filter_height", "filter_width"), ("kernel_h", "kernel_w")):
            values = (_int_list(_attribute(self.node, height)) or []) + (_int_list(_attribute(self.node, width)) or [])
            if values:
                return max(1, math.prod(values))
        return None

    def global_pool(self):
        if not self.inputs or self.inputs[0].shape is None:
            return None
        out = self.out.numel if self.out is not None else 0
        return 0, self.inputs[0].numel + out

    def affine_norm(self):
        return None if self.out is None else (self.out.numel, 2 * self.out.numel)

    def stats_norm(self):
        return None if self.out is None else (2 * self.out.numel, 7 * self.out.numel)

    def lrn(self):
        if self.out is None:
            return None
        size = (_int_list(_attribute(self.node, "size", "local_size", "depth_radius")) or [5])[0]
        return self.out.numel * size, self.out.numel * (2 * size + 3)

    def softmax(self):
        return None if self.out is None else (0, 5 * self.out.numel)

    def reduce(self):
        if not self.inputs or self.inputs[0].shape is None:
            return None
        squares = canonical(self.node.type.name) in ("reducesumsquare", "reducel2", "norm", "frobeniusnorm")
        numel = self.inputs[0].numel
        return (numel, 2 * numel) if squares else (0, numel)

    def resize(self):
        if self.out is None or not self.inputs or self.inputs[0].shape is None:
            return None
        mode = _attribute(self.node, "mode", "interp_method", "interpolation", "method", "resample_mode")
        if isinstance(mode, bytes):
            mode = mode.decode("utf-8", "replace")
        text = f"{mode or ''} {self.node.type.name}".lower()
        source, target = self.inputs[0].shape, self.out.shape
        axes = sum(1 for a, b in zip(source, target) if a != b) if len(source) == len(target) else 2
        axes = max(1, axes)
        if "cubic" in text:
            per_output = 4 ** axes
        elif "linear" in text:
            per_output = 2 ** axes
        else:
            return 0, 0   # nearest neighbour: a copy
        return self.out.numel * per_output, 2 * self.out.numel * per_output

    def elementwise(self, operations: int):
        if self.out is None:
            return None
        return 0, self.out.numel * operations

    def variadic(self, name: str):
        """ONNX Sum/Mean/Max/Min are elementwise over their inputs; TensorFlow's are reductions."""
        if self.out is None or not self.inputs:
            return None
        data = [operand for operand in self.inputs if not operand.constant or operand.rank > 1]
        biggest = max((operand.numel for operand in self.inputs), default=0)
        if len(data) <= 1 and biggest > self.out.numel:
            return self.reduce()
        return 0, self.out.numel * max(1, len(self.inputs) - (0 if name == "mean" else 1))

    def activation(self):
        function = _attribute(self.node, "activation", "act_type", "type", "function", "mode")
        if isinstance(function, bytes):
            function = function.decode("utf-8", "replace")
        kind = kind_of(str(function)) if function is not None else None
        operations = kind[1] if kind is not None and kind[0] == "elementwise" else 1
        if str(function).lower() in ("linear", "identity", "none"):
            operations = 0
        return self.elementwise(operations)


def node_cost(node: Node, symbols: Optional[Symbols] = None, nhwc: bool = False,
              dims: Optional[_Dims] = None) -> Cost:
    """The MACs and FLOPs of one node (its fused chain included)."""
    kind = kind_of(node.type.name)
    if kind is not None and kind[0] == "movement" and not node.chain and not node.graphs:
        return Cost(0, 0)
    dims = dims or _Dims(symbols or {}, set())
    dims.bound = False
    rules = _Rules(node, _operands(node.inputs, dims), _operands(node.outputs, dims), nhwc)
    figures = _apply(rules, node)
    if figures is None:
        return Cost(None, None, dims.bound)
    macs, flops = figures
    for link in node.chain:
        kind = kind_of(link.type.name)
        if kind is None or rules.out is None:
            return Cost(None, None, dims.bound)
        if kind[0] == "elementwise":
            flops += rules.out.numel * kind[1]
    return Cost(int(macs), int(flops), dims.bound)


def _apply(rules: _Rules, node: Node):
    if node.graphs:
        return None   # bodies (If, Loop, functions) run an unknown number of times
    name = canonical(node.type.name)
    if name == "mul" and _attribute(node, "x_num_col_dims") is not None:
        return rules.linear()   # Paddle's `mul` is a matrix product
    if name in VARIADIC_ELEMENTWISE:
        return rules.variadic(name)
    kind = kind_of(node.type.name)
    if kind is None:
        return None
    kind_name, operations = kind
    if kind_name == "movement":
        return 0, 0
    if kind_name == "elementwise":
        return rules.elementwise(operations)
    return getattr(rules, kind_name)()


def value_bytes(value: Value, dims: _Dims) -> Optional[int]:
    """Bytes of an activation tensor (its dtype's item size × elements), None when either is unknown."""
    kind = value.type
    if kind is None or kind.dtype is None or kind.shape is None:
        return None
    itemsize = DTYPE_ITEMSIZE.get(kind.dtype)
    if itemsize is None:
        return None
    bits = round(itemsize * 8)   # sub-byte types: integers all the way, so no size overflows a float
    return -(-dims.numel(kind.shape) * bits // 8)


def graph_costs(graph: Graph, symbols: Optional[Symbols] = None, nhwc: bool = False) -> GraphCosts:
    """Costs of every node of a graph, totals per operator type and the peak activation memory."""
    symbols = dict(symbols or {})
    free: set = set()
    entries: List[NodeCost] = []
    by_type: Dict[str, OpTypeCost] = {}
    macs = flops = unknown = weight_bytes = 0
    bound = False
    dims = _Dims(symbols, free)
    sizes: Dict[str, Optional[int]] = {}
    for node in graph.nodes:
        cost = node_cost(node, symbols, nhwc, dims)
        tensors = {id(value.initializer): value.initializer for _, value in node.weights()}
        parameters = sum(tensor.size or 0 for tensor in tensors.values())
        node_weight_bytes = sum(tensor.nbytes or 0 for tensor in tensors.values())
        outputs = [_bytes_of(sizes, value, dims) for argument in node.outputs for value in argument.values]
        output_bytes = None if not outputs or None in outputs else sum(outputs)
        entries.append(NodeCost(node, cost, parameters, node_weight_bytes, output_bytes))
        total = by_type.setdefault(node.type.name, OpTypeCost())
        total.count += 1
        if cost.macs is None:
            unknown += 1
            total.unknown += 1
        else:
            macs += cost.macs
            flops += cost.flops
            total.macs += cost.macs
            total.flops += cost.flops
        bound = bound or cost.bound
        weight_bytes += node_weight_bytes
    return GraphCosts(entries, macs, flops, unknown, bound, weight_bytes, peak_activation_bytes(graph, dims, sizes),
                      by_type, symbols, sorted(free))


def _bytes_of(sizes: Dict[str, Optional[int]], value: Value, dims: _Dims) -> Optional[int]:
    if value.name not in sizes:
        sizes[value.name] = value_bytes(value, dims)
    return sizes[value.name]


def peak_activation_bytes(graph: Graph, dims: Optional[_Dims] = None,
                          known: Optional[Dict[str, Optional[int]]] = None) -> Optional[int]:
    """The most bytes of activations alive at once when the nodes run in file (topological) order: a tensor
    lives from its producer (graph inputs: from the start) to its last consumer (graph outputs: to the end).
    None when no activation has a known size."""
    dims = dims or _Dims({}, set())
    known = {} if known is None else known
    sizes: Dict[str, int] = {}
    born: Dict[str, int] = {}
    last: Dict[str, int] = {}
    for step, node in enumerate(graph.nodes):
        for argument in node.inputs:
            for value in argument.values:
                if value.initializer is None and value.name:
                    last[value.name] = step
                    born.setdefault(value.name, -1)   # not produced yet: a graph input, alive from the start
                    _remember(sizes, value, dims, known)
        for argument in node.outputs:
            for value in argument.values:
                if value.name:
                    born.setdefault(value.name, step)
                    last.setdefault(value.name, step)
                    _remember(sizes, value, dims, known)
    if not sizes:
        return None
    end = len(graph.nodes)
    for argument in graph.outputs:
        for value in argument.values:
            last[value.name] = end
    starts: Dict[int, int] = {}
    ends: Dict[int, int] = {}
    for name, size in sizes.items():
        starts[born[name]] = starts.get(born[name], 0) + size
        ends[last[name]] = ends.get(last[name], 0) + size
    live = starts.get(-1, 0)
    peak = live
    for step in range(end):
        live += starts.get(step, 0)
        peak = max(peak, live)
        live -= ends.get(step, 0)
    return peak


def _remember(sizes: Dict[str, int], value: Value, dims: _Dims, known: Dict[str, Optional[int]]) -> None:
    if value.name not in sizes:
        size = _bytes_of(known, value, dims)
        if size is not None:
            sizes[value.name] = size

"""Operator documentation from our own per-family tables (formats/schemas/<family>_docs.py), rendered to the
Markdown sections the documentation window shows for ONNX: summary, attributes (type, default), inputs, outputs.

The tables are imported only when a documentation window asks for one operator; readers ask
`documentation_source(family, name)` while a model opens, which consults the name index below and imports
nothing, so opening a model (and its first picture) costs what it cost before there were docs.
"""

from __future__ import annotations

import importlib
from functools import cache, partial
from typing import Callable, Iterable, Optional, Sequence, Tuple

# An attribute row: (name, type, default, description); default None = no default (required or absent).
AttributeRow = Tuple[str, str, object, str]
# An input or output row: (name, description).
SlotRow = Tuple[str, str]

# Which operators each family's table documents; tests/test_op_docs.py keeps this equal to the tables' keys.
DOCUMENTED = {
    "tflite": frozenset((
        "Add", "AveragePool2D", "BatchMatmul", "Cast", "Concatenation", "Conv2D", "DepthToSpace",
        "DepthwiseConv2D", "Dequantize", "Div", "ExpandDims", "FullyConnected", "Gather", "HardSwish",
        "LeakyRelu", "Logistic", "MaxPool2D", "Maximum", "Mean", "Minimum", "Mul", "Pack", "Pad", "Padv2",
        "Prelu", "Quantize", "Relu", "Relu6", "Reshape", "ResizeBilinear", "ResizeNearestNeighbor", "Slice",
        "Softmax", "Split", "Squeeze", "StridedSlice", "Sub", "Sum", "Svdf", "Tanh", "Transpose",
        "TransposeConv", "UnidirectionalSequenceLstm")),
    "keras": frozenset((
        "Activation", "Add", "AveragePooling2D", "BatchNormalization", "Bidirectional", "Concatenate", "Conv1D",
        "Conv2D", "Conv2DTranspose", "Dense", "DepthwiseConv2D", "Dropout", "Embedding", "Flatten",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "GRU", "InputLayer",
        "LayerNormalization", "LeakyReLU", "LSTM", "MaxPooling1D", "MaxPooling2D", "Multiply", "ReLU", "Reshape",
        "SeparableConv2D", "SimpleRNN", "TimeDistributed", "UpSampling2D", "ZeroPadding2D")),
    "caffe": frozenset((
        "BatchNorm", "Concat", "Convolution", "Data", "Deconvolution", "Dropout", "Eltwise", "Flatten",
        "InnerProduct", "Input", "LRN", "Permute", "Pooling", "PReLU", "ReLU", "Reshape", "Scale", "Sigmoid",
        "Slice", "Softmax", "SoftmaxWithLoss", "Split", "TanH")),
    "tensorflow": frozenset((
        "Add", "AddV2", "Assign", "AvgPool", "BiasAdd", "Cast", "ConcatV2", "Const", "Conv2D",
        "DepthwiseConv2dNative", "ExpandDims", "FusedBatchNorm", "FusedBatchNormV3", "Identity", "MatMul",
        "MaxPool", "Mean", "Mul", "NoOp", "Pack", "Pad", "Placeholder", "ReadVariableOp", "RealDiv", "Relu",
        "Relu6", "Reshape", "Shape", "Sigmoid", "Softmax", "Split", "Squeeze", "StridedSlice", "Sub", "Sum",
        "Tanh", "Transpose", "VarHandleOp", "Variable", "VariableV2")),
    "torch": frozenset((
        "add", "adaptive_avg_pool2d", "batch_norm", "cat", "conv2d", "dropout", "flatten", "layer_norm",
        "linear", "log_softmax", "matmul", "max_pool2d", "relu", "reshape", "sigmoid", "softmax", "tanh", "view")),
}


def documentation_source(family: str, name: str) -> Optional[Callable[[], str]]:
    """What renders `name`'s documentation later, or None when the family's table does not document it."""
    if name not in DOCUMENTED.get(family, ()):
        return None
    return partial(documentation, family, name)


@cache
def documentation(family: str, name: str) -> str:
    """The Markdown for one operator of one family, from that family's table (imported here, on first use)."""
    table = importlib.import_module(f".schemas.{family}_docs", __package__)
    return markdown(*table.OPERATORS[name], common=table.COMMON)


def markdown(summary: str, attributes: Sequence[AttributeRow] = (), inputs: Sequence[SlotRow] = (),
             outputs: Sequence[SlotRow] = (), common: str = "") -> str:
    """The sections Netron shows for an operator, in the layout onnx_metadata.schema_markdown uses for ONNX."""
    parts = [summary.strip()]
    if attributes:
        parts.append(_section("Attributes", (_attribute_line(row) for row in attributes)))
    if inputs:
        parts.append(_section("Inputs", (f"- `{name}`: {text}" for name, text in inputs)))
    if outputs:
        parts.append(_section("Outputs", (f"- `{name}`: {text}" for name, text in outputs)))
    if common:
        parts.append(common.strip())
    return "\n\n".join(part for part in parts if part)


def _section(title: str, lines: Iterable[str]) -> str:
    return "\n".join([f"## {title}", "", *lines])


def _attribute_line(row: AttributeRow) -> str:
    name, kind, default, text = row
    line = f"- `{name}`" + (f": *{kind}*" if kind else "")
    if default is not None:
        line += f", default {default!r}"
    return line + (f" — {text}" if text else "")

"""TensorFlow GraphDef ops, documented in our own words: (summary, attributes, inputs, outputs) per op. Attribute
names are the op's attr names as stored in the NodeDef; input names are the reader's labels (the op's argument
names where the reader knows them, else `input`, `input:1`, …).
Rendered by formats/op_docs.py, imported only when a documentation window opens."""

COMMON = ("Any node may also carry attributes TensorFlow adds for itself: `_output_shapes` (the shapes seen "
          "when the graph was saved), `_class` (colocation with other nodes), "
          "`_has_manual_control_dependencies`; and control inputs (`control`: run after these nodes).")

_T = ("T", "type", None, "element type")
_BINARY = (("x", "first operand"), ("y", "second operand; the shapes broadcast"))
_UNARY = (("input", "the tensor"),)
_OUT = (("output", "the result"),)
_DATA_FORMAT = ("data_format", "string", "NHWC", "layout of the input: NHWC or NCHW")
_PADDING = ("padding", "string", None, "SAME (output = ceil(input / stride)), VALID (no padding) or EXPLICIT")
_EXPLICIT = ("explicit_paddings", "int[]", [], "with EXPLICIT padding: before/after amounts per dimension")
_WINDOW = (("ksize", "int[]", None, "window size per input dimension"),
           ("strides", "int[]", None, "step of the window per input dimension"), _PADDING, _DATA_FORMAT)
_TIDX = ("Tidx", "type", "int32", "type of the axis input")
_REDUCE = ((_T, _TIDX, ("keep_dims", "bool", False, "keep the reduced axes with length 1")),
           (("input", "the tensor to reduce"), ("reduction_indices", "the axes to reduce")))
_CONV = (_T, ("strides", "int[]", None, "step of the window per input dimension (batch and channel: 1)"),
         ("use_cudnn_on_gpu", "bool", True, "allow cuDNN on GPUs"), _PADDING, _EXPLICIT, _DATA_FORMAT,
         ("dilations", "int[]", [1, 1, 1, 1], "spacing between kernel taps per input dimension"))
_VARIABLE = (("shape", "shape", None, "the variable's shape"), ("dtype", "type", None, "its element type"),
             ("container", "string", "", "the resource container it lives in"),
             ("shared_name", "string", "", "the name it is shared under (empty: the node name)"))
_BATCH_NORM = (
    _T, ("U", "type", None, "type of scale, offset, mean and variance (V2, V3)"),
    ("epsilon", "float", 0.0001, "added to the variance to avoid division by zero"),
    ("exponential_avg_factor", "float", 1.0, "weight of this batch in the running statistics"), _DATA_FORMAT,
    ("is_training", "bool", True, "use the batch statistics (true) or the given mean and variance (false)"))
_BATCH_NORM_INPUTS = (("x", "the 4-D input"), ("scale", "gamma per channel"), ("offset", "beta per channel"),
                      ("mean", "the mean (inference)"), ("variance", "the variance (inference)"))


def _elementwise(what: str) -> tuple:
    return (f"Element-wise {what} with broadcasting.", (_T,), _BINARY, (("z", "the result"),))


def _activation(what: str) -> tuple:
    return (what, (_T,), _UNARY, _OUT)


OPERATORS = {
    "Const": ("A constant tensor stored in the graph.",
              (("value", "tensor", None, "the tensor"), ("dtype", "type", None, "its element type")), (), _OUT),
    "Placeholder": ("A graph input, fed when the graph runs.",
                    (("dtype", "type", None, "element type"),
                     ("shape", "shape", None, "the shape (unknown dimensions allowed)")), (), _OUT),
    "Identity": ("Returns its input unchanged (used to name, copy or place a tensor).", (_T,), _UNARY, _OUT),
    "NoOp": ("Does nothing; groups control dependencies.", (), (), ()),
    "Variable": ("A stateful tensor kept between runs (the oldest variable op).", _VARIABLE, (),
                 (("ref", "a reference to the variable"),)),
    "VariableV2": ("A stateful tensor kept between runs (TF1 reference variable).", _VARIABLE, (),
                   (("ref", "a reference to the variable"),)),
    "VarHandleOp": ("Creates a handle to a resource variable (TF2).",
                    (*_VARIABLE, ("allowed_devices", "string[]", [], "devices the variable may live on"),
                     ("debug_name", "string", "", "the name shown in errors")), (),
                    (("resource", "the handle"),)),
    "ReadVariableOp": ("Reads the value of a resource variable.", (("dtype", "type", None, "element type"),),
                       (("resource", "the variable handle"),), (("value", "its current value"),)),
    "Assign": ("Writes a value into a reference variable.",
               (_T, ("validate_shape", "bool", True, "the value must have the variable's shape"),
                ("use_locking", "bool", True, "lock the variable while writing")),
               (("ref", "the variable"), ("value", "the new value")), (("output_ref", "the variable, updated"),)),
    "MatMul": ("Matrix product a · b of two 2-D tensors.",
               (_T, ("transpose_a", "bool", False, "transpose a first"), ("transpose_b", "bool", False,
                                                                           "transpose b first"),
                ("grad_a", "bool", False, "marks the product as a gradient with respect to a"),
                ("grad_b", "bool", False, "marks the product as a gradient with respect to b")),
               (("a", "[m, k] (or [k, m] with transpose_a)"), ("b", "[k, n] (or [n, k] with transpose_b)")),
               (("product", "[m, n]"),)),
    "BiasAdd": ("Adds a bias vector along the channel axis.", (_T, _DATA_FORMAT),
                (("value", "the tensor"), ("bias", "one value per channel")), _OUT),
    "Conv2D": ("2-D convolution of a 4-D input with an HWIO filter.", _CONV,
               (("input", "4-D tensor in data_format"),
                ("filter", "[filter height, filter width, in channels, out channels]")), _OUT),
    "DepthwiseConv2dNative": (
        "Depthwise 2-D convolution: each input channel is convolved with its own channel multiplier filters.",
        tuple(row for row in _CONV if row[0] != "use_cudnn_on_gpu"),
        (("input", "4-D tensor in data_format"),
         ("filter", "[filter height, filter width, in channels, channel multiplier]")), _OUT),
    "MaxPool": ("Max pooling: the largest value of each window.", (_T, *_WINDOW, _EXPLICIT), _UNARY, _OUT),
    "AvgPool": ("Average pooling: the mean of each window (padding not counted).", (_T, *_WINDOW),
                (("input", "4-D tensor (the op calls it value)"),), _OUT),
    "FusedBatchNorm": ("Batch normalisation in one op: (x − mean) / sqrt(variance + epsilon) · scale + offset.",
                       _BATCH_NORM, _BATCH_NORM_INPUTS,
                       (("y", "the normalised tensor"), ("output", "also the batch mean and variance and "
                                                                   "saved statistics for the gradient"))),
    "FusedBatchNormV3": ("Batch normalisation in one op (the version Keras exports): (x − mean) / "
                         "sqrt(variance + epsilon) · scale + offset.", _BATCH_NORM, _BATCH_NORM_INPUTS,
                         (("y", "the normalised tensor"),
                          ("output", "also batch mean, variance and a reserve space for the gradient"))),
    "Relu": _activation("max(x, 0)."),
    "Relu6": _activation("min(max(x, 0), 6)."),
    "Sigmoid": _activation("The logistic function 1 / (1 + exp(−x))."),
    "Tanh": _activation("Hyperbolic tangent."),
    "Softmax": ("Softmax over the last axis.", (_T,), (("input", "the logits"),),
                (("output", "probabilities, same shape"),)),
    "Add": _elementwise("sum (also joins strings)"),
    "AddV2": _elementwise("sum (the numeric-only version)"),
    "Sub": _elementwise("difference x − y"),
    "Mul": _elementwise("product"),
    "RealDiv": _elementwise("quotient x / y for real numbers"),
    "Reshape": ("Gives the tensor a new shape with the same element count.",
                (_T, ("Tshape", "type", "int32", "type of the shape input")),
                (("tensor", "the tensor"), ("shape", "the new shape (-1: inferred)")), _OUT),
    "Shape": ("Returns the shape of its input as a 1-D tensor.",
              (_T, ("out_type", "type", "int32", "type of the result")), _UNARY, _OUT),
    "ConcatV2": ("Joins N tensors along an axis; the axis is the last input.",
                 (("N", "int", None, "how many tensors"), _T, _TIDX),
                 (("input", "the first tensor; `input:1`, … follow, the last one is the axis"),), _OUT),
    "Pack": ("Stacks N tensors of equal shape along a new axis.",
             (("N", "int", None, "how many tensors"), _T, ("axis", "int", 0, "where the new axis goes")),
             (("input", "the first tensor; `input:1`, … follow"),), _OUT),
    "Split": ("Splits a tensor into equal parts along an axis given as the first input.",
              (("num_split", "int", None, "how many parts"), _T),
              (("input", "the axis"), ("input:1", "the tensor to split")), (("output", "the parts"),)),
    "Squeeze": ("Removes dimensions of length 1.",
                (_T, ("squeeze_dims", "int[]", [], "the axes to remove (empty: all of length 1)")), _UNARY, _OUT),
    "ExpandDims": ("Inserts a dimension of length 1.", (_T, ("Tdim", "type", "int32", "type of the axis input")),
                   (("input", "the tensor"), ("axis", "where the new axis goes")), _OUT),
    "Transpose": ("Permutes the dimensions.", (_T, ("Tperm", "type", "int32", "type of the permutation")),
                  (("x", "the tensor"), ("perm", "the permutation")), (("y", "the result"),)),
    "Pad": ("Pads with zeros.", (_T, ("Tpaddings", "type", "int32", "type of the paddings input")),
            (("input", "the tensor"), ("paddings", "[rank, 2]: before and after each dimension")), _OUT),
    "Mean": ("Average over the given axes.", *_REDUCE, _OUT),
    "Sum": ("Sum over the given axes.", *_REDUCE, _OUT),
    "Cast": ("Converts the elements to another type.",
             (("SrcT", "type", None, "input type"), ("DstT", "type", None, "output type"),
              ("Truncate", "bool", False, "truncate instead of rounding where it matters")), _UNARY, _OUT),
    "StridedSlice": (
        "Takes a strided slice; each mask is a bit field, bit i for slice dimension i.",
        (_T, ("Index", "type", None, "type of begin, end and strides"),
         ("begin_mask", "int", 0, "bit set: ignore begin and start at the first element"),
         ("end_mask", "int", 0, "bit set: ignore end and run to the last element"),
         ("ellipsis_mask", "int", 0, "bit set: stands for all unnamed dimensions"),
         ("new_axis_mask", "int", 0, "bit set: insert an axis of length 1"),
         ("shrink_axis_mask", "int", 0, "bit set: take one element and drop the axis")),
        (("input", "the tensor"), ("begin", "start indices"), ("end", "stop indices"), ("strides", "steps")), _OUT),
}

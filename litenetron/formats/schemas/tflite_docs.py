"""TensorFlow Lite builtin operators, documented in our own words: (summary, attributes, inputs, outputs) per
operator, keyed by the name the reader gives the node (`CONV_2D` → `Conv2D`). Attribute names are the builtin
options fields of tflite/schema.fbs, exactly as the reader shows them; input names are the reader's slot labels.
Rendered by formats/op_docs.py, imported only when a documentation window opens."""

COMMON = ("A fused activation (`fused_activation_function`: NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT) is "
          "applied to the result before it is written; the viewer draws it as a step chained to the node.")

_ACT = ("fused_activation_function", "ActivationFunctionType", "NONE",
        "activation applied to the output (drawn as a chained step)")
_PADDING = ("padding", "Padding", "SAME",
            "SAME pads so that the output size is ceil(input / stride); VALID uses no padding")
_STRIDES = (("stride_w", "int", None, "step of the window along the width"),
            ("stride_h", "int", None, "step of the window along the height"))
_DILATIONS = (("dilation_w_factor", "int", 1, "spacing between kernel taps along the width"),
              ("dilation_h_factor", "int", 1, "spacing between kernel taps along the height"))
_BIAS_TYPE = ("quantized_bias_type", "TensorType", "FLOAT32",
              "element type of the bias of a quantized kernel (FLOAT32 here means: chosen by the runtime)")
_ASYMMETRIC = ("asymmetric_quantize_inputs", "bool", False,
               "hybrid kernels: quantize the float input with a zero point instead of symmetrically")
_POOL = (_PADDING, *_STRIDES, ("filter_width", "int", None, "width of the pooling window"),
         ("filter_height", "int", None, "height of the pooling window"), _ACT)
_BINARY_IN = (("input", "first operand"), ("input1", "second operand; shapes broadcast against each other"))
_OUT = (("output", "the result"),)
_UNARY = (("input", "the tensor to transform"),)
_KEEP_DIMS = ("keep_dims", "bool", False, "keep the reduced axes with length 1")
_RESIZE = (("align_corners", "bool", False, "map the corner pixels of input and output onto each other"),
           ("half_pixel_centers", "bool", False, "sample at pixel centres (x + 0.5), as TF2 resizing does"))


def _elementwise(what: str, attributes=()) -> tuple:
    return (f"Element-wise {what} of two tensors with broadcasting.", attributes, _BINARY_IN, _OUT)


def _activation(what: str) -> tuple:
    return (what, (), _UNARY, _OUT)


OPERATORS = {
    "Conv2D": (
        "2-D convolution (`CONV_2D`) over an NHWC input with an OHWI filter, plus an optional bias per output "
        "channel.",
        (_PADDING, *_STRIDES, _ACT, *_DILATIONS, _BIAS_TYPE),
        (("input", "NHWC tensor"), ("filter", "[output channels, kernel height, kernel width, input channels]"),
         ("bias", "one value per output channel (optional)")),
        (("output", "NHWC tensor with one channel per filter"),)),
    "DepthwiseConv2D": (
        "Depthwise 2-D convolution (`DEPTHWISE_CONV_2D`): each input channel is convolved with its own "
        "`depth_multiplier` filters, no mixing between channels.",
        (_PADDING, *_STRIDES, ("depth_multiplier", "int", None, "filters per input channel (older files; newer "
                                                                "ones infer it from the filter shape)"),
         _ACT, *_DILATIONS),
        (("input", "NHWC tensor"), ("filter", "[1, kernel height, kernel width, channels × depth_multiplier]"),
         ("bias", "one value per output channel (optional)")),
        (("output", "NHWC tensor with channels × depth_multiplier channels"),)),
    "TransposeConv": (
        "Transposed 2-D convolution (`TRANSPOSE_CONV`, a learned upsampling): the gradient of a convolution "
        "with respect to its input, producing the shape given by `output_shape`.",
        (_PADDING, *_STRIDES, _ACT, _BIAS_TYPE),
        (("output_shape", "1-D int32 tensor: the NHWC shape of the result"),
         ("weights", "[output channels, kernel height, kernel width, input channels]"),
         ("input", "NHWC tensor"), ("bias", "one value per output channel (optional)")),
        _OUT),
    "FullyConnected": (
        "Fully connected layer (`FULLY_CONNECTED`): output = input · weightsᵀ + bias, the input flattened to "
        "[batch, features] unless `keep_num_dims`.",
        (_ACT, ("weights_format", "FullyConnectedOptionsWeightsFormat", "DEFAULT",
                "layout of the weights (SHUFFLED4x16INT8: a shuffled int8 layout for fast kernels)"),
         ("keep_num_dims", "bool", False, "keep the input's leading dimensions instead of flattening to 2-D"),
         _ASYMMETRIC, _BIAS_TYPE),
        (("input", "tensor whose last dimension is the feature count"), ("weights", "[units, features]"),
         ("bias", "one value per unit (optional)")),
        (("output", "[batch, units] (or the input's shape with the last dimension replaced)"),)),
    "AveragePool2D": ("2-D average pooling (`AVERAGE_POOL_2D`) over NHWC windows; padding does not count "
                      "toward the average.", _POOL, (("input", "NHWC tensor"),), _OUT),
    "MaxPool2D": ("2-D max pooling (`MAX_POOL_2D`): the largest value of each NHWC window.", _POOL,
                  (("input", "NHWC tensor"),), _OUT),
    "Add": _elementwise("sum", (_ACT, ("pot_scale_int16", "bool", True,
                                       "int16 kernels: scales are powers of two (the faster, older kernel)"))),
    "Sub": _elementwise("difference (input − input1)",
                        (_ACT, ("pot_scale_int16", "bool", True, "int16 kernels: scales are powers of two"))),
    "Mul": _elementwise("product", (_ACT,)),
    "Div": _elementwise("quotient (input / input1)", (_ACT,)),
    "Maximum": _elementwise("maximum"),
    "Minimum": _elementwise("minimum"),
    "Softmax": (
        "Softmax along the last axis: exp(beta·x) normalised to sum to 1.",
        (("beta", "float", None, "scale applied to the logits first (1.0 gives the plain softmax)"),),
        _UNARY, (("output", "probabilities, same shape as the input"),)),
    "Concatenation": (
        "Joins its inputs along one axis (`CONCATENATION`); all other dimensions must match.",
        (("axis", "int", None, "the axis to join along (negative counts from the end)"), _ACT),
        (("input", "the first tensor; `input1`, `input2`, … follow in order"),), _OUT),
    "Reshape": (
        "Gives the data a new shape with the same element count; the target comes from the `shape` input "
        "when there is one, else from `new_shape`.",
        (("new_shape", "int[]", None, "the target shape (-1: the one dimension inferred from the rest)"),),
        (("data", "the tensor to reshape"), ("shape", "1-D int32 tensor: the target shape (optional)")),
        _OUT),
    "Pad": ("Pads with zeros (or the zero point of a quantized tensor).", (),
            (("input", "the tensor to pad"), ("paddings", "[rank, 2] int tensor: amounts before and after each "
                                                          "dimension")), _OUT),
    "Padv2": ("Pads with a given constant value (`PADV2`).", (),
              (("input", "the tensor to pad"), ("input1", "[rank, 2] paddings: before and after each dimension"),
               ("input2", "scalar: the value to pad with")), _OUT),
    "Mean": ("Average over the axes listed by the `axis` input.", (_KEEP_DIMS,),
             (("input", "the tensor to reduce"), ("axis", "1-D int32 tensor of axes")), _OUT),
    "Sum": ("Sum over the axes listed by the second input.", (_KEEP_DIMS,),
            (("input", "the tensor to reduce"), ("input1", "1-D int32 tensor of axes")), _OUT),
    "Quantize": (
        "Converts a float tensor to a quantized one (or re-quantizes to other parameters): q = round(x / scale) "
        "+ zero_point, the parameters taken from the output tensor.", (), _UNARY,
        (("output", "quantized tensor (its quantization parameters say how)"),)),
    "Dequantize": (
        "Converts a quantized (or float16) tensor back to float32: x = (q − zero_point) × scale.", (),
        (("input", "quantized or float16 tensor"),), (("output", "float32 tensor"),)),
    "Cast": ("Converts the elements to another type.",
             (("in_data_type", "TensorType", None, "element type of the input"),
              ("out_data_type", "TensorType", None, "element type of the output")), _UNARY, _OUT),
    "Transpose": ("Permutes the dimensions.", (),
                  (("input", "the tensor to transpose"), ("input1", "1-D int32 permutation: output dimension i is "
                                                                    "input dimension perm[i]")), _OUT),
    "StridedSlice": (
        "Takes a strided slice: for each dimension, elements begin, begin + stride, … before end. The masks are "
        "bit fields, bit i for dimension i.",
        (("begin_mask", "int", 0, "bit i set: ignore begin[i] and start at the first element"),
         ("end_mask", "int", 0, "bit i set: ignore end[i] and run to the last element"),
         ("ellipsis_mask", "int", 0, "bit i set: dimension i stands for all the dimensions not named"),
         ("new_axis_mask", "int", 0, "bit i set: insert a new axis of length 1 here"),
         ("shrink_axis_mask", "int", 0, "bit i set: take one element and drop the dimension"),
         ("offset", "bool", False, "end is an offset from begin rather than an index")),
        (("input", "the tensor to slice"), ("input1", "begin indices"), ("input2", "end indices"),
         ("input3", "strides")), _OUT),
    "Slice": ("Takes a contiguous block: `size` elements from `begin` in each dimension (-1: to the end).", (),
              (("input", "the tensor to slice"), ("input1", "begin indices"), ("input2", "sizes")), _OUT),
    "Gather": ("Picks slices along an axis by index.",
               (("axis", "int", 0, "the axis indexed"),
                ("batch_dims", "int", 0, "leading dimensions shared by params and indices")),
               (("params", "the tensor to pick from"), ("indices", "int tensor of positions")), _OUT),
    "Squeeze": ("Removes dimensions of length 1.",
                (("squeeze_dims", "int[]", None, "the axes to remove (empty: every axis of length 1)"),),
                _UNARY, _OUT),
    "ExpandDims": ("Inserts a dimension of length 1.", (),
                   (("input", "the tensor"), ("input1", "scalar: where the new axis goes")), _OUT),
    "Split": ("Splits a tensor into `num_splits` equal parts along an axis.",
              (("num_splits", "int", None, "how many outputs"),),
              (("input", "scalar: the axis to split (it comes first)"), ("input1", "the tensor to split")),
              (("output", "the first part; `output1`, … follow"),)),
    "Pack": ("Stacks `values_count` tensors of equal shape along a new axis.",
             (("values_count", "int", None, "how many inputs"), ("axis", "int", 0, "where the new axis goes")),
             (("input", "the first tensor; `input1`, … follow"),), _OUT),
    "ResizeBilinear": ("Resizes images (NHWC) with bilinear interpolation.",
                       (("new_height", "int", None, "unused by current runtimes (the size input decides)"),
                        ("new_width", "int", None, "unused by current runtimes"), *_RESIZE),
                       (("input", "NHWC tensor"), ("input1", "1-D int32 [new height, new width]")), _OUT),
    "ResizeNearestNeighbor": ("Resizes images (NHWC) by taking the nearest pixel.", _RESIZE,
                              (("input", "NHWC tensor"), ("input1", "1-D int32 [new height, new width]")), _OUT),
    "DepthToSpace": ("Moves blocks of channels into spatial blocks (the inverse of SpaceToDepth).",
                     (("block_size", "int", None, "edge length of the spatial block"),),
                     (("input", "NHWC tensor"),), _OUT),
    "BatchMatmul": ("Batched matrix product of the last two dimensions, the leading ones broadcast.",
                    (("adj_x", "bool", False, "transpose (adjoint) the last two dimensions of x first"),
                     ("adj_y", "bool", False, "transpose (adjoint) the last two dimensions of y first"), _ASYMMETRIC),
                    (("x", "left operand"), ("y", "right operand")), _OUT),
    "Relu": _activation("max(x, 0)."),
    "Relu6": _activation("min(max(x, 0), 6)."),
    "Logistic": _activation("The sigmoid 1 / (1 + exp(−x))."),
    "Tanh": _activation("Hyperbolic tangent."),
    "HardSwish": _activation("x · relu6(x + 3) / 6, a cheap approximation of swish."),
    "LeakyRelu": ("x for x ≥ 0, alpha · x below.", (("alpha", "float", None, "slope for negative inputs"),),
                  _UNARY, _OUT),
    "Prelu": ("Leaky ReLU whose slope is learned: x for x ≥ 0, alpha · x below.", (),
              (("input", "the tensor"), ("alpha", "the slopes, broadcast against the input")), _OUT),
    "UnidirectionalSequenceLstm": (
        "An LSTM run over a whole sequence (`UNIDIRECTIONAL_SEQUENCE_LSTM`): input, forget, cell and output "
        "gates with optional peepholes, projection and layer normalisation.",
        (_ACT, ("cell_clip", "float", 0.0, "clip the cell state to ±cell_clip (0: no clipping)"),
         ("proj_clip", "float", 0.0, "clip the projection output to ±proj_clip (0: no clipping)"),
         ("time_major", "bool", False, "the input is [time, batch, features] instead of [batch, time, features]"),
         _ASYMMETRIC, ("diagonal_recurrent_tensors", "bool", False,
                       "the recurrent weights are diagonal (stored as vectors)")),
        (("input", "the sequence"),
         ("input_to_input_weights", "gate weights applied to the input; likewise `input_to_forget_weights`, "
                                    "`input_to_cell_weights`, `input_to_output_weights`"),
         ("recurrent_to_input_weights", "gate weights applied to the previous output; likewise for the "
                                        "forget, cell and output gates"),
         ("cell_to_input_weights", "peephole weights (optional), also for forget and output"),
         ("input_gate_bias", "gate biases, with `forget_gate_bias`, `cell_bias`, `output_gate_bias`"),
         ("projection_weights", "optional projection of the output, with `projection_bias`"),
         ("output_state_in", "the state the sequence starts from, with `cell_state_in`"),
         ("input_layer_norm_coefficients", "optional layer-norm weights per gate")),
        (("output", "the output at every step"),)),
    "Svdf": (
        "Singular value decomposition filter: a low-rank approximation of a fully connected layer over time, "
        "keeping a state of past activations (used in keyword spotting).",
        (("rank", "int", None, "rank of the decomposition"), _ACT, _ASYMMETRIC),
        (("input", "[batch, features]"), ("input1", "feature weights"), ("input2", "time weights"),
         ("input3", "bias (optional)"), ("input4", "the state (a variable tensor)")), _OUT),
}

"""TorchScript operator facts: colour categories, the argument names of common aten operators and the
ScalarType numbers of `dtype=` arguments.

Written from the public aten operator signatures (names only); an operator not listed here gets positional
argument names (`arg0`, `arg1`, ...) and no category.
"""

CATEGORIES = {
    "Layer": ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
              "_convolution", "linear", "addmm", "matmul", "mm", "bmm", "lstm", "gru", "rnn_tanh", "rnn_relu",
              "lstm_cell", "gru_cell", "multi_head_attention_forward", "scaled_dot_product_attention",
              "bilinear", "prelu"),
    "Activation": ("relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "selu", "gelu", "silu",
                   "sigmoid", "tanh", "softmax", "log_softmax", "hardtanh", "hardtanh_", "hardswish",
                   "hardsigmoid", "softplus", "mish", "glu", "threshold"),
    "Pool": ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
             "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool2d",
             "max_pool2d_with_indices"),
    "Normalization": ("batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize",
                      "local_response_norm"),
    "Dropout": ("dropout", "dropout_", "feature_dropout", "alpha_dropout"),
    "Shape": ("reshape", "view", "flatten", "squeeze", "unsqueeze", "size", "NumToTensor", "expand",
              "expand_as", "view_as", "unflatten"),
    "Tensor": ("cat", "stack", "split", "chunk", "select", "slice", "contiguous", "zeros", "ones",
               "zeros_like", "ones_like", "detach", "to", "index_select", "gather"),
    "Transform": ("permute", "transpose", "t", "embedding", "pad", "constant_pad_nd", "upsample_nearest2d",
                  "upsample_bilinear2d", "interpolate", "pixel_shuffle"),
}

CATEGORY_OF = {name: category for category, names in CATEGORIES.items() for name in names}

ARGUMENT_NAMES = {
    "conv1d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "conv2d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "conv3d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "_convolution": ("input", "weight", "bias", "stride", "padding", "dilation", "transposed",
                     "output_padding", "groups", "benchmark", "deterministic", "cudnn_enabled", "allow_tf32"),
    "linear": ("input", "weight", "bias"),
    "batch_norm": ("input", "weight", "bias", "running_mean", "running_var", "training", "momentum", "eps",
                   "cudnn_enabled"),
    "layer_norm": ("input", "normalized_shape", "weight", "bias", "eps", "cudnn_enable"),
    "group_norm": ("input", "num_groups", "weight", "bias", "eps", "cudnn_enabled"),
    "max_pool2d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avg_pool2d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                   "divisor_override"),
    "adaptive_avg_pool2d": ("input", "output_size"),
    "flatten": ("input", "start_dim", "end_dim"),
    "dropout": ("input", "p", "train"),
    "add": ("input", "other", "alpha"),
    "sub": ("input", "other", "alpha"),
    "mul": ("input", "other"),
    "div": ("input", "other"),
    "cat": ("tensors", "dim"),
    "stack": ("tensors", "dim"),
    "softmax": ("input", "dim", "dtype"),
    "log_softmax": ("input", "dim", "dtype"),
    "embedding": ("weight", "indices", "padding_idx", "scale_grad_by_freq", "sparse"),
    "gru": ("input", "hx", "params", "has_biases", "num_layers", "dropout", "train", "bidirectional",
            "batch_first"),
    "lstm": ("input", "hx", "params", "has_biases", "num_layers", "dropout", "train", "bidirectional",
             "batch_first"),
    "addmm": ("input", "mat1", "mat2", "beta", "alpha"),
    "matmul": ("input", "other"),
    "reshape": ("input", "shape"),
    "view": ("input", "size"),
    "transpose": ("input", "dim0", "dim1"),
    "permute": ("input", "dims"),
    "select": ("input", "dim", "index"),
    "slice": ("input", "dim", "start", "end", "step"),
    "size": ("input", "dim"),
    "sum": ("input", "dim", "keepdim", "dtype"),
    "mean": ("input", "dim", "keepdim", "dtype"),
}

# Operators whose result has the shape of their `input` (activations, normalizations, dropout, copies).
SHAPE_KEEPING = ("batch_norm", "layer_norm", "group_norm", "instance_norm", "dropout", "feature_dropout",
                 "alpha_dropout", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "hardtanh", "silu", "softmax",
                 "log_softmax", "relu6", "elu", "selu", "hardswish", "hardsigmoid", "softplus", "mish",
                 "threshold", "contiguous", "clone", "detach", "neg", "exp", "log", "sqrt", "rsqrt", "abs",
                 "prelu", "normalize", "local_response_norm",
                 "zeros_like", "ones_like", "empty_like", "rand_like", "randn_like", "full_like")

_CONV_TRANSPOSE = ("input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")
_MAX_POOL = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode")
_BINARY = ("input", "other")
_RECURRENT = ARGUMENT_NAMES["gru"]
ARGUMENT_NAMES.update({
    "conv_transpose1d": _CONV_TRANSPOSE, "conv_transpose2d": _CONV_TRANSPOSE, "conv_transpose3d": _CONV_TRANSPOSE,
    "instance_norm": ("input", "weight", "bias", "running_mean", "running_var", "use_input_stats", "momentum",
                      "eps", "cudnn_enabled"),
    "max_pool1d": _MAX_POOL, "max_pool3d": _MAX_POOL, "max_pool2d_with_indices": _MAX_POOL,
    "avg_pool1d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "avg_pool3d": ARGUMENT_NAMES["avg_pool2d"],
    **{f"adaptive_{kind}_pool{n}d": ("input", "output_size") for kind in ("avg", "max") for n in (1, 2, 3)},
    "leaky_relu": ("input", "negative_slope"), "hardtanh": ("input", "min_val", "max_val"),
    "gelu": ("input", "approximate"), "threshold": ("input", "threshold", "value"),
    "clamp": ("input", "min", "max"), "clamp_min": ("input", "min"), "clamp_max": ("input", "max"),
    "masked_fill": ("input", "mask", "value"), "prelu": ("input", "weight"),
    "feature_dropout": ARGUMENT_NAMES["dropout"], "alpha_dropout": ARGUMENT_NAMES["dropout"],
    "mm": ("input", "mat2"), "bmm": ("input", "mat2"),
    **{name: _BINARY for name in ("rsub", "pow", "maximum", "minimum", "eq", "ne", "lt", "gt", "le", "ge",
                                  "floordiv", "expand_as", "view_as", "reshape_as", "type_as")},
    "unsqueeze": ("input", "dim"), "squeeze": ("input", "dim"), "t": ("input",),
    "expand": ("input", "size", "implicit"), "rnn_tanh": _RECURRENT, "rnn_relu": _RECURRENT,
    "NumToTensor": ("input",), "zeros": ("size",), "ones": ("size",), "empty": ("size",), "rand": ("size",),
    "randn": ("size",), "full": ("size", "fill_value"),
    "to": ("input", "arg1", "arg2", "arg3", "arg4"),
    "constant_pad_nd": ("input", "pad", "value"), "pad": ("input", "pad", "mode", "value"),
})
for _name in SHAPE_KEEPING:
    ARGUMENT_NAMES.setdefault(_name, ("input",))

# torch ScalarType numbers (the `dtype=6` of serialized code) → dtype names.
SCALAR_TYPES = {0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16", 6: "float32",
                7: "float64", 9: "complex64", 10: "complex128", 11: "bool", 12: "qint8", 13: "quint8",
                14: "qint32", 15: "bfloat16"}

"""PaddlePaddle ProgramDesc schema (framework.proto field numbers) as a table for `codecs.protobuf`."""

PADDLE = {
    "ProgramDesc": {1: ("blocks", "BlockDesc[]"), 4: ("version", "Version"), 5: ("op_version_map", "OpVersionMap")},
    "Version": {1: ("version", "int64")},
    "OpVersionMap": {1: ("pair", "OpVersionPair[]")},
    "OpVersionPair": {1: ("op_name", "string"), 2: ("op_version", "Version")},
    "BlockDesc": {
        1: ("idx", "int32"), 2: ("parent_idx", "int32"), 3: ("vars", "VarDesc[]"), 4: ("ops", "OpDesc[]"),
        5: ("forward_block_idx", "int32"),
    },
    "VarDesc": {
        1: ("name", "string"), 2: ("type", "VarType"), 3: ("persistable", "bool"), 4: ("need_check_feed", "bool"),
        5: ("is_parameter", "bool"), 6: ("stop_gradient", "bool"), 7: ("attrs", "VarAttr[]"),
    },
    "VarAttr": {
        1: ("name", "string"), 2: ("type", "enum"), 3: ("i", "int32"), 4: ("s", "string"), 5: ("ints", "int32[]"),
    },
    "VarType": {
        1: ("type", "enum"), 2: ("selected_rows", "TensorDesc"), 3: ("lod_tensor", "LoDTensorDesc"),
        4: ("tensor_array", "LoDTensorDesc"), 5: ("reader", "ReaderDesc"), 7: ("tuple", "VarTuple"),
        8: ("string", "TensorDesc"), 9: ("strings", "TensorDesc"), 10: ("vocab", "TensorDesc"),
        11: ("sparse_coo", "TensorDesc"), 12: ("sparse_csr", "TensorDesc"),
    },
    "TensorDesc": {1: ("data_type", "enum"), 2: ("dims", "int64[]")},
    "LoDTensorDesc": {1: ("tensor", "TensorDesc"), 2: ("lod_level", "int32")},
    "ReaderDesc": {1: ("lod_tensor", "LoDTensorDesc[]")},
    "VarTuple": {1: ("element_type", "enum[]")},
    "OpDesc": {
        3: ("type", "string"), 1: ("inputs", "OpVar[]"), 2: ("outputs", "OpVar[]"), 4: ("attrs", "OpAttr[]"),
        5: ("is_target", "bool"),
    },
    "OpVar": {1: ("parameter", "string"), 2: ("arguments", "string[]")},
    "OpAttr": {
        1: ("name", "string"), 2: ("type", "enum"), 3: ("i", "int32"), 4: ("f", "float"), 5: ("s", "string"),
        6: ("ints", "int32[]"), 7: ("floats", "float[]"), 8: ("strings", "string[]"), 10: ("b", "bool"),
        11: ("bools", "bool[]"), 12: ("block_idx", "int32"), 13: ("l", "int64"), 14: ("blocks_idx", "int32[]"),
        15: ("longs", "int64[]"), 16: ("float64s", "double[]"), 17: ("var_name", "string"),
        18: ("vars_name", "string[]"), 19: ("float64", "double"), 20: ("scalar", "Scalar"),
        21: ("scalars", "Scalar[]"),
    },
    "Scalar": {1: ("type", "enum"), 2: ("b", "bool"), 3: ("i", "int64"), 4: ("r", "double"), 5: ("c", "Complex")},
    "Complex": {1: ("r", "double"), 2: ("i", "double")},
}

# AttrType value → the OpAttr field that holds it.
ATTR_FIELDS = {
    0: "i", 1: "f", 2: "s", 3: "ints", 4: "floats", 5: "strings", 6: "b", 7: "bools", 8: "block_idx", 9: "l",
    10: "blocks_idx", 11: "longs", 12: "float64s", 13: "var_name", 14: "vars_name", 15: "float64", 16: "scalar",
    17: "scalars",
}
ATTR_TYPES = {
    0: "int32", 1: "float32", 2: "string", 3: "int32[]", 4: "float32[]", 5: "string[]", 6: "boolean",
    7: "boolean[]", 8: "block", 9: "int64", 10: "block[]", 11: "int64[]", 12: "float64[]", 13: "var",
    14: "var[]", 15: "float64", 16: "scalar", 17: "scalar[]",
}

# VarType.Type: element types (numpy-style names) and the kinds of variables.
DATA_TYPES = {
    0: "bool", 1: "int16", 2: "int32", 3: "int64", 4: "float16", 5: "float32", 6: "float64", 19: "uint64",
    20: "uint8", 21: "int8", 22: "bfloat16", 23: "complex64", 24: "complex128", 32: "float8_e4m3fn",
    33: "float8_e5m2",
}
VAR_KINDS = {
    7: "LOD_TENSOR", 8: "SELECTED_ROWS", 9: "FEED_MINIBATCH", 10: "FETCH_LIST", 11: "STEP_SCOPES",
    12: "LOD_RANK_TABLE", 13: "LOD_TENSOR_ARRAY", 14: "PLACE_LIST", 15: "READER", 17: "RAW", 18: "TUPLE",
    25: "STRING", 26: "STRINGS", 27: "VOCAB", 28: "FEED_LIST", 29: "PSTRING", 30: "SPARSE_COO", 31: "SPARSE_CSR",
}

# Operator categories (box colours) by op type.
CATEGORIES = {
    "Layer": (
        "conv2d", "depthwise_conv2d", "conv2d_transpose", "depthwise_conv2d_transpose", "conv3d", "conv3d_transpose",
        "fc", "mul", "matmul", "matmul_v2", "lookup_table", "lookup_table_v2", "lstm", "gru", "rnn", "bmm",
        "deformable_conv", "prelu",
    ),
    "Activation": (
        "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "hard_swish", "hard_sigmoid",
        "swish", "silu", "gelu", "elu", "selu", "mish", "softplus", "softsign", "brelu", "thresholded_relu",
        "logsigmoid", "tanh_shrink", "hardtanh",
    ),
    "Pool": ("pool2d", "pool3d", "max_pool2d_with_index", "adaptive_pool2d"),
    "Normalization": (
        "batch_norm", "sync_batch_norm", "layer_norm", "instance_norm", "group_norm", "lrn", "norm", "p_norm",
        "data_norm", "affine_channel",
    ),
    "Dropout": ("dropout",),
    "Shape": (
        "reshape", "reshape2", "flatten", "flatten2", "flatten_contiguous_range", "squeeze", "squeeze2", "unsqueeze",
        "unsqueeze2", "shape", "expand", "expand_v2", "expand_as_v2", "tile",
    ),
    "Tensor": (
        "concat", "split", "slice", "strided_slice", "stack", "unstack", "gather", "gather_nd", "scatter",
        "transpose", "transpose2", "pad", "pad2d", "pad3d", "cast", "fill_constant", "assign", "assign_value",
        "range", "arg_max", "arg_min", "top_k", "top_k_v2", "where", "fill_constant_batch_size_like",
        "uniform_random", "gaussian_random", "one_hot", "one_hot_v2", "set_value",
    ),
    "Transform": (
        "nearest_interp", "nearest_interp_v2", "bilinear_interp", "bilinear_interp_v2", "bicubic_interp_v2",
        "linear_interp_v2", "trilinear_interp_v2", "pixel_shuffle", "space_to_depth", "roi_align", "grid_sampler",
    ),
    "Data": ("feed", "fetch", "data", "read", "create_py_reader"),
    "Quantization": (
        "quantize_linear", "dequantize_linear", "fake_quantize_abs_max", "fake_dequantize_max_abs",
        "fake_quantize_range_abs_max", "fake_quantize_moving_average_abs_max",
        "fake_channel_wise_dequantize_max_abs", "fake_channel_wise_quantize_abs_max",
    ),
    "Control": ("while", "conditional_block", "select_input", "select_output", "recurrent", "increment",
                "less_than", "logical_not"),
}
OP_CATEGORIES = {op: category for category, ops in CATEGORIES.items() for op in ops}

"""ONNX protobuf schema (onnx.proto field numbers) as a table for `codecs.protobuf`."""

_ENTRY = {1: ("key", "string"), 2: ("value", "string")}

ONNX = {
    "ModelProto": {
        1: ("ir_version", "int64"), 8: ("opset_import", "OperatorSetIdProto[]"),
        2: ("producer_name", "string"), 3: ("producer_version", "string"), 4: ("domain", "string"),
        5: ("model_version", "int64"), 6: ("doc_string", "string"), 7: ("graph", "GraphProto"),
        14: ("metadata_props", "StringStringEntryProto[]"), 25: ("functions", "FunctionProto[]"),
    },
    "StringStringEntryProto": _ENTRY,
    "OperatorSetIdProto": {1: ("domain", "string"), 2: ("version", "int64")},
    "GraphProto": {
        1: ("node", "NodeProto[]"), 2: ("name", "string"), 5: ("initializer", "TensorProto[]"),
        15: ("sparse_initializer", "SparseTensorProto[]"), 10: ("doc_string", "string"),
        11: ("input", "ValueInfoProto[]"), 12: ("output", "ValueInfoProto[]"),
        13: ("value_info", "ValueInfoProto[]"), 14: ("quantization_annotation", "TensorAnnotation[]"),
        16: ("metadata_props", "StringStringEntryProto[]"),
    },
    "NodeProto": {
        1: ("input", "string[]"), 2: ("output", "string[]"), 3: ("name", "string"), 4: ("op_type", "string"),
        7: ("domain", "string"), 8: ("overload", "string"), 5: ("attribute", "AttributeProto[]"),
        6: ("doc_string", "string"), 9: ("metadata_props", "StringStringEntryProto[]"),
    },
    "AttributeProto": {
        1: ("name", "string"), 21: ("ref_attr_name", "string"), 13: ("doc_string", "string"),
        20: ("type", "enum"), 2: ("f", "float"), 3: ("i", "int64"), 4: ("s", "bytes"), 5: ("t", "TensorProto"),
        6: ("g", "GraphProto"), 22: ("sparse_tensor", "SparseTensorProto"), 14: ("tp", "TypeProto"),
        7: ("floats", "float[]"), 8: ("ints", "int64[]"), 9: ("strings", "bytes[]"),
        10: ("tensors", "TensorProto[]"), 11: ("graphs", "GraphProto[]"),
        23: ("sparse_tensors", "SparseTensorProto[]"), 15: ("type_protos", "TypeProto[]"),
    },
    "ValueInfoProto": {
        1: ("name", "string"), 2: ("type", "TypeProto"), 3: ("doc_string", "string"),
        4: ("metadata_props", "StringStringEntryProto[]"),
    },
    "TypeProto": {
        1: ("tensor_type", "TensorTypeProto"), 4: ("sequence_type", "SequenceTypeProto"),
        5: ("map_type", "MapTypeProto"), 9: ("optional_type", "OptionalTypeProto"),
        8: ("sparse_tensor_type", "TensorTypeProto"), 7: ("opaque_type", "OpaqueTypeProto"),
        6: ("denotation", "string"),
    },
    "TensorTypeProto": {1: ("elem_type", "int32"), 2: ("shape", "TensorShapeProto")},
    "SequenceTypeProto": {1: ("elem_type", "TypeProto")},
    "OptionalTypeProto": {1: ("elem_type", "TypeProto")},
    "MapTypeProto": {1: ("key_type", "int32"), 2: ("value_type", "TypeProto")},
    "OpaqueTypeProto": {1: ("domain", "string"), 2: ("name", "string")},
    "TensorShapeProto": {1: ("dim", "Dimension[]")},
    "Dimension": {1: ("dim_value", "int64"), 2: ("dim_param", "string"), 3: ("denotation", "string")},
    "TensorProto": {
        1: ("dims", "int64[]"), 2: ("data_type", "int32"), 3: ("segment", "Segment"),
        4: ("float_data", "float[]"), 5: ("int32_data", "int32[]"), 6: ("string_data", "bytes[]"),
        7: ("int64_data", "int64[]"), 8: ("name", "string"), 12: ("doc_string", "string"),
        9: ("raw_data", "bytes"), 13: ("external_data", "StringStringEntryProto[]"),
        14: ("data_location", "enum"), 10: ("double_data", "double[]"), 11: ("uint64_data", "uint64[]"),
        16: ("metadata_props", "StringStringEntryProto[]"),
    },
    "Segment": {1: ("begin", "int64"), 2: ("end", "int64")},
    "SparseTensorProto": {1: ("values", "TensorProto"), 2: ("indices", "TensorProto"), 3: ("dims", "int64[]")},
    "TensorAnnotation": {
        1: ("tensor_name", "string"), 2: ("quant_parameter_tensor_names", "StringStringEntryProto[]"),
    },
    "FunctionProto": {
        1: ("name", "string"), 4: ("input", "string[]"), 5: ("output", "string[]"),
        6: ("attribute", "string[]"), 11: ("attribute_proto", "AttributeProto[]"), 7: ("node", "NodeProto[]"),
        8: ("doc_string", "string"), 9: ("opset_import", "OperatorSetIdProto[]"), 10: ("domain", "string"),
        13: ("overload", "string"), 12: ("value_info", "ValueInfoProto[]"),
        14: ("metadata_props", "StringStringEntryProto[]"),
    },
}

# TensorProto.DataType → (numpy-style name, typed field holding the values when not raw_data).
DATA_TYPES = {
    1: ("float32", "float_data"), 2: ("uint8", "int32_data"), 3: ("int8", "int32_data"),
    4: ("uint16", "int32_data"), 5: ("int16", "int32_data"), 6: ("int32", "int32_data"),
    7: ("int64", "int64_data"), 8: ("string", "string_data"), 9: ("bool", "int32_data"),
    10: ("float16", "int32_data"), 11: ("float64", "double_data"), 12: ("uint32", "uint64_data"),
    13: ("uint64", "uint64_data"), 14: ("complex64", "float_data"), 15: ("complex128", "double_data"),
    16: ("bfloat16", "int32_data"), 17: ("float8_e4m3fn", "int32_data"), 18: ("float8_e4m3fnuz", "int32_data"),
    19: ("float8_e5m2", "int32_data"), 20: ("float8_e5m2fnuz", "int32_data"), 21: ("uint4", "int32_data"),
    22: ("int4", "int32_data"), 23: ("float4_e2m1fn", "int32_data"), 24: ("float8_e8m0fnu", "int32_data"),
    25: ("uint2", "int32_data"), 26: ("int2", "int32_data"), 27: ("float6_e2m3fn", "int32_data"),
    28: ("float6_e3m2fn", "int32_data"),
}

ATTRIBUTE_TYPES = {
    1: "float", 2: "int64", 3: "string", 4: "tensor", 5: "graph", 11: "sparse_tensor", 13: "type",
    6: "float[]", 7: "int64[]", 8: "string[]", 9: "tensor[]", 10: "graph[]", 12: "sparse_tensor[]",
    14: "type[]",
}

# Colour categories of the standard operators (ai.onnx and ai.onnx.ml); anything else is uncategorised.
CATEGORIES = {
    "Layer": (
        "Conv", "ConvTranspose", "ConvInteger", "Gemm", "MatMul", "MatMulInteger", "QLinearConv",
        "QLinearMatMul", "RNN", "LSTM", "GRU", "DeformConv", "Attention", "MultiHeadAttention", "Einsum",
        "LinearClassifier", "LinearRegressor", "TreeEnsembleClassifier", "TreeEnsembleRegressor",
        "TreeEnsemble", "SVMClassifier", "SVMRegressor", "FusedConv", "FusedMatMul", "QGemm",
    ),
    "Activation": (
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "Tanh", "Elu", "Selu", "Celu", "Softmax",
        "LogSoftmax", "Softplus", "Softsign", "ThresholdedRelu", "HardSwish", "Mish", "Gelu", "FastGelu",
        "BiasGelu", "QuickGelu", "Swish", "Hardmax", "Shrink", "Erf", "Clip",
    ),
    "Pool": (
        "MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool", "LpPool", "MaxUnpool",
        "MaxRoiPool", "RoiAlign", "QLinearAveragePool", "QLinearGlobalAveragePool",
    ),
    "Normalization": (
        "BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization",
        "LpNormalization", "LRN", "MeanVarianceNormalization", "SkipLayerNormalization",
        "SimplifiedLayerNormalization", "RMSNormalization", "Normalizer", "EmbedLayerNormalization",
    ),
    "Dropout": ("Dropout",),
    "Shape": (
        "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Size", "Expand", "Transpose",
        "DepthToSpace", "SpaceToDepth",
    ),
    "Tensor": (
        "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND", "Scatter", "ScatterElements",
        "ScatterND", "Tile", "Pad", "ConcatFromSequence", "SplitToSequence", "Compress", "OneHot",
        "Identity", "Range", "NonZero", "TopK", "Unique", "Trilu", "CenterCropPad", "Col2Im",
    ),
    "Transform": ("Cast", "CastLike", "Resize", "Upsample", "ImageScaler", "GridSample", "AffineGrid"),
    "Constant": ("Constant",),
    "Data": ("ConstantOfShape", "RandomNormal", "RandomUniform", "RandomNormalLike",
             "RandomUniformLike", "EyeLike", "Multinomial", "Bernoulli"),
    "Quantization": (
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "DynamicQuantizeMatMul",
        "DynamicQuantizeLSTM",
    ),
    "Control": ("If", "Loop", "Scan", "SequenceMap"),
}

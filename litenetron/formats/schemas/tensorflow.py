"""TensorFlow protobuf schema (graph.proto, node_def.proto, attr_value.proto, tensor.proto, meta_graph.proto,
saved_model.proto, function.proto field numbers) as a table for `codecs.protobuf`, plus the DataType enum."""

_MAP_STRING_ATTR = {1: ("key", "string"), 2: ("value", "AttrValue")}

TENSORFLOW = {
    "SavedModel": {1: ("saved_model_schema_version", "int64"), 2: ("meta_graphs", "MetaGraphDef[]")},
    "MetaGraphDef": {
        1: ("meta_info_def", "MetaInfoDef"), 2: ("graph_def", "GraphDef"), 3: ("saver_def", "SaverDef"),
        4: ("collection_def", "CollectionDefEntry[]"), 5: ("signature_def", "SignatureDefEntry[]"),
        6: ("asset_file_def", "AssetFileDef[]"),
    },
    "MetaInfoDef": {
        1: ("meta_graph_version", "string"), 4: ("tags", "string[]"), 5: ("tensorflow_version", "string"),
        6: ("tensorflow_git_version", "string"), 7: ("stripped_default_attrs", "bool"),
    },
    "SaverDef": {
        1: ("filename_tensor_name", "string"), 2: ("save_tensor_name", "string"),
        3: ("restore_op_name", "string"), 4: ("max_to_keep", "int32"), 5: ("sharded", "bool"),
        7: ("version", "enum"),
    },
    "CollectionDefEntry": {1: ("key", "string"), 2: ("value", "CollectionDef")},
    "CollectionDef": {
        1: ("node_list", "StringList"), 2: ("bytes_list", "BytesList"), 3: ("int64_list", "Int64List"),
        4: ("float_list", "FloatList"), 5: ("any_list", "AnyList"),
    },
    "StringList": {1: ("value", "string[]")},
    "BytesList": {1: ("value", "bytes[]")},
    "Int64List": {1: ("value", "int64[]")},
    "FloatList": {1: ("value", "float[]")},
    "AnyList": {1: ("value", "Any[]")},
    "Any": {1: ("type_url", "string"), 2: ("value", "bytes")},
    "SignatureDefEntry": {1: ("key", "string"), 2: ("value", "SignatureDef")},
    "SignatureDef": {
        1: ("inputs", "TensorInfoEntry[]"), 2: ("outputs", "TensorInfoEntry[]"), 3: ("method_name", "string"),
    },
    "TensorInfoEntry": {1: ("key", "string"), 2: ("value", "TensorInfo")},
    "TensorInfo": {1: ("name", "string"), 2: ("dtype", "enum"), 3: ("tensor_shape", "TensorShapeProto")},
    "AssetFileDef": {1: ("tensor_info", "TensorInfo"), 2: ("filename", "string")},
    "GraphDef": {
        1: ("node", "NodeDef[]"), 4: ("versions", "VersionDef"), 3: ("version", "int32"),
        2: ("library", "FunctionDefLibrary"),
    },
    "VersionDef": {1: ("producer", "int32"), 2: ("min_consumer", "int32"), 3: ("bad_consumers", "int32[]")},
    "NodeDef": {
        1: ("name", "string"), 2: ("op", "string"), 3: ("input", "string[]"), 4: ("device", "string"),
        5: ("attr", "AttrEntry[]"),
    },
    "AttrEntry": _MAP_STRING_ATTR,
    "AttrValue": {
        2: ("s", "bytes"), 3: ("i", "int64"), 4: ("f", "float"), 5: ("b", "bool"), 6: ("type", "enum"),
        7: ("shape", "TensorShapeProto"), 8: ("tensor", "TensorProto"), 1: ("list", "ListValue"),
        10: ("func", "NameAttrList"), 9: ("placeholder", "string"),
    },
    "ListValue": {
        2: ("s", "bytes[]"), 3: ("i", "int64[]"), 4: ("f", "float[]"), 5: ("b", "bool[]"), 6: ("type", "enum[]"),
        7: ("shape", "TensorShapeProto[]"), 8: ("tensor", "TensorProto[]"), 9: ("func", "NameAttrList[]"),
    },
    "NameAttrList": {1: ("name", "string"), 2: ("attr", "AttrEntry[]")},
    "TensorShapeProto": {2: ("dim", "Dim[]"), 3: ("unknown_rank", "bool")},
    "Dim": {1: ("size", "int64"), 2: ("name", "string")},
    "TensorProto": {
        1: ("dtype", "enum"), 2: ("tensor_shape", "TensorShapeProto"), 3: ("version_number", "int32"),
        4: ("tensor_content", "bytes"), 13: ("half_val", "int32[]"), 5: ("float_val", "float[]"),
        6: ("double_val", "double[]"), 7: ("int_val", "int32[]"), 8: ("string_val", "bytes[]"),
        9: ("scomplex_val", "float[]"), 10: ("int64_val", "int64[]"), 11: ("bool_val", "bool[]"),
        12: ("dcomplex_val", "double[]"), 16: ("uint32_val", "uint32[]"), 17: ("uint64_val", "uint64[]"),
        18: ("float8_val", "bytes"),
    },
    "FunctionDefLibrary": {1: ("function", "FunctionDef[]"), 2: ("gradient", "GradientDef[]")},
    "GradientDef": {1: ("function_name", "string"), 2: ("gradient_func", "string")},
    "FunctionDef": {
        1: ("signature", "OpDef"), 5: ("attr", "AttrEntry[]"), 3: ("node_def", "NodeDef[]"),
        4: ("ret", "StringEntry[]"), 6: ("control_ret", "StringEntry[]"),
    },
    "StringEntry": {1: ("key", "string"), 2: ("value", "string")},
    "OpDef": {
        1: ("name", "string"), 2: ("input_arg", "ArgDef[]"), 3: ("output_arg", "ArgDef[]"),
        20: ("control_output", "string[]"), 5: ("summary", "string"), 6: ("description", "string"),
    },
    "ArgDef": {
        1: ("name", "string"), 2: ("description", "string"), 3: ("type", "enum"), 4: ("type_attr", "string"),
        5: ("number_attr", "string"), 6: ("type_list_attr", "string"), 16: ("is_ref", "bool"),
    },
    # Checkpoint bundles (tensor_bundle.proto, trackable_object_graph.proto).
    "BundleHeaderProto": {1: ("num_shards", "int32"), 2: ("endianness", "enum"), 3: ("version", "VersionDef")},
    "BundleEntryProto": {
        1: ("dtype", "enum"), 2: ("shape", "TensorShapeProto"), 3: ("shard_id", "int32"), 4: ("offset", "int64"),
        5: ("size", "int64"), 6: ("crc32c", "fixed32"),
    },
    "TrackableObjectGraph": {1: ("nodes", "TrackableObject[]")},
    "TrackableObject": {1: ("children", "ObjectReference[]"), 2: ("attributes", "SerializedTensor[]")},
    "ObjectReference": {1: ("node_id", "int32"), 2: ("local_name", "string")},
    "SerializedTensor": {1: ("name", "string"), 2: ("full_name", "string"), 3: ("checkpoint_key", "string")},
}

# DataType enum value → numpy-style dtype name (reference types are value + 100).
DTYPES = {
    1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string", 8: "complex64",
    9: "int64", 10: "bool", 11: "qint8", 12: "quint8", 13: "qint32", 14: "bfloat16", 15: "qint16",
    16: "quint16", 17: "uint16", 18: "complex128", 19: "float16", 20: "resource", 21: "variant", 22: "uint32",
    23: "uint64", 24: "float8_e5m2", 25: "float8_e4m3fn", 26: "float8_e4m3fnuz", 27: "float8_e4m3b11fnuz",
    28: "float8_e5m2fnuz", 29: "int4", 30: "uint4", 31: "int2", 32: "uint2",
}

# Text-format enum names (DT_FLOAT …) → enum values.
DTYPE_NAMES = {
    "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5, "DT_INT8": 6, "DT_STRING": 7,
    "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10, "DT_QINT8": 11, "DT_QUINT8": 12, "DT_QINT32": 13,
    "DT_BFLOAT16": 14, "DT_QINT16": 15, "DT_QUINT16": 16, "DT_UINT16": 17, "DT_COMPLEX128": 18, "DT_HALF": 19,
    "DT_RESOURCE": 20, "DT_VARIANT": 21, "DT_UINT32": 22, "DT_UINT64": 23, "DT_FLOAT8_E5M2": 24,
    "DT_FLOAT8_E4M3FN": 25, "DT_FLOAT8_E4M3FNUZ": 26, "DT_FLOAT8_E4M3B11FNUZ": 27, "DT_FLOAT8_E5M2FNUZ": 28,
    "DT_INT4": 29, "DT_UINT4": 30, "DT_INT2": 31, "DT_UINT2": 32,
}

# Which typed value list of a TensorProto holds each dtype (when tensor_content is empty).
VALUE_FIELDS = {
    "float32": "float_val", "float64": "double_val", "int32": "int_val", "uint8": "int_val", "int16": "int_val",
    "int8": "int_val", "uint16": "int_val", "qint8": "int_val", "quint8": "int_val", "qint16": "int_val",
    "quint16": "int_val", "qint32": "int_val", "int64": "int64_val", "bool": "bool_val",
    "float16": "half_val", "bfloat16": "half_val", "complex64": "scomplex_val", "complex128": "dcomplex_val",
    "uint32": "uint32_val", "uint64": "uint64_val", "string": "string_val",
}

# Op name → category (the box colour). Ops not listed are drawn without a category.
CATEGORIES = {
    "Layer": (
        "Conv2D", "Conv3D", "Conv1D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "Conv3DBackpropInputV2",
        "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "BiasAdd", "FusedConv2DBiasActivation",
        "_FusedConv2D", "_FusedMatMul", "_FusedDepthwiseConv2dNative", "FusedDepthwiseConv2dNative", "EinSum", "Einsum",
        "BlockLSTM", "BlockLSTMV2", "LSTMBlockCell", "GRUBlockCell", "CudnnRNN", "CudnnRNNV2", "CudnnRNNV3",
        "SeparableConv2D", "Dilation2D",
    ),
    "Activation": (
        "Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus",
        "Softsign", "Gelu", "Swish", "HardSwish",
    ),
    "Pool": ("MaxPool", "MaxPoolV2", "AvgPool", "MaxPool3D", "AvgPool3D", "FractionalMaxPool",
             "FractionalAvgPool", "MaxPoolWithArgmax"),
    "Normalization": (
        "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", "BatchNormWithGlobalNormalization", "LRN",
        "L2Loss", "_FusedBatchNormEx",
    ),
    "Dropout": ("Dropout",),
    "Shape": (
        "Reshape", "Shape", "ShapeN", "Size", "Rank", "Squeeze", "ExpandDims", "Flatten", "BroadcastTo",
        "BroadcastArgs", "BroadcastGradientArgs",
    ),
    "Tensor": (
        "ConcatV2", "Concat", "Pack", "Unpack", "Split", "SplitV", "Slice", "StridedSlice", "Gather", "GatherV2",
        "GatherNd", "Tile", "Pad", "PadV2", "MirrorPad", "Fill", "ZerosLike", "OnesLike", "Range", "OneHot",
        "Where", "Select", "SelectV2", "ReverseV2", "Cast", "Bitcast",
    ),
    "Transform": ("Transpose", "SpaceToBatchND", "BatchToSpaceND", "SpaceToDepth", "DepthToSpace",
                  "ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic"),
    "Data": ("Placeholder", "PlaceholderWithDefault", "PlaceholderV2", "IteratorGetNext", "QueueDequeueV2",
             "QueueDequeueManyV2", "ParseExample", "ParseExampleV2", "DecodeJpeg", "DecodePng",
             "_Arg", "_Retval"),
    "Quantization": ("FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxArgs", "QuantizeV2", "Dequantize",
                     "QuantizeAndDequantizeV2", "QuantizeAndDequantizeV3", "QuantizeAndDequantizeV4"),
    "Control": (
        "Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "If", "StatelessIf", "While",
        "StatelessWhile", "NoOp", "PartitionedCall", "StatefulPartitionedCall", "Identity", "IdentityN",
        "StopGradient", "Assert", "ControlTrigger",
    ),
    "Constant": ("Const", "HostConst"),
}

# Names of the data inputs of common ops, in order (others are named input, input:1, ...).
INPUT_NAMES = {
    "Conv2D": ("input", "filter"), "Conv3D": ("input", "filter"), "DepthwiseConv2dNative": ("input", "filter"),
    "_FusedConv2D": ("input", "filter", "args"), "FusedDepthwiseConv2dNative": ("input", "filter", "args"),
    "_FusedDepthwiseConv2dNative": ("input", "filter", "args"), "_FusedMatMul": ("a", "b", "args"),
    "Conv2DBackpropInput": ("input_sizes", "filter", "out_backprop"), "MatMul": ("a", "b"),
    "BatchMatMul": ("x", "y"), "BatchMatMulV2": ("x", "y"), "BiasAdd": ("value", "bias"),
    "FusedBatchNorm": ("x", "scale", "offset", "mean", "variance"),
    "FusedBatchNormV2": ("x", "scale", "offset", "mean", "variance"),
    "FusedBatchNormV3": ("x", "scale", "offset", "mean", "variance"),
    "Add": ("x", "y"), "AddV2": ("x", "y"), "Sub": ("x", "y"), "Mul": ("x", "y"), "RealDiv": ("x", "y"),
    "Maximum": ("x", "y"), "Minimum": ("x", "y"), "Reshape": ("tensor", "shape"), "Pad": ("input", "paddings"),
    "Transpose": ("x", "perm"), "Mean": ("input", "reduction_indices"), "Sum": ("input", "reduction_indices"),
    "Max": ("input", "reduction_indices"), "StridedSlice": ("input", "begin", "end", "strides"),
    "ResizeBilinear": ("images", "size"), "ResizeNearestNeighbor": ("images", "size"),
    "ExpandDims": ("input", "axis"), "GatherV2": ("params", "indices", "axis"), "Fill": ("dims", "value"),
    "Assign": ("ref", "value"), "Identity": ("input",), "ReadVariableOp": ("resource",),
}

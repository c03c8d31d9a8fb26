"""ONNX Runtime ORT format facts (onnxruntime/core/flatbuffers/schema/ort.fbs, file identifier "ORTM") as data.

Same conventions as schemas/tflite.py: fields in slot order as (name, type[, default]); deprecated fields keep
their slot. `NodeEdge` lists only its first field: its edge vectors hold structs, and the reader joins nodes by
tensor names instead.
"""

IDENTIFIER = b"ORTM"

TABLES = {
    "Shape": (("dim", "[Dimension]"),),
    "Dimension": (("value", "DimensionValue"), ("denotation", "string")),
    "DimensionValue": (("dim_type", "byte"), ("dim_value", "long"), ("dim_param", "string")),
    "TensorTypeAndShape": (("elem_type", "int"), ("shape", "Shape")),
    "MapType": (("key_type", "int"), ("value_type", "TypeInfo")),
    "SequenceType": (("elem_type", "TypeInfo"),),
    "NodeEdge": (("node_index", "uint"),),
    "Node": (
        ("name", "string"), ("doc_string", "string"), ("domain", "string"), ("since_version", "int"),
        ("index", "uint"), ("op_type", "string"), ("type", "int"), ("execution_provider_type", "string"),
        ("inputs", "[string]"), ("outputs", "[string]"), ("attributes", "[Attribute]"),
        ("input_arg_counts", "[int]"), ("implicit_inputs", "[string]"),
    ),
    "ValueInfo": (("name", "string"), ("doc_string", "string"), ("type", "TypeInfo")),
    "TypeInfo": (("denotation", "string"), ("value", "union:TypeInfoValue")),
    "OperatorSetId": (("domain", "string"), ("version", "long")),
    "Tensor": (
        ("name", "string"), ("doc_string", "string"), ("dims", "[long]"), ("data_type", "int"),
        ("raw_data", "[ubyte]"), ("string_data", "[string]"), ("external_data_offset", "long", -1),
    ),
    "SparseTensor": (("values", "Tensor"), ("indices", "Tensor"), ("dims", "[long]")),
    "Attribute": (
        ("name", "string"), ("doc_string", "string"), ("type", "int"), ("f", "float"), ("i", "long"),
        ("s", "string"), ("t", "Tensor"), ("g", "Graph"), ("floats", "[float]"), ("ints", "[long]"),
        ("strings", "[string]"), ("tensors", "[Tensor]"), ("graphs", "[Graph]"),
    ),
    "NodesToOptimizeIndices": (
        ("node_indices", "[uint]"), ("num_inputs", "uint"), ("num_outputs", "uint"),
        ("has_variadic_input", "bool"), ("has_variadic_output", "bool"), ("num_variadic_inputs", "uint"),
        ("num_variadic_outputs", "uint"),
    ),
    "DeprecatedNodeIndexAndKernelDefHash": (("node_index", "uint"), ("kernel_def_hash", "ulong")),
    "RuntimeOptimizationRecord": (
        ("action_id", "string"), ("nodes_to_optimize_indices", "NodesToOptimizeIndices"),
        ("produced_nodes", "[DeprecatedNodeIndexAndKernelDefHash]"), ("produced_op_ids", "[string]"),
    ),
    "RuntimeOptimizationRecordContainerEntry": (
        ("optimizer_name", "string"), ("runtime_optimization_records", "[RuntimeOptimizationRecord]"),
    ),
    "RuntimeOptimizations": (("records", "[RuntimeOptimizationRecordContainerEntry]"),),
    "Graph": (
        ("initializers", "[Tensor]"), ("node_args", "[ValueInfo]"), ("nodes", "[Node]"),
        ("max_node_index", "uint"), ("node_edges", "[NodeEdge]"), ("inputs", "[string]"),
        ("outputs", "[string]"), ("sparse_initializers", "[SparseTensor]"),
        ("runtime_optimizations", "RuntimeOptimizations"),
    ),
    "StringStringEntry": (("key", "string"), ("value", "string")),
    "Model": (
        ("ir_version", "long"), ("opset_import", "[OperatorSetId]"), ("producer_name", "string"),
        ("producer_version", "string"), ("domain", "string"), ("model_version", "long"),
        ("doc_string", "string"), ("graph", "Graph"), ("graph_doc_string", "string"),
        ("metadata_props", "[StringStringEntry]"),
    ),
    "DeprecatedKernelCreateInfos": (("node_indices", "[uint]"), ("kernel_def_hashes", "[ulong]")),
    "DeprecatedSubGraphSessionState": (("graph_id", "string"), ("session_state", "DeprecatedSessionState")),
    "DeprecatedSessionState": (
        ("kernels", "DeprecatedKernelCreateInfos"), ("sub_graph_session_states", "[DeprecatedSubGraphSessionState]"),
    ),
    "ArgTypeAndIndex": (("arg_type", "byte"), ("index", "uint")),
    "KernelTypeStrArgsEntry": (("kernel_type_str", "string"), ("args", "[ArgTypeAndIndex]")),
    "OpIdKernelTypeStrArgsEntry": (("op_id", "string"), ("kernel_type_str_args", "[KernelTypeStrArgsEntry]")),
    "KernelTypeStrResolver": (("op_kernel_type_str_args", "[OpIdKernelTypeStrArgsEntry]"),),
    "InferenceSession": (
        ("ort_version", "string"), ("model", "Model"), ("session_state", "DeprecatedSessionState"),
        ("kernel_type_str_resolver", "KernelTypeStrResolver"),
    ),
}

UNIONS = {"TypeInfoValue": (None, "TensorTypeAndShape", "SequenceType", "MapType")}

# AttributeType codes → their value field and type text.
ATTRIBUTE_FIELDS = {
    1: ("f", "float"), 2: ("i", "int64"), 3: ("s", "string"), 4: ("t", "tensor"), 5: ("g", "graph"),
    6: ("floats", "float[]"), 7: ("ints", "int64[]"), 8: ("strings", "string[]"), 9: ("tensors", "tensor[]"),
    10: ("graphs", "graph[]"),
}

# Input names of common ONNX (and com.microsoft) operators, for weight-row labels without importing onnx.
_BINARY = ("A", "B")
INPUT_NAMES = {
    "Conv": ("X", "W", "B"), "FusedConv": ("X", "W", "B", "Z"), "ConvTranspose": ("X", "W", "B"),
    "Gemm": ("A", "B", "C"), "FusedGemm": ("A", "B", "C"), "MatMul": _BINARY, "FusedMatMul": _BINARY,
    "Add": _BINARY, "Sub": _BINARY, "Mul": _BINARY, "Div": _BINARY, "Pow": ("X", "Y"), "Equal": _BINARY,
    "Less": _BINARY, "Greater": _BINARY, "And": _BINARY, "Or": _BINARY, "Where": ("condition", "X", "Y"),
    "Gather": ("data", "indices"), "GatherElements": ("data", "indices"), "Reshape": ("data", "shape"),
    "Expand": ("input", "shape"), "Squeeze": ("data", "axes"), "Unsqueeze": ("data", "axes"),
    "Slice": ("data", "starts", "ends", "axes", "steps"), "Pad": ("data", "pads", "constant_value", "axes"),
    "Resize": ("X", "roi", "scales", "sizes"), "Clip": ("input", "min", "max"), "Tile": ("input", "repeats"),
    "LayerNormalization": ("X", "Scale", "B"), "SkipLayerNormalization": ("input", "skip", "gamma", "beta", "bias"),
    "BatchNormalization": ("X", "scale", "B", "input_mean", "input_var"),
    "InstanceNormalization": ("input", "scale", "B"), "PRelu": ("X", "slope"),
    "ReduceMean": ("data", "axes"), "ReduceSum": ("data", "axes"), "Split": ("input", "split"),
    "Attention": ("input", "weights", "bias", "mask_index"), "EmbedLayerNormalization": (
        "input_ids", "segment_ids", "word_embedding", "position_embedding", "segment_embedding", "gamma", "beta"),
    "BiasGelu": ("A", "B"), "QuantizeLinear": ("x", "y_scale", "y_zero_point"),
    "DequantizeLinear": ("x", "x_scale", "x_zero_point"), "LSTM": ("X", "W", "R", "B"), "GRU": ("X", "W", "R", "B"),
}

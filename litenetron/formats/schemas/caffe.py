"""Caffe protobuf schema (caffe.proto field numbers, plus the widely used SSD extensions) as a table for
`codecs.protobuf`, the V1 layer-type enum, and the layer categories and weight names."""

_FILLER = "FillerParameter"

CAFFE = {
    "NetParameter": {
        1: ("name", "string"), 3: ("input", "string[]"), 8: ("input_shape", "BlobShape[]"),
        4: ("input_dim", "int32[]"), 5: ("force_backward", "bool"), 6: ("state", "NetState"),
        7: ("debug_info", "bool"), 100: ("layer", "LayerParameter[]"), 2: ("layers", "V1LayerParameter[]"),
    },
    "BlobShape": {1: ("dim", "int64[]")},
    # Only the solver fields that name or hold its network: a solver is reported, or its inline net shown.
    "SolverParameter": {
        24: ("net", "string"), 25: ("net_param", "NetParameter"), 1: ("train_net", "string"),
        21: ("train_net_param", "NetParameter"), 5: ("base_lr", "float"), 7: ("max_iter", "int32"),
        8: ("lr_policy", "string"), 17: ("solver_mode", "enum"),
    },
    "BlobProto": {
        7: ("shape", "BlobShape"), 5: ("data", "float[]"), 6: ("diff", "float[]"),
        8: ("double_data", "double[]"), 9: ("double_diff", "double[]"), 1: ("num", "int32"),
        2: ("channels", "int32"), 3: ("height", "int32"), 4: ("width", "int32"),
    },
    "NetState": {1: ("phase", "enum"), 2: ("level", "int32"), 3: ("stage", "string[]")},
    "NetStateRule": {
        1: ("phase", "enum"), 2: ("min_level", "int32"), 3: ("max_level", "int32"), 4: ("stage", "string[]"),
        5: ("not_stage", "string[]"),
    },
    "ParamSpec": {1: ("name", "string"), 2: ("share_mode", "enum"), 3: ("lr_mult", "float"),
                  4: ("decay_mult", "float")},
    "LayerParameter": {
        1: ("name", "string"), 2: ("type", "string"), 3: ("bottom", "string[]"), 4: ("top", "string[]"),
        10: ("phase", "enum"), 5: ("loss_weight", "float[]"), 6: ("param", "ParamSpec[]"),
        7: ("blobs", "BlobProto[]"), 11: ("propagate_down", "bool[]"), 8: ("include", "NetStateRule[]"),
        9: ("exclude", "NetStateRule[]"), 100: ("transform_param", "TransformationParameter"),
        101: ("loss_param", "LossParameter"), 102: ("accuracy_param", "AccuracyParameter"),
        103: ("argmax_param", "ArgMaxParameter"), 139: ("batch_norm_param", "BatchNormParameter"),
        141: ("bias_param", "BiasParameter"), 104: ("concat_param", "ConcatParameter"),
        106: ("convolution_param", "ConvolutionParameter"), 144: ("crop_param", "CropParameter"),
        107: ("data_param", "DataParameter"), 108: ("dropout_param", "DropoutParameter"),
        109: ("dummy_data_param", "DummyDataParameter"), 110: ("eltwise_param", "EltwiseParameter"),
        140: ("elu_param", "ELUParameter"), 137: ("embed_param", "EmbedParameter"),
        111: ("exp_param", "ExpParameter"), 135: ("flatten_param", "FlattenParameter"),
        112: ("hdf5_data_param", "HDF5DataParameter"), 115: ("image_data_param", "ImageDataParameter"),
        117: ("inner_product_param", "InnerProductParameter"), 143: ("input_param", "InputParameter"),
        134: ("log_param", "ExpParameter"), 118: ("lrn_param", "LRNParameter"),
        119: ("memory_data_param", "MemoryDataParameter"), 120: ("mvn_param", "MVNParameter"),
        145: ("parameter_param", "ParameterParameter"), 121: ("pooling_param", "PoolingParameter"),
        122: ("power_param", "PowerParameter"), 131: ("prelu_param", "PReLUParameter"),
        130: ("python_param", "PythonParameter"), 146: ("recurrent_param", "RecurrentParameter"),
        136: ("reduction_param", "ReductionParameter"), 123: ("relu_param", "ReLUParameter"),
        133: ("reshape_param", "ReshapeParameter"), 142: ("scale_param", "ScaleParameter"),
        124: ("sigmoid_param", "EngineParameter"), 125: ("softmax_param", "SoftmaxParameter"),
        132: ("spp_param", "SPPParameter"), 126: ("slice_param", "SliceParameter"),
        127: ("tanh_param", "EngineParameter"), 128: ("threshold_param", "ThresholdParameter"),
        138: ("tile_param", "TileParameter"),
        # SSD fork (weiliu89/caffe) extensions, common in detection models.
        202: ("permute_param", "PermuteParameter"), 203: ("prior_box_param", "PriorBoxParameter"),
        204: ("detection_output_param", "DetectionOutputParameter"), 206: ("norm_param", "NormalizeParameter"),
    },
    "V1LayerParameter": {
        2: ("bottom", "string[]"), 3: ("top", "string[]"), 4: ("name", "string"), 32: ("include", "NetStateRule[]"),
        33: ("exclude", "NetStateRule[]"), 5: ("type", "enum"), 6: ("blobs", "BlobProto[]"),
        1001: ("param", "string[]"), 7: ("blobs_lr", "float[]"), 8: ("weight_decay", "float[]"),
        35: ("loss_weight", "float[]"), 27: ("accuracy_param", "AccuracyParameter"),
        23: ("argmax_param", "ArgMaxParameter"), 9: ("concat_param", "ConcatParameter"),
        10: ("convolution_param", "ConvolutionParameter"), 11: ("data_param", "DataParameter"),
        12: ("dropout_param", "DropoutParameter"), 26: ("dummy_data_param", "DummyDataParameter"),
        24: ("eltwise_param", "EltwiseParameter"), 41: ("exp_param", "ExpParameter"),
        13: ("hdf5_data_param", "HDF5DataParameter"), 15: ("image_data_param", "ImageDataParameter"),
        17: ("inner_product_param", "InnerProductParameter"), 18: ("lrn_param", "LRNParameter"),
        22: ("memory_data_param", "MemoryDataParameter"), 34: ("mvn_param", "MVNParameter"),
        19: ("pooling_param", "PoolingParameter"), 21: ("power_param", "PowerParameter"),
        30: ("relu_param", "ReLUParameter"), 38: ("sigmoid_param", "EngineParameter"),
        39: ("softmax_param", "SoftmaxParameter"), 31: ("slice_param", "SliceParameter"),
        37: ("tanh_param", "EngineParameter"), 25: ("threshold_param", "ThresholdParameter"),
        36: ("transform_param", "TransformationParameter"), 42: ("loss_param", "LossParameter"),
        1: ("layer", "V0LayerParameter"),
    },
    # The pre-2014 layer record that V1 files may still wrap (field `layer` of V1LayerParameter).
    "V0LayerParameter": {
        1: ("name", "string"), 2: ("type", "string"), 3: ("num_output", "uint32"), 4: ("biasterm", "bool"),
        7: ("pad", "uint32"), 8: ("kernelsize", "uint32"), 9: ("group", "uint32"), 10: ("stride", "uint32"),
        11: ("pool", "enum"), 12: ("dropout_ratio", "float"), 13: ("local_size", "uint32"),
        14: ("alpha", "float"), 15: ("beta", "float"), 22: ("k", "float"), 50: ("blobs", "BlobProto[]"),
    },
    "FillerParameter": {
        1: ("type", "string"), 2: ("value", "float"), 3: ("min", "float"), 4: ("max", "float"),
        5: ("mean", "float"), 6: ("std", "float"), 7: ("sparse", "int32"), 8: ("variance_norm", "enum"),
    },
    "TransformationParameter": {
        1: ("scale", "float"), 2: ("mirror", "bool"), 3: ("crop_size", "uint32"), 4: ("mean_file", "string"),
        5: ("mean_value", "float[]"), 6: ("force_color", "bool"), 7: ("force_gray", "bool"),
    },
    "LossParameter": {1: ("ignore_label", "int32"), 3: ("normalization", "enum"), 2: ("normalize", "bool")},
    "AccuracyParameter": {1: ("top_k", "uint32"), 2: ("axis", "int32"), 3: ("ignore_label", "int32")},
    "ArgMaxParameter": {1: ("out_max_val", "bool"), 2: ("top_k", "uint32"), 3: ("axis", "int32")},
    "BatchNormParameter": {1: ("use_global_stats", "bool"), 2: ("moving_average_fraction", "float"),
                           3: ("eps", "float")},
    "BiasParameter": {1: ("axis", "int32"), 2: ("num_axes", "int32"), 3: ("filler", _FILLER)},
    "ConcatParameter": {2: ("axis", "int32"), 1: ("concat_dim", "uint32")},
    "ConvolutionParameter": {
        1: ("num_output", "uint32"), 2: ("bias_term", "bool"), 3: ("pad", "uint32[]"),
        4: ("kernel_size", "uint32[]"), 6: ("stride", "uint32[]"), 18: ("dilation", "uint32[]"),
        9: ("pad_h", "uint32"), 10: ("pad_w", "uint32"), 11: ("kernel_h", "uint32"), 12: ("kernel_w", "uint32"),
        13: ("stride_h", "uint32"), 14: ("stride_w", "uint32"), 5: ("group", "uint32"),
        7: ("weight_filler", _FILLER), 8: ("bias_filler", _FILLER), 15: ("engine", "enum"), 16: ("axis", "int32"),
        17: ("force_nd_im2col", "bool"),
    },
    "CropParameter": {1: ("axis", "int32"), 2: ("offset", "uint32[]")},
    "DataParameter": {
        1: ("source", "string"), 4: ("batch_size", "uint32"), 2: ("rand_skip", "uint32"), 3: ("backend", "enum"),
        5: ("scale", "float"), 6: ("mean_file", "string"), 7: ("crop_size", "uint32"), 8: ("mirror", "bool"),
    },
    "DropoutParameter": {1: ("dropout_ratio", "float")},
    "DummyDataParameter": {
        1: ("data_filler", "FillerParameter[]"), 6: ("shape", "BlobShape[]"), 2: ("num", "uint32[]"),
        3: ("channels", "uint32[]"), 4: ("height", "uint32[]"), 5: ("width", "uint32[]"),
    },
    "EltwiseParameter": {1: ("operation", "enum"), 2: ("coeff", "float[]"), 3: ("stable_prod_grad", "bool")},
    "ELUParameter": {1: ("alpha", "float")},
    "EmbedParameter": {1: ("num_output", "uint32"), 2: ("input_dim", "uint32"), 3: ("bias_term", "bool")},
    "ExpParameter": {1: ("base", "float"), 2: ("scale", "float"), 3: ("shift", "float")},
    "FlattenParameter": {1: ("axis", "int32"), 2: ("end_axis", "int32")},
    "HDF5DataParameter": {1: ("source", "string"), 2: ("batch_size", "uint32"), 3: ("shuffle", "bool")},
    "ImageDataParameter": {
        1: ("source", "string"), 4: ("batch_size", "uint32"), 7: ("rand_skip", "uint32"), 8: ("shuffle", "bool"),
        9: ("new_height", "uint32"), 10: ("new_width", "uint32"), 11: ("is_color", "bool"),
        2: ("scale", "float"), 3: ("mean_file", "string"), 5: ("crop_size", "uint32"), 6: ("mirror", "bool"),
        12: ("root_folder", "string"),
    },
    "InnerProductParameter": {
        1: ("num_output", "uint32"), 2: ("bias_term", "bool"), 3: ("weight_filler", _FILLER),
        4: ("bias_filler", _FILLER), 5: ("axis", "int32"), 6: ("transpose", "bool"),
    },
    "InputParameter": {1: ("shape", "BlobShape[]")},
    "LRNParameter": {
        1: ("local_size", "uint32"), 2: ("alpha", "float"), 3: ("beta", "float"), 4: ("norm_region", "enum"),
        5: ("k", "float"), 6: ("engine", "enum"),
    },
    "MemoryDataParameter": {1: ("batch_size", "uint32"), 2: ("channels", "uint32"), 3: ("height", "uint32"),
                            4: ("width", "uint32")},
    "MVNParameter": {1: ("normalize_variance", "bool"), 2: ("across_channels", "bool"), 3: ("eps", "float")},
    "ParameterParameter": {1: ("shape", "BlobShape")},
    "PoolingParameter": {
        1: ("pool", "enum"), 4: ("pad", "uint32"), 9: ("pad_h", "uint32"), 10: ("pad_w", "uint32"),
        2: ("kernel_size", "uint32"), 5: ("kernel_h", "uint32"), 6: ("kernel_w", "uint32"), 3: ("stride", "uint32"),
        7: ("stride_h", "uint32"), 8: ("stride_w", "uint32"), 11: ("engine", "enum"),
        12: ("global_pooling", "bool"), 13: ("round_mode", "enum"),
    },
    "PowerParameter": {1: ("power", "float"), 2: ("scale", "float"), 3: ("shift", "float")},
    "PReLUParameter": {1: ("filler", _FILLER), 2: ("channel_shared", "bool")},
    "PythonParameter": {1: ("module", "string"), 2: ("layer", "string"), 3: ("param_str", "string")},
    "RecurrentParameter": {1: ("num_output", "uint32"), 4: ("debug_info", "bool"), 5: ("expose_hidden", "bool")},
    "ReductionParameter": {1: ("operation", "enum"), 2: ("axis", "int32"), 3: ("coeff", "float")},
    "ReLUParameter": {1: ("negative_slope", "float"), 2: ("engine", "enum")},
    "ReshapeParameter": {1: ("shape", "BlobShape"), 2: ("axis", "int32"), 3: ("num_axes", "int32")},
    "ScaleParameter": {1: ("axis", "int32"), 2: ("num_axes", "int32"), 3: ("filler", _FILLER),
                       4: ("bias_term", "bool"), 5: ("bias_filler", _FILLER)},
    "EngineParameter": {1: ("engine", "enum")},
    "SoftmaxParameter": {1: ("engine", "enum"), 2: ("axis", "int32")},
    "SPPParameter": {1: ("pyramid_height", "uint32"), 2: ("pool", "enum"), 6: ("engine", "enum")},
    "SliceParameter": {3: ("axis", "int32"), 2: ("slice_point", "uint32[]"), 1: ("slice_dim", "uint32")},
    "ThresholdParameter": {1: ("threshold", "float")},
    "TileParameter": {1: ("axis", "int32"), 2: ("tiles", "int32")},
    "PermuteParameter": {1: ("order", "uint32[]")},
    "PriorBoxParameter": {
        1: ("min_size", "float[]"), 2: ("max_size", "float[]"), 3: ("aspect_ratio", "float[]"),
        4: ("flip", "bool"), 5: ("clip", "bool"), 6: ("variance", "float[]"), 7: ("img_size", "uint32"),
        8: ("img_h", "uint32"), 9: ("img_w", "uint32"), 10: ("step", "float"), 11: ("step_h", "float"),
        12: ("step_w", "float"), 13: ("offset", "float"),
    },
    "DetectionOutputParameter": {
        1: ("num_classes", "uint32"), 2: ("share_location", "bool"), 3: ("background_label_id", "int32"),
        4: ("nms_param", "NonMaximumSuppressionParameter"), 6: ("code_type", "enum"),
        8: ("variance_encoded_in_target", "bool"), 7: ("keep_top_k", "int32"),
        9: ("confidence_threshold", "float"),
    },
    "NonMaximumSuppressionParameter": {1: ("nms_threshold", "float"), 2: ("top_k", "int32"), 3: ("eta", "float")},
    "NormalizeParameter": {1: ("across_spatial", "bool"), 2: ("scale_filler", _FILLER),
                           3: ("channel_shared", "bool"), 4: ("eps", "float")},
}

# V1LayerParameter.LayerType enum value → the V2 type string.
V1_TYPES = {
    0: "None", 35: "AbsVal", 1: "Accuracy", 30: "ArgMax", 2: "BNLL", 3: "Concat", 37: "ContrastiveLoss",
    4: "Convolution", 5: "Data", 39: "Deconvolution", 6: "Dropout", 32: "DummyData", 7: "EuclideanLoss",
    25: "Eltwise", 38: "Exp", 8: "Flatten", 9: "HDF5Data", 10: "HDF5Output", 28: "HingeLoss", 11: "Im2col",
    12: "ImageData", 13: "InfogainLoss", 14: "InnerProduct", 15: "LRN", 29: "MemoryData",
    16: "MultinomialLogisticLoss", 34: "MVN", 17: "Pooling", 26: "Power", 18: "ReLU", 19: "Sigmoid",
    27: "SigmoidCrossEntropyLoss", 36: "Silence", 20: "Softmax", 21: "SoftmaxWithLoss", 22: "Split",
    33: "Slice", 23: "TanH", 24: "WindowData", 31: "Threshold",
}

# Text-format V1 enum names (CONVOLUTION …) → enum values.
V1_TYPE_NAMES = {
    "NONE": 0, "ABSVAL": 35, "ACCURACY": 1, "ARGMAX": 30, "BNLL": 2, "CONCAT": 3, "CONTRASTIVE_LOSS": 37,
    "CONVOLUTION": 4, "DATA": 5, "DECONVOLUTION": 39, "DROPOUT": 6, "DUMMY_DATA": 32, "EUCLIDEAN_LOSS": 7,
    "ELTWISE": 25, "EXP": 38, "FLATTEN": 8, "HDF5_DATA": 9, "HDF5_OUTPUT": 10, "HINGE_LOSS": 28, "IM2COL": 11,
    "IMAGE_DATA": 12, "INFOGAIN_LOSS": 13, "INNER_PRODUCT": 14, "LRN": 15, "MEMORY_DATA": 29,
    "MULTINOMIAL_LOGISTIC_LOSS": 16, "MVN": 34, "POOLING": 17, "POWER": 26, "RELU": 18, "SIGMOID": 19,
    "SIGMOID_CROSS_ENTROPY_LOSS": 27, "SILENCE": 36, "SOFTMAX": 20, "SOFTMAX_LOSS": 21, "SPLIT": 22,
    "SLICE": 33, "TANH": 23, "WINDOW_DATA": 24, "THRESHOLD": 31,
}

# Symbolic names of the enums that attributes show (binary files store the numbers).
ENUMS = {
    "phase": {0: "TRAIN", 1: "TEST"},
    "pool": {0: "MAX", 1: "AVE", 2: "STOCHASTIC"},
    "operation": {0: "PROD", 1: "SUM", 2: "MAX"},
    "reduction_param.operation": {1: "SUM", 2: "ASUM", 3: "SUMSQ", 4: "MEAN"},
    "round_mode": {0: "CEIL", 1: "FLOOR"},
    "norm_region": {0: "ACROSS_CHANNELS", 1: "WITHIN_CHANNEL"},
    "engine": {0: "DEFAULT", 1: "CAFFE", 2: "CUDNN"},
    "backend": {0: "LEVELDB", 1: "LMDB"},
    "code_type": {1: "CORNER", 2: "CENTER_SIZE", 3: "CORNER_SIZE"},
}

# Layer type → category (the box colour). Types not listed are drawn without a category.
CATEGORIES = {
    "Layer": ("Convolution", "Deconvolution", "InnerProduct", "Embed", "Scale", "Bias", "DepthwiseConvolution",
              "ConvolutionDepthwise", "LSTM", "RNN", "Recurrent"),
    "Activation": ("ReLU", "ReLU6", "PReLU", "ELU", "Sigmoid", "TanH", "Softmax", "AbsVal", "BNLL", "Power",
                   "Exp", "Log", "Threshold", "Swish", "Clip", "HardSwish", "Mish"),
    "Pool": ("Pooling", "SPP", "ROIPooling"),
    "Normalization": ("BatchNorm", "LRN", "MVN", "Normalize", "InstanceNorm"),
    "Dropout": ("Dropout",),
    "Shape": ("Reshape", "Flatten", "Permute", "Squeeze"),
    "Tensor": ("Concat", "Slice", "Split", "Crop", "Tile", "Eltwise", "Silence", "ShuffleChannel", "Reduction"),
    "Transform": ("Upsample", "Interp", "PixelShuffle"),
    "Data": ("Input", "Data", "ImageData", "HDF5Data", "HDF5Output", "MemoryData", "DummyData", "WindowData",
             "AnnotatedData", "VideoData", "Python", "Parameter"),
    "Custom": ("PriorBox", "DetectionOutput"),
}

# The names of each layer type's blobs, in storage order (others are named blob0, blob1, ...).
BLOB_NAMES = {
    "Convolution": ("filter", "bias"), "Deconvolution": ("filter", "bias"),
    "DepthwiseConvolution": ("filter", "bias"), "ConvolutionDepthwise": ("filter", "bias"),
    "InnerProduct": ("weights", "bias"), "Embed": ("weights", "bias"),
    "BatchNorm": ("mean", "variance", "scale_factor"), "Scale": ("scale", "bias"), "Bias": ("bias",),
    "PReLU": ("slope",), "Normalize": ("scale",), "Parameter": ("value",),
}

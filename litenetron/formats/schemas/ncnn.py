"""ncnn facts as data: layer type indices of the binary `.param.bin`, parameter names, categories.

Layer type indices follow the registration order of ncnn's layer list (src/CMakeLists.txt); parameter ids and
their meanings follow ncnn's operator parameter documentation.
"""

# Index → layer type, in ncnn's registration order (the binary param file stores the index).
LAYER_TYPES = (
    "AbsVal", "ArgMax", "BatchNorm", "Bias", "BNLL", "Concat", "Convolution", "Crop", "Deconvolution", "Dropout",
    "Eltwise", "ELU", "Embed", "Exp", "Flatten", "InnerProduct", "Input", "Log", "LRN", "MemoryData", "MVN",
    "Pooling", "Power", "PReLU", "Proposal", "Reduction", "ReLU", "Reshape", "ROIPooling", "Scale", "Sigmoid",
    "Slice", "Softmax", "Split", "SPP", "TanH", "Threshold", "Tile", "RNN", "LSTM", "BinaryOp", "UnaryOp",
    "ConvolutionDepthWise", "Padding", "Squeeze", "ExpandDims", "Normalize", "Permute", "PriorBox",
    "DetectionOutput", "Interp", "DeconvolutionDepthWise", "ShuffleChannel", "InstanceNorm", "Clip", "Reorg",
    "YoloDetectionOutput", "Quantize", "Dequantize", "Yolov3DetectionOutput", "PSROIPooling", "ROIAlign",
    "Packing", "Requantize", "Cast", "HardSigmoid", "SELU", "HardSwish", "Noop", "PixelShuffle", "DeepCopy",
    "Mish", "StatisticsPooling", "Swish", "Gemm", "GroupNorm", "LayerNorm", "Softplus", "GRU",
    "MultiHeadAttention", "GELU", "Convolution1D", "Pooling1D", "ConvolutionDepthWise1D", "Convolution3D",
    "ConvolutionDepthWise3D", "Pooling3D", "MatMul", "Deconvolution1D", "DeconvolutionDepthWise1D",
    "Deconvolution3D", "DeconvolutionDepthWise3D", "Einsum", "DeformableConv2D", "GLU", "Fold", "Unfold",
    "GridSample", "CumulativeSum",
)

_CONV = {0: "num_output", 1: "kernel_w", 11: "kernel_h", 21: "kernel_d", 2: "dilation_w", 12: "dilation_h",
         22: "dilation_d", 3: "stride_w", 13: "stride_h", 23: "stride_d", 4: "pad_left", 14: "pad_top",
         15: "pad_right", 16: "pad_bottom", 24: "pad_front", 17: "pad_behind", 18: "pad_value", 5: "bias_term",
         6: "weight_data_size", 7: "group", 8: "int8_scale_term", 9: "activation_type", 10: "activation_params",
         19: "dynamic_weight"}
_DECONV = {**_CONV, 18: "output_pad_right", 19: "output_pad_bottom", 20: "output_w", 21: "output_h",
                         28: "dynamic_weight"}
_POOL = {0: "pooling_type", 1: "kernel_w", 11: "kernel_h", 21: "kernel_d", 2: "stride_w", 12: "stride_h",
         22: "stride_d", 3: "pad_left", 13: "pad_top", 14: "pad_right", 15: "pad_bottom", 4: "global_pooling",
         5: "pad_mode", 6: "avgpool_count_include_pad", 7: "adaptive_pooling", 8: "out_w", 18: "out_h"}
_SHAPE = {0: "w", 1: "h", 11: "d", 2: "c"}

# Parameter id → name, per layer type (ids not listed are shown by number).
PARAM_NAMES = {
    "Convolution": _CONV, "ConvolutionDepthWise": _CONV, "Convolution1D": _CONV, "Convolution3D": _CONV,
    "ConvolutionDepthWise1D": _CONV, "ConvolutionDepthWise3D": _CONV, "DeformableConv2D": _CONV,
    "Deconvolution": _DECONV, "DeconvolutionDepthWise": _DECONV, "Deconvolution1D": _DECONV,
    "Deconvolution3D": _DECONV, "DeconvolutionDepthWise1D": _DECONV, "DeconvolutionDepthWise3D": _DECONV,
    "Pooling": _POOL, "Pooling1D": _POOL, "Pooling3D": _POOL,
    "InnerProduct": {0: "num_output", 1: "bias_term", 2: "weight_data_size", 8: "int8_scale_term",
                     9: "activation_type", 10: "activation_params"},
    "Input": _SHAPE, "Reshape": {**_SHAPE, 3: "permute"}, "MemoryData": {**_SHAPE, 21: "load_type"},
    "BatchNorm": {0: "channels", 1: "eps"}, "Scale": {0: "scale_data_size", 1: "bias_term"},
    "Bias": {0: "bias_data_size"}, "PReLU": {0: "num_slope"},
    "Embed": {0: "num_output", 1: "input_dim", 2: "bias_term", 3: "weight_data_size", 18: "int8_scale_term"},
    "MultiHeadAttention": {0: "embed_dim", 1: "num_heads", 2: "weight_data_size", 3: "kdim", 4: "vdim",
                           5: "attn_mask", 6: "scale"},
    "LayerNorm": {0: "affine_size", 1: "eps", 2: "affine"}, "GroupNorm": {0: "group", 1: "channels", 2: "eps",
                                                                         3: "affine"},
    "InstanceNorm": {0: "channels", 1: "eps", 2: "affine"},
    "RNN": {0: "num_output", 1: "weight_data_size", 2: "direction"},
    "LSTM": {0: "num_output", 1: "weight_data_size", 2: "direction", 3: "hidden_size"},
    "GRU": {0: "num_output", 1: "weight_data_size", 2: "direction"},
    "Gemm": {0: "alpha", 1: "beta", 2: "transA", 3: "transB", 4: "constantA", 5: "constantB", 6: "constantC",
             7: "constantM", 8: "constantN", 9: "constantK", 10: "constant_broadcast_type_C", 11: "output_N1M",
             12: "output_elempack", 13: "output_elemtype", 14: "output_transpose"},
    "Softmax": {0: "axis", 1: "fixbug0"}, "Concat": {0: "axis"}, "Slice": {0: "slices", 1: "axis"},
    "ShuffleChannel": {0: "group", 1: "reverse"}, "Flatten": {},
    "Reduction": {0: "operation", 1: "reduce_all", 2: "coeff", 3: "axes", 4: "keepdims"},
    "BinaryOp": {0: "op_type", 1: "with_scalar", 2: "b"}, "UnaryOp": {0: "op_type"},
    "Eltwise": {0: "op_type", 1: "coeffs"}, "Permute": {0: "order_type"}, "Clip": {0: "min", 1: "max"},
    "ReLU": {0: "slope"}, "Dropout": {0: "scale"}, "HardSigmoid": {0: "alpha", 1: "beta"},
    "Interp": {0: "resize_type", 1: "height_scale", 2: "width_scale", 3: "output_height", 4: "output_width",
               5: "dynamic_target_size", 6: "align_corner"},
    "Padding": {0: "top", 1: "bottom", 2: "left", 3: "right", 4: "type", 5: "value", 6: "per_channel_pad_data_size",
                7: "front", 8: "behind"},
    "Crop": {0: "woffset", 1: "hoffset", 2: "coffset", 3: "outw", 4: "outh", 5: "outc", 6: "woffset2",
             7: "hoffset2", 8: "coffset2", 9: "starts", 10: "ends", 11: "axes"},
    "Normalize": {0: "across_spatial", 1: "channel_shared", 2: "eps", 3: "scale_data_size", 4: "across_channel",
                  9: "eps_mode"},
    "Quantize": {0: "scale_data_size"}, "Dequantize": {0: "scale_data_size", 1: "bias_data_size"},
    "Requantize": {0: "scale_in_data_size", 1: "scale_out_data_size", 2: "bias_data_size"},
    "Squeeze": {0: "squeeze_w", 1: "squeeze_h", 2: "squeeze_c", 3: "axes"},
    "ExpandDims": {0: "expand_w", 1: "expand_h", 2: "expand_c", 3: "axes"},
    "Cast": {0: "type_from", 1: "type_to"}, "GELU": {0: "fast_gelu"}, "MatMul": {0: "transB"},
}

# Activations fused into convolutions and inner products (activation_type).
FUSED_ACTIVATIONS = {1: "ReLU", 2: "LeakyReLU", 3: "Clip", 4: "Sigmoid", 5: "Mish", 6: "HardSwish"}

CATEGORIES = {
    "Layer": ("Convolution", "ConvolutionDepthWise", "Convolution1D", "Convolution3D", "ConvolutionDepthWise1D",
              "ConvolutionDepthWise3D", "Deconvolution", "DeconvolutionDepthWise", "Deconvolution1D",
              "Deconvolution3D", "DeconvolutionDepthWise1D", "DeconvolutionDepthWise3D", "DeformableConv2D",
              "InnerProduct", "Embed", "MultiHeadAttention", "Gemm", "MatMul", "RNN", "LSTM", "GRU", "Einsum"),
    "Activation": ("ReLU", "Sigmoid", "TanH", "Softmax", "PReLU", "ELU", "Clip", "HardSigmoid", "HardSwish",
                   "Mish", "Swish", "GELU", "SELU", "BNLL", "Softplus", "GLU", "Threshold", "LeakyReLU"),
    "Pool": ("Pooling", "Pooling1D", "Pooling3D", "StatisticsPooling", "ROIPooling", "PSROIPooling", "ROIAlign"),
    "Normalization": ("BatchNorm", "InstanceNorm", "GroupNorm", "LayerNorm", "LRN", "MVN", "Normalize", "Scale",
                      "Bias"),
    "Dropout": ("Dropout",),
    "Shape": ("Reshape", "Flatten", "Squeeze", "ExpandDims", "Permute", "PixelShuffle", "Reorg",
              "ShuffleChannel", "Fold", "Unfold"),
    "Tensor": ("Concat", "Slice", "Split", "Crop", "Tile", "Padding", "Packing", "DeepCopy", "Noop"),
    "Data": ("Input", "Interp", "Cast", "GridSample"),
    "Quantization": ("Quantize", "Dequantize", "Requantize"),
    "Constant": ("MemoryData",),
    "Custom": ("DetectionOutput", "Yolov3DetectionOutput", "YoloDetectionOutput", "PriorBox", "Proposal"),
}

"""Keras layer facts as data: box categories and the names of each layer class's weight variables.

Keras 3 weight files store a layer's variables as `vars/0`, `vars/1`, ... in creation order; the names below
(with the config flag that decides whether an optional variable exists) turn those indexes back into the
names Keras gives them.
"""

CATEGORIES = {
    "Layer": (
        "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
        "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
        "LocallyConnected1D", "LocallyConnected2D", "Embedding", "LSTM", "GRU", "SimpleRNN", "ConvLSTM1D",
        "ConvLSTM2D", "ConvLSTM3D", "Bidirectional", "TimeDistributed", "RNN", "CuDNNLSTM", "CuDNNGRU",
        "MultiHeadAttention", "Attention", "AdditiveAttention", "GroupQueryAttention",
    ),
    "Activation": (
        "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax",
    ),
    "Pool": (
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
        "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "MaxPool1D", "MaxPool2D",
        "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
        "GlobalMaxPool1D", "GlobalMaxPool2D",
    ),
    "Normalization": (
        "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
        "Normalization", "SyncBatchNormalization", "RMSNormalization",
    ),
    "Dropout": (
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "AlphaDropout",
        "GaussianDropout", "GaussianNoise",
    ),
    "Shape": (
        "Reshape", "Flatten", "Permute", "RepeatVector", "Cropping1D", "Cropping2D", "Cropping3D",
        "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    ),
    "Tensor": (
        "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot", "Lambda",
    ),
    "Data": ("InputLayer",),
}

CATEGORY = {name: category for category, names in CATEGORIES.items() for name in names}

# Class → variable names in creation order; a (name, flag) pair exists only when config[flag] is true.
VARIABLES = {
    "Dense": ("kernel", ("bias", "use_bias")),
    "EinsumDense": ("kernel", "bias"),
    "Conv1D": ("kernel", ("bias", "use_bias")),
    "Conv2D": ("kernel", ("bias", "use_bias")),
    "Conv3D": ("kernel", ("bias", "use_bias")),
    "Conv1DTranspose": ("kernel", ("bias", "use_bias")),
    "Conv2DTranspose": ("kernel", ("bias", "use_bias")),
    "Conv3DTranspose": ("kernel", ("bias", "use_bias")),
    "DepthwiseConv1D": ("kernel", ("bias", "use_bias")),
    "DepthwiseConv2D": ("kernel", ("bias", "use_bias")),
    "SeparableConv1D": ("depthwise_kernel", "pointwise_kernel", ("bias", "use_bias")),
    "SeparableConv2D": ("depthwise_kernel", "pointwise_kernel", ("bias", "use_bias")),
    "Embedding": ("embeddings",),
    "LSTM": ("kernel", "recurrent_kernel", ("bias", "use_bias")),
    "GRU": ("kernel", "recurrent_kernel", ("bias", "use_bias")),
    "SimpleRNN": ("kernel", "recurrent_kernel", ("bias", "use_bias")),
    "BatchNormalization": (("gamma", "scale"), ("beta", "center"), "moving_mean", "moving_variance"),
    "LayerNormalization": (("gamma", "scale"), ("beta", "center")),
    "GroupNormalization": (("gamma", "scale"), ("beta", "center")),
    "PReLU": ("alpha",),
    "Normalization": ("mean", "variance", "count"),
}

# Keys of a layer config that are not worth a row in the attribute list (still shown in the sidebar).
HIDDEN_ATTRIBUTES = (
    "name", "trainable", "dtype", "batch_input_shape", "batch_shape", "kernel_initializer",
    "bias_initializer", "recurrent_initializer", "embeddings_initializer", "beta_initializer",
    "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer", "kernel_regularizer",
    "bias_regularizer", "recurrent_regularizer", "activity_regularizer", "embeddings_regularizer",
    "beta_regularizer", "gamma_regularizer", "kernel_constraint", "bias_constraint", "recurrent_constraint",
    "embeddings_constraint", "beta_constraint", "gamma_constraint", "quantization_config", "sparse", "ragged",
    "optional", "layer", "layers", "input_layers", "output_layers", "build_config",
)

# Config values equal to Keras's defaults are hidden too (a tuple default matches any all-equal tuple).
DEFAULTS = {
    "data_format": "channels_last", "groups": 1, "dilation_rate": 1, "depth_multiplier": 1, "use_bias": True,
    "return_state": False, "go_backwards": False, "stateful": False, "unroll": False, "time_major": False,
    "center": True, "scale": True, "keepdims": False, "mask_zero": False, "noise_shape": None, "seed": None,
    "implementation": 2, "reset_after": True, "unit_forget_bias": True, "dropout": 0.0,
    "recurrent_dropout": 0.0, "use_cudnn": "auto", "synchronized": False, "rms_scaling": False,
}

MODEL_CLASSES = ("Sequential", "Functional", "Model")

"""Keras layers, documented in our own words: (summary, attributes, inputs, outputs) per layer class. Attribute
names are the keys of the layer's `get_config()` as the reader shows them (Keras 2 and Keras 3 spellings);
input names are the reader's: `inputs`, then the layer's weights by their variable names.
Rendered by formats/op_docs.py, imported only when a documentation window opens."""

COMMON = ("Every layer also records `name`, `trainable` (whether its weights are updated in training) and "
          "`dtype` (its dtype policy); the first layer of a model may record `batch_input_shape` or "
          "`batch_shape`, and Keras 3 files may add a `build_config` and `quantization_config`.")

_ACTIVATION = ("activation", "string", None, "activation applied to the result (None: linear); drawn as a "
                                             "chained step")
_USE_BIAS = ("use_bias", "bool", True, "add a learned bias")
_DATA_FORMAT = ("data_format", "string", "channels_last",
                "channels_last (N, …, C) or channels_first (N, C, …)")
_PADDING = ("padding", "string", "valid", "valid: no padding; same: pad so the output size is input / strides")
_IN = (("inputs", "the input tensor"),)
_OUT = (("output", "the result"),)


def _weights(*names: str, activity: bool = True) -> tuple:
    """The initializer / regularizer / constraint settings Keras keeps for each named weight."""
    rows = []
    for name in names:
        rows += [(f"{name}_initializer", "initializer", None, f"how `{name}` starts"),
                 (f"{name}_regularizer", "regularizer", None, f"penalty on `{name}` added to the loss"),
                 (f"{name}_constraint", "constraint", None, f"projection applied to `{name}` after each update")]
    if activity:
        rows.append(("activity_regularizer", "regularizer", None, "penalty on the layer's output"))
    return tuple(rows)


def _conv(rank: int, summary: str, extra=(), weights=("kernel", "bias"), inputs=None) -> tuple:
    axes = {1: "steps", 2: "height, width", 3: "depth, height, width"}[rank]
    return (summary,
            (("filters", "int", None, "number of output channels"),
             ("kernel_size", "int or tuple", None, f"window size ({axes})"),
             ("strides", "int or tuple", 1, "step of the window"), _PADDING, _DATA_FORMAT,
             ("dilation_rate", "int or tuple", 1, "spacing between kernel taps"),
             ("groups", "int", 1, "split channels into groups convolved separately"), *extra, _ACTIVATION,
             _USE_BIAS, *_weights(*weights)),
            inputs or (("inputs", "the input tensor"), ("kernel", "the filters"), ("bias", "one value per filter")),
            _OUT)


def _pool(kind: str, rank: int) -> tuple:
    return (f"{rank}-D {kind} pooling over windows of `pool_size`.",
            (("pool_size", "int or tuple", 2, "window size"),
             ("strides", "int or tuple", None, "step of the window (None: the pool size)"), _PADDING, _DATA_FORMAT),
            _IN, _OUT)


def _global(kind: str, rank: int) -> tuple:
    return (f"{kind.capitalize()} over all {rank}-D spatial positions: one value per channel.",
            (_DATA_FORMAT, ("keepdims", "bool", False, "keep the spatial axes with length 1")), _IN, _OUT)


_RECURRENT = (
    ("units", "int", None, "size of the hidden state"),
    ("activation", "string", "tanh", "activation of the candidate state and output"),
    ("recurrent_activation", "string", "sigmoid", "activation of the gates"),
    _USE_BIAS, *_weights("kernel", "recurrent", "bias"),
    ("dropout", "float", 0.0, "fraction of the input units dropped in training"),
    ("recurrent_dropout", "float", 0.0, "fraction of the recurrent units dropped in training"),
    ("return_sequences", "bool", False, "return the output of every step, not only the last"),
    ("return_state", "bool", False, "also return the final state"),
    ("go_backwards", "bool", False, "process the sequence in reverse"),
    ("stateful", "bool", False, "carry the state over from one batch to the next"),
    ("unroll", "bool", False, "unroll the loop (faster for short sequences, more memory)"),
    ("implementation", "int", 2, "1: many small operations; 2: fewer, larger ones (Keras 2)"),
    ("time_major", "bool", False, "inputs are [time, batch, features] (Keras 2)"),
    ("zero_output_for_mask", "bool", False, "masked steps output zeros instead of the previous output"),
    ("seed", "int", None, "seed of the dropout masks"),
    ("use_cudnn", "string or bool", "auto", "use the cuDNN kernel when it applies (Keras 3)"),
)
_RECURRENT_INPUTS = (("inputs", "[batch, time, features]"), ("kernel", "input weights of all gates"),
                     ("recurrent_kernel", "state weights of all gates"), ("bias", "gate biases"))
_RECURRENT_OUTPUTS = (("output", "the last output, or every step's with `return_sequences`"),)
_MERGE = (("inputs", "the tensors to combine (two or more)"),)

OPERATORS = {
    "Dense": ("Fully connected layer: output = activation(inputs · kernel + bias), applied to the last axis.",
              (("units", "int", None, "size of the output"), _ACTIVATION, _USE_BIAS, *_weights("kernel", "bias"),
               ("lora_rank", "int", None, "rank of a low-rank adapter added to the kernel (Keras 3)")),
              (("inputs", "tensor whose last axis is the feature count"), ("kernel", "[features, units]"),
               ("bias", "[units]")), _OUT),
    "Conv1D": _conv(1, "1-D convolution over sequences (temporal convolution)."),
    "Conv2D": _conv(2, "2-D convolution over images: each filter slides over height and width."),
    "Conv2DTranspose": _conv(
        2, "Transposed 2-D convolution (learned upsampling): the gradient of a convolution.",
        (("output_padding", "int or tuple", None, "extra size added to one side of the output"),)),
    "DepthwiseConv2D": (
        "Depthwise 2-D convolution: each input channel is convolved with its own `depth_multiplier` filters.",
        (("kernel_size", "int or tuple", None, "window size (height, width)"),
         ("strides", "int or tuple", 1, "step of the window"), _PADDING, _DATA_FORMAT,
         ("dilation_rate", "int or tuple", 1, "spacing between kernel taps"),
         ("depth_multiplier", "int", 1, "output channels per input channel"), _ACTIVATION, _USE_BIAS,
         *_weights("depthwise", "bias")),
        (("inputs", "the input tensor"), ("depthwise_kernel", "[height, width, channels, depth_multiplier]"),
         ("bias", "one value per output channel")), _OUT),
    "SeparableConv2D": _conv(
        2, "Depthwise convolution followed by a 1×1 pointwise convolution that mixes the channels.",
        (("depth_multiplier", "int", 1, "depthwise output channels per input channel"),),
        ("depthwise", "pointwise", "bias"),
        (("inputs", "the input tensor"), ("depthwise_kernel", "the per-channel filters"),
         ("pointwise_kernel", "the 1×1 mixing filters"), ("bias", "one value per filter"))),
    "MaxPooling1D": _pool("max", 1),
    "MaxPooling2D": _pool("max", 2),
    "AveragePooling2D": _pool("average", 2),
    "GlobalAveragePooling1D": _global("average", 1),
    "GlobalAveragePooling2D": _global("average", 2),
    "GlobalMaxPooling2D": _global("maximum", 2),
    "BatchNormalization": (
        "Normalises each channel with the batch statistics in training and the moving averages in inference, "
        "then scales by gamma and shifts by beta.",
        (("axis", "int", -1, "the channel axis"),
         ("momentum", "float", 0.99, "weight of the old value in the moving averages"),
         ("epsilon", "float", 0.001, "added to the variance to avoid division by zero"),
         ("center", "bool", True, "add the learned offset beta"), ("scale", "bool", True, "multiply by gamma"),
         *_weights("beta", "gamma", activity=False),
         ("moving_mean_initializer", "initializer", None, "how the moving mean starts"),
         ("moving_variance_initializer", "initializer", None, "how the moving variance starts"),
         ("renorm", "bool", False, "batch renormalisation (Keras 2)"),
         ("renorm_clipping", "dict", None, "clipping of the renormalisation corrections"),
         ("renorm_momentum", "float", 0.99, "momentum of the renormalisation averages"),
         ("fused", "bool", None, "use the fused kernel (Keras 2)"),
         ("virtual_batch_size", "int", None, "normalise over sub-batches of this size (Keras 2)"),
         ("synchronized", "bool", False, "share the statistics across devices")),
        (("inputs", "the tensor to normalise"), ("gamma", "scale per channel"), ("beta", "offset per channel"),
         ("moving_mean", "inference mean per channel"), ("moving_variance", "inference variance per channel")),
        _OUT),
    "LayerNormalization": (
        "Normalises each sample over the given axes (mean 0, variance 1), then scales by gamma and shifts by "
        "beta.",
        (("axis", "int or list", -1, "the axes normalised"),
         ("epsilon", "float", 0.001, "added to the variance to avoid division by zero"),
         ("center", "bool", True, "add the learned offset beta"), ("scale", "bool", True, "multiply by gamma"),
         ("rms_scaling", "bool", False, "divide by the root mean square only, without centring (RMS norm)"),
         *_weights("beta", "gamma", activity=False)),
        (("inputs", "the tensor to normalise"), ("gamma", "scale"), ("beta", "offset")), _OUT),
    "Dropout": ("Sets a random fraction `rate` of the inputs to zero in training and scales the rest by "
                "1 / (1 − rate); passes the input through in inference.",
                (("rate", "float", None, "fraction of the units dropped"),
                 ("noise_shape", "tuple", None, "shape of the keep mask, broadcast over the input"),
                 ("seed", "int", None, "seed of the mask")), _IN, _OUT),
    "Flatten": ("Flattens all axes but the batch axis into one.", (_DATA_FORMAT,), _IN, _OUT),
    "Reshape": ("Reshapes each sample (the batch axis stays).",
                (("target_shape", "tuple", None, "the new shape without the batch axis (-1: inferred)"),), _IN,
                _OUT),
    "Activation": ("Applies an activation function.", (("activation", "string", None, "its name, e.g. relu"),),
                   _IN, _OUT),
    "ReLU": ("Rectified linear unit with an optional cap and leak: max(x, 0) by default.",
             (("max_value", "float", None, "upper bound of the output (None: unbounded)"),
              ("negative_slope", "float", 0.0, "slope below the threshold"),
              ("threshold", "float", 0.0, "values below it are leaked or zeroed")), _IN, _OUT),
    "LeakyReLU": ("x for x ≥ 0, a small slope times x below.",
                  (("alpha", "float", 0.3, "the slope below zero (Keras 2 name)"),
                   ("negative_slope", "float", 0.3, "the slope below zero (Keras 3 name)")), _IN, _OUT),
    "Embedding": ("Looks up a learned vector for each integer index.",
                  (("input_dim", "int", None, "vocabulary size (largest index + 1)"),
                   ("output_dim", "int", None, "length of each vector"), *_weights("embeddings"),
                   ("mask_zero", "bool", False, "index 0 is padding: produce a mask for later layers"),
                   ("input_length", "int", None, "fixed sequence length (Keras 2)"),
                   ("sparse", "bool", False, "the gradient of the table is sparse (Keras 3)"),
                   ("lora_rank", "int", None, "rank of a low-rank adapter (Keras 3)")),
                  (("inputs", "integer indices"), ("embeddings", "[input_dim, output_dim] table")),
                  (("output", "the vectors, one more axis than the input"),)),
    "LSTM": ("Long short-term memory layer: input, forget, cell and output gates over a sequence.",
             (*_RECURRENT, ("unit_forget_bias", "bool", True, "start the forget gate bias at 1")),
             _RECURRENT_INPUTS, _RECURRENT_OUTPUTS),
    "GRU": ("Gated recurrent unit layer: reset and update gates over a sequence.",
            (*_RECURRENT, ("reset_after", "bool", True, "apply the reset gate after the matrix product (the "
                                                        "cuDNN-compatible variant)")),
            _RECURRENT_INPUTS, _RECURRENT_OUTPUTS),
    "SimpleRNN": ("Fully connected recurrent layer: the output of each step is fed back into the next.",
                  _RECURRENT, _RECURRENT_INPUTS, _RECURRENT_OUTPUTS),
    "Bidirectional": ("Runs a recurrent layer forwards and a copy backwards over the sequence and merges the two.",
                      (("layer", "layer config", None, "the wrapped recurrent layer"),
                       ("merge_mode", "string", "concat", "concat, sum, mul, ave, or None for a list"),
                       ("backward_layer", "layer config", None, "a separate backward layer (default: a copy)")),
                      (("inputs", "the sequence"),
                       ("forward_lstm/kernel", "weights of the forward layer, named after it; the backward "
                                               "layer's follow")), _OUT),
    "TimeDistributed": ("Applies the wrapped layer to every time step (axis 1) of the input.",
                        (("layer", "layer config", None, "the wrapped layer"),),
                        (("inputs", "[batch, time, …]"), ("kernel", "the wrapped layer's weights")), _OUT),
    "Add": ("Element-wise sum of its inputs (same shapes).", (), _MERGE, _OUT),
    "Multiply": ("Element-wise product of its inputs (same shapes).", (), _MERGE, _OUT),
    "Concatenate": ("Joins its inputs along one axis.", (("axis", "int", -1, "the axis to join along"),),
                    _MERGE, _OUT),
    "UpSampling2D": ("Repeats rows and columns to enlarge images.",
                     (("size", "int or tuple", 2, "factor per spatial axis"), _DATA_FORMAT,
                      ("interpolation", "string", "nearest", "nearest or bilinear (Keras 3: more)")), _IN, _OUT),
    "ZeroPadding2D": ("Pads images with zeros.",
                      (("padding", "int or tuple", 1, "rows and columns added (symmetric, or per side)"),
                       _DATA_FORMAT), _IN, _OUT),
    "InputLayer": ("The entry point of a functional model: declares the shape and type of one input.",
                   (("batch_input_shape", "tuple", None, "shape with the batch axis (Keras 2 name)"),
                    ("batch_shape", "tuple", None, "shape with the batch axis (Keras 3 name)"),
                    ("sparse", "bool", False, "the input is a sparse tensor"),
                    ("ragged", "bool", False, "the input is a ragged tensor"),
                    ("optional", "bool", False, "the input may be left out (Keras 3)")),
                   (("input", "the model input"),), _OUT),
}

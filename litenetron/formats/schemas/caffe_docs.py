"""Caffe layers, documented in our own words: (summary, attributes, inputs, outputs) per layer type. Attribute
names are the fields of the layer's parameter message (`convolution_param.num_output` → `num_output`), as the
reader flattens them; input names are the reader's (`input`, then the learned blobs).
Rendered by formats/op_docs.py, imported only when a documentation window opens."""

COMMON = ("Every layer may also carry `phase` (TRAIN or TEST), `include` / `exclude` rules choosing the nets it "
          "belongs to, and its training settings: `param` (learning-rate and decay multipliers per blob; "
          "`blobs_lr` and `weight_decay` in old files), `loss_weight` and `propagate_down`.")

_ENGINE = ("engine", "Engine", "DEFAULT", "implementation: DEFAULT, CAFFE or CUDNN")
_IN = (("input", "the bottom blob"),)
_OUT = (("output", "the top blob"),)
_SPATIAL = (
    ("kernel_size", "uint[]", None, "window size, one value or one per spatial axis"),
    ("kernel_h", "uint", None, "window height (2-D only, instead of kernel_size)"),
    ("kernel_w", "uint", None, "window width (2-D only)"),
    ("stride", "uint[]", 1, "step of the window"), ("stride_h", "uint", None, "vertical step (2-D only)"),
    ("stride_w", "uint", None, "horizontal step (2-D only)"),
    ("pad", "uint[]", 0, "zeros added on both sides of each spatial axis"),
    ("pad_h", "uint", None, "vertical padding (2-D only)"), ("pad_w", "uint", None, "horizontal padding (2-D only)"))
_CONVOLUTION = (
    ("num_output", "uint", None, "number of filters (output channels)"),
    ("bias_term", "bool", True, "add a learned bias per filter"), *_SPATIAL,
    ("dilation", "uint[]", 1, "spacing between kernel taps"),
    ("group", "uint", 1, "split channels into groups convolved separately"),
    ("weight_filler", "FillerParameter", None, "how the filters are initialised"),
    ("bias_filler", "FillerParameter", None, "how the bias is initialised"), _ENGINE,
    ("axis", "int", 1, "the channel axis"),
    ("force_nd_im2col", "bool", False, "use the N-D im2col code even for 2-D"))
_CONVOLUTION_INPUTS = (("input", "N×C×H×W blob"),
                       ("filter", "[num_output, channels / group, kernel height, kernel width]"),
                       ("bias", "[num_output]"))


def _activation(summary: str, attributes=(_ENGINE,)) -> tuple:
    return (summary, attributes, _IN, _OUT)


OPERATORS = {
    "Convolution": ("Convolves the input with a bank of learned filters (N×C×H×W in and out).", _CONVOLUTION,
                    _CONVOLUTION_INPUTS, _OUT),
    "Deconvolution": ("Transposed convolution (learned upsampling): the backward pass of Convolution; the same "
                      "parameters describe the convolution it inverts.", _CONVOLUTION, _CONVOLUTION_INPUTS, _OUT),
    "Pooling": ("Pools each channel over spatial windows.",
                (("pool", "PoolMethod", "MAX", "MAX, AVE (average) or STOCHASTIC"), *_SPATIAL, _ENGINE,
                 ("global_pooling", "bool", False, "pool over the whole spatial extent"),
                 ("round_mode", "RoundMode", "CEIL", "how the output size is rounded: CEIL or FLOOR"),
                 ("ceil_mode", "bool", None, "round the output size up (true) or down: forks' round_mode")),
                _IN, _OUT),
    "InnerProduct": ("Fully connected layer: every output is a weighted sum of all inputs (from `axis` on) plus "
                     "a bias.",
                     (("num_output", "uint", None, "number of outputs"),
                      ("bias_term", "bool", True, "add a learned bias"),
                      ("weight_filler", "FillerParameter", None, "how the weights are initialised"),
                      ("bias_filler", "FillerParameter", None, "how the bias is initialised"),
                      ("axis", "int", 1, "the first axis flattened into the inputs"),
                      ("transpose", "bool", False, "the weights are stored [inputs, outputs] instead")),
                     (("input", "the bottom blob"), ("weights", "[num_output, inputs]"), ("bias", "[num_output]")),
                     _OUT),
    "ReLU": _activation("max(x, 0), or x · negative_slope below zero.",
                        (("negative_slope", "float", 0.0, "slope below zero (a leaky ReLU when not 0)"), _ENGINE)),
    "PReLU": ("Leaky ReLU with learned slopes: x for x > 0, slope · x below.",
              (("filler", "FillerParameter", None, "how the slopes are initialised (0.25 by default)"),
               ("channel_shared", "bool", False, "one slope for all channels")),
              (("input", "the bottom blob"), ("slope", "one slope per channel (or one)")), _OUT),
    "Sigmoid": _activation("The logistic function 1 / (1 + exp(−x))."),
    "TanH": _activation("Hyperbolic tangent."),
    "BatchNorm": ("Normalises each channel to mean 0 and variance 1 with accumulated statistics (no scale or "
                  "shift: a Scale layer usually follows).",
                  (("use_global_stats", "bool", None, "use the stored statistics (default: true in TEST, false in "
                                                      "TRAIN)"),
                   ("moving_average_fraction", "float", 0.999, "decay of the running statistics"),
                   ("eps", "float", 1e-05, "added to the variance to avoid division by zero")),
                  (("input", "the bottom blob"), ("mean", "accumulated sums of the means"),
                   ("variance", "accumulated sums of the variances"),
                   ("scale_factor", "what the sums are divided by to give the statistics")), _OUT),
    "Scale": ("Multiplies by a learned (or second-bottom) scale, broadcast from `axis`, and optionally adds a "
              "bias.",
              (("axis", "int", 1, "the first axis the scale covers"),
               ("num_axes", "int", 1, "how many axes the scale covers (-1: all the rest)"),
               ("filler", "FillerParameter", None, "how the scale is initialised (1 by default)"),
               ("bias_term", "bool", False, "also add a learned bias"),
               ("bias_filler", "FillerParameter", None, "how the bias is initialised")),
              (("input", "the bottom blob"), ("scale", "the factors"), ("bias", "the offsets (with bias_term)")),
              _OUT),
    "Eltwise": ("Combines its bottoms of equal shape element by element.",
                (("operation", "EltwiseOp", "SUM", "PROD, SUM or MAX"),
                 ("coeff", "float[]", None, "a weight per bottom for SUM (e.g. 1, -1 for a difference)"),
                 ("stable_prod_grad", "bool", True, "compute the PROD gradient the slower, stabler way")),
                (("input", "the bottoms"),), _OUT),
    "Concat": ("Joins its bottoms along one axis.",
               (("axis", "int", 1, "the axis to join along (1: channels)"),
                ("concat_dim", "uint", 1, "the same, in old files")), (("input", "the bottoms"),), _OUT),
    "Slice": ("Cuts its bottom into several tops along one axis.",
              (("axis", "int", 1, "the axis to cut"), ("slice_point", "uint[]", None, "where to cut (empty: "
                                                                                      "equal parts)"),
               ("slice_dim", "uint", 1, "the axis, in old files")), _IN, (("output", "the parts, in order"),)),
    "Split": ("Copies its bottom to several tops (Caffe inserts it where one blob feeds many layers).", (), _IN,
              (("output", "the copies"),)),
    "Softmax": ("Softmax along one axis: exponentials normalised to sum to 1.",
                (_ENGINE, ("axis", "int", 1, "the axis normalised")), _IN, _OUT),
    "SoftmaxWithLoss": ("Softmax followed by the multinomial logistic loss against the labels (training only).",
                        (_ENGINE, ("axis", "int", 1, "the class axis"),
                         ("ignore_label", "int", None, "label whose positions do not count"),
                         ("normalization", "NormalizationMode", "VALID", "what the loss is divided by: FULL, "
                                                                         "VALID, BATCH_SIZE or NONE"),
                         ("normalize", "bool", None, "the old spelling of normalization (true: VALID)")),
                        (("input", "the scores, then the labels"),), (("output", "the loss"),)),
    "LRN": ("Local response normalisation: divides each value by a power of the sum of squares of its "
            "neighbours across channels (or within a channel).",
            (("local_size", "uint", 5, "neighbourhood size (odd)"), ("alpha", "float", 1.0, "scale of the sum"),
             ("beta", "float", 0.75, "exponent"),
             ("norm_region", "NormRegion", "ACROSS_CHANNELS", "ACROSS_CHANNELS or WITHIN_CHANNEL"),
             ("k", "float", 1.0, "constant added to the sum"), _ENGINE), _IN, _OUT),
    "Dropout": ("Zeroes a random fraction of the values in training and scales the rest; passes them through in "
                "testing.",
                (("dropout_ratio", "float", 0.5, "fraction dropped"),
                 ("scale_train", "bool", True, "scale in training (false: scale in testing instead)")), _IN, _OUT),
    "Flatten": ("Flattens the axes from `axis` to `end_axis` into one.",
                (("axis", "int", 1, "the first axis flattened"), ("end_axis", "int", -1, "the last axis flattened")),
                _IN, _OUT),
    "Reshape": ("Changes the shape without touching the data.",
                (("shape", "BlobShape", None, "the new dimensions (0: copy the input's, -1: inferred)"),
                 ("axis", "int", 0, "the first input axis replaced"),
                 ("num_axes", "int", -1, "how many input axes are replaced (-1: all from axis on)")), _IN, _OUT),
    "Permute": ("Reorders the axes (from the SSD fork of Caffe).",
                (("order", "uint[]", None, "the new order of the axes"),), _IN, _OUT),
    "Input": ("Declares a net input and its shape (deploy nets).",
              (("shape", "BlobShape[]", None, "the shape of each top"),), (), (("output", "the input blob"),)),
    "Data": ("Reads training or test batches from a LevelDB or LMDB database.",
             (("source", "string", None, "path of the database"), ("batch_size", "uint", None, "samples per batch"),
              ("backend", "DB", "LEVELDB", "LEVELDB or LMDB"),
              ("rand_skip", "uint", 0, "skip a random number of records at the start"),
              ("prefetch", "uint", 4, "batches read ahead"),
              ("scale", "float", 1.0, "transform: multiply the pixels by this"),
              ("mirror", "bool", False, "transform: flip images at random"),
              ("crop_size", "uint", 0, "transform: crop a square of this size (0: no crop)"),
              ("mean_file", "string", None, "transform: mean image subtracted"),
              ("mean_value", "float[]", None, "transform: mean per channel subtracted"),
              ("force_color", "bool", False, "transform: decode as colour"),
              ("force_gray", "bool", False, "transform: decode as grey")),
             (), (("output", "the data, then the labels"),)),
}

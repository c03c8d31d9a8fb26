"""PyTorch aten operators (TorchScript code and torch.export graphs), documented in our own words: (summary,
attributes, inputs, outputs) per operator, keyed by the aten name without namespace or overload (`aten::add.Tensor`
→ `add`). Arguments that are constants become attributes and tensors become inputs, both under the aten argument
names (or the names of the TorchScript helper that was called, e.g. `training` / `inplace` of `F.dropout`).
Rendered by formats/op_docs.py, imported only when a documentation window opens."""

COMMON = ("A scalar argument is an attribute when it is a constant in the code and an input when it is "
          "computed; in-place spellings (`relu_`) and TorchScript helpers (`_max_pool2d`) share the entry of the "
          "operator they wrap.")

_IN = (("input", "the tensor"),)
_OUT = (("output", "the result"),)
_INPLACE = ("inplace", "bool", False, "overwrite the input (F.* helpers)")
_WINDOW = (("kernel_size", "int[]", None, "window size"),
           ("stride", "int[]", None, "step of the window (empty: the kernel size)"),
           ("padding", "int[]", 0, "implicit padding on both sides"),
           ("dilation", "int[]", 1, "spacing between window taps"),
           ("ceil_mode", "bool", False, "round the output size up instead of down"))
_SOFTMAX = (("dim", "int", None, "the axis normalised"),
            ("dtype", "ScalarType", None, "cast the input to this type first"),
            ("_stacklevel", "int", 3, "warning bookkeeping of the F.* helper (no effect on the result)"))


def _activation(summary: str, attributes=()) -> tuple:
    return (summary, attributes, _IN, _OUT)


OPERATORS = {
    "conv2d": ("2-D convolution of an N×C×H×W input with C_out×(C/groups)×kH×kW weights, plus an optional bias.",
               (("stride", "int[]", 1, "step of the window"),
                ("padding", "int[] or string", 0, "zeros added on both sides, or 'same' / 'valid'"),
                ("dilation", "int[]", 1, "spacing between kernel taps"),
                ("groups", "int", 1, "split channels into groups convolved separately")),
               (("input", "N×C×H×W"), ("weight", "the filters"), ("bias", "one value per output channel (optional)")),
               _OUT),
    "linear": ("Affine map y = x · weightᵀ + bias over the last axis.", (),
               (("input", "[…, in_features]"), ("weight", "[out_features, in_features]"),
                ("bias", "[out_features] (optional)")), (("output", "[…, out_features]"),)),
    "matmul": ("Matrix product with NumPy rules: vectors, matrices, and batches broadcast over leading axes.", (),
               (("input", "left operand"), ("other", "right operand")), _OUT),
    "add": ("input + alpha · other, element-wise with broadcasting.",
            (("alpha", "number", 1, "multiplier of other"),),
            (("input", "first operand"), ("other", "second operand (tensor or number)")), _OUT),
    "relu": _activation("max(x, 0).", (_INPLACE,)),
    "sigmoid": _activation("The logistic function 1 / (1 + exp(−x))."),
    "tanh": _activation("Hyperbolic tangent."),
    "softmax": _activation("Softmax along `dim`: exponentials normalised to sum to 1.", _SOFTMAX),
    "log_softmax": _activation("The logarithm of softmax along `dim`, computed stably.", _SOFTMAX),
    "batch_norm": (
        "Batch normalisation: (x − mean) / sqrt(var + eps) · weight + bias per channel (axis 1), with the batch "
        "statistics in training and the running ones otherwise.",
        (("training", "bool", None, "use and update batch statistics"),
         ("momentum", "float", 0.1, "weight of the new batch in the running statistics"),
         ("eps", "float", 1e-05, "added to the variance to avoid division by zero"),
         ("cudnn_enabled", "bool", True, "allow the cuDNN kernel")),
        (("input", "N×C×…"), ("weight", "scale per channel (optional)"), ("bias", "offset per channel (optional)"),
         ("running_mean", "mean per channel"), ("running_var", "variance per channel")), _OUT),
    "layer_norm": (
        "Layer normalisation over the trailing `normalized_shape` axes of each sample, then scale and shift.",
        (("normalized_shape", "int[]", None, "the trailing axes normalised"),
         ("eps", "float", 1e-05, "added to the variance"), ("cudnn_enable", "bool", True, "allow cuDNN")),
        (("input", "the tensor"), ("weight", "scale (optional)"), ("bias", "offset (optional)")), _OUT),
    "max_pool2d": ("2-D max pooling over N×C×H×W windows.",
                   (*_WINDOW, ("return_indices", "bool", False, "also return where each maximum was")), _IN, _OUT),
    "adaptive_avg_pool2d": ("2-D average pooling whose windows are chosen so the output has `output_size`.",
                            (("output_size", "int[]", None, "height and width of the output"),), _IN, _OUT),
    "dropout": ("Zeroes each element with probability p in training and scales the rest by 1 / (1 − p); the "
                "identity otherwise.",
                (("p", "float", 0.5, "probability of zeroing"), ("train", "bool", None, "training mode (aten name)"),
                 ("training", "bool", True, "training mode (F.dropout name)"), _INPLACE), _IN, _OUT),
    "flatten": ("Flattens the axes from `start_dim` to `end_dim` into one.",
                (("start_dim", "int", 0, "first axis flattened"), ("end_dim", "int", -1, "last axis flattened")),
                _IN, _OUT),
    "reshape": ("A tensor with the same data and a new shape (a copy only when the memory layout needs one).",
                (("shape", "int[]", None, "the new shape (-1: inferred)"),), _IN, _OUT),
    "view": ("A view of the same memory with a new shape (the memory must be laid out compatibly).",
             (("size", "int[]", None, "the new shape (-1: inferred)"),), _IN, _OUT),
    "cat": ("Joins tensors along an existing axis.", (("dim", "int", 0, "the axis to join along"),),
            (("tensors", "the tensors, in order"),), _OUT),
}

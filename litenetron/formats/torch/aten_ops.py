"""Operator names of the torch.export / ExecuTorch world: `torch.ops.aten.conv2d.default` → `aten::conv2d`,
and the colour category of an aten operator (the TorchScript table, plus the spellings that export and the
ExecuTorch edge dialect use: `convolution`, `_native_batch_norm_legit_no_training`, `permute_copy`, …)."""

from __future__ import annotations

from typing import Tuple

from ..schemas.torchscript import ARGUMENT_NAMES, CATEGORY_OF

_EXTRA_CATEGORIES = {
    "convolution": "Layer", "_convolution": "Layer", "addmm": "Layer", "baddbmm": "Layer",
    "_scaled_dot_product_flash_attention_for_cpu": "Layer", "_scaled_dot_product_efficient_attention": "Layer",
    "native_batch_norm": "Normalization", "_native_batch_norm_legit": "Normalization",
    "_native_batch_norm_legit_no_training": "Normalization", "_native_batch_norm_legit_functional": "Normalization",
    "native_layer_norm": "Normalization", "native_group_norm": "Normalization", "rms_norm": "Normalization",
    "_softmax": "Activation", "_log_softmax": "Activation", "gelu": "Activation", "sigmoid": "Activation",
    "clamp": "Activation", "max_pool2d_with_indices": "Pool", "max_pool3d_with_indices": "Pool",
    "_adaptive_avg_pool2d": "Pool", "avg_pool2d": "Pool", "mean": "Pool",
    "native_dropout": "Dropout", "clone": "Tensor", "_clone_dim_order": "Tensor", "_to_copy": "Tensor",
    "_to_dim_order_copy": "Tensor", "alias": "Tensor", "index": "Tensor", "arange": "Tensor", "full": "Tensor",
    "full_like": "Tensor", "new_ones": "Tensor", "new_zeros": "Tensor", "split_with_sizes": "Tensor",
    "_unsafe_view": "Shape", "sym_size": "Shape", "_assert_tensor_metadata": "Control",
    "cond": "Control", "while_loop": "Control", "map_impl": "Control", "scan": "Control",
    "quantize_per_tensor": "Quantization", "dequantize_per_tensor": "Quantization",
    "quantize_per_channel": "Quantization", "dequantize_per_channel": "Quantization",
    "choose_qparams": "Quantization",
}

# Argument names of the operators export and the edge dialect call that the TorchScript table lacks.
_EXTRA_ARGUMENTS = {
    "convolution": ("input", "weight", "bias", "stride", "padding", "dilation", "transposed", "output_padding",
                    "groups"),
    "_native_batch_norm_legit_no_training": ("input", "weight", "bias", "running_mean", "running_var",
                                             "momentum", "eps"),
    "native_batch_norm": ("input", "weight", "bias", "running_mean", "running_var", "training", "momentum",
                          "eps"),
    "native_layer_norm": ("input", "normalized_shape", "weight", "bias", "eps"),
    "max_pool2d_with_indices": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "_softmax": ("input", "dim", "half_to_float"), "_log_softmax": ("input", "dim", "half_to_float"),
    "bmm": ("input", "mat2"), "mm": ("input", "mat2"), "where": ("condition", "input", "other"),
    "expand": ("input", "size"), "unsqueeze": ("input", "dim"), "squeeze": ("input", "dims"),
    "full_like": ("input", "fill_value"), "any": ("input", "dim", "keepdim"), "eq": ("input", "other"),
    "_clone_dim_order": ("input", "non_blocking", "dim_order"),
}

# Namespaces whose operators are control flow or quantization whatever their name.
_NAMESPACE_CATEGORIES = {"higher_order": "Control", "quantized_decomposed": "Quantization"}


def split_target(target: str) -> Tuple[str, str, str]:
    """(namespace, operator, overload) of an export target: `torch.ops.aten.add.Tensor` → (aten, add, Tensor);
    `torch.ops.higher_order.cond` → (higher_order, cond, ""); `_operator.getitem` → ("", getitem, "")."""
    parts = target.split(".")
    if len(parts) >= 4 and parts[0] == "torch" and parts[1] == "ops":
        return parts[2], parts[3], ".".join(parts[4:])
    if len(parts) == 3 and parts[:2] == ["torch", "ops"]:
        return "", parts[2], ""
    return "", parts[-1], ""


def display_name(namespace: str, operator: str, overload: str) -> str:
    """`aten::add.Tensor`; the `default` overload is left out (it says nothing)."""
    name = f"{namespace}::{operator}" if namespace else operator
    return f"{name}.{overload}" if overload and overload != "default" else name


def base_name(operator: str) -> str:
    """The functional aten name behind an edge-dialect spelling: `permute_copy` → `permute`."""
    for suffix in ("_copy",):
        if operator.endswith(suffix) and len(operator) > len(suffix):
            return operator[: -len(suffix)]
    return operator


def category(namespace: str, operator: str) -> str:
    if namespace in _NAMESPACE_CATEGORIES:
        return _NAMESPACE_CATEGORIES[namespace]
    for name in (operator, base_name(operator), operator.strip("_"), base_name(operator).strip("_")):
        found = _EXTRA_CATEGORIES.get(name) or CATEGORY_OF.get(name)
        if found:
            return found
    return ""


def argument_names(operator: str) -> Tuple[str, ...]:
    """Schema argument names of a common aten operator (empty when we do not know them)."""
    for name in (operator, base_name(operator)):
        names = _EXTRA_ARGUMENTS.get(name) or ARGUMENT_NAMES.get(name)
        if names:
            return tuple(names)
    return ()

"""Every family's operator category table uses only the colour groups the renderers know (model.CATEGORIES)."""

from __future__ import annotations

import importlib

import pytest

from litenetron.model import CATEGORIES

# Modules holding a category table: {category: (op, ...)} or {op: category}.
TABLES = [
    "formats.coreml_mil", "formats.coreml_nn", "formats.darknet", "formats.mxnet", "formats.torch.pytorch",
    "formats.tflite", "formats.tnn", "formats.schemas.caffe", "formats.schemas.keras", "formats.schemas.onnx",
    "formats.schemas.paddle", "formats.schemas.tensorflow", "formats.schemas.torchscript",
]


def _categories_used(table: dict) -> set:
    if all(isinstance(value, (tuple, list, set, frozenset)) for value in table.values()):
        return set(table)  # {category: ops}
    assert all(isinstance(value, str) for value in table.values())
    return set(table.values())  # {op: category}


@pytest.mark.parametrize("module_name", TABLES)
def test_category_table_uses_known_categories(module_name):
    table = importlib.import_module(f"litenetron.{module_name}").CATEGORIES
    assert table, module_name
    unknown = _categories_used(table) - set(CATEGORIES)
    assert not unknown, f"{module_name} uses categories the renderers do not know: {sorted(unknown)}"


def test_an_op_has_one_category_per_table():
    for module_name in TABLES:
        table = importlib.import_module(f"litenetron.{module_name}").CATEGORIES
        if all(isinstance(value, str) for value in table.values()):
            continue  # {op: category} cannot list an op twice
        seen: dict = {}
        for category, ops in table.items():
            for op in ops:
                assert seen.setdefault(op, category) == category, f"{module_name}: {op} is {seen[op]} and {category}"

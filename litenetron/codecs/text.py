"""Values in text model descriptions (Darknet `.cfg` options, TNN `.tnnproto` layer parameters)."""

from __future__ import annotations

from typing import Union


def number_or_text(text: str) -> Union[int, float, str]:
    """`text` as an int, else as a float, else unchanged."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text

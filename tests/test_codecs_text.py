"""Values in text model descriptions."""

from __future__ import annotations

import math

from litenetron.codecs.text import number_or_text


def test_number_or_text():
    assert number_or_text("42") == 42 and isinstance(number_or_text("42"), int)
    assert number_or_text("-3") == -3
    assert number_or_text("0.5") == 0.5 and isinstance(number_or_text("1e-3"), float)
    assert math.isinf(number_or_text("inf"))
    assert number_or_text("leaky") == "leaky"
    assert number_or_text("1,2,3") == "1,2,3"

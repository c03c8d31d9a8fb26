"""Window arithmetic shared by the readers' shape rules, against a brute-force count of window positions."""

from __future__ import annotations

import itertools

from litenetron.formats.windows import same_output, transposed_output, window_output


def _positions(size, kernel, stride, pad_before, pad_after, dilation, ceil):
    """Windows counted one by one: floor mode keeps windows inside the padded input; ceil mode also keeps a
    last partial window that starts inside the input or its leading padding."""
    span = dilation * (kernel - 1) + 1
    padded = size + pad_before + pad_after
    count, start = 0, 0
    while start + span <= padded or (ceil and start < size + pad_before and start + stride - 1 < padded
                                     and count and start + span - stride < padded):
        count += 1
        start += stride
    return count


def test_floor_mode_matches_counting_windows():
    for size, kernel, stride, pad, dilation in itertools.product(range(0, 12), range(1, 5), range(1, 4),
                                                                 range(0, 3), range(1, 3)):
        expected = _positions(size, kernel, stride, pad, pad, dilation, False)
        assert window_output(size, kernel, stride, 2 * pad, dilation) == (expected or None), \
            (size, kernel, stride, pad, dilation)


def test_ceil_mode_keeps_a_last_window_that_starts_inside():
    assert window_output(6, 3, 2, 0, ceil=True) == 3     # positions 0, 2, 4 (the last one partial)
    assert window_output(6, 3, 2, 0) == 2
    assert window_output(5, 1, 3, 0, ceil=True) == 2     # positions 0, 3; a third would start past the end
    assert window_output(5, 1, 3, 0, ceil=True, clamp_last=False) == 3  # Caffe without padding does not check
    assert window_output(112, 3, 2, 2, ceil=True, pad_before=1) == 57  # PyTorch MaxPool2d(3, 2, 1, ceil_mode=True)
    assert window_output(5, 2, 3, 2, ceil=True, pad_before=1) == 2  # a third window would start in the padding


def test_impossible_sizes_have_one_answer():
    for arguments in ((3, 5, 1, 0), (8, 3, 0, 0), (8, 0, 1, 0), (8, 3, 1, -2), (None, 3, 1, 0), ("batch", 3, 1, 0),
                      (-1, 3, 1, 0), (8, 3, 1, 0, 0), (True, 1, 1, 0)):
        assert window_output(*arguments) is None, arguments
    assert same_output(None, 2) is None and same_output(7, 0) is None and same_output(7, 2) == 4
    assert transposed_output(4, 3, 2, 2) == 7 and transposed_output(0, 3, 2) is None
    assert transposed_output(1, 1, 1, 4) is None  # more padding than output

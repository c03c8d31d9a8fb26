"""The weight histogram in the sidebar follows the theme and the screen's scaling (issue 12): driven in the real
window under Xvfb with real clicks on the canvas and the sidebar table, and the picture read back pixel by
pixel; plus the picture itself at two scales."""

from __future__ import annotations

import io

import pytest
import test_app as app_tests
from test_app import SAMPLE, click_box, open_via_dialog, pump
from test_app_inspect import invoke, node_box, press_row

config_home, window = app_tests.config_home, app_tests.window


def rgb(colour: str) -> tuple:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def show_weight(window, monkeypatch) -> None:
    """Open the sample, click its first Conv and then the row of its weight W in the sidebar table."""
    open_via_dialog(window, monkeypatch, SAMPLE)
    click_box(window, node_box(window, "Conv"))
    press_row(window, "node.type")                 # another row first: the weight detail goes away
    assert window.sidebar.histogram_image is None
    press_row(window, "weight:0")
    pump(window.root, lambda: window.sidebar.histogram_image is not None, timeout=10)


def empty_top_pixel(window) -> tuple:
    """(x, 0) in a bin lower than the tallest: the top row there is background."""
    sidebar = window.sidebar
    counts = sidebar.known_stats(sidebar.current).histogram
    index = next(i for i, count in enumerate(counts) if count < max(counts))
    return int((index + 0.5) * sidebar.histogram_image.width() / len(counts)), 0


def pixels(image) -> set:
    return {tuple(image.get(x, y)) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}


@pytest.mark.gui
def test_the_histogram_follows_the_theme_while_a_weight_is_shown(window, monkeypatch):
    from litenetron.app.sidebar import DARK_HISTOGRAM
    from litenetron.app.stats import LIGHT_HISTOGRAM
    from litenetron.app.theme import FIELD_DARK

    show_weight(window, monkeypatch)
    x, y = empty_top_pixel(window)
    assert tuple(window.sidebar.histogram_image.get(x, y)) == rgb(LIGHT_HISTOGRAM.background)
    invoke(window, "Theme", "Dark")
    image = window.sidebar.histogram_image
    assert window.sidebar.caption.winfo_ismapped() and image is not None   # the same weight, drawn again
    assert tuple(image.get(x, y)) == rgb(FIELD_DARK)
    seen = pixels(image)
    assert rgb(DARK_HISTOGRAM.bars) in seen and rgb(LIGHT_HISTOGRAM.bars) not in seen
    assert str(window.sidebar.preview.cget("background")).upper() == FIELD_DARK
    # a weight chosen while dark is drawn dark too
    press_row(window, "node.type")
    press_row(window, "weight:0")
    pump(window.root, lambda: window.sidebar.histogram_image is not None, timeout=10)
    assert tuple(window.sidebar.histogram_image.get(x, y)) == rgb(FIELD_DARK)
    invoke(window, "Theme", "Light")
    assert tuple(window.sidebar.histogram_image.get(x, y)) == rgb(LIGHT_HISTOGRAM.background)


@pytest.mark.gui
def test_at_2x_the_histogram_has_twice_the_pixels_and_fits_a_narrow_pane(display, config_home, monkeypatch):
    import tkinter

    from litenetron.app.window import MainWindow

    root = tkinter.Tk()
    # Tk keeps the scaling per display, for every root of the process: put it back for the tests that follow
    original = root.tk.call("tk", "scaling")
    root.tk.call("tk", "scaling", 2 * 96 / 72)   # a 2x screen
    try:
        window = MainWindow(root)
        root.geometry("1600x1000+0+0")
        root.update()
        show_weight(window, monkeypatch)
        window.panes.sashpos(0, 1600 - 800)          # a sidebar wide enough for the whole histogram
        root.update()
        image = window.sidebar.histogram_image
        assert (image.width(), image.height()) == (2 * 260, 2 * 90)
        window.panes.sashpos(0, 1600 - 400)          # narrower than that: the histogram fits it, not cut off
        root.update()
        pump(root, lambda: window.sidebar.histogram_image.width() < 2 * 260, timeout=5)
        image = window.sidebar.histogram_image
        assert image.width() <= window.sidebar.detail.winfo_width() and image.height() == 2 * 90
    finally:
        root.tk.call("tk", "scaling", original)
        root.destroy()


def label_height(png: bytes, colours) -> int:
    """The height of the min/max text: the rows holding a pixel of none of the bars' colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    data = image.load()
    plain = {rgb(colours.background), rgb(colours.bars), rgb(colours.axis)}
    rows = [y for y in range(height) if any(data[x, y] not in plain for x in range(width))]
    return rows[-1] - rows[0] + 1


def test_the_histogram_is_drawn_at_the_scale_not_enlarged():
    import numpy
    from PIL import Image

    from litenetron.app.sidebar import DARK_HISTOGRAM
    from litenetron.app.stats import compute_stats, histogram_png

    stats = compute_stats(numpy.random.default_rng(1).normal(size=5000).astype(numpy.float32))
    small = histogram_png(stats, DARK_HISTOGRAM, 1.0)
    large = histogram_png(stats, DARK_HISTOGRAM, 2.0)
    assert 1.6 <= label_height(large, DARK_HISTOGRAM) / label_height(small, DARK_HISTOGRAM) <= 2.4

    image = Image.open(io.BytesIO(large)).convert("RGB")
    assert image.size == (520, 180)
    # crisp: every pixel is one of the palette's colours or a blend of text and background (no resampled bars)
    bars = [image.getpixel((x, y)) for x in range(520) for y in range(0, 150, 5)]
    assert set(bars) <= {rgb(DARK_HISTOGRAM.background), rgb(DARK_HISTOGRAM.bars), rgb(DARK_HISTOGRAM.axis)}

"""The status bar follows a load through its stages (issue 12, item 6) in the real window under Xvfb: reading,
inferring shapes, laying out, drawing; and after a Cancel or an error in any of them it tells the truth again."""

from __future__ import annotations

import shutil
import threading

import pytest
import test_app as app_tests
from test_app import SAMPLE, key, open_via_dialog, pump, settle

from litenetron.model import ModelError

pytestmark = pytest.mark.gui

config_home, window = app_tests.config_home, app_tests.window


class Gate:
    """Holds a step of the load in the worker thread until released; then it runs, or raises `error`."""

    def __init__(self, monkeypatch, target: str, error: BaseException = None):
        self.entered = threading.Event()
        self.release = threading.Event()
        module, name = target.rsplit(".", 1)
        real = getattr(__import__(module, fromlist=[name]), name)

        def held(*args, **kwargs):
            self.entered.set()
            self.release.wait(20)
            if error is not None:
                raise error
            return real(*args, **kwargs)

        monkeypatch.setattr(target, held)


def held_shapes(monkeypatch, error: BaseException = None) -> Gate:
    """The ONNX reader's shape inference, slowed (the shape function itself: the reader announces the stage)."""
    return Gate(monkeypatch, "litenetron.formats.onnx.infer_model", error)


def held_layout(monkeypatch, error: BaseException = None) -> Gate:
    return Gate(monkeypatch, "litenetron.app.window.prepare_scene", error)


def status(window) -> str:
    return str(window.message.cget("text"))


def start_open(window, monkeypatch, path) -> None:
    monkeypatch.setattr("litenetron.app.window.filedialog.askopenfilename", lambda **_: str(path))
    key(window, "<Control-o>")


def wait_for_status(window, text: str) -> None:
    pump(window.root, lambda: status(window) == text, timeout=10)


@pytest.fixture
def other_model(tmp_path):
    path = tmp_path / "other.onnx"
    shutil.copy(SAMPLE, path)
    return path


def test_the_status_bar_names_each_stage_of_a_load(window, monkeypatch, other_model):
    open_via_dialog(window, monkeypatch, SAMPLE)
    shapes, layout = held_shapes(monkeypatch), held_layout(monkeypatch)
    drawing = []
    real_set_scene = window.canvas.set_scene

    def set_scene(scene, *args, **kwargs):   # what the status bar says while the canvas is filled
        drawing.append(status(window))
        return real_set_scene(scene, *args, **kwargs)

    monkeypatch.setattr(window.canvas, "set_scene", set_scene)
    start_open(window, monkeypatch, other_model)
    assert status(window) == "Reading other.onnx…"
    pump(window.root, shapes.entered.is_set, timeout=10)
    wait_for_status(window, "Inferring shapes of other.onnx…")
    assert window.progress.winfo_ismapped() and window.cancel_button.winfo_ismapped()
    assert window.path == str(SAMPLE)                    # the model shown until the new one is ready
    shapes.release.set()
    pump(window.root, layout.entered.is_set, timeout=10)
    wait_for_status(window, f"Laying out {len(window.model.graphs[0].nodes):,} nodes of other.onnx…")
    layout.release.set()
    settle(window)
    assert window.path == str(other_model) and window.scene is not None
    assert drawing == [f"Drawing {len(window.scene.boxes):,} boxes…"]
    assert status(window) == window.status_text() and status(window).startswith("other.onnx — ONNX")
    assert not window.progress.winfo_ismapped() and not window.cancel_button.winfo_ismapped()


def test_cancel_in_any_stage_restores_the_status_bar(window, monkeypatch, other_model):
    for held, stage_text in ((held_shapes, "Inferring shapes of other.onnx…"), (held_layout, "Laying out")):
        open_via_dialog(window, monkeypatch, SAMPLE)
        shown = status(window)
        if stage_text == "Laying out":
            stage_text = f"Laying out {len(window.model.graphs[0].nodes):,} nodes of other.onnx…"
        gate = held(monkeypatch)
        start_open(window, monkeypatch, other_model)
        pump(window.root, gate.entered.is_set, timeout=10)
        wait_for_status(window, stage_text)
        window.cancel_button.invoke()
        window.root.update()
        assert status(window) == shown, stage_text
        assert not window.progress.winfo_ismapped()
        gate.release.set()                 # the cancelled worker goes on into its later stages, unheard
        seen = set()
        pump(window.root, lambda seen=seen: seen.add(status(window)) or not window.runner.busy, timeout=10)
        assert seen == {shown}, stage_text
        assert window.path == str(SAMPLE)
        monkeypatch.undo()


def test_an_error_in_any_stage_restores_the_status_bar(window, monkeypatch, other_model, capsys):
    def failing_drawing(monkeypatch):
        def broken(*_args, **_kwargs):
            raise RuntimeError("cannot draw")
        monkeypatch.setattr(window.canvas, "set_scene", broken)

    cases = (
        (lambda m: held_shapes(m, ModelError(other_model, "shapes do not fit")), "other.onnx: shapes do not fit"),
        (lambda m: held_layout(m, RuntimeError("cannot lay out")), "internal error laying out"),
        (failing_drawing, "internal error drawing"),
    )
    for fail, reason in cases:
        open_via_dialog(window, monkeypatch, SAMPLE)
        errors = []
        monkeypatch.setattr("litenetron.app.window.messagebox.showerror",
                            lambda title, message, errors=errors, **_: errors.append(message))
        gate = fail(monkeypatch)
        start_open(window, monkeypatch, other_model)
        if gate is not None:
            pump(window.root, gate.entered.is_set, timeout=10)
            gate.release.set()
        settle(window)
        assert len(errors) == 1 and errors[0].startswith(reason), errors
        assert status(window) == window.status_text(), reason   # not "Inferring…", "Laying out…", "Drawing…"
        assert not status(window).endswith("…")
        assert not window.progress.winfo_ismapped()
        monkeypatch.undo()
    assert "RuntimeError: cannot draw" in capsys.readouterr().err   # a bug of ours: its traceback is printed

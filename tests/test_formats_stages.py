"""Readers announce their shape step (formats.stages) to the thread that listens, and to nobody else."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conftest import require_corpus
from litenetron.formats import open_model
from litenetron.formats.stages import READING, SHAPES, listening, stage

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"

# (file, from the shared corpus?) for each reader that works shapes out
WITH_SHAPE_STEP = [
    (REPO / "litenetron" / "samples" / "resblock.onnx", False),
    (FIXTURES / "pytorch" / "resnet_traced.pt", False),          # TorchScript: shapes while following forward()
    (FIXTURES / "mnn" / "conv_int8_symmetric.mnn", False),
    (FIXTURES / "tfjs" / "quantized" / "model.json", False),       # a TensorFlow graph: the TensorFlow shape step
    (Path("tensorflow/onnx__tensorflow-onnx/graphdef__frozen.pb"), True),
    (Path("keras/generated/small_cnn.h5"), True),
    (Path("keras/generated/small_cnn.keras"), True),
    (Path("paddle/generated/resblock_224/inference.pdmodel"), True),
]


def heard_while_opening(path: Path) -> list:
    heard = []
    with listening(heard.append):
        open_model(path)
    return heard


@pytest.mark.parametrize("path, in_corpus", WITH_SHAPE_STEP, ids=lambda item: getattr(item, "name", ""))
def test_readers_announce_their_shape_step(path, in_corpus):
    if in_corpus:
        path = require_corpus() / path
    heard = heard_while_opening(path)
    assert SHAPES in heard
    assert heard[-1] == READING and all(a != b for a, b in zip(heard, heard[1:]))   # each change once, then back


def test_a_reader_without_a_shape_step_announces_nothing():
    path = FIXTURES / "tflite" / "signature_tensor_without_name.tflite"   # TFLite stores every shape
    assert heard_while_opening(path) == []


def test_stages_without_a_listener_or_on_another_thread_are_unheard():
    with stage(SHAPES):   # the command line: nobody listens
        pass
    heard, other = [], []

    def open_elsewhere():
        with stage(SHAPES):
            other.append("ran")

    with listening(heard.append):
        thread = threading.Thread(target=open_elsewhere)
        thread.start()
        thread.join()
        with stage(SHAPES), stage(SHAPES):   # a nested step of the same name is not news
            pass
    with stage(SHAPES):   # after the block: unheard again
        pass
    assert other == ["ran"] and heard == [SHAPES, READING]


def test_a_step_that_fails_stays_announced():
    heard = []
    with listening(heard.append), pytest.raises(ValueError):
        with stage(SHAPES):
            raise ValueError("shapes do not fit")
    assert heard == [SHAPES]


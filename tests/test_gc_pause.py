"""The collector pause is shared by threads: on until the last pause ends, and left off if it was off."""

import gc
import threading

from litenetron.gc_pause import collector_paused


def test_overlapping_pauses_switch_the_collector_back_on_only_at_the_last_end():
    gc.enable()
    entered, release = threading.Event(), threading.Event()

    def other_pause():
        with collector_paused():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=other_pause)
    with collector_paused():
        worker.start()
        assert entered.wait(5)
    assert not gc.isenabled()  # the other thread still pauses it
    release.set()
    worker.join(5)
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_opening_a_model_pauses_the_collector(monkeypatch):
    from litenetron import formats
    from litenetron.__main__ import SAMPLE_MODEL
    from litenetron.formats import onnx as onnx_family

    seen = []
    real_read = onnx_family.read

    def read(path):
        seen.append(gc.isenabled())
        return real_read(path)

    monkeypatch.setattr(onnx_family, "read", read)
    formats.open_model(SAMPLE_MODEL)
    assert seen == [False] and gc.isenabled()


def test_kept_objects_are_frozen_until_thawed():
    from litenetron.gc_pause import thaw

    gc.enable()
    thaw()
    with collector_paused(keep=True):
        kept = [[index] for index in range(1000)]  # what the window keeps
    assert gc.get_freeze_count() >= len(kept) and gc.isenabled()
    thaw()
    assert gc.get_freeze_count() == 0

"""Tk viewer benchmark: open a ~10,000-node model in the real window, time first paint, pan and zoom frames.

    python benchmarks/ui_bench.py [--nodes 10000] [--branches 6] [--steps 50]

Starts its own Xvfb when DISPLAY is unset. A frame is one pan or zoom step: the event is generated, then
`update_idletasks()` returns (the canvas has redrawn). Targets: first paint ≤ 5 s after layout, frames ≤ 30 ms
(95th percentile) at a readable zoom.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_model(nodes: int, branches: int) -> Path:
    """A network of `nodes` operators, cached in the temp dir: stages of `branches` parallel
    Conv → BatchNormalization → Relu paths summed by an Add (branches=1: a residual chain)."""
    path = Path(tempfile.gettempdir()) / "litenetron-bench" / f"net-{nodes}-{branches}.onnx"
    if path.is_file():
        return path
    import numpy
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    channels = 8
    rng = numpy.random.default_rng(0)
    graph_nodes, initializers = [], []

    def weight(name: str, shape) -> str:
        initializers.append(numpy_helper.from_array(rng.standard_normal(shape).astype(numpy.float32), name))
        return name

    current, stage = "input", 0
    while len(graph_nodes) + 3 * branches + 1 <= nodes:
        outputs = [] if branches > 1 else [current]
        for branch in range(branches):
            name = f"stage{stage}.branch{branch}"
            graph_nodes += [
                helper.make_node("Conv", [current, weight(name + ".W", (channels, channels, 3, 3))], [name + ".conv"],
                                 name=name + ".conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
                helper.make_node("BatchNormalization", [name + ".conv"] + [
                    weight(f"{name}.bn.{n}", (channels,)) for n in ("scale", "B", "mean", "var")],
                    [name + ".bn"], name=name + ".bn"),
                helper.make_node("Relu", [name + ".bn"], [name + ".relu"], name=name + ".relu"),
            ]
            outputs.append(name + ".relu")
        graph_nodes.append(helper.make_node("Sum", outputs, [f"stage{stage}.sum"], name=f"stage{stage}.sum"))
        current, stage = f"stage{stage}.sum", stage + 1
    while len(graph_nodes) < nodes:
        name = f"tail{len(graph_nodes)}"
        graph_nodes.append(helper.make_node("Relu", [current], [name], name=name))
        current = name
    shape = [1, channels, 32, 32]
    graph = helper.make_graph(graph_nodes, "bench", [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info(current, TensorProto.FLOAT, shape)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model = onnx.shape_inference.infer_shapes(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def ensure_display() -> subprocess.Popen:
    """Start Xvfb when there is no DISPLAY; returns the server process (None when a display exists)."""
    if os.environ.get("DISPLAY"):
        return None
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("no DISPLAY and no Xvfb (apt-get install xvfb)")
    number = 200 + os.getpid() % 300
    server = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = f":{number}"
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return server


def percentile(samples: List[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(name: str, samples: List[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(f"{name:<22} median {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 0.95):6.1f} ms   "
          f"max {max(ms):6.1f} ms   ({len(ms)} frames)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--branches", type=int, default=6, help="parallel paths per stage (1: a chain)")
    args = parser.parse_args()
    started = time.perf_counter()
    path = build_model(args.nodes, args.branches)
    print(f"model: {path} ({path.stat().st_size / 1e6:.1f} MB, built/cached in {time.perf_counter() - started:.1f} s)")
    server = ensure_display()
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="litenetron-bench-config-"))
    try:
        run(path, args.steps)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


def run(path: Path, steps: int) -> None:
    import tkinter

    from litenetron.app.window import MainWindow

    root = tkinter.Tk()
    root.geometry("1400x900+0+0")
    window = MainWindow(root)
    root.update()
    canvas = window.canvas
    painted = {}
    original = canvas.set_scene

    def timed_set_scene(*args, **kwargs):  # first paint = set_scene + the redraw it triggers
        painted["scene"] = time.perf_counter()
        original(*args, **kwargs)
        root.update_idletasks()
        painted["done"] = time.perf_counter()

    canvas.set_scene = timed_set_scene
    started = time.perf_counter()
    window.open_path(str(path))
    while "done" not in painted:
        if not window.runner.busy and time.perf_counter() - started > 1:
            sys.exit("the model did not open")
        root.update()
        time.sleep(0.002)
    scene = window.scene
    print(f"graph: {len(scene.boxes):,} boxes, {len(scene.edges):,} edges, {scene.width:.0f}×{scene.height:.0f}")
    print(f"open + scene + layout  {painted['scene'] - started:6.2f} s   (worker thread, UI responsive)")
    print(f"first paint            {(painted['done'] - painted['scene']) * 1000:6.1f} ms after layout")

    c = canvas.canvas
    canvas.set_zoom(1.0)
    root.update()
    width, height = canvas.size()
    x, y = width // 2, height // 2
    frames: List[float] = []
    c.event_generate("<ButtonPress-1>", x=x, y=y, button=1)
    for step in range(1, steps + 1):
        begin = time.perf_counter()
        c.event_generate("<B1-Motion>", x=x + (step % 7) * 3, y=y - step * 40 % (height // 2), state=0x100)
        root.update_idletasks()
        frames.append(time.perf_counter() - begin)
    c.event_generate("<ButtonRelease-1>", x=x, y=y, button=1)
    report("pan (drag) at 100%", frames)
    items, drawn = len(c.find_all()), len(canvas.drawn_boxes)

    frames = []
    for _ in range(steps):
        begin = time.perf_counter()
        c.event_generate("<Button-5>", x=x, y=y)  # wheel scroll down the graph
        root.update_idletasks()
        frames.append(time.perf_counter() - begin)
    report("pan (wheel) at 100%", frames)

    frames = []
    for step in range(steps):  # zoom in and out around the pointer between ~57% and 175%
        button = "<Control-Button-4>" if (step // 4) % 2 == 0 else "<Control-Button-5>"
        begin = time.perf_counter()
        c.event_generate(button, x=x + 50, y=y - 30, state=0x4)
        root.update_idletasks()
        frames.append(time.perf_counter() - begin)
    report("zoom (Ctrl+wheel)", frames)
    print(f"canvas items {items:,} for {drawn:,} of {len(scene.boxes):,} boxes (the rest are not on the canvas)")

    begin = time.perf_counter()
    window.command_fit()
    root.update_idletasks()
    print(f"fit whole graph        {(time.perf_counter() - begin) * 1000:6.1f} ms (overview: boxes without text)")
    root.destroy()


if __name__ == "__main__":
    main()

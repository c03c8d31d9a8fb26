"""Groups in the real window: open a deep model, expand and collapse one block, Expand All while panning.

    python benchmarks/groups_bench.py [MODEL.onnx] [--repeats 20]

Without MODEL it uses ~/.cache/litenetron-bench/gpt2-96.onnx (benchmarks/first_paint.py's 96-layer GPT-2) or
builds a synthetic 96-layer transformer with torch-exporter names. Prints: open (in-process, file → first drawn
scene), expand one block p50/p95 (toggle → canvas redrawn), Expand All total and the pan frames drawn meanwhile
(p50/p95/max). Targets: expand ≤ 150 ms p95; pan frames during Expand All ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_bench import ensure_display, percentile  # noqa: E402

CACHED = Path.home() / ".cache" / "litenetron-bench" / "gpt2-96.onnx"


def default_model() -> Path:
    if CACHED.is_file():
        return CACHED
    from synthetic import transformer_onnx

    path = Path(tempfile.gettempdir()) / "litenetron-bench" / "transformer-96.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path if path.is_file() else transformer_onnx(path, layers=96, padding=54)


def figures(name: str, samples) -> None:
    samples = sorted(samples)
    print(f"{name:34s} n={len(samples):4d}  p50 {percentile(samples, 0.5) * 1000:7.1f} ms  "
          f"p95 {percentile(samples, 0.95) * 1000:7.1f} ms  max {samples[-1] * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    path = Path(args.model) if args.model else default_model()
    server = ensure_display()
    try:
        run(path, args.repeats)
    finally:
        if server is not None:
            server.terminate()


def run(path: Path, repeats: int) -> None:
    import tkinter

    from litenetron.app.window import MainWindow

    root = tkinter.Tk()
    root.geometry("1280x820+0+0")
    window = MainWindow(root)
    root.update()
    start = time.perf_counter()
    window.open_path(str(path))
    while window.scene is None:
        root.update()
        time.sleep(0.002)
    root.update_idletasks()
    opened = time.perf_counter() - start
    scene = window.scene
    state = window.grouping
    print(f"{path.name}: {len(scene.graph.nodes):,} nodes, groups from {state.tree.source or 'nothing'}, "
          f"{len(scene.boxes):,} boxes drawn at first")
    print(f"{'open (file → first drawn scene)':34s} {opened:.2f} s")

    # expand one block and collapse it again, on different blocks
    blocks = [box for box in scene.boxes if box.kind == "group"]
    expand, collapse = [], []
    for box in blocks[:repeats]:
        t = time.perf_counter()
        window.toggle_group(box)
        root.update_idletasks()
        expand.append(time.perf_counter() - t)
        frame = window.canvas.box_for(group=box.group.key)
        t = time.perf_counter()
        window.toggle_group(frame)
        root.update_idletasks()
        collapse.append(time.perf_counter() - t)
    if expand:
        figures("expand one block", expand)
        figures("collapse it again", collapse)

    # Expand All in slices while the user pans
    frames = []
    t = time.perf_counter()
    window.command_expand_all()
    while window.sliced is not None:
        f = time.perf_counter()
        window.canvas.pan(0, -4)
        root.update()
        frames.append(time.perf_counter() - f)
    total = time.perf_counter() - t
    print(f"{'Expand All (in slices)':34s} {total:.2f} s, {len(window.scene.boxes):,} boxes")
    figures("pan frames during Expand All", frames)
    root.destroy()


if __name__ == "__main__":
    main()

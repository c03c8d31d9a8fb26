"""First paint: process start → first drawn scene in the real Tk window (under Xvfb), per model.

    python benchmarks/first_paint.py [--runs 3] [--only NAME ...] [--torch-python /work/venv-torch/bin/python]

The app writes the wall-clock time of its first drawn scene to the file named by LITENETRON_FIRST_PAINT and
quits; the figure is that time minus the moment this script started the process. Models: the bundled sample,
corpus files (TFLite MobileNet, the largest corpus Keras model), ResNet-50 / BERT-base / ViT-B-16 ONNX exports,
a 96-layer GPT-2 (small width) and a synthetic 100,000-node ONNX. The exports are built once with random
weights, cached under ~/.cache/litenetron-bench, by `--build NAME OUT` run with a Python that has torch,
torchvision and transformers (never the project's venv). Starts its own Xvfb when DISPLAY is unset.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("LITENETRON_CORPUS", ROOT.parent / "shared" / "corpus"))
CACHE = Path.home() / ".cache" / "litenetron-bench"
TORCH_PYTHON = os.environ.get("LITENETRON_TORCH_PYTHON", "/work/venv-torch/bin/python")

# name → (label, where the file comes from: "sample", "corpus:<path>", "torch" or "synthetic")
MODELS = {
    "sample": ("the bundled sample", "sample"),
    "tflite": ("TFLite MobileNet v2 (corpus)", "corpus:tflite/generated/mobilenet_v2_035_96_int8.tflite"),
    "keras": ("Keras sound classifier (corpus: no Xception)", "corpus:keras/07Sada__sound-classification/model.h5"),
    "resnet50": ("ResNet-50 (torchvision)", "torch"),
    "bert": ("BERT-base", "torch"),
    "vit": ("ViT-B/16 (torchvision)", "torch"),
    "gpt2-96": ("96-layer GPT-2 (n_embd 64)", "torch"),
    "onnx-100k": ("synthetic 100,000-node ONNX", "synthetic"),
}


# --- building the models (run with the torch Python) --------------------------------------------------------

def build_torch(name: str, out: Path) -> None:
    import torch

    torch.manual_seed(0)
    if name == "resnet50":
        import torchvision
        module, inputs, names = torchvision.models.resnet50(weights=None), (torch.randn(1, 3, 224, 224),), ["x"]
    elif name == "vit":
        import torchvision
        module, inputs, names = torchvision.models.vit_b_16(weights=None), (torch.randn(1, 3, 224, 224),), ["x"]
    elif name == "bert":
        from transformers import BertConfig, BertModel
        module = BertModel(BertConfig())
        inputs, names = (torch.ones(1, 128, dtype=torch.long),), ["input_ids"]
    elif name == "gpt2-96":
        from transformers import GPT2Config, GPT2Model
        module = GPT2Model(GPT2Config(n_layer=96, n_embd=64, n_head=4, use_cache=False))
        inputs, names = (torch.ones(1, 32, dtype=torch.long),), ["input_ids"]
    else:
        raise SystemExit(f"unknown model {name}")
    module.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.onnx.export(module, inputs, str(out), input_names=names, opset_version=17, dynamo=False)
    except Exception as error:  # no legacy exporter, or one that cannot trace this transformers release
        print(f"{name}: the legacy exporter failed ({type(error).__name__}); exporting with dynamo",
              file=sys.stderr)
        torch.onnx.export(module, inputs, str(out), input_names=names, opset_version=18, dynamo=True)


def build_synthetic(out: Path, count: int = 100_000) -> None:
    """`count` nodes: chains of Conv → Relu → Add with residual edges and tiny weights."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, weights = [], [numpy_helper.from_array(np.zeros((4, 4, 1, 1), np.float32), "w")]
    previous = "x"
    while len(nodes) + 3 <= count:
        index = len(nodes)
        nodes.append(helper.make_node("Conv", [previous, "w"], [f"c{index}"], name=f"conv{index}"))
        nodes.append(helper.make_node("Relu", [f"c{index}"], [f"r{index}"], name=f"relu{index}"))
        nodes.append(helper.make_node("Add", [f"r{index}", previous], [f"a{index}"], name=f"add{index}"))
        previous = f"a{index}"
    while len(nodes) < count:
        nodes.append(helper.make_node("Identity", [previous], [f"i{len(nodes)}"]))
        previous = f"i{len(nodes) - 1}"
    graph = helper.make_graph(nodes, "synthetic", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)], weights)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(out))


def model_path(name: str, torch_python: str) -> Optional[Path]:
    source = MODELS[name][1]
    if source == "sample":
        return ROOT / "litenetron" / "samples" / "resblock.onnx"
    if source.startswith("corpus:"):
        path = CORPUS / source.split(":", 1)[1]
        return path if path.is_file() else None
    path = CACHE / f"{name}.onnx"
    if path.is_file():
        return path
    if source == "synthetic":
        build_synthetic(path)
        return path
    if not Path(torch_python).is_file():
        print(f"{name}: no torch Python at {torch_python} (--torch-python)", file=sys.stderr)
        return None
    result = subprocess.run([torch_python, __file__, "--build", name, str(path)], capture_output=True, text=True)
    if result.returncode != 0 or not path.is_file():
        print(f"{name}: build failed: {result.stderr[-800:]}", file=sys.stderr)
        return None
    return path


# --- measuring ----------------------------------------------------------------------------------------------

def first_paint(path: Path, timeout: float) -> Optional[dict]:
    """Seconds from process start to the first drawn scene, and the number of boxes; None on failure."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "paint.json"
        env = {**os.environ, "LITENETRON_FIRST_PAINT": str(report), "PYTHONPATH": str(ROOT),
               "XDG_CONFIG_HOME": folder}  # a private recent-files list
        start = time.time()
        process = subprocess.Popen([sys.executable, "-m", "litenetron", str(path)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, error = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return None
        if not report.is_file():
            print(f"{path.name}: no first paint ({error.decode(errors='replace')[-300:]})", file=sys.stderr)
            return None
        data = json.loads(report.read_text())
        return {"seconds": data["time"] - start, "boxes": data["boxes"]}


def measure_corpus(timeout: float, slowest: int = 10) -> int:
    """First paint of every corpus model file, once: how many stay within 2 s, and the slowest."""
    import csv

    with (CORPUS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream, delimiter="\t") if row["nodes"]]
    figures = []
    for row in rows:
        result = first_paint(CORPUS / row["path"], timeout)
        figures.append((result["seconds"] if result else float("inf"), row["path"]))
    figures.sort(reverse=True)
    within = sum(1 for seconds, _ in figures if seconds <= 2.0)
    print(f"{within} of {len(figures)} corpus models are drawn within 2 s; the slowest:")
    for seconds, path in figures[:slowest]:
        print(f"  {seconds:6.2f} s  {path}")
    return 0


def start_xvfb() -> Optional[subprocess.Popen]:
    if os.environ.get("DISPLAY") or not shutil.which("Xvfb"):
        return None
    display = f":{os.getpid() % 400 + 500}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    os.environ["DISPLAY"] = display
    return server


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per model; the median is shown")
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), help="measure only these models")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a run counts as failed")
    parser.add_argument("--torch-python", default=TORCH_PYTHON, help="a Python with torch, torchvision, transformers")
    parser.add_argument("--corpus", action="store_true",
                        help="one run per corpus model file (MANIFEST rows with a node count): the slowest ones")
    parser.add_argument("--build", nargs=2, metavar=("NAME", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        build_torch(args.build[0], Path(args.build[1]))
        return 0
    server = start_xvfb()
    try:
        if args.corpus:
            return measure_corpus(args.timeout)
        print("| model | boxes | first paint (median) | runs |")
        print("|---|---|---|---|")
        for name in args.only or list(MODELS):
            label = MODELS[name][0]
            path = model_path(name, args.torch_python)
            if path is None:
                print(f"| {label} | – | not built | |", flush=True)
                continue
            results = [first_paint(path, args.timeout) for _ in range(args.runs)]
            times = [result["seconds"] for result in results if result]
            if not times:
                print(f"| {label} | – | failed or > {args.timeout:.0f} s | |", flush=True)
                continue
            boxes = next(result["boxes"] for result in results if result)
            runs = " ".join(f"{seconds:.2f}" for seconds in times)
            print(f"| {label} | {boxes:,} | {statistics.median(times):.2f} s | {runs} |", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

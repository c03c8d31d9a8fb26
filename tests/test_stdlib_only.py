"""Reading a model's structure needs only the standard library (DESIGN: fast start, light core).

Each corpus file is opened in a subprocess where numpy, onnx, PIL and google.protobuf cannot be imported:
every file must still open (or give a ModelError) with the same node count as with the packages present.
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO, manifest_rows, require_corpus

_BLOCKED_RUNNER = r"""
import importlib.abc, json, sys
BLOCKED = ("numpy", "onnx", "PIL", "google", "ml_dtypes", "h5py", "flatbuffers")

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked for this test")
        return None

sys.meta_path.insert(0, Block())
from litenetron.formats import open_model
from litenetron.model import ModelError
counts = {}
for path in sys.argv[1:]:
    try:
        counts[path] = open_model(path).graphs[0].node_count()
    except ModelError:
        counts[path] = None
print(json.dumps(counts))
"""


def test_every_corpus_model_opens_without_numpy_onnx_pillow_or_protobuf():
    corpus = require_corpus()
    rows = [row for row in manifest_rows() if row["nodes"]]
    paths = [str(corpus / row["path"]) for row in rows]
    result = subprocess.run([sys.executable, "-c", _BLOCKED_RUNNER, *paths], capture_output=True, text=True,
                            cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout)
    mismatched = {path: (counts[path], int(row["nodes"])) for path, row in zip(paths, rows)
                  if counts[path] != int(row["nodes"])}
    assert mismatched == {}


def test_weights_files_open_with_their_parameter_counts_without_numpy():
    """Weights-only formats (safetensors, GGUF, NumPy) have no node count to check: their parameter counts are."""
    corpus = require_corpus()
    rows = [row for row in manifest_rows() if row["parameters"] and not row["nodes"]
            and row["format"] in ("safetensors", "gguf", "npy", "npz")]
    assert rows
    runner = _BLOCKED_RUNNER.replace("open_model(path).graphs[0].node_count()",
                                     "open_model(path).graphs[0].parameters()")
    paths = [str(corpus / row["path"]) for row in rows]
    result = subprocess.run([sys.executable, "-c", runner, *paths], capture_output=True, text=True, cwd=REPO,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout)
    assert {path: counts[path] for path in paths} == {path: int(row["parameters"]) for path, row in zip(paths, rows)}

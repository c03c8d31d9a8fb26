"""Wall time and peak RSS of one `python -m litenetron ...` run (shared by the benchmarks)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Tuple

# A fresh parent per measurement: RUSAGE_CHILDREN is the peak over all of a process's children.
_MEASURE = (
    "import resource, subprocess, sys, time;"
    "t = time.perf_counter();"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE);"
    "w = time.perf_counter() - t;"
    "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024;"
    "sys.stderr.write(p.stderr.decode(errors='replace')[-400:]);"
    "print(f'{w:.3f} {r:.1f} {p.returncode}')"
)


def run_litenetron(model: str, *extra: str, timeout: float = 600) -> Tuple[float, float, int, str]:
    """(wall seconds, peak RSS MB, exit status, stderr tail) of `python -m litenetron MODEL EXTRA...`."""
    args = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "litenetron", model, *extra]
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    wall, rss, status = result.stdout.split()
    return float(wall), float(rss), int(status), result.stderr

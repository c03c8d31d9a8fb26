"""Shared test fixtures: the shared model corpus and a virtual display for GUI tests."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _require(present: bool, message: str) -> None:
    """Skip the test visibly when something it needs is missing; under CI=true, fail it instead."""
    if not present:
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def require_corpus() -> Path:
    """The shared corpus folder; skips visibly outside CI when it is missing, fails under CI=true."""
    _require((CORPUS / "MANIFEST.tsv").is_file(), f"shared corpus not found at {CORPUS}")
    return CORPUS


def require_bench() -> Path:
    """The shared layout benchmark folder (beside the corpus); skips visibly outside CI, fails under CI=true."""
    bench = REPO.parent / "shared" / "bench"
    _require((bench / "graphs").is_dir(), f"shared layout benchmark not found at {bench}")
    return bench


def manifest_rows(family: str = "") -> list:
    """MANIFEST.tsv rows (dicts) for one format family, or all; empty when the corpus is missing."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream, delimiter="\t"))
    return [row for row in rows if not family or row["format"] == family]


def assert_manifest_counts(counts, row: dict) -> None:
    """Assert that a Graph's (or its `--info --json` summary's) node and parameter counts are the MANIFEST row's,
    for each count the row has."""
    if isinstance(counts, dict):
        nodes, parameters = counts["nodes"], counts["parameters"]
    else:
        nodes, parameters = counts.node_count(), counts.parameters()
    if row["nodes"]:
        assert nodes == int(row["nodes"]), f"nodes {nodes} != MANIFEST {row['nodes']} for {row['path']}"
    if row["parameters"]:
        assert parameters == int(row["parameters"]), \
            f"parameters {parameters} != MANIFEST {row['parameters']} for {row['path']}"


def output_values(graph) -> Iterator:
    """Every Value that a node of the graph writes, node by node."""
    return (value for node in graph.nodes for argument in node.outputs for value in argument.values)


class PickledCall:
    """Pickles as a call of `function(*args)`: what a malicious file would ask the unpickler to run."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python -m litenetron ARGS` and return the finished process (text output)."""
    return subprocess.run([sys.executable, "-m", "litenetron", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def cli_info(path) -> dict:
    """The `--info --json` output of `python -m litenetron PATH`, asserting the command succeeded."""
    result = run_cli(str(path), "--info", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def corpus() -> Path:
    return require_corpus()


@pytest.fixture(scope="session")
def display():
    """A DISPLAY for Tk: the one that is set, or an Xvfb server started for this test session."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        if IN_CI:
            pytest.fail("Xvfb is not installed (.ci/run installs it)")
        pytest.skip("no DISPLAY and no Xvfb to start one")
    number = 90 + os.getpid() % 500
    server = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["DISPLAY"] = f":{number}"
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield os.environ["DISPLAY"]
    server.terminate()
    server.wait(timeout=10)
    del os.environ["DISPLAY"]

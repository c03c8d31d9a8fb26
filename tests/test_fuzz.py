"""The quick seeded fuzz pass: a few hundred mutants of every corpus file must fail cleanly, if at all."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO, require_corpus


def test_quick_fuzz_pass_has_no_crash_hang_or_oom():
    require_corpus()
    # A generous hang bound: CI machines are busy; the tight 5 s bound belongs to the benchmark run.
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "fuzz.py"), "--count", "300", "--seed", "1", "--timeout", "30",
         "--json"], capture_output=True, text=True, timeout=900, cwd=REPO)
    report = json.loads(result.stdout)
    assert report["count"] == 300 and report["seeds"] > 200
    outcomes = {name: sum(counts.get(name, 0) for counts in report["table"].values())
                for name in ("ok", "clean", "crash", "hang", "oom")}
    assert sum(outcomes.values()) == 300
    assert report["failures"] == [], json.dumps(report["failures"], indent=1)
    assert result.returncode == 0

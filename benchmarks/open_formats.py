"""Open time and peak RSS of `python -m litenetron FILE --info --json` for every corpus file.

Each file is opened in its own subprocess (measured through `measure.run_litenetron`: wall time, and peak RSS
from getrusage of the children). Prints one line per file, then the slowest and largest per format.

    python benchmarks/open_formats.py [--format caffe] [--format tensorflow] [--runs 1]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from measure import run_litenetron

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def corpus_files(formats):
    with (CORPUS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream, delimiter="\t"):
            if not formats or row["format"] in formats:
                yield row["format"], CORPUS / row["path"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", action="append", default=[], help="only this format (repeatable)")
    parser.add_argument("--runs", type=int, default=1, help="runs per file; the fastest is reported")
    args = parser.parse_args()
    if not (CORPUS / "MANIFEST.tsv").is_file():
        raise SystemExit(f"corpus not found at {CORPUS}")
    worst: dict = {}
    print(f"{'format':<11} {'wall s':>7} {'RSS MB':>7} {'exit':>4}  file")
    for family, path in corpus_files(set(args.format)):
        runs = [run_litenetron(str(path), "--info", "--json") for _ in range(max(args.runs, 1))]
        wall = min(run[0] for run in runs)
        rss = max(run[1] for run in runs)
        status = runs[-1][2]
        print(f"{family:<11} {wall:7.3f} {rss:7.1f} {status:4d}  {path.relative_to(CORPUS)}")
        slowest, largest = worst.get(family, (0.0, 0.0))
        worst[family] = (max(slowest, wall), max(largest, rss))
    print()
    for family, (slowest, largest) in sorted(worst.items()):
        print(f"{family:<11} slowest {slowest:.3f} s, peak RSS {largest:.1f} MB")


if __name__ == "__main__":
    main()

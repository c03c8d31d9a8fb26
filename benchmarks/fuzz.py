"""Mutation fuzzing of every reader: bad files must give a one-line error, never a crash, hang or OOM.

Seeds are the files of ../shared/corpus, the test fixtures and the bundled sample. Each mutant (truncation,
bit flips, 0x00/0xFF overwrites, duplicated/deleted chunks, huge varints/lengths/numbers, swapped companion
files, zip entries with absurd sizes, deep nesting) is written with its seed's companion files into a temp
folder and opened as `python -m litenetron M --info --json` would open it (for a share of mutants the
`--export` path, or every tensor's values read as the sidebar reads them), in a forked child with an
address-space limit and a timeout.

Outcomes: ok, clean (exit 1 with one `litenetron: error:` line), crash (an internal error: exit 2 with
`litenetron: internal error ...`, an escaped traceback, or a signal), hang, oom. The CLI runs with --debug so
that a crash's detail names the line it came from.

    python benchmarks/fuzz.py --count 10000            # the full run (figures for the issue note)
    python benchmarks/fuzz.py --count 300 --seed 1     # the quick pass CI runs
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
SEED_FOLDERS = (CORPUS, REPO / "tests" / "fixtures")
OUTCOMES = ("ok", "clean", "crash", "hang", "oom")
MAX_SEED_BYTES = 8 << 20  # larger seeds cost time and say nothing new


# --- seeds ----------------------------------------------------------------------------------------------

def family_of(path: Path) -> str:
    for folder in SEED_FOLDERS:
        if folder in path.parents:
            return path.relative_to(folder).parts[0]
    return "onnx"


def companions(path: Path) -> List[Path]:
    """Files beside `path` that a reader may pair with it (same stem, MXNet epochs, ONNX external data,
    Paddle per-variable weights)."""
    siblings = [s for s in sorted(path.parent.iterdir()) if s.is_file() and s != path]
    if path.suffix == ".pdmodel" or path.name == "__model__":
        return siblings  # a Paddle program may keep one weight file per variable in its folder
    if path.name == "model.json":  # TensorFlow.js: the weight shards of its manifest
        return [s for s in siblings if re.match(r"group\d+-shard\d+of\d+", s.name)]
    stem = path.name.split(".")[0]
    base = stem[:-len("-symbol")] if stem.endswith("-symbol") else stem
    return [s for s in siblings
            if s.name.split(".")[0] == stem or s.name.startswith(base + "-") or s.name.startswith(path.name + ".")]


def collect_seeds() -> List[Path]:
    seeds = []
    for folder in SEED_FOLDERS:
        if folder.is_dir():
            seeds += [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix not in (".tsv", ".md", ".py")
                      and p.stat().st_size <= MAX_SEED_BYTES]
    seeds.append(REPO / "litenetron" / "samples" / "resblock.onnx")
    return seeds


# --- mutations ------------------------------------------------------------------------------------------

def _span(rng: random.Random, size: int, most: int = 64) -> Tuple[int, int]:
    start = rng.randrange(max(size, 1))
    return start, min(size, start + rng.randint(1, most))


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randrange(max(len(data), 1))]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def overwrite(data: bytes, rng: random.Random) -> bytes:
    start, end = _span(rng, len(data))
    return data[:start] + bytes([rng.choice((0x00, 0xFF))]) * (end - start) + data[end:]


def duplicate_chunk(data: bytes, rng: random.Random) -> bytes:
    start, end = _span(rng, len(data), 4096)
    return data[:end] + data[start:end] + data[end:]


def delete_chunk(data: bytes, rng: random.Random) -> bytes:
    start, end = _span(rng, len(data), 4096)
    return data[:start] + data[end:]


def huge_number(data: bytes, rng: random.Random) -> bytes:
    """A huge varint, a huge little-endian length/count, or a huge decimal in a text file."""
    if _is_text(data):
        numbers = list(re.finditer(rb"-?\d+", data))
        if numbers:
            match = rng.choice(numbers)
            huge = rng.choice((b"99999999999999999999", b"2147483648", b"-2147483649", b"4294967296", b"0", b"-1"))
            return data[:match.start()] + huge + data[match.end():]
    position = rng.randrange(max(len(data), 1))
    patch = rng.choice((b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", b"\xff\xff\xff\x7f", b"\xff\xff\xff\xff",
                        struct.pack("<q", -1), struct.pack("<Q", 1 << 62), b"\x80\x80\x80\x80\x10"))
    return data[:position] + patch + data[position + len(patch):]


def deep_nesting(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice((200, 5000, 100_000))
    if data.lstrip()[:1] in (b"{", b"["):
        return b"[" * depth + data + b"]" * depth
    if _is_text(data):
        return b"a {" * depth + data + b"}" * depth
    from litenetron.codecs.protobuf import encode_varint  # main() has put the repo on sys.path

    nested = data[:64]
    for _ in range(min(depth, 3000)):  # a protobuf field 1 length-delimited inside itself
        nested = b"\x0a" + encode_varint(len(nested)) + nested
    return nested + data


def absurd_zip(data: bytes, rng: random.Random) -> bytes:
    """A zip whose central directory claims absurd sizes, or whose member is a deflate bomb."""
    if not data.startswith(b"PK"):
        return overwrite(data, rng)
    out = bytearray(data)
    directory = out.rfind(b"PK\x01\x02")
    while directory > 0:
        if rng.random() < 0.5:
            struct.pack_into("<I", out, directory + 24, 0xFFFFFFF0)  # uncompressed size
        else:
            struct.pack_into("<I", out, directory + 20, 0x7FFFFFF0)  # compressed size
        directory = out.rfind(b"PK\x01\x02", 0, directory)
    return bytes(out)


def zip_bomb(data: bytes, rng: random.Random) -> bytes:
    if not data.startswith(b"PK"):
        return truncate(data, rng)
    source = io.BytesIO(data)
    target = io.BytesIO()
    try:
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bomb:
            names = original.namelist()
            victim = rng.choice(names)
            for name in names:
                if name == victim:
                    bomb.writestr(name, b"\0" * (200 << 20))
                else:
                    bomb.writestr(name, original.read(name))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return overwrite(data, rng)
    return target.getvalue()


MUTATIONS = {
    "truncate": truncate, "flip_bits": flip_bits, "overwrite": overwrite, "duplicate": duplicate_chunk,
    "delete": delete_chunk, "huge_number": huge_number, "deep_nesting": deep_nesting, "zip_sizes": absurd_zip,
    "zip_bomb": zip_bomb,
}
WEIGHTS = {"truncate": 3, "flip_bits": 4, "overwrite": 3, "duplicate": 2, "delete": 2, "huge_number": 4,
           "deep_nesting": 1, "zip_sizes": 1, "zip_bomb": 0.3}


def _is_text(data: bytes) -> bool:
    sample = data[:1024]
    return bool(sample) and all(32 <= byte < 127 or byte in (9, 10, 13) for byte in sample)


# --- running one mutant ---------------------------------------------------------------------------------

WEIGHTS_ACTION = "@weights"
EXPORT_TIMEOUT_FACTOR = 3
WEIGHT_READ_LIMIT = 64 << 20  # bytes of tensor values one mutant may ask for


def read_weights(path: str) -> int:
    """What the sidebar does on selection: open the model and read every tensor's values.

    Returns the CLI's statuses: 0 when all went well, 1 (with the CLI's one-line message) on a ModelError.
    """
    from litenetron.formats import open_model
    from litenetron.model import ModelError
    try:
        model = open_model(path)
        budget = WEIGHT_READ_LIMIT
        for graph in model.graphs:
            for tensor in graph.tensors():
                if budget <= 0:
                    return 0
                try:
                    values = tensor.data()
                except ModelError:
                    continue  # one unreadable tensor is reported in the sidebar, not fatal
                budget -= getattr(values, "nbytes", 0)
    except ModelError as error:
        print(f"litenetron: error: {error}", file=sys.stderr)
        return 1
    return 0


def _child(argv: List[str], memory_limit: int, out_fd: int) -> None:
    """In the forked child: limit memory, run the CLI, report (status, stderr) through the pipe."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    stderr = io.StringIO()
    status = 0
    try:
        from litenetron.__main__ import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
            status = read_weights(argv[1]) if argv[0] == WEIGHTS_ACTION else main(argv)
    except MemoryError:
        stderr.write("MemoryError\n")
        status = 3
    except BaseException:  # noqa: BLE001 - any escape is the crash being looked for
        import traceback
        stderr.write(traceback.format_exc())
        status = 2
    with os.fdopen(out_fd, "w") as pipe:
        text = stderr.getvalue()
        # the first line decides the outcome; a traceback's last lines say where it came from
        pipe.write(json.dumps([status, text if len(text) <= 4000 else text[:2000] + "\n" + text[-2000:]]))
    os._exit(0)


def run_mutant(argv: List[str], timeout: float, memory_limit: int) -> Tuple[str, str]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            _child(argv, memory_limit, write_fd)
        finally:
            os._exit(4)
    os.close(write_fd)
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "hang", f"no answer within {timeout:.0f} s"
            ready, _, _ = select.select([pipe], [], [], remaining)
            if ready:
                chunk = os.read(pipe.fileno(), 65536)
                if not chunk:
                    break
                chunks.append(chunk)
    _, wait_status = os.waitpid(pid, 0)
    if not chunks:
        signal_number = os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status) else 0
        return ("oom" if signal_number == signal.SIGKILL else "crash"), f"child died (signal {signal_number})"
    status, stderr = json.loads(b"".join(chunks))
    return classify(status, stderr), stderr


def classify(status: int, stderr: str) -> str:
    if status == 3 or "MemoryError" in stderr or "ran out of memory" in stderr:
        return "oom"
    if status == 0:
        return "ok"
    lines = stderr.strip().splitlines()
    if status == 1 and len(lines) == 1 and lines[0].startswith("litenetron: error: ") and "Traceback" not in stderr:
        return "clean"
    return "crash"


# --- the campaign ---------------------------------------------------------------------------------------

def make_mutant(seed: Path, rng: random.Random, folder: Path,
                seeds_by_suffix: Dict[str, List[Path]]) -> Tuple[Path, str]:
    """Copy the seed and its companions into `folder` and mutate one of them; returns (model path, mutation)."""
    target = folder / seed.name
    shutil.copyfile(seed, target)
    partners = companions(seed)
    for partner in partners:
        shutil.copyfile(partner, folder / partner.name)
    if partners and rng.random() < 0.1:  # swap a companion for another file of the same kind
        partner = rng.choice(partners)
        others = [p for p in seeds_by_suffix.get(partner.suffix, []) if p != partner]
        if others:
            shutil.copyfile(rng.choice(others), folder / partner.name)
            return target, "swap_companion"
    victim = target if not partners or rng.random() < 0.7 else folder / rng.choice(partners).name
    name = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    victim.write_bytes(MUTATIONS[name](victim.read_bytes(), rng))
    return target, name


def campaign(count: int, seed: int, timeout: float, memory_mb: int, export_share: float, weights_share: float,
             verbose: bool, families: Tuple[str, ...] = ()) -> dict:
    rng = random.Random(seed)
    seeds = [path for path in collect_seeds() if not families or family_of(path) in families]
    by_suffix: Dict[str, List[Path]] = defaultdict(list)
    for path in seeds:
        by_suffix[path.suffix].append(path)
    table: Dict[str, Counter] = defaultdict(Counter)
    failures = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="litenetron-fuzz-") as scratch:
        for index in range(count):
            seed_path = seeds[index % len(seeds)] if index < len(seeds) else rng.choice(seeds)
            folder = Path(scratch) / f"m{index}"
            folder.mkdir()
            model, mutation = make_mutant(seed_path, rng, folder, by_suffix)
            argv = [str(model), "--info", "--json", "--debug"]
            limit = timeout
            action = rng.random()
            if action < export_share:
                # Robustness, not drawing speed, is judged here: a small PNG scale, or SVG, and a longer
                # bound (an export lays out and draws the whole graph: a 2,000-box training graph takes
                # 4-7 s) keep big pictures from counting as hangs; a real hang still exceeds it.
                picture = "out.svg" if index % 2 else "out.png"
                argv = [str(model), "--export", str(folder / picture), "--scale", "0.25", "--debug"]
                limit = EXPORT_TIMEOUT_FACTOR * timeout
            elif action < export_share + weights_share:
                argv = [WEIGHTS_ACTION, str(model)]
            outcome, detail = run_mutant(argv, limit, memory_mb << 20)
            family = family_of(seed_path)
            table[family][outcome] += 1
            if outcome in ("crash", "hang", "oom"):
                kept = Path(tempfile.gettempdir()) / "litenetron-fuzz-failures" / f"{index}-{mutation}-{seed_path.name}"
                kept.mkdir(parents=True, exist_ok=True)
                for item in folder.iterdir():
                    if item.is_file():
                        shutil.copyfile(item, kept / item.name)
                failures.append({"outcome": outcome, "family": family, "mutation": mutation, "seed": str(seed_path),
                                 "kept": str(kept), "detail": detail.strip().splitlines()[-1:] if detail else []})
                if verbose:
                    print(f"{outcome}: {seed_path.name} ({mutation}) → {kept}\n  {detail.strip()[-600:]}",
                          file=sys.stderr)
            shutil.rmtree(folder, ignore_errors=True)
    return {"table": {family: dict(counter) for family, counter in sorted(table.items())}, "failures": failures,
            "seconds": round(time.monotonic() - started, 1), "count": count, "seeds": len(seeds)}


def print_table(result: dict) -> None:
    print(f"{'format':<12}" + "".join(f"{name:>8}" for name in OUTCOMES) + f"{'total':>8}")
    total = Counter()
    for family, counts in [*result["table"].items(), ("total", total)]:
        if family != "total":
            total.update(counts)
        cells = "".join(f"{counts.get(name, 0):>8}" for name in OUTCOMES)
        print(f"{family:<12}{cells}{sum(counts.values()):>8}")
    print(f"{result['count']} mutants of {result['seeds']} seeds in {result['seconds']} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a mutant counts as a hang")
    parser.add_argument("--memory-mb", type=int, default=1024, help="address-space limit of each mutant")
    parser.add_argument("--export-share", type=float, default=0.03, help="share of mutants run through --export")
    parser.add_argument("--weights-share", type=float, default=0.25,
                        help="share of mutants whose tensor values are all read (the sidebar's path)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--verbose", action="store_true", help="print each failure as it happens")
    parser.add_argument("--family", action="append", default=[], help="only seeds of this corpus folder (repeatable)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    # Import what the readers use once, before forking, so each child starts warm.
    import litenetron.__main__  # noqa: F401
    from litenetron.formats import family_modules
    list(family_modules())
    for heavy in ("numpy", "onnx"):  # imported lazily by readers: a child importing them on a busy machine
        try:                         # would spend its time bound on the import, not on the mutant
            __import__(heavy)
        except ImportError:
            pass
    result = campaign(args.count, args.seed, args.timeout, args.memory_mb, args.export_share, args.weights_share,
                      args.verbose, tuple(args.family))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)
        for failure in result["failures"][:40]:
            print(f"  {failure['outcome']}: {failure['family']} {failure['mutation']} {failure['kept']}",
                  failure["detail"])
    bad = sum(counts.get(name, 0) for counts in result["table"].values() for name in ("crash", "hang", "oom"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

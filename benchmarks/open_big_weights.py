"""Opening a big weights file costs what its header costs: a Llama-7B-shaped safetensors (bf16, 13.5 GB) and
GGUF (Q4_K, 3.8 GB, with a 32,000-token vocabulary), written as sparse files in a temp folder.

Prints, per file: its size and header size, the time to read and parse just the header (json.loads for
safetensors; for GGUF a walk over its key/values and tensor infos), `open_model` in this process, and
`python -m litenetron FILE --info --json` (wall time and peak RSS, interpreter start included) next to the same
command on a tiny file for comparison.

    python benchmarks/open_big_weights.py [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

from measure import run_litenetron

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LAYERS, HIDDEN, FFN, VOCAB, KV = 32, 4096, 11008, 32000, 4096


def llama_tensors():
    """(safetensors name, GGUF name, numpy shape) of every tensor of a Llama-7B."""
    yield "model.embed_tokens.weight", "token_embd.weight", (VOCAB, HIDDEN)
    for i in range(LAYERS):
        for hf, gg, shape in (("input_layernorm", "attn_norm", (HIDDEN,)),
                              ("self_attn.q_proj", "attn_q", (HIDDEN, HIDDEN)),
                              ("self_attn.k_proj", "attn_k", (KV, HIDDEN)),
                              ("self_attn.v_proj", "attn_v", (KV, HIDDEN)),
                              ("self_attn.o_proj", "attn_output", (HIDDEN, HIDDEN)),
                              ("post_attention_layernorm", "ffn_norm", (HIDDEN,)),
                              ("mlp.gate_proj", "ffn_gate", (FFN, HIDDEN)),
                              ("mlp.up_proj", "ffn_up", (FFN, HIDDEN)),
                              ("mlp.down_proj", "ffn_down", (HIDDEN, FFN))):
            yield f"model.layers.{i}.{hf}.weight", f"blk.{i}.{gg}.weight", shape
    yield "model.norm.weight", "output_norm.weight", (HIDDEN,)
    yield "lm_head.weight", "output.weight", (VOCAB, HIDDEN)


def _count(shape) -> int:
    total = 1
    for dim in shape:
        total *= dim
    return total


def write_safetensors(path: Path) -> int:
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, _, shape in llama_tensors():
        size = _count(shape) * 2
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    with path.open("wb") as stream:
        stream.write(struct.pack("<Q", len(text)) + text)
        stream.truncate(8 + len(text) + offset)
    return 8 + len(text)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path) -> int:
    q4_k, f32 = 12, 0
    metadata = [_string("general.architecture") + struct.pack("<I", 8) + _string("llama"),
                _string("llama.block_count") + struct.pack("<II", 4, LAYERS),
                _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, VOCAB) +
                b"".join(_string(f"<token {i}>") for i in range(VOCAB))]
    infos, offset = [], 0
    for _, name, shape in llama_tensors():
        kind = f32 if len(shape) == 1 else q4_k
        size = _count(shape) * 4 if kind == f32 else _count(shape) // 256 * 144
        dims = tuple(reversed(shape))
        infos.append(_string(name) + struct.pack(f"<I{len(dims)}QIQ", len(dims), *dims, kind, offset))
        offset += -(-size // 32) * 32
    head = b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(metadata)) + b"".join(metadata) + b"".join(infos)
    head += bytes(-len(head) % 32)
    with path.open("wb") as stream:
        stream.write(head)
        stream.truncate(len(head) + offset)
    return len(head)


def header_only(path: Path) -> float:
    """Seconds to read and parse only the header, the floor any opener pays."""
    started = time.perf_counter()
    with path.open("rb") as stream:
        if path.suffix == ".safetensors":
            length = struct.unpack("<Q", stream.read(8))[0]
            json.loads(stream.read(length))
        else:  # walk the GGUF key/values and tensor infos
            data = stream.read(64 << 20)
            _, _, tensors, kvs = struct.unpack_from("<4sIQQ", data)
            at = 24
            for _ in range(kvs):
                at += 8 + struct.unpack_from("<Q", data, at)[0]
                kind = struct.unpack_from("<I", data, at)[0]
                at += 4
                if kind == 8:
                    at += 8 + struct.unpack_from("<Q", data, at)[0]
                elif kind == 4:
                    at += 4
                else:  # array of strings
                    _, count = struct.unpack_from("<IQ", data, at)
                    at += 12
                    for _ in range(count):
                        at += 8 + struct.unpack_from("<Q", data, at)[0]
            for _ in range(tensors):
                at += 8 + struct.unpack_from("<Q", data, at)[0]
                rank = struct.unpack_from("<I", data, at)[0]
                at += 4 + 8 * rank + 4 + 8
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the fastest is reported")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    from litenetron.formats import open_model

    folder = Path(tempfile.mkdtemp(prefix="litenetron-big-"))
    try:
        tiny = folder / "tiny.npy"
        tiny.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) +
                         b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }".ljust(117) + b"\n" + bytes(4))
        base_wall = min(run_litenetron(str(tiny), "--info", "--json")[0] for _ in range(args.runs))
        print(f"{'file':<18} {'size GB':>8} {'header MB':>9} {'header s':>9} {'open s':>7} {'CLI s':>6} "
              f"{'RSS MB':>7}  (CLI on a tiny .npy: {base_wall:.3f} s)")
        for name, writer in (("llama7b.safetensors", write_safetensors), ("llama7b_q4_k.gguf", write_gguf)):
            path = folder / name
            header_bytes = writer(path)
            parse = min(header_only(path) for _ in range(args.runs))
            opens = []
            for _ in range(args.runs):
                started = time.perf_counter()
                model = open_model(path)
                opens.append(time.perf_counter() - started)
            runs = [run_litenetron(str(path), "--info", "--json") for _ in range(args.runs)]
            assert all(run[2] == 0 for run in runs), runs[0][3]
            parameters = model.graphs[0].parameters()
            print(f"{name:<18} {path.stat().st_size / 1e9:8.2f} {header_bytes / 1e6:9.2f} {parse:9.3f} "
                  f"{min(opens):7.3f} {min(r[0] for r in runs):6.3f} {max(r[1] for r in runs):7.1f}  "
                  f"{parameters:,} parameters")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

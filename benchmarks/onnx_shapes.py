"""Our ONNX shape inference against `onnx.shape_inference` on onnx's own operator test models.

    python benchmarks/onnx_shapes.py [MODEL.onnx ...]

Without arguments it writes (once, cached under ~/.cache/litenetron-bench/onnx-node-tests) the ~1,900 models of
`onnx.backend.test.case.node` and compares every node output onnx types:
  same      our element type and shape are onnx's
  more      onnx leaves a dimension or the shape unknown and we know it (we fold small shape tensors)
  less      we leave unknown a dimension onnx knows
  conflict  both know a dimension (or the element type) and disagree
  missing   onnx types the value and we do not
Models with operators we have no rule for get onnx's shapes in the viewer (the fallback); they are counted apart.
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CACHE = Path.home() / ".cache" / "litenetron-bench" / "onnx-node-tests"


def node_test_models() -> list:
    if not CACHE.is_dir():
        import onnx
        from onnx.backend.test.case.node import collect_testcases

        for case in collect_testcases(None):
            if case.model is not None:
                (CACHE / case.name).mkdir(parents=True, exist_ok=True)
                onnx.save(case.model, str(CACHE / case.name / "model.onnx"))
    return sorted(CACHE.glob("*/model.onnx"))


def _outputs(graph, producers: dict) -> dict:
    for node in graph.node:
        for name in node.output:
            producers[name] = node.op_type
        for attribute in node.attribute:
            for body in ([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs):
                _outputs(body, producers)
    return producers


def compare(path: Path):
    """(Counter of verdicts, [(verdict, op, name, onnx's, ours)], operators without our rule) or None."""
    import onnx
    from onnx import shape_inference

    from litenetron.codecs.protobuf import decode
    from litenetron.formats.onnx_infer import infer_model
    from litenetron.formats.onnx_shapes import _collect
    from litenetron.formats.schemas.onnx import ONNX

    model = onnx.load(str(path), load_external_data=False)
    try:
        reference = {}
        _collect(shape_inference.infer_shapes(model, check_type=False, strict_mode=False).graph, reference, 0)
    except Exception:  # noqa: BLE001 - onnx refuses the model itself
        return None
    ours, unknown = infer_model(decode(path.read_bytes(), ONNX, "ModelProto"))
    verdicts, notes = collections.Counter(), []
    for name, op in _outputs(model.graph, {}).items():
        if name not in reference:
            continue
        (elem, shape), mine = reference[name], ours.get(name)
        if mine is None:
            verdict = "missing"
        elif elem and mine[0] != elem:
            verdict = "conflict"
        elif shape == mine[1]:
            verdict = "same"
        elif shape is None:
            verdict = "more"
        elif mine[1] is None or len(mine[1]) != len(shape):
            verdict = "less"
        elif any(a is not None and b is not None and a != b for a, b in zip(shape, mine[1])):
            verdict = "conflict"
        elif any(a is not None and b is None for a, b in zip(shape, mine[1])):
            verdict = "less"
        else:
            verdict = "more"
        verdicts[verdict] += 1
        if verdict not in ("same", "more"):
            notes.append((verdict, op, name, reference[name], mine))
    return verdicts, notes, unknown


def main(argv) -> int:
    paths = [Path(arg) for arg in argv] or node_test_models()
    covered, fallback = collections.Counter(), collections.Counter()
    models = collections.Counter()
    differences = []
    for path in paths:
        result = compare(path)
        if result is None:
            models["refused by onnx"] += 1
            continue
        verdicts, notes, unknown = result
        (fallback if unknown else covered).update(verdicts)
        models["with operators we have no rule for (onnx fallback)" if unknown else "fully ours"] += 1
        if not unknown:
            differences += [(path.parent.name, *note) for note in notes]
    print(f"{len(paths)} models: " + ", ".join(f"{count} {kind}" for kind, count in models.items()))
    print("| values | same | more | less | conflict | missing |")
    print("|---|---|---|---|---|---|")
    for label, counts in (("models fully ours", covered), ("models with a fallback", fallback)):
        print(f"| {label} | " + " | ".join(str(counts[key]) for key in
                                           ("same", "more", "less", "conflict", "missing")) + " |")
    for model, verdict, op, name, theirs, mine in differences:
        print(f"  {verdict}: {model}: {op} -> {name}: onnx {theirs}, ours {mine}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

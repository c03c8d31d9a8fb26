"""Edge label placement: a label that another tensor's edge crosses moves to a clear spot along its own route."""

from __future__ import annotations

import sys

from conftest import REPO, require_bench, require_corpus
from litenetron.layout import layout
from litenetron.layout.clearance import label_conflicts, label_rect, segment_crosses

sys.path.insert(0, str(REPO / "benchmarks"))
from label_crossings import bench_conflicts, scene_conflicts  # noqa: E402  (benchmarks/ is not a package)

# Five boxes where the label of 1 → 2, beside its trunk, sat across the edge 0 → 4 (found by a search over
# small random graphs on the placement before labels were moved).
SIZES = [(60.0, 30.0), (80.0, 30.0), (60.0, 30.0), (80.0, 30.0), (60.0, 30.0)]
EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (3, 4), (0, 4)]
LABELS = [(30.0, 12.0), None, (30.0, 12.0), None, (30.0, 12.0), None]


def conflicts(result, sizes, edges, labels):
    boxes = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2) for (x, y), (w, h) in zip(result.centers, sizes)]
    rects = [label_rect(spot, size) if spot is not None and size else None
             for spot, size in zip(result.label_positions, labels)]
    return label_conflicts(boxes, result.routes, [v for v, _ in edges], rects)


def test_segment_crossing_is_strict():
    rect = (0.0, 0.0, 10.0, 10.0)
    assert segment_crosses((-5, 5), (15, 5), rect)
    assert segment_crosses((5, -5), (5, 5), rect)
    assert not segment_crosses((0, -5), (0, 15), rect)      # along the border
    assert not segment_crosses((-5, 20), (20, 12), rect)    # passes below
    assert not segment_crosses((-5, 9), (4, 18), rect)      # cuts the corner's outside


def test_a_crossed_label_moves_to_a_clear_spot_next_to_its_edge():
    result = layout(SIZES, EDGES, label_sizes=LABELS)
    found = conflicts(result, SIZES, EDGES, LABELS)
    assert found.labels == 3
    assert (found.crossed, found.on_box, found.on_label) == (0, 0, 0)
    # still beside its own route: the label's rectangle touches a point of the route of 1 → 2 within a label
    x, y = result.label_positions[2]
    near = min(max(abs(px - x) - LABELS[2][0] / 2, abs(py - y) - LABELS[2][1] / 2, 0.0)
               for px, py in result.routes[2])
    assert near <= 10.0


def test_label_placement_is_deterministic():
    first = layout(SIZES, EDGES, label_sizes=LABELS)
    second = layout(list(SIZES), list(EDGES), label_sizes=list(LABELS))
    assert first.label_positions == second.label_positions


def test_no_label_of_densenet_is_crossed():
    """DenseNet-121's concatenations fan out over many layers: 85 labels were crossed before."""
    found, _ = bench_conflicts(require_bench() / "graphs" / "onnxtest_densenet121.json")
    assert found.labels == 1747
    assert (found.crossed, found.on_box, found.on_label) == (0, 0, 0)


def test_fewer_crossed_labels_on_corpus_models():
    from litenetron.formats import open_model
    from litenetron.render.fonts import PillowFonts
    from litenetron.scene import ViewOptions, build_scene

    corpus = require_corpus()
    measure = PillowFonts(2.0).measure
    # crossed labels before this placement: 9 and 34 (the rest have no clear spot that names their edge); no
    # label may be lost on the way
    for path, crossed, labels in (("onnx/generated/transformers/gpt2_tiny.onnx", 6, 167),
                                  ("tensorflow/Cireou__mnist/model.ckpt.meta", 23, 100)):
        graph = open_model(corpus / path).graphs[0]
        scene = build_scene(graph, ViewOptions(), measure)
        found = scene_conflicts(scene, measure)
        assert found.labels == labels
        assert found.crossed <= crossed, path
        again = build_scene(graph, ViewOptions(), measure)
        assert [(e.label_x, e.label_y) for e in again.edges] == [(e.label_x, e.label_y) for e in scene.edges]


def test_sample_labels_stay_clear():
    from litenetron.formats import open_model
    from litenetron.render.fonts import PillowFonts
    from litenetron.scene import ViewOptions, build_scene

    measure = PillowFonts(2.0).measure
    scene = build_scene(open_model(REPO / "litenetron" / "samples" / "resblock.onnx").graphs[0], ViewOptions(),
                        measure)
    found = scene_conflicts(scene, measure)
    assert found.labels > 0 and found.unclear == ()

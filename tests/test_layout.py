"""Layered layout: geometry invariants, determinism, hyperedge chains, the benchmark CLI contract."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from conftest import REPO, require_bench
from litenetron.layout import layout
from litenetron.layout.dummies import build_layered
from litenetron.layout.order import count_crossings, order_layers, tuck_feeders

EPS = 1e-6


def random_dag(seed: int, count: int = 40, extra: int = 30):
    """A connected random DAG in topological index order, with varied box sizes."""
    rng = random.Random(seed)
    sizes = [(rng.randint(30, 120), rng.randint(20, 80)) for _ in range(count)]
    edges = [(rng.randrange(0, w), w) for w in range(1, count)]
    for _ in range(extra):
        v = rng.randrange(0, count - 1)
        edges.append((v, rng.randrange(v + 1, count)))
    return sizes, edges


def overlaps(a, b, sa, sb) -> bool:
    return (abs(a[0] - b[0]) < (sa[0] + sb[0]) / 2 - EPS) and (abs(a[1] - b[1]) < (sa[1] + sb[1]) / 2 - EPS)


def assert_no_overlap(centers, sizes):
    for i in range(len(centers)):
        for j in range(i + 1, len(centers)):
            assert not overlaps(centers[i], centers[j], sizes[i], sizes[j]), (i, j)


def on_border(point, center, size) -> bool:
    dx, dy = abs(point[0] - center[0]), abs(point[1] - center[1])
    hw, hh = size[0] / 2, size[1] / 2
    inside = dx <= hw + 1e-6 and dy <= hh + 1e-6
    return inside and (abs(dx - hw) < 1e-6 or abs(dy - hh) < 1e-6)


def assert_routes_on_borders(result, sizes, edges):
    for (v, w), points in zip(edges, result.routes):
        assert len(points) >= 2
        assert on_border(points[0], result.centers[v], sizes[v]), (v, w, points[0])
        assert on_border(points[-1], result.centers[w], sizes[w]), (v, w, points[-1])


@pytest.mark.parametrize("seed", range(4))
def test_dag_edges_point_down_without_overlap(seed):
    sizes, edges = random_dag(seed)
    result = layout(sizes, edges)
    for v, w in edges:
        assert result.centers[w][1] > result.centers[v][1]
    assert_no_overlap(result.centers, sizes)
    assert_routes_on_borders(result, sizes, edges)
    for points in result.routes:
        ys = [y for _, y in points]
        assert ys == sorted(ys), "a route of a DAG edge runs downwards"
    # everything lies inside the reported box, which starts at the origin
    xs = [x for x, _ in result.centers]
    assert min(x - s[0] / 2 for x, s in zip(xs, sizes)) == pytest.approx(0, abs=1e-6) or min(
        p[0] for r in result.routes for p in r) == pytest.approx(0, abs=1e-6)
    for (x, y), (w, h) in zip(result.centers, sizes):
        assert x - w / 2 >= -EPS and x + w / 2 <= result.width + EPS
        assert y - h / 2 >= -EPS and y + h / 2 <= result.height + EPS


def test_minlen_spreads_layers():
    sizes = [(40, 20)] * 3
    result = layout(sizes, [(0, 1), (1, 2)], minlens=[3, 1], rank_separation=10)
    gap_long = result.centers[1][1] - result.centers[0][1]
    gap_short = result.centers[2][1] - result.centers[1][1]
    # two more (empty) layers, each adding a rank separation
    assert gap_long == pytest.approx(gap_short + 2 * 10)


def test_deterministic():
    sizes, edges = random_dag(7, count=60, extra=60)
    labels = [(30.0, 12.0) if i % 3 == 0 else None for i in range(len(edges))]
    first = layout(sizes, edges, label_sizes=labels)
    second = layout(list(sizes), list(edges), label_sizes=list(labels))
    assert first == second


def test_horizontal_swaps_axes():
    sizes, edges = random_dag(3)
    result = layout(sizes, edges, horizontal=True)
    for v, w in edges:
        assert result.centers[w][0] > result.centers[v][0]
    assert_no_overlap(result.centers, sizes)
    assert_routes_on_borders(result, sizes, edges)
    for (x, y), (w, h) in zip(result.centers, sizes):
        assert x + w / 2 <= result.width + EPS and y + h / 2 <= result.height + EPS


def test_cycles_self_loops_and_duplicates():
    sizes = [(60, 30)] * 5
    edges = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 3), (3, 4), (3, 4), (4, 1)]
    labels = [(20.0, 10.0)] * len(edges)
    result = layout(sizes, edges, label_sizes=labels)
    assert len(result.routes) == len(edges)
    assert_no_overlap(result.centers, sizes)
    assert_routes_on_borders(result, sizes, edges)
    assert result.routes[5] == result.routes[6], "duplicate edges share their route"
    assert all(spot is not None for spot in result.label_positions)
    # the forward edges of the cycle-free part still point down
    assert result.centers[3][1] > result.centers[2][1]
    assert result.centers[4][1] > result.centers[3][1]


def test_labels_stay_clear_of_boxes():
    sizes, edges = random_dag(11, count=30, extra=15)
    labels = [(45.0, 14.0)] * len(edges)
    result = layout(sizes, edges, label_sizes=labels)
    for spot, (lw, lh) in zip(result.label_positions, labels):
        assert spot[0] - lw / 2 >= -EPS and spot[0] + lw / 2 <= result.width + EPS
        assert spot[1] - lh / 2 >= -EPS and spot[1] + lh / 2 <= result.height + EPS
    assert_labels_clear(result, sizes, labels)
    horizontal = layout(sizes, edges, label_sizes=labels, horizontal=True)
    assert_labels_clear(horizontal, sizes, labels)


def assert_labels_clear(result, sizes, labels):
    spots = {}
    for spot, size in zip(result.label_positions, labels):
        if size:
            assert spot is not None
            spots[spot] = size
    items = list(spots.items())
    for k, (spot, size) in enumerate(items):
        for center, box in zip(result.centers, sizes):
            assert not overlaps(spot, center, size, box)
        for other, other_size in items[k + 1:]:
            assert not overlaps(spot, other, size, other_size)


def test_labels_of_several_tensors_from_one_node():
    # a node with three outputs (three tensors), each read by two consumers, plus a back edge
    sizes = [(80, 30)] + [(50, 20)] * 6
    edges = [(0, 1 + k) for k in range(6)] + [(6, 0)]
    groups = [k // 2 for k in range(6)] + [9]
    labels = [(40.0 + 5 * group, 12.0) for group in groups]
    result = layout(sizes, edges, label_sizes=labels, edge_groups=groups)
    assert_no_overlap(result.centers, sizes)
    assert_routes_on_borders(result, sizes, edges)
    assert_labels_clear(result, sizes, labels)
    # one spot per tensor: the two consumers of a tensor share it
    assert result.label_positions[0][1] == result.label_positions[1][1]
    assert len({result.label_positions[k][1] for k in range(6)}) == 3


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_with_cycles_groups_and_labels(seed):
    """Arbitrary graphs (cycles, self-loops, duplicates, minlen, tensor groups, labels, both directions)."""
    rng = random.Random(seed)
    count = rng.randint(1, 60)
    sizes = [(rng.randint(1, 150), rng.randint(1, 90)) for _ in range(count)]
    edges = [(rng.randrange(count), rng.randrange(count)) for _ in range(rng.randint(0, 3 * count))]
    groups = [rng.randrange(4) for _ in edges] if seed % 2 else None
    tensor_label = {}
    labels = []
    for k, (v, _) in enumerate(edges):
        key = (groups[k] if groups else v, v)
        if key not in tensor_label:    # one label size per tensor, as a scene measures it
            tensor_label[key] = (rng.randint(5, 80), rng.randint(8, 20)) if rng.random() < 0.5 else None
        labels.append(tensor_label[key])
    minlens = [rng.randint(1, 3) for _ in edges]
    for horizontal in (False, True):
        result = layout(sizes, edges, label_sizes=labels, edge_groups=groups, horizontal=horizontal,
                        minlens=minlens)
        assert len(result.centers) == count and len(result.routes) == len(edges)
        assert_no_overlap(result.centers, sizes)
        assert_routes_on_borders(result, sizes, edges)
        assert_labels_clear(result, sizes, labels)


def test_shared_tensor_keeps_dummies_linear():
    # a main chain of 1000 nodes; node 0's output (one tensor) feeds every 5th node: 200 consumers
    count = 1000
    sizes = [(50.0, 20.0)] * count
    edges = [(i, i + 1) for i in range(count - 1)]
    edges += [(0, i) for i in range(5, count, 5)]
    result = layout(sizes, edges)
    assert_no_overlap(result.centers, sizes)
    ranks = [i for i in range(count)]
    dag = [(v, w) for v, w in edges]
    graph = build_layered(count, ranks, dag, [v for v, _ in dag])
    # one chain down to the deepest consumer: fewer dummies than layers, not 200 times that
    assert graph.size - count < count
    # every consumer's route follows the straight chain: few bends (a kept dummy gives the top and bottom of
    # its layer), not one point per layer
    assert max(len(points) for points in result.routes) <= 10


def test_crossing_reduction_untangles():
    # two parallel chains whose initial order is crossed at every step
    count = 20
    ranks = [i // 2 for i in range(count)]
    edges = []
    for i in range(0, count - 2, 2):
        edges += [(i, i + 3), (i + 1, i + 2)]
    graph = build_layered(count, ranks, edges, list(range(len(edges))))
    order_layers(graph)
    assert count_crossings(graph) == 0


def test_cli_contract(tmp_path):
    graph = {
        "nodes": [{"id": "in", "width": 60, "height": 30}, {"id": "a", "width": 80, "height": 40},
                  {"id": "b", "width": 80, "height": 40}, {"id": "out", "width": 60, "height": 30}],
        "edges": [{"v": "in", "w": "a", "minlen": 2, "labelwidth": 40, "labelheight": 13},
                  {"v": "a", "w": "b"}, {"v": "in", "w": "b"}, {"v": "b", "w": "out"}],
    }
    source, target = tmp_path / "g.json", tmp_path / "p.json"
    source.write_text(json.dumps(graph))
    done = subprocess.run([sys.executable, "-m", "litenetron.layout", str(source), str(target)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["seconds"] >= 0
    positions = json.loads(target.read_text())
    assert set(positions["nodes"]) == {"in", "a", "b", "out"}
    for node in graph["nodes"]:
        placed = positions["nodes"][node["id"]]
        assert (placed["width"], placed["height"]) == (node["width"], node["height"])
    assert [(e["v"], e["w"]) for e in positions["edges"]] == [(e["v"], e["w"]) for e in graph["edges"]]
    nodes = positions["nodes"]
    for edge in positions["edges"]:
        first, last = edge["points"][0], edge["points"][-1]
        v, w = nodes[edge["v"]], nodes[edge["w"]]
        assert on_border(first, (v["x"], v["y"]), (v["width"], v["height"]))
        assert on_border(last, (w["x"], w["y"]), (w["width"], w["height"]))
    assert nodes["a"]["y"] - nodes["in"]["y"] > nodes["b"]["y"] - nodes["a"]["y"], "minlen 2 is honoured"


def test_real_graph_from_bench():
    bench = require_bench()
    graph = json.loads((bench / "graphs" / "resnet50.json").read_text())
    index = {node["id"]: i for i, node in enumerate(graph["nodes"])}
    sizes = [(node["width"], node["height"]) for node in graph["nodes"]]
    edges = [(index[e["v"]], index[e["w"]]) for e in graph["edges"]]
    labels = [(e["labelwidth"], e.get("labelheight", 13)) if e.get("labelwidth") else None for e in graph["edges"]]
    result = layout(sizes, edges, label_sizes=labels, minlens=[e.get("minlen", 1) for e in graph["edges"]])
    assert_no_overlap(result.centers, sizes)
    assert_routes_on_borders(result, sizes, edges)
    for v, w in edges:
        assert result.centers[w][1] > result.centers[v][1]
    # as many layers as the longest path needs (Netron's layout uses 120 here), not a single column
    assert len({round(y, 1) for _, y in result.centers}) <= 126
    assert result.width < 4 * max(w for w, _ in sizes)


def _route_points_inside_boxes(result, sizes, edges, step: float = 2.0) -> int:
    """How many sampled points of all routes lie inside a box other than the edge's own two."""
    inside = 0
    for (v, w), points in zip(edges, result.routes):
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            steps = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) / step))
            for k in range(steps + 1):
                x, y = x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps
                inside += any(abs(x - cx) < bw / 2 - 1 and abs(y - cy) < bh / 2 - 1
                              for b, ((cx, cy), (bw, bh)) in enumerate(zip(result.centers, sizes))
                              if b not in (v, w))
    return inside


def test_routes_do_not_cut_through_boxes():
    # a residual block: the skip edge runs beside a column of boxes of different widths and heights
    sizes = [(60.0, 20.0), (120.0, 40.0), (200.0, 90.0), (60.0, 20.0), (120.0, 40.0), (200.0, 90.0),
             (60.0, 20.0)]
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (0, 6)]
    result = layout(sizes, edges, label_sizes=[(80.0, 12.0)] * len(edges))
    assert _route_points_inside_boxes(result, sizes, edges) == 0


def test_bench_graph_routes_do_not_cut_through_boxes():
    graph = json.loads((require_bench() / "graphs" / "resnet50.json").read_text())
    ids = {node["id"]: index for index, node in enumerate(graph["nodes"])}
    sizes = [(node["width"], node["height"]) for node in graph["nodes"]]
    edges = [(ids[edge["v"]], ids[edge["w"]]) for edge in graph["edges"]]
    assert _route_points_inside_boxes(layout(sizes, edges), sizes, edges) == 0


def readers_graph(blocks: int = 8, readers: int = 2, step: int = 5):
    """A column of blocks; constants (the last `readers` nodes, one per rank above the column) are read by
    every block, the first constant at the block's first node, the second at its second node..."""
    column = blocks * step
    count = column + readers
    edges = [(i, i + 1) for i in range(column - 1)]
    for r in range(readers):
        edges += [(column + r, k * step + 1 + r) for k in range(blocks)]
    ranks = [readers + i for i in range(column)] + list(range(readers))
    return count, ranks, edges


def test_many_depth_tensor_splits_into_early_and_late_chains():
    count, ranks, edges = readers_graph()
    keys = [v for v, _ in edges]
    single = build_layered(count, ranks, edges, keys)
    assert len(single.chains) == len(set(keys))
    split = build_layered(count, ranks, edges, keys, split_budget=1000)
    assert len(split.chains) == len(single.chains) + 2
    a = count - 2    # the first constant
    pieces = [chain for chain in split.chains if chain[0] == a]
    assert len(pieces) == 2
    early, late = sorted(pieces, key=len)
    depths = sorted({ranks[w] - ranks[v] - 1 for v, w in edges if v == a})
    # the early chain runs down to the median consumer depth, the late one to the deepest
    assert len(early) - 1 == depths[(len(depths) - 1) // 2]
    assert len(late) - 1 == depths[-1]
    for j, (v, w) in enumerate(edges):
        assert split.path(j, w)[0] == v and split.rank[split.path(j, w)[-2]] == ranks[w] - 1
    # the extra dummies stay within the budget; a budget below one split's cost splits nothing
    assert split.size - single.size <= 1000
    assert len(build_layered(count, ranks, edges, keys, split_budget=5).chains) == len(single.chains)


def test_split_chains_cross_less():
    # three constants read by every block: two of their chains share a side of the column
    count, ranks, edges = readers_graph(blocks=10, readers=3)
    keys = [v for v, _ in edges]
    found = []
    for budget in (0, 1000):
        graph = build_layered(count, ranks, edges, keys, split_budget=budget)
        order_layers(graph)
        found.append(count_crossings(graph))
    assert found[1] < found[0]


def test_constant_fans_sit_on_the_outer_side():
    # two columns (a shortcut and a main branch) meet at a sum; each column's second node has four constant
    # feeders: the left column's constants go to its left, the right column's to its right, so the two
    # columns stay close together
    sizes = [(60.0, 30.0)] * 6 + [(100.0, 30.0)] * 8
    edges = [(0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5)]
    edges += [(6 + k, 3) for k in range(4)] + [(10 + k, 4) for k in range(4)]
    result = layout(sizes, edges)
    assert_no_overlap(result.centers, sizes)
    xs = [x for x, _ in result.centers]
    left, right = sorted((3, 4), key=xs.__getitem__)
    left_fan, right_fan = (range(6, 10), range(10, 14)) if left == 3 else (range(10, 14), range(6, 10))
    assert all(xs[c] < xs[left] for c in left_fan)
    assert all(xs[c] > xs[right] for c in right_fan)
    # nothing between the two columns but their separation
    assert xs[right] - xs[left] < 60.0 + 2 * 20.0
    # a layer whose new order would add crossings keeps its order: feeder 1 of node 3 would move left of
    # node 0, whose edge to node 2 it would then cross
    graph = build_layered(4, [0, 0, 1, 1], [(0, 2), (0, 3), (1, 3)], [0, 1, 2])
    graph.layers = [[0, 1], [2, 3]]
    tuck_feeders(graph)
    assert graph.layers == [[0, 1], [2, 3]]


def test_chain_placement_work_is_bounded_on_wide_graphs(monkeypatch):
    # Regression from fuzzing: a TensorFlow training graph (2,000 boxes in wide layers) spent 11 s placing
    # chains, because the work budget counted chain lengths but not the widths of the layers recounted.
    from litenetron.layout import order

    visited = []
    counted = order._chain_crossings

    def counting(layers, chain, first, down, down_w, pos, incoming):
        visited.append(sum(len(layers[first + k]) + sum(len(down[u]) for u in layers[first + k])
                           for k in range(len(chain))))
        return counted(layers, chain, first, down, down_w, pos, incoming)

    monkeypatch.setattr(order, "_chain_crossings", counting)
    rng = random.Random(3)
    width, depth = 150, 30
    count = width * depth
    edges = [(r * width + i, (r + 1) * width + rng.randrange(width)) for r in range(depth - 1) for i in range(width)]
    edges += [(rng.randrange(width), (depth - 1) * width + rng.randrange(width)) for _ in range(60)]  # long chains
    result = layout([(40.0, 20.0)] * count, edges)
    assert len(result.centers) == count
    assert visited, "chain placement did not run"
    assert sum(visited) <= order.CHAIN_WORK * order.PLACEMENTS


def layered_random_graph(seed: int):
    """The phases up to the coordinates, run by hand on a random graph with cycles, duplicates, minlens and
    shared tensors: the LayeredGraph as the routes and labels receive it, plus the input edges."""
    from litenetron.layout.acyclic import back_edges
    from litenetron.layout.position import horizontal_positions, vertical_positions
    from litenetron.layout.rank import rank_nodes

    rng = random.Random(seed)
    count = rng.randint(2, 70)
    sizes = [(rng.randint(1, 150), rng.randint(1, 90)) for _ in range(count)]
    edges = [(rng.randrange(count), rng.randrange(count)) for _ in range(rng.randint(1, 3 * count))]
    normal = [i for i, (v, w) in enumerate(edges) if v != w]
    flipped = back_edges(count, [edges[i] for i in normal])
    dag = [(edges[i][1], edges[i][0]) if f else edges[i] for i, f in zip(normal, flipped)]
    keys = [(f, i if f else v) for (v, _), i, f in zip(dag, normal, flipped)]
    key_ids = {}
    group_ids = [key_ids.setdefault(key, len(key_ids)) for key in keys]
    ranks = rank_nodes(count, [(v, w, rng.randint(1, 3)) for v, w in dag], group_ids)
    graph = build_layered(count, ranks, dag, group_ids, count, origin=normal, flipped=flipped)
    order_layers(graph)
    tuck_feeders(graph)
    half = [w / 2 for w, _ in sizes] + [0.0] * (graph.size - count)
    graph.half_w = half
    graph.half_h = [h / 2 for _, h in sizes] + [0.0] * (graph.size - count)
    horizontal_positions(graph, half, half, 20.0, 10.0)
    vertical_positions(graph, [15.0] * (len(graph.layers) - 1))
    return graph, edges


@pytest.mark.parametrize("seed", range(10))
def test_layered_graph_invariants(seed):
    graph, edges = layered_random_graph(seed)
    size, rank = graph.size, graph.rank
    # every vertex stands in exactly one layer, the layer of its rank
    placed = sorted(v for layer in graph.layers for v in layer)
    assert placed == list(range(size))
    for r, layer in enumerate(graph.layers):
        assert all(rank[v] == r for v in layer)
    # unit steps, stored on both ends with the same weight
    for v in range(size):
        assert len(set(graph.down[v])) == len(graph.down[v])
        for w, weight in zip(graph.down[v], graph.down_w[v]):
            assert rank[w] == rank[v] + 1
            assert graph.up_w[w][graph.up[w].index(v)] == weight
    assert sum(map(len, graph.up)) == sum(map(len, graph.down))
    # a chain is its source and then its own dummies one layer apart; every dummy is in exactly one chain
    owners = [0] * size
    for chain in graph.chains:
        assert chain[0] < graph.count and all(d >= graph.count for d in chain[1:])
        assert [rank[d] for d in chain] == list(range(rank[chain[0]], rank[chain[0]] + len(chain)))
        for d in chain[1:]:
            owners[d] += 1
    assert owners[graph.count:] == [1] * (size - graph.count)
    # each layered edge stands for one input edge and runs along steps whose weight counts it
    used = {}
    assert len(graph.edges) == len(graph.origin) == len(graph.flipped)
    for j, (upper, lower) in enumerate(graph.edges):
        v, w = edges[graph.origin[j]]
        assert (upper, lower) == ((w, v) if graph.flipped[j] else (v, w))
        assert graph.source(j) == v
        path = graph.path(j, lower)
        assert path[0] == upper and path[-1] == lower
        for a, b in zip(path, path[1:]):
            assert b in graph.down[a]
            used[a, b] = used.get((a, b), 0) + 1
    for v in range(size):
        for w, weight in zip(graph.down[v], graph.down_w[v]):
            assert used.get((v, w)) == weight
    # coordinates: left to right in layer order without overlap, y from the layer
    for layer in graph.layers:
        for a, b in zip(layer, layer[1:]):
            assert graph.x[b] - graph.x[a] >= graph.half_w[a] + graph.half_w[b] - EPS
    assert graph.y == [graph.layer_y[r] for r in rank]
    for v in range(graph.count):
        assert 2 * graph.half_h[v] <= graph.layer_height[rank[v]]


def brute_force_crossings(graph) -> int:
    """Weighted crossings between neighbouring layers, every pair of steps compared."""
    pos = graph.positions()
    total = 0
    for layer in graph.layers:
        steps = [(pos[v], pos[w], weight) for v in layer for w, weight in zip(graph.down[v], graph.down_w[v])]
        for k, (a, b, x) in enumerate(steps):
            for c, d, y in steps[k + 1:]:
                if (a - c) * (b - d) < 0:
                    total += x * y
    return total


@pytest.mark.parametrize("seed", range(16))
def test_crossing_count_equals_brute_force(seed):
    graph, _ = layered_random_graph(seed)
    assert count_crossings(graph) == brute_force_crossings(graph)
    # and on a shuffled order, where crossings abound
    rng = random.Random(seed)
    for layer in graph.layers:
        rng.shuffle(layer)
    assert count_crossings(graph) == brute_force_crossings(graph)


def brute_force_chain_crossings(graph, chain) -> int:
    """Weighted crossings between the steps leaving a chain's vertices and every other step of the same
    layer pairs, every pair compared."""
    pos = graph.positions()
    total = 0
    for c in chain:
        layer = graph.layers[graph.rank[c]]
        for y, wy in zip(graph.down[c], graph.down_w[c]):
            for u in layer:
                if u == c:
                    continue
                for x, wx in zip(graph.down[u], graph.down_w[u]):
                    if (pos[u] - pos[c]) * (pos[x] - pos[y]) < 0:
                        total += wx * wy
    return total


@pytest.mark.parametrize("seed", range(12))
def test_chain_crossing_count_equals_brute_force(seed):
    # the shortcut count (only the shorter side of each chain vertex visited) on every chain, in the
    # ordered layers and in shuffled ones, where chain vertices stand anywhere in their layers
    from litenetron.layout.order import _chain_crossings

    graph, _ = layered_random_graph(seed)
    incoming = [sum(weights) for weights in graph.up_w]
    rng = random.Random(seed)
    for attempt in range(2):
        if attempt:
            for layer in graph.layers:
                rng.shuffle(layer)
        pos = graph.positions()
        for chain in graph.chains:
            found = _chain_crossings(graph.layers, chain, graph.rank[chain[0]], graph.down, graph.down_w, pos,
                                     incoming)
            assert found == brute_force_chain_crossings(graph, chain)


def test_layout_restores_the_garbage_collector_state():
    # the layout pauses the cyclic collector while it runs and must leave it as it found it
    import gc

    sizes, edges = random_dag(2)
    assert gc.isenabled()
    layout(sizes, edges)
    assert gc.isenabled()
    gc.disable()
    try:
        layout(sizes, edges)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError):
        layout(sizes, [(0, len(sizes))])
    assert gc.isenabled()

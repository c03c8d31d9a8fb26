"""Headless export: a model's graph drawn to a PNG or SVG file (the CLI's `--export` and File ▸ Export)."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path
from typing import Optional, Set, Tuple, Union

from ..model import Graph, Model, ModelError
from ..scene import Scene, ViewOptions, build_scene

# `--expand`: "all" draws every group open (flat, as without groups); a number N opens groups down to depth N
# (0: every top-level group collapsed); "auto" is the window's rule (flat when small, else collapsed to ≤ 300
# boxes).
EXPAND_CHOICES = "auto, all or a depth (0, 1, 2, …)"

FORMATS = (".png", ".svg")


def _check_suffix(path: Union[str, Path]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ModelError(path, f"cannot export to '{suffix or 'no extension'}': name the file .png or .svg")
    return suffix


def select_graph(model: Model, choice: Union[str, int, None]) -> Graph:
    """The graph (or function) named `choice`, else the graph at index `choice` (0-based); the first graph when
    `choice` is None."""
    if not model.graphs:
        raise ModelError(model.path, "the model holds no graph to draw")
    if choice is None or choice == "":
        return model.graphs[0]
    for graph in [*model.graphs, *model.functions]:
        if graph.name == str(choice):
            return graph
    try:
        index = int(choice)
    except ValueError:
        index = None
    if index is not None and 0 <= index < len(model.graphs):
        return model.graphs[index]
    names = ", ".join(f"{number}: {graph.name or '(unnamed)'}" for number, graph in enumerate(model.graphs))
    raise ModelError(model.path, f"no graph '{choice}' (the model has {names})")


def options_from_args(args: Namespace) -> ViewOptions:
    return ViewOptions(show_attributes=bool(getattr(args, "show_attributes", False)),
                       show_weights=not getattr(args, "hide_weights", False),
                       show_names=bool(getattr(args, "show_names", False)),
                       horizontal=bool(getattr(args, "horizontal", False)))


def grouped_export_scene(graph: Graph, options: ViewOptions, measure, expand: Union[str, int, None],
                         expanded: Optional[Set[Tuple[str, ...]]] = None) -> Scene:
    """The scene an export draws: `expanded` (the window's collapse state) when given, else by `expand`."""
    from ..grouped_scene import GroupedLayout
    from ..groups import build_tree, default_expansion

    if expanded is None and expand == "all":
        return build_scene(graph, options, measure)
    tree = build_tree(graph)
    if expanded is None:
        expanded = default_expansion(tree) if expand in (None, "auto") else tree.level(int(expand))
    if expanded is None or not tree.root.groups():
        return build_scene(graph, options, measure)
    return GroupedLayout(tree, options, measure).scene(expanded)


def parse_expand(text: Optional[str]) -> Union[str, int]:
    """`--expand` value: "auto", "all" or a depth ≥ 0."""
    if text is None or text in ("auto", "all"):
        return text or "auto"
    if text.isdigit():
        return int(text)
    raise ModelError("--expand", f"'{text}' is not one of {EXPAND_CHOICES}")


def export_graph(graph: Graph, path: Union[str, Path], options: ViewOptions, scale: float = 2.0,
                 expand: Union[str, int, None] = "all", expanded: Optional[Set[Tuple[str, ...]]] = None) -> None:
    """Draw `graph` into `path` (.png at `scale` pixels per unit, or .svg), laid out with Pillow's font metrics;
    groups collapsed as `expanded` says (the window's state) or by the `expand` rule."""
    from .fonts import PillowFonts, svg_fonts

    suffix = _check_suffix(path)
    if suffix == ".png" and not scale > 0:
        raise ModelError(path, f"the scale must be positive, not {scale}")
    if suffix == ".png":
        try:
            import PIL.Image  # noqa: F401
        except ImportError:
            raise ModelError(path, "PNG export needs Pillow (pip install pillow); SVG export works without it") \
                from None
    measure = (PillowFonts(scale) if suffix == ".png" else svg_fonts()).measure
    scene = grouped_export_scene(graph, options, measure, expand, expanded)
    try:
        if suffix == ".png":
            from .png import render_png

            render_png(scene, path, scale)
        else:
            from .svg import render_svg

            render_svg(scene, path)
    except BaseException:
        # No half-written picture is left behind (interrupted, disk full, ...).
        Path(path).unlink(missing_ok=True)
        raise


def export_model(model: Model, path: Union[str, Path], args: Namespace) -> None:
    """`--export`: the graph chosen with `--graph` drawn with the view options given on the command line."""
    _check_suffix(path)
    graph = select_graph(model, getattr(args, "graph", None))
    scale = getattr(args, "scale", None)
    export_graph(graph, path, options_from_args(args), 2.0 if scale is None else float(scale),
                 expand=parse_expand(getattr(args, "expand", None)))

"""Command line: `python -m litenetron [MODEL] [--info [--json]] [--export OUT.png|.svg] ...`."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import List, Optional

from . import __version__
from .model import ModelError, internal_error_message

SAMPLE_MODEL = Path(__file__).with_name("samples") / "resblock.onnx"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="litenetron", description="View neural-network models: a window, a summary or a picture.")
    parser.add_argument("model", nargs="?", help="model file or folder to open")
    parser.add_argument("other", nargs="?", help="with --diff: the model to compare MODEL with")
    parser.add_argument("--sample", action="store_true", help="open the bundled sample model")
    parser.add_argument("--version", action="version", version=f"litenetron {__version__}")
    parser.add_argument("--info", action="store_true", help="print a summary of the model and exit")
    parser.add_argument("--json", action="store_true", help="with --info or --diff: print JSON")
    parser.add_argument("--diff", action="store_true", help="compare MODEL with OTHER: matched, added, removed "
                        "and changed nodes, weight changes")
    parser.add_argument("--set", metavar="SYMBOL=SIZE", action="append", default=[],
                        help="bind a symbolic dimension for the cost figures (e.g. --set seq=128)")
    parser.add_argument("--export", metavar="OUT", help="draw the graph to OUT.png or OUT.svg and exit")
    parser.add_argument("--graph", metavar="NAME_OR_INDEX", help="which graph to draw (default: the first)")
    parser.add_argument("--horizontal", action="store_true", help="lay the graph out left to right")
    parser.add_argument("--show-attributes", action="store_true", help="list attributes inside the boxes")
    parser.add_argument("--show-names", action="store_true", help="label boxes and edges with names")
    parser.add_argument("--hide-weights", action="store_true", help="do not list weights inside the boxes")
    parser.add_argument("--expand", metavar="all|N|auto",
                        help="with --export: draw every group open (all), open down to depth N (0: all "
                             "collapsed), or as the window opens the graph (auto, the default)")
    parser.add_argument("--scale", type=float, default=2.0, help="PNG pixel scale (default 2)")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    return parser


def _fail(message: str) -> int:
    print(f"litenetron: error: {message}", file=sys.stderr)
    return 1


def _symbols(bindings: List[str]) -> dict:
    symbols = {}
    for binding in bindings:
        name, _, size = binding.partition("=")
        if not name.strip() or not size.strip().isdigit():
            raise ValueError(f"--set wants SYMBOL=SIZE, not {binding!r}")
        symbols[name.strip()] = int(size)
    return symbols


def _diff(args, symbols: dict) -> int:
    from .analysis.diff import diff_graphs, diff_summary, diff_text
    from .formats import open_model
    path = args.model
    try:
        a = open_model(path)
        path = args.other
        b = open_model(path)
        diff = diff_graphs(a.graphs[0], b.graphs[0]) if a.graphs and b.graphs else None
    except ModelError as error:
        return _fail(str(error).replace("\n", " "))
    except Exception as error:  # noqa: BLE001 - anything else is a bug, reported as one
        return _internal_error(path, error, "comparing", args.debug)
    if diff is None:
        return _fail("a model holds no graph to compare")
    if args.json:
        import json
        print(json.dumps({"a": a.path, "b": b.path, **diff_summary(diff)}, indent=2))
    else:
        print(f"A: {a.path} ({a.format})\nB: {b.path} ({b.format})\n{diff_text(diff)}")
    return 0


def _internal_error(path: str, error: BaseException, doing: str, debug: bool) -> int:
    """A bug of ours: one line that says so (the traceback too with --debug), exit status 2."""
    if debug:
        traceback.print_exception(type(error), error, error.__traceback__)
    print(f"litenetron: {internal_error_message(path, error, doing)}", file=sys.stderr)
    return 2


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        symbols = _symbols(args.set)
    except ValueError as error:
        return _fail(str(error))
    if args.diff:
        if not (args.model and args.other):
            return _fail("--diff compares two models: give MODEL and OTHER")
        return _diff(args, symbols)
    if args.other:
        return _fail(f"unexpected second model {args.other!r} (did you mean --diff?)")
    path = str(SAMPLE_MODEL) if args.sample else args.model
    if path is None:
        if args.info or args.export:
            return _fail("give a MODEL file (or --sample)")
        from .app import run_app
        return run_app(None)
    if not (args.info or args.export):
        from .app import run_app
        return run_app(path)
    from .formats import open_model
    doing = "reading"
    try:
        model = open_model(path)
        if args.info:
            doing = "summarising"
            from .info import info_json, info_text
            print(info_json(model, symbols) if args.json else info_text(model, symbols))
        if args.export:
            doing = "exporting"
            from .render.export import export_model
            export_model(model, args.export, args)
    except ModelError as error:
        return _fail(str(error).replace("\n", " "))
    except OSError as error:
        return _fail(f"{error.filename or path}: {error.strerror or error}")
    except Exception as error:  # noqa: BLE001 - anything else is a bug, reported as one
        return _internal_error(path, error, doing, args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: `python -m litenetron [MODEL] [--info [--json]] [--export OUT.png|.svg] ...`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from . import __version__
from .model import ModelError

SAMPLE_MODEL = Path(__file__).with_name("samples") / "resblock.onnx"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="litenetron", description="View neural-network models: a window, a summary or a picture.")
    parser.add_argument("model", nargs="?", help="model file or folder to open")
    parser.add_argument("--sample", action="store_true", help="open the bundled sample model")
    parser.add_argument("--version", action="version", version=f"litenetron {__version__}")
    parser.add_argument("--info", action="store_true", help="print a summary of the model and exit")
    parser.add_argument("--json", action="store_true", help="with --info: print the summary as JSON")
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
    return parser


def _fail(message: str) -> int:
    print(f"litenetron: error: {message}", file=sys.stderr)
    return 1


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
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
    try:
        model = open_model(path)
        if args.info:
            from .info import info_json, info_text
            print(info_json(model) if args.json else info_text(model))
        if args.export:
            from .render.export import export_model
            export_model(model, args.export, args)
    except ModelError as error:
        return _fail(str(error).replace("\n", " "))
    except OSError as error:
        return _fail(f"{error.filename or path}: {error.strerror or error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

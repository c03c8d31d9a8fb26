"""Format registry: find the reader for a file and open it into the common model.

Detection is layered like Netron's: each family module exposes `match(path, header) -> bool`, which looks at
the file name, magic bytes and, for protobuf files, a cheap peek at the top-level field signature; only the
family that claims the file parses it with `read(path) -> Model`. Files that are clearly not models get an
error that says what they are.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Dict, List, Tuple, Union

from ..gc_pause import collector_paused
from ..model import DECODE_ERRORS, Model, ModelError

# Family modules, most specific first: a module earlier in the list wins a file that several would claim.
FAMILIES = (
    "gguf",
    "safetensors",
    "npy",
    "ort",
    "openvino",
    "ncnn",
    "onnx",
    "coreml",
    "tfjs",
    "paddle",
    "darknet",
    "mxnet",
    "keras",
    "tnn",
    "tflite",
    "executorch",
    "mnn",
    "barracuda",
    "tensorflow",
    "caffe",
    "torch.export",
    "torch.torchscript",
    "torch.pytorch",
)

HEADER_SIZE = 4096

_NON_MODELS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an ELF executable or library"),
    (b"MZ", "a Windows executable"),
    (b"version https://git-lfs", "a Git LFS pointer (the model itself was never downloaded)"),
    (b"\x1f\x8b", "a gzip archive (unpack it first)"),
    (b"BZh", "a bzip2 archive (unpack it first)"),
    (b"\xfd7zXZ", "an xz archive (unpack it first)"),
    (b"7z\xbc\xaf", "a 7-Zip archive (unpack it first)"),
    (b"Rar!", "a RAR archive (unpack it first)"),
)


def read_header(path: Path, size: int = HEADER_SIZE) -> bytes:
    if path.is_dir():
        return b""
    with path.open("rb") as stream:
        return stream.read(size)


def _describe_non_model(path: Path, header: bytes) -> str:
    """Why a file no reader claimed is not a model, as precisely as its first bytes tell."""
    if path.is_dir():
        return "is a folder that holds no model this viewer knows"
    if not header:
        return "file is empty"
    for magic, what in _NON_MODELS:
        if header.startswith(magic):
            return f"file is {what}, not a model"
    text = header.lstrip()[:64].lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "file is an HTML page, not a model (was a web page saved instead of the file?)"
    if header.startswith(b"PK\x03\x04") or header.startswith(b"PK\x05\x06"):
        return "file is a zip archive that holds no model this viewer knows"
    return "file is not a model in any supported format"


def family_modules():
    for name in FAMILIES:
        yield importlib.import_module(f"{__name__}.{name}")


def file_types() -> List[Tuple[str, Tuple[str, ...]]]:
    """(display name, extensions or file names) per family, in registry order; families sharing a name
    (PyTorch pickles and TorchScript) are one entry. Each family module declares `NAME` and `EXTENSIONS`."""
    merged: Dict[str, List[str]] = {}
    for module in family_modules():
        entry = merged.setdefault(module.NAME, [])
        entry.extend(extension for extension in module.EXTENSIONS if extension not in entry)
    return [(name, tuple(extensions)) for name, extensions in merged.items()]


def open_model(path: Union[str, Path]) -> Model:
    """Open a model file (or model folder) of any supported format.

    A file that cannot be read raises ModelError; any other exception is a bug in a reader and propagates
    (the CLI and the app report it as an internal error)."""
    path = Path(path)
    try:
        if not path.exists():
            raise ModelError(path, "no such file")
        header = read_header(path)
    except OSError as error:
        raise ModelError(path, error.strerror or str(error)) from None
    for module in family_modules():
        family = module.__name__.rsplit(".", 1)[-1]
        try:
            # match() must not raise on junk; a decode error there still only means "not this family",
            # but any other exception is a bug and propagates.
            try:
                claimed = module.match(path, header)
            except DECODE_ERRORS:
                claimed = False
            if not claimed:
                continue
            with collector_paused():
                model = module.read(path)
        except ModelError:
            raise
        except OSError as error:
            raise ModelError(path, error.strerror or str(error)) from error
        except RecursionError as error:
            raise ModelError(path, "structure is nested too deeply") from error
        except MemoryError as error:
            raise ModelError(path, "ran out of memory reading it (it declares sizes too large to read)") from error
        except DECODE_ERRORS as error:
            raise ModelError(path, f"malformed {family} file ({error})") from error
        model.path = str(path)
        return model
    raise ModelError(path, _describe_non_model(path, header))

"""The command line: --info output, --version, and one-line errors for files that are not models."""

from __future__ import annotations

import json
import zipfile

import pytest

from conftest import run_cli
from litenetron import __version__


def test_version_and_help():
    assert run_cli("--version").stdout.strip() == f"litenetron {__version__}"
    result = run_cli("--help")
    assert result.returncode == 0 and "--info" in result.stdout and "--export" in result.stdout


def test_sample_info_text_and_json():
    text = run_cli("--sample", "--info")
    assert text.returncode == 0, text.stderr
    assert "ONNX v8" in text.stdout and "Conv ×4" in text.stdout and "image: float32[?×3×448×448]" in text.stdout
    info = json.loads(run_cli("--sample", "--info", "--json").stdout)
    graph = info["graphs"][0]
    assert graph["operators"]["BatchNormalization"] == 4 and graph["operators"]["Add"] == 1
    assert graph["inputs"][0]["shape"] == ["?", 3, 448, 448]


def _zip_without_model(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")


@pytest.mark.parametrize("name, content, reason", [
    ("empty.onnx", b"", "file is empty"),
    ("picture.onnx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "PNG image"),
    ("lib.pb", b"\x7fELF\x02\x01\x01" + b"\0" * 64, "ELF"),
    ("model.onnx", b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n", "Git LFS pointer"),
    ("page.onnx", b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML page"),
    ("archive.pt", None, "zip archive"),
    ("noise.onnx", bytes(range(7, 250)) * 3, "not a model"),
    ("truncated.onnx", b"\x08\x07\x3a\xff\xff\x03\x0a\x05", "malformed onnx"),
])
def test_bad_files_give_one_line_errors(tmp_path, name, content, reason):
    path = tmp_path / name
    if content is None:
        _zip_without_model(path)
    else:
        path.write_bytes(content)
    result = run_cli(str(path), "--info", "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"litenetron: error: {path}: ")
    assert reason in lines[0]


def test_missing_file(tmp_path):
    result = run_cli(str(tmp_path / "nope.onnx"), "--info")
    assert result.returncode == 1 and "no such file" in result.stderr and "Traceback" not in result.stderr


def test_info_never_imports_tkinter():
    result = run_cli("--sample", "--info")
    assert result.returncode == 0
    import subprocess
    import sys
    code = ("import sys; from litenetron.__main__ import main; main(['--sample', '--info']); "
            "assert 'tkinter' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_error_lines_stay_short_whatever_the_file_holds(tmp_path):
    # Regression from fuzzing: a TNN proto whose header line was 300 KB of text produced a 300 KB error line,
    # quoting the header whole.
    proto = tmp_path / "net.tnnproto"
    lines = ['"1 3 1 4206624770 ,"', '"input0 1 3 8 8 ,"', '" x y ,"', '"y ,"', '" 1 ,"',
             '"ReLU relu 1 1 input0 y ,"']
    proto.write_text("a {" * 100_000 + "\n".join(lines) + "}" * 100_000)
    (tmp_path / "net.tnnmodel").write_bytes((0xFABC0002).to_bytes(4, "little") + bytes(4))
    result = run_cli(str(tmp_path / "net.tnnmodel"), "--info", "--json")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"litenetron: error: {proto}: ") and "TNN" in line
    assert len(line) < 400 + len(str(proto))

"""Checked access to the JSON of a torch.export archive, and its value spellings: ScalarType codes, SymInt
sizes (`{"as_int": 3}`, `{"as_expr": {"expr_str": "Symbol('s0', ...)"}}`) and sympy expressions in `srepr`
form turned into the text a user reads (`Mul(Integer(1000), Symbol('s70'))` → `1000*s70`). Nothing is
evaluated: expressions are tokenised and rebuilt as text."""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple

# torch.export schema ScalarType codes (torch/_export/serde/schema.py) → numpy / ml_dtypes names.
SCALAR_TYPES = {
    1: "uint8", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "float16", 7: "float32", 8: "float64",
    9: "complex32", 10: "complex64", 11: "complex128", 12: "bool", 13: "bfloat16", 28: "uint16",
    29: "float8_e4m3fn", 30: "float8_e5m2", 31: "float8_e4m3fnuz", 32: "float8_e5m2fnuz",
}

MAX_EXPRESSION = 2000  # characters of an expression we rebuild; longer ones are shown cut
MAX_EXPRESSION_DEPTH = 40


class JsonError(ValueError):
    """The JSON parses but does not have the exported program's structure."""


def as_dict(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise JsonError(f"{what} is not an object")
    return value


def as_list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise JsonError(f"{what} is not a list")
    return value


def as_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise JsonError(f"{what} is not a string")
    return value


def dtype_name(code: Any) -> Optional[str]:
    return SCALAR_TYPES.get(code) if isinstance(code, int) else None


def dims(sizes: Any) -> Optional[Tuple[Any, ...]]:
    """SymInt sizes → dimensions: ints, symbol names, None for what we cannot tell."""
    if not isinstance(sizes, list):
        return None
    shape = []
    for size in sizes:
        if isinstance(size, dict) and isinstance(size.get("as_int"), int):
            shape.append(size["as_int"])
        elif isinstance(size, dict) and isinstance(size.get("as_expr"), dict):
            text = expression_text(size["as_expr"].get("expr_str"))
            shape.append(text or None)
        else:
            shape.append(None)
    return tuple(shape)


def symbol_text(sym: Any) -> str:
    """A SymInt value's expression with its example hint: `s70 (hint 16)`."""
    if not isinstance(sym, dict):
        return ""
    if isinstance(sym.get("as_int"), int):
        return str(sym["as_int"])
    expr = sym.get("as_expr")
    if not isinstance(expr, dict):
        return ""
    text = expression_text(expr.get("expr_str"))
    hint = expr.get("hint")
    if isinstance(hint, dict) and hint:
        text += f" (hint {next(iter(hint.values()))})"
    return text


_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<number>-?\d+(?:\.\d+)?)|"
                    r"(?P<string>'[^']*'|\"[^\"]*\")|(?P<punct>[(),=]))")
_INFIX = {"Add": " + ", "Mul": "*", "Pow": "**", "FloorDiv": "//", "Mod": "%", "CleanDiv": "/",
          "IntTrueDiv": "/", "PythonMod": "%"}


def expression_text(expr: Any) -> str:
    """A sympy `srepr` string as readable text; other strings are returned as they are."""
    if not isinstance(expr, str):
        return ""
    expr = expr[:MAX_EXPRESSION]
    if "(" not in expr:
        return expr
    tokens = _tokens(expr)
    if tokens is None:
        return expr
    try:
        text, position = _parse(tokens, 0, 0)
    except JsonError:
        return expr
    return text if position == len(tokens) else expr


def _tokens(expr: str) -> Optional[List[Tuple[str, str]]]:
    tokens, position = [], 0
    while position < len(expr):
        found = _TOKEN.match(expr, position)
        if found is None:
            if expr[position:].strip() == "":
                break
            return None
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def _parse(tokens: List[Tuple[str, str]], position: int, depth: int) -> Tuple[str, int]:
    if depth > MAX_EXPRESSION_DEPTH or position >= len(tokens):
        raise JsonError("expression too deep or truncated")
    kind, text = tokens[position]
    position += 1
    if kind in ("number", "string"):
        return text.strip("'\""), position
    if kind != "name":
        raise JsonError("unexpected token")
    if position >= len(tokens) or tokens[position][1] != "(":
        return text, position
    position += 1
    args: List[str] = []
    while position < len(tokens) and tokens[position][1] != ")":
        if position + 1 < len(tokens) and tokens[position][0] == "name" and tokens[position + 1][1] == "=":
            _, position = _parse(tokens, position + 2, depth + 1)  # keyword (positive=True): not shown
        else:
            arg, position = _parse(tokens, position, depth + 1)
            args.append(arg)
        if position < len(tokens) and tokens[position][1] == ",":
            position += 1
    if position >= len(tokens):
        raise JsonError("unclosed call")
    return _call(text, args), position + 1


def _call(name: str, args: List[str]) -> str:
    if name in ("Symbol", "Integer", "Float", "Dummy") and args:
        return args[0]
    if name == "Rational" and len(args) == 2:
        return f"{args[0]}/{args[1]}"
    if name in _INFIX and args:
        if name == "Mul" and len(args) == 2 and args[0] == "-1":
            return f"-{_wrap(args[1])}"
        return _INFIX[name].join(_wrap(arg) if name != "Add" else arg for arg in args)
    if name in ("Max", "Min"):
        return f"{name.lower()}({', '.join(args)})"
    return f"{name}({', '.join(args)})"


def _wrap(text: str) -> str:
    return f"({text})" if " " in text else text

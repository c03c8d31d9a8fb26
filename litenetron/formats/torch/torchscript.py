"""TorchScript archives (`torch.jit.save`, traced or scripted; mobile `.ptl`): the forward graph read from code.

A TorchScript zip holds the module objects in `data.pkl` (instances of `__torch__...` classes whose state
carries the submodules and tensors) and the Python-syntax source of every class under `code/`. The source is
parsed with `ast` — never executed — and the root module's `forward` is walked statement by statement:

- `self.sub.forward(x)` / `(sub).forward(x)` and other methods of a module are inlined, so the graph shows the
  operators inside the submodules, named by the submodule's path (`layer1.conv1`);
- every call of a `torch.*`, `ops.*` operator or of a TorchScript function (`__torch__.torch.nn.functional.relu`)
  becomes one node; module attributes that are tensors become weight rows of the node that uses them;
- `if` with a condition known from the module state (`self.training`) takes that branch; otherwise both
  branches are read, except branches that only raise; loops are read once;
- operator results nobody uses (input checks such as `torch.dim`) are dropped, unless the operator is in-place
  or uses weights.

So `nodes` = the operator calls of the inlined forward that contribute to a result; `parameters` = elements of
the tensors each module lists in `__parameters__` and `__buffers__`. Without a readable `forward` (for
example a mobile file without `code/`), the graph is the module tree with its tensors.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ...codecs import archive
from ...codecs.pickle_objects import Object, PickleError
from ...model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from ..op_docs import documentation_source
from ..schemas.torchscript import CATEGORY_OF
from ..stages import SHAPES, stage
from . import pickled, torchscript_shapes
from .pickled import TorchTensor
from .pytorch import chain_in_order

NAME = "PyTorch"
EXTENSIONS = (".pt", ".pth", ".ptl")  # what the Open dialog offers

MAX_SOURCE = 16 << 20
MAX_INLINE_DEPTH = 48
MAX_NODES = 50_000
MAX_STEPS = 150_000
# Calls that are Python or TorchScript builtins rather than operators: they make no node.
_BUILTINS = {"int", "float", "bool", "str", "len", "isinstance", "range", "getattr", "hasattr", "print",
             "unchecked_cast", "annotate", "uninitialized", "torch.device", "torch.jit._unwrap_optional",
             "ops.prim.unchecked_cast", "ops.prim.unchecked_unwrap_optional", "torch.warn"}
# TorchScript operators on Python values (ints, lists, optionals), not tensors: folded when their arguments are
# known, otherwise unknown; they make no node.
_SCALAR_OPS = {"__is__", "__isnot__", "__not__", "__contains__", "__and__", "__or__", "dim", "len", "format",
               "list", "append", "dtype", "device", "RaiseException", "warn", "__range_length",
               "__derive_index", "is_scripting", "is_tracing"}
_COMPARISONS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
                "gt": lambda a, b: a > b, "le": lambda a, b: a <= b, "ge": lambda a, b: a >= b}


def match(path: Path, header: bytes) -> bool:
    if not archive.is_zip(header):
        return False
    with archive.open_zip(path) as zip_file:
        names = list(archive.zip_members(zip_file))
    return any(n.endswith("/data.pkl") for n in names) and any(
        n.split("/")[1:2] == ["code"] or n.endswith(("/constants.pkl", "/bytecode.pkl")) for n in names)


def read(path: Path) -> Model:
    try:
        with archive.open_zip(path) as zip_file:
            members = archive.zip_members(zip_file)
            pickles = [n for n in members if n.endswith("/data.pkl") and n.count("/") == 1]
            if not pickles:
                raise ModelError(path, "TorchScript archive has no data.pkl")
            root = pickles[0].split("/", 1)[0]
            loaded = pickled.load_zip(path, zip_file, root)
            sources = {name[len(root) + 6:]: archive.read_member(zip_file, info, MAX_SOURCE)
                       for name, info in members.items()
                       if name.startswith(f"{root}/code/") and name.endswith(".py")}
            inputs = _traced_inputs(path, zip_file, root, members)
            constants = _constants(path, zip_file, root, members)
            mobile = f"{root}/bytecode.pkl" in members
    except (PickleError, archive.ArchiveError) as error:
        raise ModelError(path, str(error)) from None
    code = Code(sources)
    module = loaded.root
    if not isinstance(module, Object):
        raise ModelError(path, "data.pkl does not hold a module")
    graph = Graph(name=module.type_name.rsplit(".", 1)[-1])
    note = ""
    if code.method(module, "forward") is not None:
        try:
            with stage(SHAPES):  # the forward code is followed call by call, each output's shape worked out
                Interpreter(code, graph, constants).run(module, inputs)
        except PickleError as error:  # too large to inline: show the modules instead
            graph = Graph(name=graph.name)
            note = f" ({error}; showing the module tree)"
    if not graph.nodes:
        _module_tree(graph, module, "", 0)
        chain_in_order(graph)
    graph.stored_parameters = parameter_count(code, module)
    model = Model(format="TorchScript", version=f"zip format v{loaded.version}" if loaded.version else "")
    model.description = ("mobile (lite interpreter)" if mobile else "traced" if inputs else "scripted") + note
    model.graphs.append(graph)
    return model


def _optional_pickle(path: Path, zip_file: Any, root: str, members: dict, name: str) -> Any:
    """The object in the archive's `<name>.pkl` (storages in `<name>/`), or None when the member is missing or
    damaged: what it holds only labels inputs or adds weight rows, so the graph reads without it."""
    if f"{root}/{name}.pkl" not in members:
        return None
    try:
        return pickled.load_zip(path, zip_file, root, f"{name}.pkl", name).root
    except (PickleError, archive.ArchiveError):
        return None


def _traced_inputs(path: Path, zip_file: Any, root: str, members: dict) -> List[TorchTensor]:
    """The example inputs `torch.jit.trace` stored (their shapes label the graph inputs)."""
    value = _optional_pickle(path, zip_file, root, members, "traced_inputs")
    if isinstance(value, dict):
        value = value.get("forward", ())
    return [item for item in value if isinstance(item, TorchTensor)] if isinstance(value, (list, tuple)) else []


def _constants(path: Path, zip_file: Any, root: str, members: dict) -> List[Any]:
    """The values `CONSTANTS.c<N>` in the code refers to (tensors with storages in `constants/`)."""
    value = _optional_pickle(path, zip_file, root, members, "constants")
    return list(value) if isinstance(value, (list, tuple)) else []


class Code:
    """The parsed `code/` tree: class definitions by qualified name (`__torch__.torch.nn.modules.conv.Conv2d`)."""

    def __init__(self, sources: Dict[str, bytes]) -> None:
        self.classes: Dict[str, ast.ClassDef] = {}
        # parameter names of module-level functions (`__torch__.torch.nn.functional.log_softmax`)
        self.functions: Dict[str, List[str]] = {}
        for name, source in sources.items():
            module = name[:-3].replace("/", ".")
            try:
                tree = ast.parse(source.decode("utf-8"), filename=name)
            except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
                continue  # a file we cannot read leaves its classes opaque
            for statement in tree.body:
                if isinstance(statement, ast.ClassDef):
                    self.classes[f"{module}.{statement.name}"] = statement
                elif isinstance(statement, ast.FunctionDef):
                    self.functions[f"{module}.{statement.name}"] = [a.arg for a in statement.args.args]

    def class_of(self, module: Object) -> Optional[ast.ClassDef]:
        return self.classes.get(module.type_name)

    def method(self, module: Object, name: str) -> Optional[ast.FunctionDef]:
        definition = self.class_of(module)
        for statement in definition.body if definition else ():
            if isinstance(statement, ast.FunctionDef) and statement.name == name:
                return statement
        return None

    def tensor_names(self, module: Object) -> Optional[List[str]]:
        """The names a class lists in `__parameters__` and `__buffers__`, or None without a class."""
        definition = self.class_of(module)
        if definition is None:
            return None
        names: List[str] = []
        for statement in definition.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                    isinstance(statement.targets[0], ast.Name) and \
                    statement.targets[0].id in ("__parameters__", "__buffers__") and \
                    isinstance(statement.value, ast.List):
                names.extend(e.value for e in statement.value.elts if isinstance(e, ast.Constant))
        return names


def _submodules(module: Object) -> List[Tuple[str, Object]]:
    return [(str(name), value) for name, value in module.attributes.items() if isinstance(value, Object)]


def parameter_count(code: Code, root: Object) -> int:
    """Elements of every module's parameters and buffers (each module object once)."""
    total, seen, stack = 0, set(), [(root, 0)]
    while stack:
        module, depth = stack.pop()
        if id(module) in seen or depth > MAX_INLINE_DEPTH:
            continue
        seen.add(id(module))
        attributes = module.attributes
        names = code.tensor_names(module)
        for name, value in attributes.items():
            if isinstance(value, TorchTensor) and (names is None or name in names):
                total += value.numel
        stack.extend((child, depth + 1) for _, child in _submodules(module))
    return total


def _module_tree(graph: Graph, module: Object, prefix: str, depth: int) -> None:
    """Fallback view: one node per module holding tensors, in state order."""
    if depth > MAX_INLINE_DEPTH:
        return
    tensors = [(str(k), v) for k, v in module.attributes.items() if isinstance(v, TorchTensor)]
    children = _submodules(module)
    if tensors or not children:
        name = module.type_name.rsplit(".", 1)[-1]
        node = Node(prefix or "(root)", OpType(name))
        for key, tensor in tensors:
            full = f"{prefix}.{key}" if prefix else key
            node.inputs.append(Argument(key, [Value(full, TensorType(tensor.dtype, tensor.shape),
                                                    tensor.to_tensor(full))]))
        graph.nodes.append(node)
    for name, child in children:
        _module_tree(graph, child, f"{prefix}.{name}" if prefix else name, depth + 1)


# --- the forward interpreter (reads code; computes nothing) ---------------------------------------------

@dataclass
class _Module:
    obj: Object
    path: str


@dataclass
class _Param:
    tensor: TorchTensor
    name: str
    key: str


@dataclass
class _Function:
    name: str


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def _dotted(expression: ast.expr) -> Optional[str]:
    parts = []
    while isinstance(expression, ast.Attribute):
        parts.append(expression.attr)
        expression = expression.value
    if isinstance(expression, ast.Name):
        parts.append(expression.id)
        return ".".join(reversed(parts))
    return None


def _raises(statements: List[ast.stmt]) -> bool:
    """A branch that ends in `ops.prim.RaiseException(...)` or `raise`: an error path, not dataflow."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, ast.Raise):
        return True
    return isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and \
        (_dotted(last.value.func) or "").endswith("RaiseException")


class Interpreter:
    """Walks a module's `forward` and appends one node per operator call to `graph`."""

    def __init__(self, code: Code, graph: Graph, constants: Optional[List[Any]] = None) -> None:
        self.code = code
        self.constants = constants or []
        self.graph = graph
        self.tensors: Dict[int, Tensor] = {}
        self.counter = 0
        self.steps = 0
        self.active: set = set()
        self.scalars: Dict[int, int] = {}  # id of a Value → its integer value, when known (`size(x, 0)`)
        # id of a Value → the call of a rank-keeping operator that made it, to redo once its input's rank is known
        self.producers: Dict[int, Tuple[str, Sequence[str], List[Any], Dict[str, Any], int]] = {}
        self.speculative = 0  # > 0 inside a branch or loop body that may not run

    def run(self, root: Object, examples: List[TorchTensor]) -> None:
        method = self.code.method(root, "forward")
        assert method is not None
        names = [a.arg for a in method.args.args[1:]]
        inputs = []
        for index, name in enumerate(names):
            example = examples[index] if index < len(examples) else None
            kind = TensorType(example.dtype, tuple(example.shape)) if example is not None else None
            value = Value(name, kind)
            self.graph.inputs.append(Argument(name, [value]))
            inputs.append(value)
        result = self.call(_Module(root, ""), "forward", inputs, {}, 0)
        for index, value in enumerate(self._values(result)):
            self.graph.outputs.append(Argument(f"output{index}" if index else "output", [value]))
        self._drop_unused()

    # -- modules and calls --
    def call(self, module: _Module, name: str, args: List[Any], kwargs: Dict[str, Any], depth: int) -> Any:
        method = self.code.method(module.obj, name)
        frame = (id(module.obj), name)
        if method is None or depth > MAX_INLINE_DEPTH or frame in self.active:
            return self._opaque_module(module, args)  # TorchScript has no recursion: a cycle is a bad file
        env: Dict[str, Any] = {}
        parameters = method.args.args
        if parameters:
            env[parameters[0].arg] = module
        defaults = method.args.defaults
        first_default = len(parameters) - len(defaults)
        for index, parameter in enumerate(parameters[1:], start=1):
            if index - 1 < len(args):
                env[parameter.arg] = args[index - 1]
            elif parameter.arg in kwargs:
                env[parameter.arg] = kwargs[parameter.arg]
            elif index >= first_default:
                env[parameter.arg] = self._constant(defaults[index - first_default])
        self.active.add(frame)
        level = self.speculative
        try:
            self.block(method.body, env, module, depth)
        except _Return as returned:
            return returned.value
        finally:
            self.active.discard(frame)
            self.speculative = level
        return env.get("$return")

    def _opaque_module(self, module: _Module, args: List[Any]) -> Any:
        """A module whose code is missing: one node titled with its class, holding its tensors."""
        weights = [_Param(v, str(k), f"{module.path}.{k}" if module.path else str(k))
                   for k, v in module.obj.attributes.items() if isinstance(v, TorchTensor)]
        name = module.obj.type_name.rsplit(".", 1)[-1]
        return self.operator(name, list(args) + weights, {}, 1, module.path)

    def block(self, statements: List[ast.stmt], env: Dict[str, Any], module: _Module, depth: int) -> None:
        for statement in statements:
            self.statement(statement, env, module, depth)

    def statement(self, node: ast.stmt, env: Dict[str, Any], module: _Module, depth: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:  # inlining multiplies code: bound the walk, not just the depth
            raise PickleError(f"forward code needs more than {MAX_STEPS} steps to read")
        if isinstance(node, ast.Assign):
            outputs = len(node.targets[0].elts) if isinstance(node.targets[0], ast.Tuple) else 1
            value = self.expression(node.value, env, module, depth, outputs)
            for target in node.targets:
                self._bind(target, value, env)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._bind(node.target, self.expression(node.value, env, module, depth), env)
        elif isinstance(node, ast.Expr):
            self.expression(node.value, env, module, depth)
        elif isinstance(node, ast.Return):
            raise _Return(self.expression(node.value, env, module, depth) if node.value else None)
        elif isinstance(node, ast.If):
            condition = self.expression(node.test, env, module, depth)
            if isinstance(condition, bool):
                self.block(node.body if condition else node.orelse, env, module, depth)
            else:
                if _raises(node.body):
                    self._rank_check(node.test, env)
                for branch in (node.body, node.orelse):
                    if not _raises(branch):
                        self._branch(branch, env, module, depth)
        elif isinstance(node, (ast.For, ast.While, ast.With)):
            self._branch(node.body, env, module, depth)

    def _rank_check(self, test: ast.expr, env: Dict[str, Any]) -> None:
        """`if torch.ne(torch.dim(x), 4): raise ...` (BatchNorm2d's input check): past it, x has rank 4, so a
        tensor of unknown rank gets 4 unknown dims."""
        if self.speculative or not isinstance(test, ast.Call) or _dotted(test.func) != "torch.ne" or \
                len(test.args) != 2:
            return  # a check in code that may not run proves nothing
        call, rank = test.args
        if isinstance(call, ast.Constant):
            call, rank = rank, call
        if not isinstance(call, ast.Call) or _dotted(call.func) != "torch.dim" or len(call.args) != 1 or \
                not isinstance(call.args[0], ast.Name) or not isinstance(rank, ast.Constant) or \
                type(rank.value) is not int or not 0 <= rank.value <= 16:
            return
        self._assume_rank(env.get(call.args[0].id), rank.value)

    def _assume_rank(self, value: Any, rank: int) -> None:
        """Give a tensor of unknown rank `rank` unknown dims, and the same rank to the inputs of the rank-keeping
        operators that made it (conv2d, relu, ...), whose results are then worked out again."""
        chain: List[Value] = []
        while isinstance(value, Value) and (value.type is None or value.type.shape is None) and \
                len(chain) < MAX_INLINE_DEPTH:
            chain.append(value)
            producer = self.producers.get(id(value))
            value = producer[2][0] if producer else None
        for item in reversed(chain):
            item.type = TensorType(item.type.dtype if item.type else None, (None,) * rank)
            producer = self.producers.get(id(item))
            if producer is not None:
                op, names, args, kwargs, index = producer
                kind = self._infer(op, names, args, kwargs, index + 1)[index]
                if kind is not None and kind.shape is not None and len(kind.shape) == rank:
                    item.type = kind

    def _branch(self, statements: List[ast.stmt], env: Dict[str, Any], module: _Module, depth: int) -> None:
        # A return inside a branch whose condition is unknown does not end the walk.
        self.speculative += 1
        try:
            self.block(statements, env, module, depth)
        except _Return as returned:
            env["$return"] = returned.value
            self.speculative += 1  # the rest of the method may not run either (until `call` returns)
        finally:
            self.speculative -= 1

    def _bind(self, target: ast.expr, value: Any, env: Dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(value) if isinstance(value, (list, tuple)) else [None] * len(target.elts)
            for element, item in zip(target.elts, items + [None] * (len(target.elts) - len(items))):
                self._bind(element, item, env)

    # -- expressions --
    def expression(self, node: ast.expr, env: Dict[str, Any], module: _Module, depth: int,
                   outputs: int = 1) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env.get(node.id, _Function(node.id) if node.id not in env else None)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "CONSTANTS" and "CONSTANTS" not in env:
                return self._constant_value(node.attr)
            base = self.expression(node.value, env, module, depth)
            if isinstance(base, _Module):
                return self._member(base, node.attr)
            if isinstance(base, _Function):
                return _Function(f"{base.name}.{node.attr}")
            return None
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.expression(e, env, module, depth) for e in node.elts]
        if isinstance(node, ast.Call):
            return self._call(node, env, module, depth, outputs)
        if isinstance(node, ast.Subscript):
            base = self.expression(node.value, env, module, depth)
            index = self.expression(node.slice, env, module, depth)
            if isinstance(base, list) and isinstance(index, int) and -len(base) <= index < len(base):
                return base[index]
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            operand = self.expression(node.operand, env, module, depth)
            return (not operand) if isinstance(operand, bool) else None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = self.expression(node.operand, env, module, depth)
            return -operand if isinstance(operand, (int, float)) and not isinstance(operand, bool) else None
        if isinstance(node, ast.IfExp):
            condition = self.expression(node.test, env, module, depth)
            if isinstance(condition, bool):
                return self.expression(node.body if condition else node.orelse, env, module, depth)
        return None

    def _constant_value(self, name: str) -> Any:
        index = int(name[1:]) if name[:1] == "c" and name[1:].isdigit() else -1
        if not 0 <= index < len(self.constants):
            return None
        value = self.constants[index]
        return _Param(value, name, f"CONSTANTS.{name}") if isinstance(value, TorchTensor) else value

    def _member(self, module: _Module, name: str) -> Any:
        attributes = module.obj.attributes
        value = attributes.get(name)
        path = f"{module.path}.{name}" if module.path else name
        if isinstance(value, Object):
            return _Module(value, path)
        if isinstance(value, TorchTensor):
            return _Param(value, name, path)
        if isinstance(value, list) and value and all(isinstance(item, TorchTensor) for item in value):
            # e.g. an RNN's _flat_weights: name each tensor by the attribute that holds it
            names = {id(v): str(k) for k, v in attributes.items() if isinstance(v, TorchTensor)}
            prefix = f"{module.path}." if module.path else ""
            return [_Param(t, names.get(id(t), f"{name}.{i}"), prefix + names.get(id(t), f"{name}.{i}"))
                    for i, t in enumerate(value)]
        if value is None and self.code.method(module.obj, name) is not None:
            return _Function(f"self.{name}")
        return value

    def _call(self, node: ast.Call, env: Dict[str, Any], module: _Module, depth: int, outputs: int) -> Any:
        function = node.func
        if isinstance(function, ast.Attribute):
            owner = self.expression(function.value, env, module, depth)
            if isinstance(owner, _Module):
                args = [self.expression(a, env, module, depth) for a in node.args]
                kwargs = {k.arg: self.expression(k.value, env, module, depth) for k in node.keywords if k.arg}
                return self.call(owner, function.attr, args, kwargs, depth + 1)
        target = self.expression(function, env, module, depth)
        name = target.name if isinstance(target, _Function) else _dotted(function) or "call"
        args = [self.expression(a, env, module, depth) for a in node.args]
        kwargs = {k.arg: self.expression(k.value, env, module, depth) for k in node.keywords if k.arg}
        if name == "getattr" and len(args) == 2 and isinstance(args[0], _Module) and isinstance(args[1], str):
            return self._member(args[0], args[1])
        if name in _BUILTINS:
            return self._builtin(name, args)
        short = name.rsplit(".", 1)[-1]
        if short in _SCALAR_OPS or (short in _COMPARISONS and not self._values(args)):
            return _fold(short, args)
        prefix = module.path
        return self.operator(name, args, kwargs, outputs, prefix)

    @staticmethod
    def _builtin(name: str, args: List[Any]) -> Any:
        if name in ("unchecked_cast", "annotate", "ops.prim.unchecked_cast") and len(args) == 2:
            return args[1]
        if name in ("int", "float", "bool", "ops.prim.unchecked_unwrap_optional",
                    "torch.jit._unwrap_optional") and args:
            return args[0] if isinstance(args[0], Value) else None
        if name == "torch.device" and args:
            return str(args[0])
        return None

    @staticmethod
    def _constant(node: ast.expr) -> Any:
        return node.value if isinstance(node, ast.Constant) else None

    # -- nodes --
    def operator(self, qualified: str, args: List[Any], kwargs: Dict[str, Any], outputs: int, prefix: str) -> Any:
        if len(self.graph.nodes) >= MAX_NODES:
            raise PickleError(f"forward graph has more than {MAX_NODES} operators")
        name = qualified.rsplit(".", 1)[-1]
        node = Node(prefix, OpType(name, CATEGORY_OF.get(name) or CATEGORY_OF.get(name.strip("_"), ""),
                                  documentation_source=documentation_source("torch", name.strip("_"))))
        names = self.code.functions.get(qualified) or torchscript_shapes.argument_names(name)
        for index, value in enumerate(args):
            self._argument(node, names[index] if index < len(names) else f"arg{index}", value)
        for key, value in kwargs.items():
            self._argument(node, key, value)
        shaped = name if _shaped(qualified, self.code) else ""
        types = self._infer(shaped, names, args, kwargs, outputs)
        results = []
        for index, kind in enumerate(types):
            self.counter += 1
            value = Value(f"{prefix or name}:{self.counter}", kind)
            node.outputs.append(Argument("output" if index == 0 else f"output{index}", [value]))
            results.append(value)
            # a result of code that may not run must not tell anything about the values before it
            if torchscript_shapes.keeps_rank(shaped) and args and isinstance(args[0], Value) and not self.speculative:
                self.producers[id(value)] = (shaped, names, args, kwargs, index)
        number = torchscript_shapes.scalar(shaped, [self._known(a) for a in args])
        if number is not None:
            self.scalars[id(results[0])] = number
            results[0].type = results[0].type or TensorType("int64", ())
        self.graph.nodes.append(node)
        return results[0] if outputs <= 1 else results

    def _infer(self, op: str, names: Sequence[str], args: List[Any], kwargs: Dict[str, Any],
               outputs: int) -> List[Optional[TensorType]]:
        known = {key: self._known(value) for key, value in kwargs.items()}
        return torchscript_shapes.infer(op, names, [self._known(a) for a in args], known, outputs)

    def _known(self, item: Any) -> Any:
        """An argument as shape inference sees it: tensors as their types, known scalars as ints."""
        if isinstance(item, Value):
            return self.scalars.get(id(item), item.type or TensorType())
        if isinstance(item, _Param):
            return TensorType(item.tensor.dtype, tuple(item.tensor.shape))
        if isinstance(item, list):
            return [self._known(i) for i in item]
        return TensorType() if isinstance(item, (_Module, _Function)) else item

    def _argument(self, node: Node, name: str, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        edges = [item for item in items if isinstance(item, Value)]
        params = [item for item in items if isinstance(item, _Param)]
        if edges:
            node.inputs.append(Argument(name, edges))
        for param in params:
            node.inputs.append(Argument(param.name, [self._weight(param)]))
        if not edges and not params and value is not None and _plain(value):
            node.attributes.append(Attribute(name, value, type(value).__name__))

    def _weight(self, param: _Param) -> Value:
        tensor = self.tensors.get(id(param.tensor))
        if tensor is None:
            tensor = self.tensors[id(param.tensor)] = param.tensor.to_tensor(param.key)
        return Value(param.key, TensorType(tensor.dtype, tensor.shape), initializer=tensor)

    @staticmethod
    def _values(result: Any) -> List[Value]:
        items = result if isinstance(result, list) else [result]
        return [item for item in items if isinstance(item, Value)]

    def _drop_unused(self) -> None:
        """Remove operators whose results reach nothing (input checks), keeping in-place ops and weight users.

        One backward sweep: the code is in program order, so consumers come after their producers."""
        used = {v.name for a in self.graph.outputs for v in a.values}
        kept = []
        for node in reversed(self.graph.nodes):
            if any(v.name in used for a in node.outputs for v in a.values) or \
                    any(True for _ in node.weights()) or node.type.name.endswith("_"):
                kept.append(node)
                used.update(v.name for a in node.inputs for v in a.values)
        self.graph.nodes = kept[::-1]


def _shaped(qualified: str, code: Code) -> bool:
    """Whether a call's result follows the aten rules: aten operators, and `torch.nn.functional` functions
    read with their own parameter names (a user's function named `flatten` may do anything)."""
    if qualified.startswith(("torch.", "ops.aten.", "ops.prim.")):
        return True
    return qualified.startswith("__torch__.torch.nn.functional.") and qualified in code.functions


def _fold(name: str, args: List[Any]) -> Any:
    """The value of a TorchScript scalar operator when its arguments are known, else None (unknown)."""
    known = [a for a in args if not isinstance(a, (Value, _Param, _Module, _Function))]
    if name in ("__is__", "__isnot__") and len(args) == 2:
        left, right = args
        if right is None and (left is None or isinstance(left, (Value, _Param, _Module))):
            return (left is None) == (name == "__is__")
        return None
    if name == "__not__" and len(args) == 1 and isinstance(args[0], bool):
        return not args[0]
    if name in _COMPARISONS and len(args) == 2 and len(known) == 2 and all(_plain(a) for a in args):
        try:
            return _COMPARISONS[name](args[0], args[1])
        except TypeError:
            return None
    if name == "__contains__" and len(args) == 2 and isinstance(args[0], list) and _plain(args[1]):
        return args[1] in args[0]
    return None


def _plain(value: Any) -> bool:
    if isinstance(value, (bool, int, float, str)):
        return True
    return isinstance(value, list) and all(isinstance(v, (bool, int, float, str)) for v in value)

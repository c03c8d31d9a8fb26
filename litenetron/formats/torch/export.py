"""torch.export `.pt2`: a zip whose `models/model.json` (under the archive's own folder) is the serialized
ExportedProgram as JSON — read with `json`, nothing is unpickled or executed.

The graph's `call_function` nodes become boxes (`torch.ops.aten.conv2d.default` → `aten::conv2d`); tensor
arguments are edges typed from `tensor_values` (symbolic sizes by their names, `s0`, with the ranges of
`range_constraints` in the model properties); other arguments are attributes. The graph signature splits the
placeholders: user inputs are graph inputs, parameters / buffers / tensor constants are weights inside the
boxes that consume them, read lazily from `data/weights/*` and `data/constants/*` (raw storage bytes; the
payload config gives dtype, sizes, strides and storage offset). Older archives (`serialized_exported_program
.json`, weights pickled) open with their graph, weights shown without values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ...codecs import archive
from ...model import (
    DTYPE_ITEMSIZE,
    Argument,
    Attribute,
    Graph,
    Model,
    ModelError,
    Node,
    OpType,
    Tensor,
    TensorType,
    Value,
)
from ..op_docs import documentation_source
from . import aten_ops
from .export_json import JsonError, as_dict, as_list, as_str, dims, dtype_name, symbol_text

NAME = "torch.export"
EXTENSIONS = (".pt2",)

MAX_JSON = 512 << 20
MAX_CONFIG = 64 << 20
MAX_DEPTH = 16  # nested graphs of higher-order ops (cond / map bodies)
_PROGRAM_NAMES = ("models/model.json", "serialized_exported_program.json")


def _program_member(names) -> Optional[str]:
    """The ExportedProgram JSON of the archive: `<folder>/models/model.json` (or the older name)."""
    for name in names:
        parts = name.split("/")
        tail = "/".join(parts[1:]) if len(parts) > 1 else name
        if tail in _PROGRAM_NAMES or name in _PROGRAM_NAMES:
            return name
    return None


def match(path: Path, header: bytes) -> bool:
    if not archive.is_zip(header):
        return False
    with archive.open_zip(path) as zip_file:
        return _program_member(archive.zip_members(zip_file)) is not None


class _Payloads:
    """The state dict and constants of an archive: FQN → payload meta, and where each payload's bytes are."""

    def __init__(self, path: Path, zip_file: Any, members: Dict[str, Any], root: str, big_endian: bool):
        self.path, self.big_endian = path, big_endian
        self.entries: Dict[str, Tuple[dict, Optional[str]]] = {}
        self.ranges: Dict[str, Any] = {}
        for folder, config_name in (("weights", "model_weights_config.json"),
                                    ("constants", "model_constants_config.json")):
            config_member = f"{root}data/{folder}/{config_name}"
            if config_member not in members:
                continue
            config = as_dict(_load_json(path, zip_file, config_member, MAX_CONFIG).get("config"), "config")
            for fqn, meta in config.items():
                meta = as_dict(meta, f"payload {fqn}")
                member = f"{root}data/{folder}/{as_str(meta.get('path_name'), 'path_name')}"
                self.entries[fqn] = (meta, member if member in members else None)
                if member in members and member not in self.ranges:
                    self.ranges[member] = archive.member_range(zip_file, members[member]) or members[member]

    def tensor(self, fqn: str) -> Optional[Tensor]:
        """The weight of one payload, its values read on demand; None when the archive lists no such payload."""
        entry = self.entries.get(fqn)
        if entry is None:
            return None
        meta, member = entry
        tensor_meta = meta.get("tensor_meta")
        if not isinstance(tensor_meta, dict):
            return Tensor(fqn, None, None, location="custom object (pickled, not read)", layout="external")
        dtype = dtype_name(tensor_meta.get("dtype"))
        shape = dims(tensor_meta.get("sizes"))
        weight = Tensor(fqn, dtype, shape, location=member.rsplit("/", 2)[-2] + "/" + member.rsplit("/", 1)[-1]
                        if member else "missing from the archive")
        if meta.get("use_pickle"):
            weight.location, weight.layout = "pickled payload (not read)", "external"
        elif member is not None and shape is not None and all(isinstance(d, int) and d >= 0 for d in shape):
            weight.loader = self._loader(member, tensor_meta, dtype, shape)
        return weight

    def element_count(self) -> int:
        """Elements of every payload tensor, tied ones (one file named twice) counted each time."""
        total = 0
        for meta, _ in self.entries.values():
            tensor_meta = meta.get("tensor_meta")
            if isinstance(tensor_meta, dict):
                shape = dims(tensor_meta.get("sizes"))
                if shape is not None and all(isinstance(d, int) for d in shape):
                    total += math.prod(shape)
        return total

    def _loader(self, member: str, tensor_meta: dict, dtype: Optional[str], shape: tuple):
        where, path, big_endian = self.ranges[member], self.path, self.big_endian
        strides = dims(tensor_meta.get("strides"))
        offset = tensor_meta.get("storage_offset")
        offset = offset.get("as_int", 0) if isinstance(offset, dict) else 0

        def load():
            import numpy as np

            itemsize = DTYPE_ITEMSIZE.get(dtype or "")
            if isinstance(where, tuple):
                data = archive.read_range(path, where[0], where[1])
            else:
                with archive.open_zip(path) as zip_file:
                    data = archive.read_member(zip_file, where, where.file_size)
            if itemsize is None or itemsize < 1 or dtype in ("bfloat16",) or (dtype or "").startswith("float8"):
                return np.frombuffer(data, dtype=np.uint8)
            storage = np.frombuffer(data[:len(data) // int(itemsize) * int(itemsize)],
                                    dtype=np.dtype(dtype).newbyteorder(">" if big_endian else "<"))
            return _strided(storage, shape, strides, offset)

        return load


def _strided(storage, shape: tuple, strides: Optional[tuple], offset: int):
    """The tensor view of its storage, checked to stay inside it, as a contiguous array."""
    import numpy as np

    if not isinstance(offset, int) or offset < 0:
        raise ModelError("tensor", f"bad storage offset {offset!r}")
    if math.prod(shape) == 0:
        return np.zeros(shape, dtype=storage.dtype)
    if strides is None or len(strides) != len(shape) or not all(isinstance(s, int) and s >= 0 for s in strides):
        strides = tuple(math.prod(shape[i + 1:]) for i in range(len(shape)))
    last = offset + sum((size - 1) * stride for size, stride in zip(shape, strides))
    if last >= storage.size:
        raise ModelError("tensor", f"view reaches element {last} of a {storage.size}-element storage")
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=shape,
                                           strides=tuple(s * storage.itemsize for s in strides))
    return np.ascontiguousarray(view)


def _load_json(path: Path, zip_file: Any, member: str, limit: int) -> dict:
    data = archive.read_member(zip_file, member, limit)
    try:
        return as_dict(json.loads(data.decode("utf-8")), member)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(path, f"{member} is not valid JSON ({error})") from None
    except RecursionError:
        raise ModelError(path, f"{member} is nested too deeply") from None


class _GraphBuilder:
    """One serialized Graph (the main one or a higher-order op's body) → Graph."""

    def __init__(self, path: Path, payloads: _Payloads):
        self.path, self.payloads = path, payloads
        self.weights: Dict[str, str] = {}  # placeholder name → FQN

    def build(self, serialized: dict, name: str, signature: Optional[dict], depth: int) -> Graph:
        graph = Graph(name)
        types = as_dict(serialized.get("tensor_values", {}), "tensor_values")
        self.types = {key: self._type(meta) for key, meta in types.items()}
        self.sym_ints = as_dict(serialized.get("sym_int_values", {}), "sym_int_values")
        self.values: Dict[str, Value] = {}
        if signature is not None:
            self._signature(graph, signature)
        else:
            for item in as_list(serialized.get("inputs", []), "inputs"):
                for value in self._argument_values(item):
                    graph.inputs.append(Argument(value.name, [value]))
        getitems = 0
        for index, item in enumerate(as_list(serialized.get("nodes", []), "nodes")):
            item = as_dict(item, "node")
            graph.nodes.append(self._node(item, index, depth))
            getitems += _getitem_count(item.get("outputs"))
        if getitems:  # the exported graph's getitem nodes are folded into their op's outputs, but counted
            graph.stored_operators = graph.operators()
            graph.stored_operators["getitem"] = getitems
        if signature is None:
            for item in as_list(serialized.get("outputs", []), "outputs"):
                for value in self._argument_values(item):
                    graph.outputs.append(Argument(value.name, [value]))
        return graph

    def _type(self, meta: Any) -> TensorType:
        meta = as_dict(meta, "tensor meta")
        return TensorType(dtype_name(meta.get("dtype")), dims(meta.get("sizes")))

    def value(self, name: str) -> Value:
        value = self.values.get(name)
        if value is None:
            value = Value(name, self.types.get(name))
            if name in self.sym_ints:
                value.type = TensorType("int64", ())
                value.description = symbol_text(self.sym_ints[name])
            fqn = self.weights.get(name)
            if fqn is not None:
                value.initializer = self.payloads.tensor(fqn) or \
                    Tensor(fqn, value.type.dtype if value.type else None, value.type.shape if value.type else None)
                value.description = fqn
            self.values[name] = value
        return value

    def _signature(self, graph: Graph, signature: dict) -> None:
        for spec in as_list(signature.get("input_specs", []), "input_specs"):
            kind, body = _union(spec, "input spec")
            arg = body.get("arg")
            name = as_str(as_dict(arg, "input spec arg").get("name", ""), "name") if kind != "user_input" else ""
            if kind == "parameter":
                self.weights[name] = as_str(body.get("parameter_name", name), "parameter_name")
            elif kind == "buffer":
                self.weights[name] = as_str(body.get("buffer_name", name), "buffer_name")
            elif kind == "tensor_constant":
                self.weights[name] = as_str(body.get("tensor_constant_name", name), "tensor_constant_name")
            elif kind == "user_input":
                for value in self._argument_values(arg):
                    graph.inputs.append(Argument(value.name, [value]))
            elif kind == "constant_input":
                value = Value(as_str(body.get("name", "constant"), "name"))
                value.description = f"constant input {json.dumps(body.get('value'))[:80]}"
                graph.inputs.append(Argument(value.name, [value]))
        for spec in as_list(signature.get("output_specs", []), "output_specs"):
            kind, body = _union(spec, "output spec")
            for value in self._argument_values(body.get("arg")):
                label = value.name
                target = body.get("buffer_name") or body.get("parameter_name") or body.get("user_input_name")
                if kind != "user_output":
                    label = f"{value.name} ({kind.replace('_', ' ')}{' ' + str(target) if target else ''})"
                graph.outputs.append(Argument(label, [value]))

    def _argument_values(self, argument: Any) -> List[Value]:
        """The edges an Argument union names (tensors, tensor lists, symbolic ints)."""
        if not isinstance(argument, dict) or not argument:
            return []
        kind, body = next(iter(argument.items()))
        if kind in ("as_tensor", "as_optional_tensor"):
            body = body.get("as_tensor", body) if isinstance(body, dict) and kind == "as_optional_tensor" else body
            name = body.get("name") if isinstance(body, dict) else None
            return [self.value(name)] if isinstance(name, str) else []
        if kind in ("as_tensors", "as_optional_tensors"):
            values = []
            for item in as_list(body, kind):
                if isinstance(item, dict):
                    item = item.get("as_tensor", item)
                    if isinstance(item, dict) and isinstance(item.get("name"), str):
                        values.append(self.value(item["name"]))
            return values
        if kind in ("as_sym_int", "as_sym_float", "as_sym_bool"):
            name = body.get("as_name") if isinstance(body, dict) else None
            return [self.value(name)] if isinstance(name, str) else []
        if kind in ("as_sym_ints", "as_sym_floats", "as_sym_bools"):
            return [self.value(item["as_name"]) for item in as_list(body, kind)
                    if isinstance(item, dict) and isinstance(item.get("as_name"), str)]
        return []

    def _node(self, item: dict, index: int, depth: int) -> Node:
        target = as_str(item.get("target", ""), "target")
        namespace, operator, overload = aten_ops.split_target(target)
        name = item.get("name") if isinstance(item.get("name"), str) else f"{operator}_{index}"
        docs = documentation_source("torch", aten_ops.base_name(operator)) if namespace == "aten" else None
        node = Node(name, OpType(aten_ops.display_name(namespace, operator, overload),
                                 aten_ops.category(namespace, operator), domain=namespace, documentation_source=docs))
        for position, named in enumerate(as_list(item.get("inputs", []), "node inputs")):
            named = as_dict(named, "node input")
            label = named.get("name") if isinstance(named.get("name"), str) else f"arg{position}"
            argument = named.get("arg")
            values = self._argument_values(argument)
            if values:
                node.inputs.append(Argument(label, values))
                if isinstance(argument, dict) and "as_sym_ints" in argument:
                    node.attributes.append(Attribute(label, _plain(argument), "SymInt[]"))
                continue
            if isinstance(argument, dict) and "as_graph" in argument:
                self._subgraph(node, argument["as_graph"], depth)
            node.attributes.append(Attribute(label, _plain(argument), _kind(argument)))
        for position, argument in enumerate(as_list(item.get("outputs", []), "node outputs")):
            values = self._argument_values(argument)
            if values:
                node.outputs.append(Argument("output" if position == 0 else f"output{position}", values))
        metadata = item.get("metadata")
        if isinstance(metadata, dict):
            module = _module_path(metadata.get("nn_module_stack"))
            if module:
                node.description = module
            for key in ("stack_trace", "nn_module_stack", "torch_fn"):
                if isinstance(metadata.get(key), str):
                    node.attributes.append(Attribute(key, metadata[key], "string", visible=False))
        return node

    def _subgraph(self, node: Node, argument: Any, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise ModelError(self.path, f"higher-order op bodies nested deeper than {MAX_DEPTH}")
        body = as_dict(argument, "graph argument")
        inner = _GraphBuilder(self.path, self.payloads)
        node.graphs.append(inner.build(as_dict(body.get("graph"), "graph"), str(body.get("name", "body")),
                                       None, depth + 1))


def _getitem_count(outputs: Any) -> int:
    """How many `getitem` call_function nodes the exported graph holds for one op's outputs: one per element
    of a returned list, one per returned tensor of a multi-output op (plus one per list among them)."""
    if not isinstance(outputs, list) or not outputs:
        return 0

    def elements(argument: Any) -> int:
        if not isinstance(argument, dict) or not argument:
            return 0
        kind, body = next(iter(argument.items()))
        if kind in ("as_tensors", "as_optional_tensors") and isinstance(body, list):
            return sum(1 for item in body if not (isinstance(item, dict) and "as_none" in item))
        return 0

    if len(outputs) == 1:
        return elements(outputs[0])
    count = 0
    for argument in outputs:
        if isinstance(argument, dict) and argument and "as_none" not in argument:
            count += 1 + elements(argument)
    return count


def _union(spec: Any, what: str) -> Tuple[str, dict]:
    spec = as_dict(spec, what)
    if len(spec) != 1:
        raise JsonError(f"{what} is not a one-member union")
    kind, body = next(iter(spec.items()))
    return kind, as_dict(body, what)


def _kind(argument: Any) -> str:
    return next(iter(argument))[3:] if isinstance(argument, dict) and argument else ""


def _plain(argument: Any) -> Any:
    """An attribute's value as a user reads it: `{"as_ints": [1, 1]}` → [1, 1], sym ints by name."""
    if not isinstance(argument, dict) or not argument:
        return argument
    kind, body = next(iter(argument.items()))
    if kind == "as_none":
        return None
    if kind in ("as_sym_ints", "as_sym_floats", "as_sym_bools") and isinstance(body, list):
        return [next(iter(item.values()), None) if isinstance(item, dict) and item else item for item in body[:64]]
    if kind == "as_scalar_type":
        return dtype_name(body) or body
    if kind == "as_device" and isinstance(body, dict):
        return f"{body.get('type')}" + (f":{body['index']}" if body.get("index") is not None else "")
    if kind == "as_graph" and isinstance(body, dict):
        return f"graph {body.get('name', '')}"
    if kind == "as_layout":
        return {7: "strided", 1: "sparse_coo"}.get(body, body) if isinstance(body, int) else body
    return body


def _module_path(stack: Any) -> str:
    """The innermost module of an `nn_module_stack` entry: `features.0 (Conv2d)`."""
    if not isinstance(stack, str) or not stack:
        return ""
    innermost = stack.rsplit(";", 1)[-1].split(",")
    if len(innermost) < 3 or not innermost[1]:
        return ""
    return f"{innermost[1]} ({innermost[-1].rsplit('.', 1)[-1]})"


def read(path: Path) -> Model:
    try:
        with archive.open_zip(path) as zip_file:
            members = archive.zip_members(zip_file)
            program_name = _program_member(members)
            if program_name is None:
                raise ModelError(path, "torch.export archive has no models/model.json")
            root = program_name[:-len("models/model.json")] if program_name.endswith("models/model.json") else \
                program_name[:-len("serialized_exported_program.json")]
            program = _load_json(path, zip_file, program_name, MAX_JSON)
            byteorder = _small_text(zip_file, members, f"{root}byteorder")
            archive_version = _small_text(zip_file, members, f"{root}archive_version")
            payloads = _Payloads(path, zip_file, members, root, byteorder == "big")
            legacy = program_name.endswith("serialized_exported_program.json")
            name = root.strip("/").rsplit("/", 1)[-1] or path.stem
    except archive.ArchiveError as error:
        raise ModelError(path, str(error)) from None
    except JsonError as error:
        raise ModelError(path, f"malformed payload config ({error})") from None
    try:
        return _model(path, program, payloads, archive_version, legacy, name)
    except JsonError as error:
        raise ModelError(path, f"malformed exported program ({error})") from None


def _small_text(zip_file: Any, members: dict, name: str) -> str:
    if name not in members:
        return ""
    return archive.read_member(zip_file, members[name], 256).decode("ascii", errors="replace").strip()


def _model(path: Path, program: dict, payloads: _Payloads, archive_version: str, legacy: bool, name: str) -> Model:
    module = as_dict(program.get("graph_module"), "graph_module")
    serialized = as_dict(module.get("graph"), "graph")
    signature = as_dict(module.get("signature", {}), "signature")
    ranges = as_dict(program.get("range_constraints", {}), "range_constraints")
    builder = _GraphBuilder(path, payloads)
    graph = builder.build(serialized, name, signature, 0)
    if payloads.entries:
        graph.stored_parameters = payloads.element_count()
    else:  # no payload config (older archive): the parameter placeholders' own metadata tells the sizes
        graph.stored_parameters = sum(t.size or 0 for name in builder.weights
                                      for t in [builder.value(name).initializer] if t is not None)
    version = as_dict(program.get("schema_version", {}), "schema_version")
    model = Model(format=f"torch.export v{version.get('major', '?')}.{version.get('minor', '?')}", graphs=[graph])
    torch_version = program.get("torch_version")
    model.producer = f"torch {torch_version}" if isinstance(torch_version, str) else ""
    opsets = as_dict(program.get("opset_version", {}), "opset_version")
    model.imports = [f"{name} {number}" for name, number in opsets.items()]
    if archive_version:
        model.metadata.append(("archive version", archive_version + (" (legacy layout)" if legacy else "")))
    verifiers = program.get("verifiers")
    if isinstance(verifiers, list) and verifiers:
        model.metadata.append(("dialect", ", ".join(str(v) for v in verifiers)))
    for symbol, bounds in ranges.items():
        bounds = as_dict(bounds, "range constraint")
        low, high = bounds.get("min_val"), bounds.get("max_val")
        model.metadata.append((f"range {symbol}", f"{'-∞' if low is None else low} ≤ {symbol} ≤ "
                                                  f"{'∞' if high is None else high}"))
    for key, text in as_dict(module.get("metadata", {}), "metadata").items():
        model.metadata.append((str(key), str(text)[:200]))
    return model

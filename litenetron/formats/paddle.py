"""PaddlePaddle reader: a ProgramDesc (`.pdmodel`, `__model__`, `.paddle`) and its weights.

Block 0's ops become nodes; `feed`/`fetch` ops become the graph's inputs/outputs. Variables meet by name.
Persistable variables are weights: drawn as rows of the ops that read them (`Filter ⟨32×3×3×3⟩`). Their
values are read lazily from a combined `.pdiparams` file (the persistable tensors in sorted-name order) or
from one file per variable beside `__model__`; opening records only where each tensor's bytes are.
Paddle 3 PIR programs (`inference.json`) are read by `paddle_pir`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.binary import BinaryError, BinaryReader
from ..codecs.protobuf import Message, ProtobufError, decode, open_buffer, read_varint
from ..model import (
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
from .paddle_pir import looks_like_pir, read_pir
from .paddle_shapes import infer_shapes
from .paddle_weights import SavedTensors
from .schemas.paddle import ATTR_FIELDS, ATTR_TYPES, DATA_TYPES, OP_CATEGORIES, PADDLE
from .stages import SHAPES, stage

NAME = "PaddlePaddle"
EXTENSIONS = (".pdmodel", ".pdiparams", ".paddle", ".json", "__model__")  # what the Open dialog offers

_PROGRAM_EXTENSIONS = (".pdmodel", ".paddle")
MODEL_NAMES = ("__model__", "inference.pdmodel", "model.pdmodel", "inference.json", "model.json")
PROGRAM_NAMES = ("__model__", "model")  # extension-less program files (with `__params__` / `params`)
COMBINED_PARAMS = ("__params__", "params")
MAX_BLOCK_DEPTH = 32

# Attributes Paddle adds for its own bookkeeping: kept, but hidden unless asked for.
_NOISE_ATTRIBUTES = {
    "op_callstack", "op_namescope", "op_role", "op_role_var", "op_device", "with_quant_attr", "is_test",
    "use_mkldnn", "use_cudnn", "use_quantizer", "mkldnn_data_type", "name", "workspace_size_MB",
    "exhaustive_search", "fuse_with_relu", "use_addto", "force_fp32_output", "fuse_relu_before_depthwise_conv",
}
_SAVED_KINDS = {7, 8}  # LOD_TENSOR, SELECTED_ROWS: what save_inference_model writes for persistable variables
_DATA_KINDS = {7, 8, 13}  # LOD_TENSOR, SELECTED_ROWS, LOD_TENSOR_ARRAY


def match(path: Path, header: bytes) -> bool:
    if path.is_dir():
        return _folder_program(path) is not None
    name = path.name.lower()
    if path.suffix.lower() in _PROGRAM_EXTENSIONS or name in PROGRAM_NAMES:
        return _looks_like_program(header)
    if path.suffix.lower() == ".json":
        return looks_like_pir(header)
    if path.suffix.lower() == ".pdiparams":
        return path.with_suffix(".pdmodel").is_file() or _is_pir_file(path.with_suffix(".json"))
    # One weight file of the per-variable layout: opening it opens the program beside it.
    return (path.parent / "__model__").is_file() and _looks_like_tensor(header)


def _folder_program(folder: Path) -> Optional[Path]:
    """The program file of a model folder (a `.json` only when it is a PIR program)."""
    for name in MODEL_NAMES:
        candidate = folder / name
        if candidate.is_file() and (candidate.suffix != ".json" or _is_pir_file(candidate)):
            return candidate
    return None


def _is_pir_file(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as stream:
        return looks_like_pir(stream.read(512))


def _looks_like_program(header: bytes) -> bool:
    """A ProgramDesc starts with `blocks` (field 1), whose BlockDesc starts with `idx` (field 1, varint)."""
    if len(header) < 4 or header[0] != 0x0A:
        return False
    try:
        length, position = read_varint(header, 1, len(header))
    except ProtobufError:
        return False
    return length > 0 and position < len(header) and header[position] == 0x08


def _looks_like_tensor(header: bytes) -> bool:
    """A saved LoDTensor: version 0, a LoD level count, tensor version 0, then a TensorDesc."""
    reader = BinaryReader(header)
    try:
        if reader.uint32() != 0:
            return False
        levels = reader.uint64()
        if levels > 8:
            return False
        for _ in range(levels):
            reader.skip(reader.uint64())
        return reader.uint32() == 0 and 0 < reader.int32() < 4096 and reader.uint8() == 0x08
    except BinaryError:
        return False


def read(path: Path) -> Model:
    model_path = _model_file(path)
    if model_path.suffix.lower() == ".json":
        return read_pir(model_path)
    program = decode(open_buffer(model_path), PADDLE, "ProgramDesc")
    blocks = program.blocks
    if not blocks:
        raise ModelError(model_path, "the program holds no blocks")
    weights = _saved_tensors(model_path, blocks)
    reader = _ProgramReader(model_path, blocks, weights)
    graph = reader.graph(0, 0)
    graph.stored_parameters = weights.parameters()
    version = _version_text(program.version.version if program.version else 0)
    producer = f"PaddlePaddle {version}" if version else "PaddlePaddle"
    # The op version map lists every op Paddle knows: keep those this program uses.
    used = {op.type for block in blocks for op in block.ops}
    imports = sorted(f"{pair.op_name} v{pair.op_version.version}" for pair in (program.op_version_map or {}).get(
        "pair", []) if pair.op_version is not None and pair.op_name in used)
    model = Model(format="PaddlePaddle", graphs=[graph], producer=producer, version=version, imports=imports)
    if weights.location:
        model.metadata.append(("weights", weights.location))
    return model


def _model_file(path: Path) -> Path:
    """The ProgramDesc for any file of a Paddle model: the folder, the program itself or a weights file."""
    if path.is_dir():
        program = _folder_program(path)
        if program is not None:
            return program
        raise ModelError(path, "the folder holds no Paddle program (__model__, *.pdmodel or a PIR *.json)")
    if path.suffix.lower() == ".pdiparams":
        program = path.with_suffix(".pdmodel")
        return program if program.is_file() else path.with_suffix(".json")
    suffix = path.suffix.lower()
    if suffix in _PROGRAM_EXTENSIONS or suffix == ".json" or path.name.lower() in PROGRAM_NAMES:
        return path
    return path.parent / "__model__"


def _version_text(number: int) -> str:
    """Paddle stores its version as major·10⁶ + minor·10³ + patch (2006002 → 2.6.2); 0 means unset."""
    if number <= 0:
        return ""
    return f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"


def var_type(var: Optional[Message]) -> Optional[TensorType]:
    """The dtype and shape a VarDesc declares (dims -1 → unknown); None when it declares none."""
    if var is None or var.type is None:
        return None
    kind = var.type
    desc = None
    for holder in ("lod_tensor", "tensor_array"):
        if kind.get(holder) is not None:
            desc = kind[holder].tensor
            break
    else:
        desc = kind.selected_rows
    if desc is None:
        return None
    shape = tuple(None if d < 0 else d for d in desc.dims) if desc.has("dims") else None
    return TensorType(DATA_TYPES.get(desc.data_type), shape)


def _saved_tensors(model_path: Path, blocks: List[Message]) -> SavedTensors:
    """The persistable tensors of every block, read from the weights file(s) beside the program."""
    declared: Dict[str, Optional[TensorType]] = {}
    for block in blocks:
        for var in block.vars:
            if var.persistable and var.type is not None and var.type.type in _SAVED_KINDS:
                declared.setdefault(var.name, var_type(var))
    read = {name for block in blocks for op in block.ops for slot in op.inputs for name in slot.arguments}
    weights = SavedTensors(declared, read)
    candidates = [model_path.with_suffix(".pdiparams")]
    if model_path.name in PROGRAM_NAMES:
        candidates += [model_path.parent / name for name in COMBINED_PARAMS]
    combined = next((path for path in candidates if path.is_file()), None)
    if combined is not None:
        weights.read_combined(combined)
    elif model_path.name == "__model__":
        weights.read_separate(model_path.parent)
    return weights


class _ProgramReader:
    def __init__(self, path: Path, blocks: List[Message], weights: SavedTensors):
        self.path = path
        self.blocks = blocks
        self.weights = weights
        self.initializers: Dict[str, Tensor] = {}
        # Each block becomes one Graph, shared by every op that refers to it; `building` catches cycles.
        self.graphs: Dict[int, Graph] = {}
        self.building: set = set()

    def _vars(self, index: int) -> Dict[str, Message]:
        """Variables visible in a block: its own over its ancestors'."""
        chain, seen = [], set()
        while 0 <= index < len(self.blocks) and index not in seen:
            seen.add(index)
            chain.append(self.blocks[index])
            index = self.blocks[index].parent_idx
        found: Dict[str, Message] = {}
        for block in reversed(chain):
            found.update((var.name, var) for var in block.vars)
        return found

    def graph(self, index: int, depth: int) -> Graph:
        if index in self.graphs:
            return self.graphs[index]
        if depth > MAX_BLOCK_DEPTH or index in self.building:
            raise ModelError(self.path, "blocks are nested too deeply (or contain themselves)")
        self.building.add(index)
        graph = self._build(index, depth)
        self.building.discard(index)
        self.graphs[index] = graph
        return graph

    def _build(self, index: int, depth: int) -> Graph:
        block = self.blocks[index]
        variables = self._vars(index)
        types = {name: var_type(var) for name, var in variables.items()}
        with stage(SHAPES):
            infer_shapes(block.ops, types)
        graph = Graph(name=f"block {index}" if index else "main")
        feeds: List[Tuple[int, Argument]] = []
        fetches: List[Tuple[int, Argument]] = []
        for op in block.ops:
            if op.type in ("feed", "fetch"):
                slots = op.outputs if op.type == "feed" else op.inputs
                column = next((attr.i for attr in op.attrs if attr.name == "col"), 0)
                for slot in slots:
                    for name in slot.arguments:
                        entry = (column, Argument(name, [Value(name, types.get(name))]))
                        (feeds if op.type == "feed" else fetches).append(entry)
                continue
            graph.nodes.append(self._node(op, variables, types, depth))
        graph.inputs = [argument for _, argument in sorted(feeds, key=lambda entry: entry[0])]
        graph.outputs = [argument for _, argument in sorted(fetches, key=lambda entry: entry[0])]
        if index == 0 and not feeds:
            graph.inputs = _unfed_inputs(graph)
        return graph

    def _value(self, name: str, variables: Dict[str, Message], types: Dict[str, Optional[TensorType]]) -> Value:
        var = variables.get(name)
        declared = types.get(name)
        if var is not None and var.persistable and var.type is not None and var.type.type in _DATA_KINDS:
            tensor = self.initializers.get(name)
            if tensor is None:
                tensor = self.initializers[name] = self.weights.tensor(name)
            return Value(name, tensor.type, initializer=tensor)
        return Value(name, declared)

    def _node(self, op: Message, variables: Dict[str, Message], types, depth: int) -> Node:
        inputs = [Argument(slot.parameter, [self._value(name, variables, types) for name in slot.arguments])
                  for slot in op.inputs if slot.arguments]
        read = {name for slot in op.inputs for name in slot.arguments}
        outputs = []
        for slot in op.outputs:
            # batch_norm's MeanOut/VarianceOut update its own Mean/Variance in place: not a new tensor to draw.
            names = [name for name in slot.arguments if name not in read]
            if names:
                outputs.append(Argument(slot.parameter, [Value(name, types.get(name)) for name in names]))
        node = Node(name=_node_name(op), type=OpType(op.type, OP_CATEGORIES.get(op.type, "")),
                    inputs=inputs, outputs=outputs)
        for attr in sorted(op.attrs, key=lambda item: item.name):
            node.attributes.append(self._attribute(attr, node, depth))
        return node

    def _attribute(self, attr: Message, node: Node, depth: int) -> Attribute:
        field = ATTR_FIELDS.get(attr.type)
        value = _attribute_value(attr, field)
        if attr.type in (8, 10):  # BLOCK / BLOCKS: the sub-programs of control-flow ops
            for index in value if isinstance(value, list) else [value]:
                if 0 < index < len(self.blocks):
                    node.graphs.append(self.graph(index, depth + 1))
        return Attribute(attr.name, value, ATTR_TYPES.get(attr.type, ""), visible=attr.name not in _NOISE_ATTRIBUTES)


def _attribute_value(attr: Message, field: Optional[str]):
    if field is None:
        return None
    value = getattr(attr, field)
    if field == "scalar":
        return _scalar(value)
    if field == "scalars":
        return [_scalar(item) for item in value]
    if isinstance(value, list) or not hasattr(value, "__iter__") or isinstance(value, str):
        return value
    return list(value)


def _scalar(value: Optional[Message]):
    if value is None:
        return None
    if value.type == 1:
        return value.b
    if value.type == 2:
        return value.i
    if value.type == 4 and value.c is not None:
        return complex(value.c.r, value.c.i)
    return value.r


def _unfed_inputs(graph: Graph) -> List[Argument]:
    """A program without feed ops (a training or pruned program): the tensors read before any op writes them."""
    written, inputs = set(), {}
    for node in graph.nodes:
        for argument in node.inputs:
            for value in argument.values:
                if value.initializer is None and value.name not in written and value.name not in inputs:
                    inputs[value.name] = Argument(value.name, [Value(value.name, value.type)])
        written.update(value.name for argument in node.outputs for value in argument.values)
    return list(inputs.values())


_TEMP_SUFFIX = re.compile(r"\.tmp_\d+$")


def _node_name(op: Message) -> str:
    """Ops have no names: use the first output variable, without Paddle's `.tmp_N` suffix."""
    for slot in op.outputs:
        for name in slot.arguments:
            return _TEMP_SUFFIX.sub("", name)
    return ""


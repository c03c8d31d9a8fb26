"""ExecuTorch `.pte`: a FlatBuffer `Program` (file identifier "ET12") read with our own FlatBuffers codec.

Every execution plan becomes a graph of its instructions, chain after chain: a KernelCall is a node of its
operator (`aten::convolution.out`), a DelegateCall a node of its backend (`XnnpackBackend`) showing the size
of its processed blob, Move/JumpFalse/Free calls are Control nodes. EValues are the edges (tensors with scalar
type and sizes) or the attributes (ints, doubles, bools, lists…). Kernel arguments do not say which are
outputs: a tensor is written by the first instruction that uses it unless it is a plan input or a constant.
Constant tensors are weights read lazily from `constant_buffer` or from the constant segment after the
FlatBuffer (the optional `eh00` extended header gives the segment base). Named data blobs (XNNPACK's packed
weights) show as the delegate's data and are not counted as parameters.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..codecs.flatbuffers import Reader, Table, VectorRef, file_identifier
from ..codecs.protobuf import open_buffer
from ..model import (
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
from .schemas.executorch import SCALAR_TYPES, SHAPE_DYNAMISM, TABLES, UNIONS
from .torch import aten_ops

NAME = "ExecuTorch"
EXTENSIONS = (".pte",)

IDENTIFIER = b"ET12"
_EXTENDED_MAGIC = b"eh00"
_EXTENDED = struct.Struct("<4sIQQ")  # magic, header length, program size, segment base offset
_KINDS = UNIONS["KernelTypes"]
_INSTRUCTIONS = UNIONS["InstructionArguments"]
MAX_LIST_TEXT = 64  # list items shown in an attribute before it is summarised


def match(path: Path, header: bytes) -> bool:
    return file_identifier(header) == IDENTIFIER


def _ints(vector: Any) -> List[int]:
    if vector is None:
        return []
    return [int(v) for v in vector.tolist()] if isinstance(vector, VectorRef) else [int(v) for v in vector]


class _Program:
    """The decoded program plus where its data lives in the file."""

    def __init__(self, path: Path, buffer: Any):
        self.path, self.buffer = path, buffer
        self.program_size, self.segment_base = len(buffer), 0
        if len(buffer) >= 8 + _EXTENDED.size and bytes(buffer[8:12]) == _EXTENDED_MAGIC:
            _, length, program_size, segment_base = _EXTENDED.unpack_from(buffer, 8)
            if length < 24 or program_size > len(buffer) or segment_base > len(buffer):
                raise ModelError(path, "extended header (eh00) points past the end of the file")
            self.program_size, self.segment_base = program_size or len(buffer), segment_base
        flat = memoryview(buffer)[:self.program_size] if not isinstance(buffer, bytes) else buffer[:self.program_size]
        self.program = Reader(flat, TABLES, UNIONS).root("Program")
        self.segments: List[Tuple[int, int]] = []
        for index, segment in enumerate(self.program.segments or []):
            start = self.segment_base + segment.offset
            if start + segment.size > len(buffer):
                raise ModelError(path, f"segment {index} ({segment.size} bytes at {start}) runs past the end")
            self.segments.append((start, segment.size))

    def constant_range(self, index: int, nbytes: int) -> Optional[Tuple[int, int]]:
        """(offset, size) of constant `index` in the file, or None when the program does not hold it."""
        buffers = self.program.constant_buffer or []
        if buffers:
            if not 0 < index < len(buffers):
                return None
            storage = buffers[index].storage
            if isinstance(storage, VectorRef):
                return storage.offset, min(storage.count, nbytes)
            return None if storage is None else (-1, index)  # small: kept as a list of byte values
        segment = self.program.constant_segment
        if segment is None:
            return None
        offsets = _ints(segment.offsets)
        if not 0 < index < len(offsets) or not 0 <= segment.segment_index < len(self.segments):
            return None
        start, size = self.segments[segment.segment_index]
        if offsets[index] + nbytes > size:
            raise ModelError(self.path, f"constant {index} runs past the end of its segment")
        return start + offsets[index], nbytes

    def loader(self, where: Tuple[int, int], dtype: Optional[str], shape: tuple, dim_order: Tuple[int, ...] = ()):
        """Reads the bytes at `where`; a `dim_order` other than 0, 1, … says the dimensions are laid out in
        that order in memory (e.g. channels last), so the values are permuted back to `shape`."""
        buffer, buffers = self.buffer, self.program.constant_buffer or []
        permuted = len(dim_order) == len(shape) and sorted(dim_order) == list(range(len(shape))) and \
            list(dim_order) != sorted(dim_order)

        def load():
            import numpy as np

            if where[0] < 0:
                data = bytes(buffers[where[1]].storage or b"")
            else:
                data = bytes(buffer[where[0]:where[0] + where[1]])
            if dtype not in DTYPE_ITEMSIZE or dtype in ("bfloat16", "qint8", "quint8", "qint32") or \
                    DTYPE_ITEMSIZE[dtype] < 1 or dtype.startswith("float8"):
                return np.frombuffer(data, dtype=np.uint8)
            array = np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<"))
            if array.size != math.prod(shape):
                return array
            if permuted:
                stored = array.reshape([shape[d] for d in dim_order])
                return np.ascontiguousarray(stored.transpose(np.argsort(dim_order)))
            return array.reshape(shape)

        return load

    def blob_size(self, reference: Optional[Table]) -> Optional[int]:
        if reference is None:
            return None
        if reference.location == 0:  # inline
            inline = self.program.backend_delegate_data or []
            return len(inline[reference.index].data or []) if reference.index < len(inline) else None
        return self.segments[reference.index][1] if reference.index < len(self.segments) else None


def _tensor_type(tensor: Table) -> TensorType:
    sizes = tuple(_ints(tensor.sizes))
    if tensor.shape_dynamism == 2:
        return TensorType(SCALAR_TYPES.get(tensor.scalar_type), tuple(None for _ in sizes))
    return TensorType(SCALAR_TYPES.get(tensor.scalar_type), sizes)


class _Plan:
    """One execution plan turned into a graph."""

    def __init__(self, program: _Program, plan: Table):
        self.program, self.plan = program, plan
        self.evalues: List[Table] = plan["values"] or []
        self.graph = Graph(plan.name or "plan")
        self.edges: Dict[int, Value] = {}
        self.defined = set()
        self.memory: Dict[Optional[tuple], int] = {None: -1}  # allocation of each written tensor → its index
        self.parameters = 0

    def kind(self, index: int) -> str:
        if not 0 <= index < len(self.evalues):
            raise ModelError(self.program.path,
                             f"plan {self.graph.name} refers to value {index} of {len(self.evalues)}")
        code = self.evalues[index].val_type
        return _KINDS[code] if 0 <= code < len(_KINDS) else f"kind{code}"

    def value(self, index: int) -> Value:
        """The edge of a Tensor EValue (a constant one carries its weight)."""
        edge = self.edges.get(index)
        if edge is not None:
            return edge
        tensor = self.evalues[index].val
        edge = Value(f"v{index}")
        if tensor is not None:
            edge.type = _tensor_type(tensor)
            if tensor.shape_dynamism:
                edge.description = SHAPE_DYNAMISM.get(tensor.shape_dynamism, "")
            if tensor.data_buffer_idx > 0 and tensor.allocation_info is None:
                edge.initializer = self._constant(index, tensor, edge.type)
                self.defined.add(index)
        self.edges[index] = edge
        return edge

    def _constant(self, index: int, tensor: Table, kind: TensorType) -> Tensor:
        shape = tuple(_ints(tensor.sizes))
        info = tensor.extra_tensor_info
        name = (info.fully_qualified_name if info is not None else "") or f"constant{tensor.data_buffer_idx}"
        weight = Tensor(name, kind.dtype, shape)
        if info is not None and info.location == 1:
            weight.location, weight.layout = "external (named data outside the .pte)", "external"
            return weight
        nbytes = weight.nbytes
        where = self.program.constant_range(tensor.data_buffer_idx, nbytes or 0) if nbytes is not None else None
        if where is not None:
            weight.loader = self.program.loader(where, kind.dtype, shape, tuple(_ints(tensor.dim_order)))
            weight.location = "constant buffer" if where[0] < 0 or self.program.program.constant_buffer else \
                "constant segment"
        return weight

    def scalar(self, index: int) -> Any:
        """An EValue that is not a tensor, as a Python value."""
        kind, val = self.kind(index), self.evalues[index].val
        if val is None or kind == "Null":
            return None
        if kind in ("Int", "Bool", "Double", "String"):
            return next(iter(val.values()), None)
        items = val["items"]
        if kind == "IntList":  # items are indices of Int EValues
            return [self._int_item(i) for i in _ints(items)[:MAX_LIST_TEXT]]
        if kind in ("DoubleList", "BoolList"):
            listed = items.tolist() if isinstance(items, VectorRef) else list(items or [])
            return listed[:MAX_LIST_TEXT]
        return None

    def _int_item(self, index: int) -> Any:
        if 0 <= index < len(self.evalues) and self.kind(index) == "Int" and self.evalues[index].val is not None:
            return self.evalues[index].val.int_val
        return f"v{index}"

    def tensor_indices(self, index: int) -> Optional[List[int]]:
        """The tensors an argument passes (one, or a list's), or None for a scalar argument."""
        kind = self.kind(index)
        if kind == "Tensor":
            return [index]
        if kind in ("TensorList", "OptionalTensorList"):
            val = self.evalues[index].val
            members = [i for i in _ints(val["items"] if val is not None else []) if i >= 0]
            return [i for i in members if self.kind(i) == "Tensor"]
        return None

    def wire(self, node: Node, args: List[int], names: Tuple[str, ...], returns: bool = False) -> None:
        """Tensor arguments become edges. With `returns` (kernel calls) the last argument is the return value
        (a tensor or a list of them: the out arguments); otherwise a tensor no earlier instruction wrote and
        no memory alias explains is an output."""
        results = (self.tensor_indices(args[-1]) or []) if returns and args else []
        written: List[int] = list(dict.fromkeys(results))
        listed = args[:-1] if returns else args
        # without a return value (delegate calls: inputs, then outputs) the inputs run up to the last tensor
        # that was written before (or shares memory with one: a removed view), leaving at least one output;
        # a tensor after that is an output even where it reuses the memory of a dead one
        last_input = len(listed) - 1 if returns else min(len(listed) - 2, max(
            (slot for slot, index in enumerate(listed)
             if any(self.alias(i) is not self.value(i) or i in self.defined or self.value(i).initializer is not None
                    for i in self.tensor_indices(index) or [])), default=-1))
        for slot, index in enumerate(listed):
            label = names[slot] if slot < len(names) else ("input" if slot == 0 else f"arg{slot}")
            tensors = self.tensor_indices(index)
            if tensors is None:
                node.attributes.append(Attribute(label, self.scalar(index), self.kind(index)))
                continue
            consumed = []
            for i in tensors:
                if i in written:
                    continue
                if slot <= last_input:
                    consumed.append(self.alias(i))
                else:
                    written.append(i)
            if consumed:
                node.inputs.append(Argument(label, consumed))
        for position, index in enumerate(written):
            self.defined.add(index)
            self._remember(index)
            node.outputs.append(Argument("output" if position == 0 else f"output{position}", [self.value(index)]))

    def _remember(self, index: int) -> None:
        key = self._memory_key(index)
        if key is not None:
            self.memory[key] = index  # the latest writer of that memory is what a later view reads

    def _memory_key(self, index: int) -> Optional[tuple]:
        tensor = self.evalues[index].val
        allocation = tensor.allocation_info if tensor is not None else None
        if allocation is None:
            return None
        numel = math.prod(_ints(tensor.sizes))
        return allocation.memory_id, allocation.memory_offset_low, allocation.memory_offset_high, numel

    def alias(self, index: int) -> Value:
        """The edge of a tensor that no instruction writes but that shares its memory with one that was written
        (a view the memory planner removed): the written tensor's edge."""
        if index in self.defined or self.value(index).initializer is not None:
            return self.value(index)
        source = self.memory.get(self._memory_key(index))
        return self.value(source) if source is not None and source >= 0 and source != index else self.value(index)

    def build(self) -> Graph:
        plan, graph = self.plan, self.graph
        for target, indices, prefix in ((graph.inputs, plan.inputs, "input"), (graph.outputs, plan.outputs, "output")):
            for position, index in enumerate(_ints(indices)):
                tensors = self.tensor_indices(index) or []
                if target is graph.inputs:
                    self.defined.update(tensors)
                    for i in tensors:
                        self._remember(i)
                if tensors:
                    target.append(Argument(f"{prefix}{position}", [self.value(i) for i in tensors]))
        operators = plan.operators or []
        delegates = plan.delegates or []
        for chain_index, chain in enumerate(plan.chains or []):
            for index, instruction in enumerate(chain.instructions or []):
                graph.nodes.append(self.instruction(instruction, chain_index, index, operators, delegates))
        for evalue in self.evalues:
            tensor = evalue.val if evalue.val_type == _KINDS.index("Tensor") else None
            if tensor is not None and tensor.data_buffer_idx > 0 and tensor.allocation_info is None:
                self.parameters += math.prod(_ints(tensor.sizes))
        graph.stored_parameters = self.parameters
        return graph

    def instruction(self, instruction: Table, chain: int, index: int, operators: list, delegates: list) -> Node:
        code = instruction.instr_args_type
        kind = _INSTRUCTIONS[code] if 0 <= code < len(_INSTRUCTIONS) else f"Instruction{code}"
        call = instruction.instr_args or Table()
        suffix = f"{chain}:{index}" if chain else str(index)
        if kind == "KernelCall":
            if not 0 <= call.op_index < len(operators):
                raise ModelError(self.program.path, f"instruction {index} calls operator {call.op_index} "
                                                    f"of {len(operators)}")
            operator = operators[call.op_index]
            namespace, _, name = (operator.name or "").rpartition("::")
            node = Node(f"{name}_{suffix}", OpType(aten_ops.display_name(namespace, name, operator.overload or ""),
                                                   aten_ops.category(namespace, name), domain=namespace))
            self.wire(node, _ints(call.args), aten_ops.argument_names(name), returns=True)
            return node
        if kind == "DelegateCall":
            if not 0 <= call.delegate_index < len(delegates):
                raise ModelError(self.program.path, f"instruction {index} calls delegate {call.delegate_index} "
                                                    f"of {len(delegates)}")
            delegate = delegates[call.delegate_index]
            node = Node(f"delegate{call.delegate_index}_{suffix}", OpType(delegate.id or "Delegate", "Custom"))
            node.attributes.append(Attribute("backend", delegate.id or ""))
            size = self.program.blob_size(delegate.processed)
            where = "inline" if delegate.processed is not None and delegate.processed.location == 0 else "segment"
            node.attributes.append(Attribute("processed", f"{size} bytes ({where})" if size is not None else "?"))
            for spec in delegate.compile_specs or []:
                node.attributes.append(Attribute(spec.key or "compile_spec", _spec_text(spec["value"])))
            self.wire(node, _ints(call.args), ())
            return node
        node = Node(f"{kind}_{suffix}", OpType(kind.replace("Call", "").lower() or "instruction", "Control"))
        if kind == "MoveCall":
            self.wire(node, [call.move_from, call.move_to], ("from", "to"))
        elif kind == "JumpFalseCall":
            self.wire(node, [call.cond_value_index], ("condition",))
            node.attributes.append(Attribute("destination", call.destination_instruction, "int"))
        elif kind == "FreeCall":
            self.wire(node, [call.value_index], ("value",))
        return node


def _spec_text(value: Any) -> Any:
    data = value.tobytes() if isinstance(value, VectorRef) else bytes(value or [])
    text = data.rstrip(b"\0")
    if text and all(32 <= b < 127 for b in text) and len(text) <= 200:
        return text.decode("ascii")
    return f"{len(data)} bytes"


def _named_data(program: _Program) -> List[Tensor]:
    """Named blobs (backends' packed weights) as byte tensors: shown, never counted."""
    tensors = []
    for entry in program.program.named_data or []:
        if not 0 <= entry.segment_index < len(program.segments):
            continue
        start, size = program.segments[entry.segment_index]
        blob = Tensor(entry.key or f"segment{entry.segment_index}", "uint8", (size,),
                      loader=program.loader((start, size), "uint8", (size,)), location="named data segment")
        tensors.append(blob)
    return tensors


def read(path: Path) -> Model:
    buffer = open_buffer(path)
    if file_identifier(buffer) != IDENTIFIER:
        raise ModelError(path, "is not an ExecuTorch program (no ET12 identifier)")
    program = _Program(path, buffer)
    plans = [_Plan(program, plan) for plan in program.program.execution_plan or []]
    if not plans:
        raise ModelError(path, "ExecuTorch program holds no execution plan")
    graphs = [plan.build() for plan in plans]
    main = next((i for i, g in enumerate(graphs) if g.name == "forward"), 0)
    graphs.insert(0, graphs.pop(main))
    if len(graphs) > 1:  # the counts cover the whole program: every plan's instructions and constants
        totals: Dict[str, int] = {}
        for graph in graphs:
            for name, count in graph.operators().items():
                totals[name] = totals.get(name, 0) + count
        graphs[0].stored_operators = totals
        graphs[0].stored_parameters = sum(plan.parameters for plan in plans)
    blobs = _named_data(program)
    delegate_nodes = [node for graph in graphs for node in graph.nodes if node.type.category == "Custom"]
    if blobs and len(delegate_nodes) == 1:
        delegate_nodes[0].inputs.extend(Argument(f"data{i}", [Value(b.name, b.type, initializer=b)])
                                        for i, b in enumerate(blobs))
    model = Model(format="ExecuTorch ET12", graphs=graphs, version=f"program schema {program.program.version}")
    model.metadata.append(("execution plans", ", ".join(g.name for g in graphs)))
    model.metadata.append(("segments", str(len(program.segments))))
    for plan in plans:
        sizes = _ints(plan.plan.non_const_buffer_sizes)[1:]  # entry 0 is reserved
        if sizes:
            text = " + ".join(f"{size:,} bytes" for size in sizes)
            model.metadata.append((f"{plan.graph.name} planned memory", text))
    if blobs:
        model.metadata.append(("named data", f"{len(blobs)} blobs, {sum(b.size or 0 for b in blobs)} bytes "
                                             "(backend data, not counted as parameters)"))
    backends = sorted({node.type.name for node in delegate_nodes})
    if backends:
        model.metadata.append(("delegates", ", ".join(backends)))
    return model

"""Core ML ML programs (MIL): functions → blocks → operations, with `const` values as weights or attributes.

`const` operations are not drawn as boxes: a float tensor becomes a weight row of each operation that reads
it, any other constant (strides, pads, axes, flags) an attribute. Blob-file constants stay in
`weights/weight.bin` and are read on demand: each blob has a 64-byte metadata record at its offset
(sentinel 0xDEADBEEF, data type, size in bytes, data offset), after the file's 64-byte storage header.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.binary import NUMPY_DTYPES, BinaryError, BinaryReader
from ..codecs.protobuf import BytesRef, Message, PackedRef, to_bytes
from ..model import Argument, Attribute, Dim, Graph, ModelError, Node, OpType, Tensor, TensorType, Value

MAX_BLOCK_DEPTH = 32
BLOB_SENTINEL = 0xDEADBEEF
BLOB_HEADER_SIZE = 64

# MILSpec.DataType → our dtype names.
DATA_TYPES = {
    1: "bool", 2: "string", 10: "float16", 11: "float32", 12: "float64", 13: "bfloat16", 21: "int8", 22: "int16",
    23: "int32", 24: "int64", 25: "int4", 31: "uint8", 32: "uint16", 33: "uint32", 34: "uint64", 35: "uint4",
    36: "uint2", 37: "uint1", 38: "uint6", 39: "uint3", 40: "float8_e4m3fn", 41: "float8_e5m2",
}
# The blob file's own data type codes (MILBlob BlobDataType).
BLOB_TYPES = {
    1: "float16", 2: "float32", 3: "uint8", 4: "int8", 5: "bfloat16", 6: "int16", 7: "uint16", 8: "int4",
    9: "uint1", 10: "uint2", 11: "uint4", 12: "uint3", 13: "uint6", 14: "int32", 15: "uint32",
    16: "float8_e4m3fn", 17: "float8_e5m2",
}
_STRUCT_CODES = {"float16": "e", "float32": "f", "float64": "d", "int8": "b", "uint8": "B", "int16": "h",
                 "uint16": "H", "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q", "bool": "?"}
_SUB_BYTE_BITS = {"int4": 4, "uint4": 4, "uint1": 1, "uint2": 2, "uint3": 3, "uint6": 6}
_FLOATS = {"float16", "float32", "float64", "bfloat16", "float8_e4m3fn", "float8_e5m2"}

CATEGORIES = {
    "Layer": ("conv", "conv_transpose", "linear", "matmul", "einsum", "lstm", "gru", "rnn", "embedding"),
    "Activation": ("relu", "relu6", "leaky_relu", "sigmoid", "sigmoid_hard", "tanh", "softmax", "gelu", "silu",
                   "elu", "prelu", "softplus", "softsign", "clip", "clamped_relu", "thresholded_relu", "log_softmax",
                   "scaled_tanh", "softplus_parametric", "linear_activation"),
    "Pool": ("avg_pool", "max_pool", "l2_pool"),
    "Normalization": ("batch_norm", "instance_norm", "layer_norm", "l2_norm", "local_response_norm"),
    "Shape": ("reshape", "squeeze", "expand_dims", "flatten2d", "shape", "reshape_like"),
    "Tensor": ("concat", "split", "slice_by_index", "slice_by_size", "gather", "gather_nd", "gather_along_axis",
               "scatter", "stack", "transpose", "pad", "tile", "cast", "fill", "range_1d", "topk", "argsort",
               "identity", "select"),
    "Transform": ("upsample_nearest_neighbor", "upsample_bilinear", "resize_bilinear", "resize_nearest_neighbor",
                  "pixel_shuffle", "space_to_depth", "depth_to_space", "crop_resize", "resample"),
    "Quantization": ("quantize", "dequantize", "constexpr_affine_dequantize", "constexpr_lut_to_dense",
                     "constexpr_sparse_to_dense", "constexpr_blockwise_shift_scale"),
    "Control": ("cond", "while_loop", "make_list", "list_read", "list_write", "list_gather", "list_scatter",
                "list_length"),
}
OP_CATEGORIES = {op: category for category, ops in CATEGORIES.items() for op in ops}


def value_type(kind: Optional[Message]) -> Optional[TensorType]:
    """A MIL ValueType as a TensorType (lists, tuples and dictionaries by their denotation)."""
    if kind is None:
        return None
    tensor = kind.tensorType
    if tensor is not None:
        shape: Optional[Tuple[Dim, ...]] = tuple(
            int(dim.constant.size) if dim.constant is not None else None for dim in tensor.dimensions)
        if not tensor.dimensions and tensor.rank > 0:
            shape = (None,) * tensor.rank
        elif tensor.rank < 0:
            shape = None
        return TensorType(DATA_TYPES.get(tensor.dataType), shape)
    if kind.stateType is not None:
        inner = value_type(kind.stateType.wrappedType)
        return TensorType(inner.dtype if inner else None, inner.shape if inner else None, denotation="state")
    for name in ("listType", "tupleType", "dictionaryType"):
        if kind.get(name) is not None:
            return TensorType(None, None, denotation=name[:-4])
    return None


def _immediate(tensor: Message, dtype: Optional[str]):
    """The plain values of an immediate TensorValue (a list, or bytes for packed small types)."""
    for name in ("floats", "ints", "bools", "strings", "longInts", "doubles"):
        holder = tensor.get(name)
        if holder is not None:
            values = holder.get("values", [])  # not `.values`: a Message is a dict
            return values.array().tolist() if isinstance(values, PackedRef) else list(values)
    holder = tensor.get("bytes")
    if holder is not None:
        return to_bytes(holder.get("values", b""))
    return []


class ProgramReader:
    """Turns one ML program into graphs; `weights_folder` is where `@model_path/weights/...` blobs live."""

    def __init__(self, path: Path, model_folder: Path):
        self.path = path
        self.model_folder = model_folder

    def program_graphs(self, program: Message, function_name: str) -> List[Graph]:
        """One graph per function, the main one (`function_name`, else "main", else the first) first."""
        functions = {entry.key: entry.value for entry in program.functions if entry.value is not None}
        if not functions:
            raise ModelError(self.path, "the ML program holds no functions")
        main = function_name if function_name in functions else "main" if "main" in functions \
            else next(iter(functions))
        names = [main] + [name for name in functions if name != main]
        return [self._function_graph(name, functions[name]) for name in names]

    def _function_graph(self, name: str, function: Message) -> Graph:
        blocks = {entry.key: entry.value for entry in function.block_specializations if entry.value is not None}
        if not blocks:
            raise ModelError(self.path, f"function {name!r} holds no block")
        block = blocks.get(function.opset) or next(iter(blocks.values()))
        types = {item.name: value_type(item.type) for item in function.inputs}
        graph = self.block_graph(block, name, types, 0)
        graph.inputs = [Argument(item.name, [Value(item.name, types[item.name])]) for item in function.inputs]
        return graph

    def block_graph(self, block: Message, name: str, outer: Dict[str, Optional[TensorType]], depth: int) -> Graph:
        """A block's operations as nodes; `outer` holds the types of the values the block can see."""
        if depth > MAX_BLOCK_DEPTH:
            raise ModelError(self.path, "ML program blocks are nested too deeply")
        graph = Graph(name=name)
        types = dict(outer)
        types.update((item.name, value_type(item.type)) for item in block.inputs)
        constants: Dict[str, Tuple[Tensor, object]] = {}
        operators: Dict[str, int] = {}
        parameters = 0
        for op in block.operations:
            # `nodes` counts every operation of the block, `const` ones included, as the file stores them
            # (tiny_cnn_mlprogram: 8 compute ops + 22 consts = 30); `parameters` counts the elements of every
            # const's value, scalars and strings included (961 there), and of the attribute values of constexpr_*
            # ops (quantized data, LUTs, scales: elements, not bytes).
            operators[op.type] = operators.get(op.type, 0) + 1
            for output in op.outputs:
                types[output.name] = value_type(output.type)
            if op.type == "const" and op.outputs:
                output = op.outputs[0]
                tensor, plain = self._const(op, output.name, types[output.name])
                constants[output.name] = (tensor, plain)
                parameters += tensor.size or 0
                continue
            if op.type.startswith("constexpr_"):
                # Decompression ops hold their data in attributes: counted like const values.
                parameters += sum(self._value_tensor(entry.value, entry.key)[0].size or 0
                                  for entry in op.attributes if entry.key != "name" and entry.value is not None)
            graph.nodes.append(self._node(op, types, constants, depth))
        graph.inputs = [Argument(item.name, [Value(item.name, value_type(item.type))]) for item in block.inputs]
        graph.outputs = [Argument(name, [Value(name, types.get(name))]) for name in block.outputs]
        graph.stored_operators = operators
        graph.stored_parameters = parameters
        return graph

    def _node(self, op: Message, types, constants, depth: int) -> Node:
        attributes = {entry.key: entry.value for entry in op.attributes}
        name_value = attributes.get("name")
        title = ""
        if name_value is not None and name_value.immediateValue is not None:
            strings = _immediate(name_value.immediateValue.tensor or {}, "string")
            title = str(strings[0]) if strings else ""
        node = Node(name=title or (op.outputs[0].name if op.outputs else ""),
                    type=OpType(op.type, OP_CATEGORIES.get(op.type, "")))
        for entry in sorted(op.inputs, key=_input_order):
            values = []
            for binding in entry.value.arguments if entry.value is not None else []:
                if binding.get("name"):
                    constant = constants.get(binding.name)
                    if constant is not None and not _is_weight(constant[0]):
                        node.attributes.append(Attribute(entry.key, constant[1], constant[0].dtype or ""))
                        continue
                    tensor = constant[0] if constant is not None else None
                    values.append(Value(binding.name, types.get(binding.name), initializer=tensor))
                elif binding.value is not None:
                    tensor, plain = self._value_tensor(binding.value, f"{node.name}.{entry.key}")
                    node.attributes.append(Attribute(entry.key, plain, tensor.dtype or ""))
            if values:
                node.inputs.append(Argument(entry.key, values))
        for output in op.outputs:
            node.outputs.append(Argument("output", [Value(output.name, types.get(output.name))]))
        for key, value in sorted(attributes.items()):
            if key != "name" and value is not None:
                tensor, plain = self._value_tensor(value, f"{node.name}.{key}")
                if _is_weight(tensor):
                    # constexpr_* ops (compressed weights) keep their data in attributes: weight rows.
                    node.inputs.append(Argument(key, [Value(tensor.name, tensor.type, initializer=tensor)]))
                else:
                    node.attributes.append(Attribute(key, plain, tensor.dtype or "", visible=False))
        for index, block in enumerate(op.blocks):
            node.graphs.append(self.block_graph(block, f"{node.name} block {index}", types, depth + 1))
        return node

    def _const(self, op: Message, name: str, declared: Optional[TensorType]) -> Tuple[Tensor, object]:
        attributes = {entry.key: entry.value for entry in op.attributes}
        value = attributes.get("val")
        if value is None:
            return Tensor(name, declared.dtype if declared else None, declared.shape if declared else None), None
        return self._value_tensor(value, name)

    def _value_tensor(self, value: Message, name: str) -> Tuple[Tensor, object]:
        """A Value as a Tensor (lazy for blob files) and, for immediate values, its plain Python form."""
        kind = value_type(value.type) or TensorType()
        shape = kind.shape if kind.shape is not None else ()
        count = math.prod(d for d in shape if isinstance(d, int)) if all(isinstance(d, int) for d in shape) \
            else None
        if value.blobFileValue is not None:
            blob = value.blobFileValue
            loader = self._blob_loader(blob.fileName, int(blob.offset), kind.dtype, shape)
            return Tensor(name, kind.dtype, tuple(shape), loader=loader, location=Path(blob.fileName).name,
                          count=count), None
        immediate = value.immediateValue
        plain = None
        if immediate is not None and immediate.tensor is not None:
            plain = _immediate(immediate.tensor, kind.dtype)
        elif immediate is not None:
            plain = "(nested value)"
        tensor = Tensor(name, kind.dtype, tuple(shape), loader=_plain_loader(plain, kind.dtype, shape),
                        location="inline", count=count)
        if isinstance(plain, list) and len(plain) == 1 and shape == ():
            plain = plain[0]
        code = _STRUCT_CODES.get(kind.dtype or "")
        if isinstance(plain, bytes) and code and len(plain) % struct.calcsize(code) == 0:
            # Small packed values (float16 scalars, int8 lists) as numbers, without needing numpy.
            numbers = list(struct.unpack(f"<{len(plain) // struct.calcsize(code)}{code}", plain))
            plain = numbers[0] if shape == () and len(numbers) == 1 else numbers
        return tensor, plain

    def _blob_loader(self, file_name: str, offset: int, dtype: Optional[str], shape):
        relative = file_name[len("@model_path/"):] if file_name.startswith("@model_path/") else file_name
        path = (self.model_folder / relative).resolve()
        folder = self.model_folder.resolve()
        if folder not in path.parents:
            raise ModelError(self.path, f"weight file {file_name!r} lies outside the model folder")

        def load():
            return read_blob(path, offset, dtype, shape)

        return load


def _input_order(entry: Message) -> Tuple[int, str]:
    """Data inputs first, then weight and bias, then the rest by name (a protobuf map keeps no order)."""
    ranks = {"x": 0, "input": 0, "weight": 1, "bias": 2}
    return ranks.get(entry.key, 3), entry.key


def _is_weight(tensor: Tensor) -> bool:
    """Float tensors of rank ≥ 1 are weights (rows); other constants are settings (attributes)."""
    return tensor.dtype in _FLOATS and bool(tensor.shape) or tensor.location != "inline"


def _plain_loader(plain, dtype: Optional[str], shape):
    def load():
        import numpy as np

        if isinstance(plain, (bytes, BytesRef)):
            array = np.frombuffer(to_bytes(plain), dtype=NUMPY_DTYPES.get(dtype or "", "u1"))
        else:
            array = np.array(plain if plain is not None else [])
        return array.reshape(shape) if array.size == math.prod(shape) else array

    return load


def read_blob(path: Path, offset: int, dtype: Optional[str], shape) -> object:
    """Read one blob of a MIL weight file: check its metadata record, then decode its data."""
    import numpy as np

    with path.open("rb") as stream:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(offset)
        reader = BinaryReader(stream.read(BLOB_HEADER_SIZE))
        try:
            sentinel, blob_type, length, data_offset = reader.uint32(), reader.uint32(), reader.uint64(), \
                reader.uint64()
        except BinaryError:
            raise ModelError(path, f"no blob metadata at offset {offset}") from None
        if sentinel != BLOB_SENTINEL:
            raise ModelError(path, f"no blob at offset {offset} (bad sentinel {sentinel:#x})")
        if data_offset + length > size:
            raise ModelError(path, f"blob at offset {offset} runs past the end of the file")
        stream.seek(data_offset)
        data = stream.read(length)
    stored = BLOB_TYPES.get(blob_type, dtype or "uint8")
    bits = _SUB_BYTE_BITS.get(stored)
    if bits is not None:
        values = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little").reshape(-1, bits)
        array = (values * (1 << np.arange(bits))).sum(axis=1)
        if stored == "int4":
            array = np.where(array >= 8, array - 16, array)
    elif stored in NUMPY_DTYPES:
        array = np.frombuffer(data, dtype=NUMPY_DTYPES[stored])
    else:
        array = np.frombuffer(data, dtype=np.uint8)
    count = math.prod(shape) if shape else 1
    if array.size >= count and all(isinstance(d, int) for d in shape):
        array = array[:count].reshape(shape)
    return array


"""ExecuTorch program schema facts (executorch `schema/program.fbs` and `scalar_type.fbs`, file identifier
"ET12") as compact data for our FlatBuffers reader.

Tables list their fields in slot order as (name, type[, default]); see `codecs/flatbuffers.py` for the type
spelling. Unions list their member tables by type code (index 0 = NONE).
"""

TABLES = {
    'ContainerMetadata': (('encoded_inp_str', 'string'), ('encoded_out_str', 'string')),
    'Null': (),
    'AllocationDetails': (('memory_id', 'uint'), ('memory_offset_low', 'uint'), ('memory_offset_high', 'uint')),
    'ExtraTensorInfo': (
        ('mutable_data_segments_idx', 'ulong'), ('fully_qualified_name', 'string'),
        ('location', 'byte:TensorDataLocation'),
    ),
    'Tensor': (
        ('scalar_type', 'byte:ScalarType'), ('storage_offset', 'int'), ('sizes', '[int]'),
        ('dim_order', '[ubyte]'), ('requires_grad', 'bool'), ('data_buffer_idx', 'uint'),
        ('allocation_info', 'AllocationDetails'), ('layout', 'byte'),
        ('shape_dynamism', 'byte:TensorShapeDynamism'), ('extra_tensor_info', 'ExtraTensorInfo'),
    ),
    'Int': (('int_val', 'long'),),
    'Bool': (('bool_val', 'bool'),),
    'Double': (('double_val', 'double'),),
    'String': (('string_val', 'string'),),
    'IntList': (('items', '[long]'),),
    'DoubleList': (('items', '[double]'),),
    'BoolList': (('items', '[bool]'),),
    'TensorList': (('items', '[int]'),),
    'OptionalTensorList': (('items', '[int]'),),
    'EValue': (('val', 'union:KernelTypes'),),
    'Operator': (('name', 'string'), ('overload', 'string')),
    'KernelCall': (('op_index', 'int'), ('args', '[int]')),
    'DelegateCall': (('delegate_index', 'int'), ('args', '[int]')),
    'MoveCall': (('move_from', 'int'), ('move_to', 'int')),
    'JumpFalseCall': (('cond_value_index', 'int'), ('destination_instruction', 'int')),
    'FreeCall': (('value_index', 'int'),),
    'Instruction': (('instr_args', 'union:InstructionArguments'),),
    'Frame': (('filename', 'string'), ('lineno', 'int'), ('name', 'string'), ('context', 'string')),
    'FrameList': (('items', '[Frame]'),),
    'BackendDelegateDataReference': (('location', 'byte:DataLocation'), ('index', 'uint')),
    'CompileSpec': (('key', 'string'), ('value', '[ubyte]')),
    'BackendDelegate': (
        ('id', 'string'), ('processed', 'BackendDelegateDataReference'), ('compile_specs', '[CompileSpec]'),
    ),
    'Chain': (
        ('inputs', '[int]'), ('outputs', '[int]'), ('instructions', '[Instruction]'), ('stacktrace', '[FrameList]'),
    ),
    'ExecutionPlan': (
        ('name', 'string'), ('container_meta_type', 'ContainerMetadata'), ('values', '[EValue]'),
        ('inputs', '[int]'), ('outputs', '[int]'), ('chains', '[Chain]'), ('operators', '[Operator]'),
        ('delegates', '[BackendDelegate]'), ('non_const_buffer_sizes', '[long]'),
    ),
    'Buffer': (('storage', '[ubyte]'),),
    'BackendDelegateInlineData': (('data', '[ubyte]'),),
    'DataSegment': (('offset', 'ulong'), ('size', 'ulong')),
    'SubsegmentOffsets': (('segment_index', 'uint'), ('offsets', '[ulong]')),
    'NamedData': (('key', 'string'), ('segment_index', 'uint')),
    'Program': (
        ('version', 'uint'), ('execution_plan', '[ExecutionPlan]'), ('constant_buffer', '[Buffer]'),
        ('backend_delegate_data', '[BackendDelegateInlineData]'), ('segments', '[DataSegment]'),
        ('constant_segment', 'SubsegmentOffsets'), ('mutable_data_segments', '[SubsegmentOffsets]'),
        ('named_data', '[NamedData]'),
    ),
}

UNIONS = {
    'KernelTypes': (
        'NONE', 'Null', 'Int', 'Bool', 'Double', 'Tensor', 'String', 'IntList', 'DoubleList', 'BoolList',
        'TensorList', 'OptionalTensorList',
    ),
    'InstructionArguments': ('NONE', 'KernelCall', 'DelegateCall', 'MoveCall', 'JumpFalseCall', 'FreeCall'),
}

# c10 ScalarType codes as ExecuTorch stores them → numpy / ml_dtypes names.
SCALAR_TYPES = {
    0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16", 6: "float32", 7: "float64",
    8: "complex32", 9: "complex64", 10: "complex128", 11: "bool", 12: "qint8", 13: "quint8", 14: "qint32",
    15: "bfloat16", 16: "quint4x2", 17: "quint2x4", 18: "bits1x8", 19: "bits2x4", 20: "bits4x2", 21: "bits8",
    22: "bits16", 23: "float8_e5m2", 24: "float8_e4m3fn", 25: "float8_e5m2fnuz", 26: "float8_e4m3fnuz",
    27: "uint16", 28: "uint32", 29: "uint64",
}

SHAPE_DYNAMISM = {0: "static", 1: "dynamic (upper bound)", 2: "dynamic (unbounded)"}

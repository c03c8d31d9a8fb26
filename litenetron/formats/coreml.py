"""Core ML reader: `CoreML.Specification.Model` in a `.mlmodel` file or an `.mlpackage` folder.

The model description gives the graph inputs/outputs (multi-arrays, images, dictionaries, strings) and the
metadata. Neural networks (see `coreml_nn`) and ML programs (see `coreml_mil`) become graphs of layers or
operations; each pipeline member becomes one graph; every other model kind (tree ensembles, GLMs, SVMs,
text classifiers...) is one descriptive box between the described inputs and outputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..codecs.protobuf import Message, PackedRef, decode, matches_signature, open_buffer
from ..model import Argument, Attribute, Graph, Model, ModelError, Node, OpType, Tensor, TensorType, Value
from .coreml_mil import ProgramReader
from .coreml_nn import network_graph, plain_value
from .schemas.coreml import ENUMS, SCHEMA

NAME = "Core ML"
EXTENSIONS = (".mlmodel", ".mlpackage", "Manifest.json")  # what the Open dialog offers

MAX_PIPELINE_DEPTH = 16
PACKAGE_MODEL = Path("Data") / "com.apple.CoreML" / "model.mlmodel"

# Model fields that say what kind of model it is, besides the version, description and update flag.
_COMMON_FIELDS = {"specificationVersion", "description", "isUpdatable"}
_NETWORKS = ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor")
_PIPELINES = ("pipeline", "pipelineClassifier", "pipelineRegressor")
_ARRAY_TYPES = {65552: "float16", 65568: "float32", 65600: "float64", 131080: "int8", 131104: "int32"}
_KIND_TITLES = {"glmClassifier": "GLMClassifier", "glmRegressor": "GLMRegressor"}  # else the field, capitalised
_CHANNELS = {10: 1, 20: 3, 30: 3, 40: 1}  # GRAYSCALE, RGB, BGR, GRAYSCALE_FLOAT16

# Leading fields of a Model: version (varint), description and the model kind (messages).
_SIGNATURE = {1: (0,), 2: (2,), 10: (0,), **{number: (2,) for number in SCHEMA["Model"] if number >= 200}}


def match(path: Path, header: bytes) -> bool:
    if path.is_dir():
        return (path / "Manifest.json").is_file() and (path / PACKAGE_MODEL).is_file()
    if path.name == "Manifest.json":
        return (path.parent / PACKAGE_MODEL).is_file()
    if path.suffix.lower() == ".mlmodel":
        return matches_signature(header, _SIGNATURE)
    # A weight file of an .mlpackage opens its package.
    return path.name == "weight.bin" and path.parent.name == "weights" and \
        (path.parent.parent / "model.mlmodel").is_file()


def read(path: Path) -> Model:
    model_path = _model_file(path)
    spec = decode(open_buffer(model_path), SCHEMA, "Model")
    model = Model(format=f"Core ML v{spec.specificationVersion}")
    description = spec.description
    if description is not None:
        _metadata(model, description.metadata)
    reader = ProgramReader(model_path, model_path.parent)
    model.graphs = _graphs(spec, "", reader, model_path, 0)
    return model


def _model_file(path: Path) -> Path:
    """The `.mlmodel` for a file, a package folder, its Manifest.json or its weight file."""
    if path.name == "weight.bin":
        return path.parent.parent / "model.mlmodel"
    folder = path if path.is_dir() else path.parent if path.name == "Manifest.json" else None
    if folder is None:
        return path
    manifest = folder / "Manifest.json"
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
        entry = info["itemInfoEntries"][info["rootModelIdentifier"]]
        relative = Path(entry["path"])
    except (OSError, ValueError, KeyError, TypeError):
        return folder / PACKAGE_MODEL
    candidate = (folder / "Data" / relative).resolve()
    if folder.resolve() not in candidate.parents or not candidate.is_file():
        raise ModelError(manifest, f"root model {str(relative)!r} is not a file inside the package")
    return candidate


def _metadata(model: Model, metadata: Optional[Message]) -> None:
    if metadata is None:
        return
    model.description = metadata.shortDescription
    model.version = metadata.versionString
    for key, label in (("author", "author"), ("license", "license")):
        if metadata.get(key):
            model.metadata.append((label, metadata[key]))
    user = {entry.key: entry.value for entry in metadata.userDefined}
    tool = user.get("com.github.apple.coremltools.version")
    if tool:
        source = user.get("com.github.apple.coremltools.source")
        model.producer = f"coremltools {tool}" + (f" ({source})" if source else "")
    model.metadata.extend(user.items())


def _graphs(spec: Message, name: str, reader: ProgramReader, path: Path, depth: int) -> List[Graph]:
    """One graph per model; a pipeline gives its members' graphs in order."""
    if depth > MAX_PIPELINE_DEPTH:
        raise ModelError(path, "pipelines are nested too deeply")
    kind = next((key for key in spec if key not in _COMMON_FIELDS), "")
    description = spec.description
    types = _feature_types(description)
    if kind in _PIPELINES:
        pipeline = spec[kind] if kind == "pipeline" else spec[kind].pipeline
        graphs: List[Graph] = []
        members = list(pipeline.models) if pipeline is not None else []
        names = list(pipeline.names) if pipeline is not None else []
        for index, member in enumerate(members):
            # Unnamed members are named by their own kind (dictVectorizer, glmClassifier...).
            label = names[index] if index < len(names) else ""
            graphs.extend(_graphs(member, label, reader, path, depth + 1))
        return graphs or [_graph_frame(description, types, name or kind)]
    graph = _graph_frame(description, types, name or kind or "model")
    if kind in _NETWORKS:
        network_graph(spec[kind], graph, types)
    elif kind == "mlProgram":
        function = description.defaultFunctionName if description is not None else ""
        programs = reader.program_graphs(spec[kind], function)
        program = programs[0]
        program.name = name or program.name
        if not program.inputs:
            program.inputs = graph.inputs
        program.outputs = _typed_outputs(graph.outputs, program.outputs)
        return programs
    else:
        graph.nodes.append(_model_node(kind, spec.get(kind), graph))
    return [graph]


def _typed_outputs(described: List[Argument], produced: List[Argument]) -> List[Argument]:
    """Program outputs with the description's names and the program's own types where it has them."""
    if len(described) != len(produced):
        return produced or described
    merged = []
    for outer, inner in zip(described, produced):
        value = inner.values[0] if inner.values else None
        kind = value.type if value is not None and value.type is not None else outer.values[0].type
        merged.append(Argument(outer.name, [Value(value.name if value else outer.name, kind)]))
    return merged


def _graph_frame(description: Optional[Message], types, name: str) -> Graph:
    graph = Graph(name=name)
    if description is None:
        return graph
    graph.inputs = [Argument(item.name, [Value(item.name, types.get(item.name), description=item.shortDescription)])
                    for item in description.input]
    graph.outputs = [Argument(item.name, [Value(item.name, types.get(item.name), description=item.shortDescription)])
                     for item in description.output]
    return graph


def _model_node(kind: str, params, graph: Graph) -> Node:
    """A model kind drawn as one box: inputs → kind → outputs, with the settings and weights it is known by."""
    title = _KIND_TITLES.get(kind, kind[:1].upper() + kind[1:] if kind else "Model")
    node = Node(name=kind, type=OpType(title, "Layer"),
                inputs=[Argument(argument.name, list(argument.values)) for argument in graph.inputs],
                outputs=[Argument(argument.name, list(argument.values)) for argument in graph.outputs])
    if not isinstance(params, Message):
        if params is not None:
            node.attributes.append(Attribute("size", f"{len(params)} bytes", ""))
        return node
    rows = [entry.get("value", []) for entry in params.get("weights", [])]  # GLM: one row per class/output
    if rows and all(len(row) == len(rows[0]) for row in rows):
        shape = (len(rows), len(rows[0]))
        node.inputs.append(Argument("weights", [Value(f"{kind}/weights", TensorType("float64", shape),
                                                      initializer=_double_tensor("weights", rows, shape))]))
    offset = params.get("offset", [])
    if len(offset):
        node.inputs.append(Argument("offset", [Value(f"{kind}/offset", TensorType("float64", (len(offset),)),
                                                     initializer=_double_tensor("offset", [offset], (len(offset),)))]))
    ensemble = params.get("treeEnsemble")
    if ensemble is not None:
        nodes = ensemble.get("nodes", [])
        node.attributes.append(Attribute("trees", len({int(item.treeId) for item in nodes}), "uint64"))
        node.attributes.append(Attribute("nodes", len(nodes), "uint64"))
        node.attributes.append(Attribute("numPredictionDimensions", int(ensemble.numPredictionDimensions), "uint64"))
    for key in ("postEvaluationTransform", "classEncoding"):
        if key in params:
            node.attributes.append(Attribute(key, plain_value(params[key], params.type_name, key), "enum"))
    labels = params.get("stringClassLabels") or params.get("int64ClassLabels")
    if labels is not None:
        node.attributes.append(Attribute("classes", list(labels.vector), ""))
    return node


def _double_tensor(name: str, rows: list, shape: Tuple[int, ...]) -> Tensor:
    def load():
        import numpy as np

        arrays = [row.array() if isinstance(row, PackedRef) else np.array(row, dtype=np.float64) for row in rows]
        return np.concatenate(arrays).reshape(shape)

    return Tensor(name, "float64", shape, loader=load, location="inline")


def _feature_types(description: Optional[Message]) -> Dict[str, Optional[TensorType]]:
    if description is None:
        return {}
    return {item.name: feature_type(item.type) for item in [*description.input, *description.output]}


def feature_type(kind: Optional[Message]) -> Optional[TensorType]:
    """A FeatureType as a TensorType: arrays by dtype and shape, images as C×H×W with their colour space."""
    if kind is None:
        return None
    if kind.multiArrayType is not None:
        array = kind.multiArrayType
        shape: Optional[Tuple] = tuple(int(d) for d in array.shape) if array.shape else None
        if shape is None and array.enumeratedShapes is not None and array.enumeratedShapes.shapes:
            shape = tuple(int(d) for d in array.enumeratedShapes.shapes[0].shape)
        return TensorType(_ARRAY_TYPES.get(array.dataType), shape)
    if kind.imageType is not None:
        image = kind.imageType
        space = ENUMS["ImageFeatureType.ColorSpace"].get(image.colorSpace, str(image.colorSpace))
        channels = _CHANNELS.get(image.colorSpace)
        width, height = int(image.width) or None, int(image.height) or None
        return TensorType("float16" if image.colorSpace == 40 else None, (channels, height, width),
                          denotation=f"image {space} {width or '?'}×{height or '?'}")
    if kind.int64Type is not None:
        return TensorType("int64", ())
    if kind.doubleType is not None:
        return TensorType("float64", ())
    if kind.stringType is not None:
        return TensorType("string", ())
    if kind.dictionaryType is not None:
        key = "int64" if kind.dictionaryType.int64KeyType is not None else "string"
        return TensorType(None, None, denotation=f"dictionary<{key}, float64>")
    if kind.sequenceType is not None:
        element = "int64" if kind.sequenceType.int64Type is not None else "string"
        return TensorType(element, (None,), denotation="sequence")
    if kind.stateType is not None:
        array = kind.stateType.arrayType
        return TensorType(_ARRAY_TYPES.get(array.dataType) if array is not None else None,
                          tuple(int(d) for d in array.shape) if array is not None else None, denotation="state")
    return None

"""Core ML reader: fixtures encoded with the protobuf package (a descriptor built here), the corpus, MIL blobs."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, manifest_rows, require_corpus
from litenetron.formats import open_model
from litenetron.info import graph_summary
from litenetron.model import ModelError, format_shape

PACKAGE = "coreml/generated/tiny_cnn_mlprogram.mlpackage"

# A minimal subset of Core ML's messages (field numbers from Model.proto, FeatureTypes.proto,
# NeuralNetwork.proto and MIL.proto), used to write fixtures and to decode the corpus independently.
# Enums are int32 and maps are repeated key/value messages: both have the same wire encoding.
_SPEC = {
    "Model": [(1, "specificationVersion", "int32"), (2, "description", "ModelDescription"),
              (202, "pipeline", "Pipeline"), (400, "glmClassifier", "GLMClassifier"),
              (402, "treeEnsembleClassifier", "TreeEnsembleClassifier"),
              (403, "neuralNetworkClassifier", "NeuralNetworkClassifier"),
              (500, "neuralNetwork", "NeuralNetwork"), (502, "mlProgram", "Program")],
    "Pipeline": [(1, "models", "Model[]"), (2, "names", "string[]")],
    "GLMClassifier": [(1, "weights", "DoubleArray[]")],
    "DoubleArray": [(1, "value", "double[]")],
    "TreeEnsembleClassifier": [(1, "treeEnsemble", "TreeEnsembleParameters"), (100, "stringClassLabels", "Strings")],
    "TreeEnsembleParameters": [(1, "nodes", "TreeNode[]"), (2, "numPredictionDimensions", "uint64")],
    "TreeNode": [(1, "treeId", "uint64"), (2, "nodeId", "uint64")],
    "Strings": [(1, "vector", "string[]")],
    "ModelDescription": [(1, "input", "FeatureDescription[]"), (10, "output", "FeatureDescription[]"),
                         (21, "defaultFunctionName", "string"), (100, "metadata", "Metadata")],
    "Metadata": [(1, "shortDescription", "string"), (2, "versionString", "string"), (3, "author", "string"),
                 (4, "license", "string"), (100, "userDefined", "StringPair[]")],
    "StringPair": [(1, "key", "string"), (2, "value", "string")],
    "FeatureDescription": [(1, "name", "string"), (3, "type", "FeatureType")],
    "FeatureType": [(3, "stringType", "Empty"), (4, "imageType", "ImageFeatureType"),
                    (5, "multiArrayType", "ArrayFeatureType"), (6, "dictionaryType", "DictionaryFeatureType")],
    "DictionaryFeatureType": [(2, "stringKeyType", "Empty")],
    "Empty": [],
    "ImageFeatureType": [(1, "width", "int64"), (2, "height", "int64"), (3, "colorSpace", "int32")],
    "ArrayFeatureType": [(1, "shape", "int64[]"), (2, "dataType", "int32")],
    "NeuralNetwork": [(1, "layers", "NeuralNetworkLayer[]"), (2, "preprocessing", "Preprocessing[]")],
    "NeuralNetworkClassifier": [(1, "layers", "NeuralNetworkLayer[]"), (100, "stringClassLabels", "Strings"),
                                (200, "labelProbabilityLayerName", "string")],
    "Preprocessing": [(1, "featureName", "string"), (10, "scaler", "ImageScaler")],
    "ImageScaler": [(10, "channelScale", "float"), (20, "blueBias", "float"), (21, "greenBias", "float"),
                    (22, "redBias", "float")],
    "NeuralNetworkLayer": [(1, "name", "string"), (2, "input", "string[]"), (3, "output", "string[]"),
                           (100, "convolution", "ConvolutionLayerParams"), (130, "activation", "ActivationParams"),
                           (140, "innerProduct", "InnerProductLayerParams"),
                           (160, "batchnorm", "BatchnormLayerParams"), (175, "softmax", "Empty"),
                           (605, "branch", "BranchLayerParams")],
    "BranchLayerParams": [(1, "ifBranch", "NeuralNetwork"), (2, "elseBranch", "NeuralNetwork")],
    "ConvolutionLayerParams": [(1, "outputChannels", "uint64"), (2, "kernelChannels", "uint64"),
                               (10, "nGroups", "uint64"), (20, "kernelSize", "uint64[]"), (30, "stride", "uint64[]"),
                               (70, "hasBias", "bool"), (90, "weights", "WeightParams"), (91, "bias", "WeightParams")],
    "InnerProductLayerParams": [(1, "inputChannels", "uint64"), (2, "outputChannels", "uint64"),
                                (10, "hasBias", "bool"), (20, "weights", "WeightParams")],
    "BatchnormLayerParams": [(1, "channels", "uint64"), (10, "epsilon", "float"), (15, "gamma", "WeightParams"),
                             (16, "beta", "WeightParams"), (17, "mean", "WeightParams"),
                             (18, "variance", "WeightParams")],
    "ActivationParams": [(10, "ReLU", "Empty"), (15, "leakyReLU", "LeakyReLU")],
    "LeakyReLU": [(1, "alpha", "float")],
    "WeightParams": [(1, "floatValue", "float[]"), (2, "float16Value", "bytes"), (30, "rawValue", "bytes"),
                     (40, "quantization", "QuantizationParams")],
    "QuantizationParams": [(1, "numberOfBits", "uint64"), (101, "linearQuantization", "LinearQuantization"),
                           (102, "lookupTableQuantization", "LookUpTable")],
    "LinearQuantization": [(1, "scale", "float[]"), (2, "bias", "float[]")],
    "LookUpTable": [(1, "floatValue", "float[]")],
    "Program": [(1, "version", "int64"), (2, "functions", "FunctionEntry[]")],
    "FunctionEntry": [(1, "key", "string"), (2, "value", "Function")],
    "Function": [(1, "inputs", "NamedValueType[]"), (2, "opset", "string"), (3, "blocks", "BlockEntry[]")],
    "BlockEntry": [(1, "key", "string"), (2, "value", "Block")],
    "Block": [(2, "outputs", "string[]"), (3, "operations", "Operation[]")],
    "Operation": [(1, "type", "string"), (2, "inputs", "InputEntry[]"), (3, "outputs", "NamedValueType[]"),
                  (5, "attributes", "ValueEntry[]")],
    "InputEntry": [(1, "key", "string"), (2, "value", "Argument")],
    "Argument": [(1, "arguments", "Binding[]")],
    "Binding": [(1, "name", "string"), (2, "value", "Value")],
    "ValueEntry": [(1, "key", "string"), (2, "value", "Value")],
    "Value": [(2, "type", "ValueType"), (3, "immediateValue", "ImmediateValue"), (5, "blobFileValue", "BlobFileValue")],
    "ImmediateValue": [(1, "tensor", "TensorValue")],
    "TensorValue": [(1, "floats", "RepeatedFloats")],
    "RepeatedFloats": [(1, "values", "float[]")],
    "BlobFileValue": [(1, "fileName", "string"), (2, "offset", "uint64")],
    "NamedValueType": [(1, "name", "string"), (2, "type", "ValueType")],
    "ValueType": [(1, "tensorType", "TensorType")],
    "TensorType": [(1, "dataType", "int32"), (2, "rank", "int64"), (3, "dimensions", "Dimension[]")],
    "Dimension": [(1, "constant", "ConstantDimension")],
    "ConstantDimension": [(1, "size", "uint64")],
}


@pytest.fixture(scope="module")
def pb():
    """Message classes for `_SPEC`, built with descriptor_pb2 and the protobuf package's message factory."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    scalars = {"int32": field.TYPE_INT32, "int64": field.TYPE_INT64, "uint64": field.TYPE_UINT64,
               "float": field.TYPE_FLOAT, "double": field.TYPE_DOUBLE, "bool": field.TYPE_BOOL,
               "string": field.TYPE_STRING, "bytes": field.TYPE_BYTES}
    file = descriptor_pb2.FileDescriptorProto(name="coreml_subset_test.proto", package="cmtest", syntax="proto3")
    for name, fields in _SPEC.items():
        message = file.message_type.add(name=name)
        for number, field_name, kind in fields:
            repeated = kind.endswith("[]")
            base = kind[:-2] if repeated else kind
            entry = message.field.add(name=field_name, number=number,
                                      label=field.LABEL_REPEATED if repeated else field.LABEL_OPTIONAL)
            if base in scalars:
                entry.type = scalars[base]
            else:
                entry.type, entry.type_name = field.TYPE_MESSAGE, f".cmtest.{base}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"cmtest.{name}")) for name in _SPEC}


def _pack_msb(values, bits: int) -> bytes:
    """Core ML's sub-byte packing: each value's bits from the most significant, filling bytes from bit 7."""
    stream = [(value >> shift) & 1 for value in values for shift in range(bits - 1, -1, -1)]
    stream += [0] * (-len(stream) % 8)
    return bytes(int("".join(map(str, stream[i:i + 8])), 2) for i in range(0, len(stream), 8))


def _network_model(pb, rng):
    model = pb["Model"](specificationVersion=4)
    image = model.description.input.add(name="image")
    image.type.imageType.width, image.type.imageType.height, image.type.imageType.colorSpace = 32, 32, 20
    out = model.description.output.add(name="scores")
    out.type.multiArrayType.shape.extend([10])
    out.type.multiArrayType.dataType = 65568
    meta = model.description.metadata
    meta.shortDescription, meta.author, meta.license, meta.versionString = "tiny net", "tester", "MIT", "1.2"
    meta.userDefined.add(key="com.github.apple.coremltools.version", value="7.0")
    net = model.neuralNetwork
    scaler = net.preprocessing.add(featureName="image").scaler
    scaler.channelScale, scaler.redBias = 1 / 255, -0.5
    conv = net.layers.add(name="conv", input=["image"], output=["conv_out"]).convolution
    conv.outputChannels, conv.kernelChannels, conv.nGroups, conv.hasBias = 8, 3, 1, True
    conv.kernelSize.extend([3, 3])
    conv.stride.extend([2, 2])
    weights = rng.standard_normal(8 * 3 * 3 * 3).astype(np.float32)
    conv.weights.floatValue.extend(weights.tolist())
    bias = rng.standard_normal(8).astype(np.float16)
    conv.bias.float16Value = bias.tobytes()
    bn = net.layers.add(name="bn", input=["conv_out"], output=["bn_out"]).batchnorm
    bn.channels, bn.epsilon = 8, 1e-3
    for name in ("gamma", "beta", "mean", "variance"):
        getattr(bn, name).floatValue.extend([1.0] * 8)
    net.layers.add(name="relu", input=["bn_out"], output=["relu_out"]).activation.ReLU.SetInParent()
    dense = net.layers.add(name="dense", input=["relu_out"], output=["scores"]).innerProduct
    dense.inputChannels, dense.outputChannels = 50, 10
    quantized = rng.integers(0, 16, 500)
    dense.weights.rawValue = _pack_msb(quantized.tolist(), 4)
    dense.weights.quantization.numberOfBits = 4
    dense.weights.quantization.linearQuantization.scale.append(0.1)
    dense.weights.quantization.linearQuantization.bias.append(-0.8)
    return model, weights, bias, quantized


def test_neural_network_fixture(tmp_path, pb):
    model, weights, bias, quantized = _network_model(pb, np.random.default_rng(1))
    path = tmp_path / "tiny.mlmodel"
    path.write_bytes(model.SerializeToString())
    opened = open_model(path)
    assert opened.format == "Core ML v4" and opened.producer == "coremltools 7.0"
    assert opened.description == "tiny net" and opened.version == "1.2"
    assert ("author", "tester") in opened.metadata and ("license", "MIT") in opened.metadata
    graph = opened.graphs[0]
    image = graph.inputs[0].values[0]
    assert format_shape(image.type.shape) == "3×32×32" and "RGB" in image.type.denotation
    assert [node.type.name for node in graph.nodes] == ["scaler", "convolution", "batchnorm", "ReLU",
                                                         "innerProduct"]
    # Preprocessing is drawn but not counted: `nodes` counts the layers as stored.
    assert graph_summary(graph)["nodes"] == 4
    scaler, conv, bn, relu, dense = graph.nodes
    assert conv.inputs[0].values[0].name == scaler.outputs[0].values[0].name != "image"
    assert format_shape(conv.inputs[0].values[0].type.shape) == "3×32×32"  # the edge keeps the image's shape
    rows = {argument.name: value.initializer for argument, value in conv.weights()}
    assert rows["weights"].shape == (8, 3, 3, 3) and rows["bias"].dtype == "float16"
    np.testing.assert_array_equal(rows["weights"].data().reshape(-1), weights)
    np.testing.assert_array_equal(rows["bias"].data(), bias)
    assert {a.name: a.value for a in conv.attributes}["stride"] == [2, 2]
    # Unshaped layers get C×H×W shapes from their inputs: 3×3 stride 2 without padding on 32×32 → 15×15.
    assert [node.outputs[0].values[0].type.shape for node in (conv, bn, relu)] == [(8, 15, 15)] * 3
    assert [argument.name for argument, _ in bn.weights()] == ["gamma", "beta", "mean", "variance"]
    assert relu.type.category == "Activation"
    dense_weights = dense.inputs[1].values[0].initializer
    assert dense_weights.shape == (10, 50) and dense_weights.dtype == "uint4"
    assert dense_weights.layout == "quantized" and dense_weights.quantization["scale"] == [pytest.approx(0.1)]
    np.testing.assert_array_equal(dense_weights.data().reshape(-1), quantized)
    # Parameters count elements (quantized ones too), never bytes.
    assert graph.parameters() == 8 * 27 + 8 + 4 * 8 + 500


def test_lookup_table_weights_and_branch_networks(tmp_path, pb):
    model = pb["Model"](specificationVersion=4)
    model.description.input.add(name="x").type.multiArrayType.shape.extend([6])
    branch = model.neuralNetwork.layers.add(name="choose", input=["x", "flag"], output=["y"]).branch
    inner = branch.ifBranch.layers.add(name="dense", input=["x"], output=["y"]).innerProduct
    inner.inputChannels, inner.outputChannels = 6, 4
    indices = [3, 0, 1, 2] * 6
    inner.weights.rawValue = _pack_msb(indices, 2)
    inner.weights.quantization.numberOfBits = 2
    inner.weights.quantization.lookupTableQuantization.floatValue.extend([-1.0, 0.0, 0.5, 2.0])
    branch.elseBranch.layers.add(name="relu", input=["x"], output=["y"]).activation.ReLU.SetInParent()
    (tmp_path / "branch.mlmodel").write_bytes(model.SerializeToString())
    graph = open_model(tmp_path / "branch.mlmodel").graphs[0]
    (node,) = graph.nodes
    assert node.type.name == "branch" and node.type.category == "Control"
    assert [body.nodes[0].type.name for body in node.graphs] == ["innerProduct", "ReLU"]
    weights = node.graphs[0].nodes[0].inputs[1].values[0].initializer
    assert weights.shape == (4, 6) and weights.dtype == "uint2"
    assert weights.quantization["lookup_table"] == [-1.0, 0.0, 0.5, 2.0]
    np.testing.assert_array_equal(weights.data().reshape(-1), indices)
    # Only the top-level layers are counted, as stored in the network's `layers`.
    assert graph_summary(graph)["nodes"] == 1 and graph.parameters() == 0


def test_pipeline_and_other_model_kinds(tmp_path, pb):
    rng = np.random.default_rng(2)
    network, *_ = _network_model(pb, rng)
    glm = pb["Model"](specificationVersion=1)
    glm.description.input.add(name="scores").type.multiArrayType.shape.extend([10])
    glm.description.output.add(name="label").type.stringType.SetInParent()
    glm.glmClassifier.weights.add().value.extend([0.5] * 10)
    pipeline = pb["Model"](specificationVersion=4)
    pipeline.description.CopyFrom(network.description)
    pipeline.pipeline.models.extend([network, glm])
    pipeline.pipeline.names.extend(["features", "classifier"])
    path = tmp_path / "pipe.mlmodel"
    path.write_bytes(pipeline.SerializeToString())
    graphs = open_model(path).graphs
    assert [graph.name for graph in graphs] == ["features", "classifier"]
    pipeline.pipeline.ClearField("names")
    path.write_bytes(pipeline.SerializeToString())
    assert [graph.name for graph in open_model(path).graphs] == ["neuralNetwork", "glmClassifier"]
    assert graph_summary(graphs[0])["nodes"] == 4
    only = graphs[1].nodes
    assert len(only) == 1 and only[0].type.name == "GLMClassifier"
    assert format_shape(only[0].inputs[0].values[0].type.shape) == "10"
    assert graphs[1].outputs[0].values[0].type.dtype == "string"
    # A GLM shows its weights as a row: one row of coefficients per class.
    weights = dict((argument.name, value.initializer) for argument, value in only[0].weights())["weights"]
    assert weights.shape == (1, 10) and weights.data().tolist() == [[0.5] * 10]
    assert graphs[1].parameters() == 10


def _tensor_type(message, dims, data_type=11):
    message.tensorType.dataType = data_type
    message.tensorType.rank = len(dims)
    for dim in dims:
        message.tensorType.dimensions.add().constant.size = dim


def test_ml_program_with_two_functions(tmp_path, pb):
    model = pb["Model"](specificationVersion=9)
    model.description.defaultFunctionName = "second"
    program = model.mlProgram
    program.version = 1
    weights = np.arange(16, dtype=np.float32) / 4
    for name, op_type in (("main", "linear"), ("second", "relu")):
        function = program.functions.add(key=name).value
        function.opset = "CoreML7"
        argument = function.inputs.add(name="x")
        _tensor_type(argument.type, [1, 4])
        block = function.blocks.add(key="CoreML7").value
        block.outputs.append("y")
        if op_type == "linear":
            const = block.operations.add(type="const")
            _tensor_type(const.outputs.add(name="w").type, [4, 4])
            value = const.attributes.add(key="val").value
            _tensor_type(value.type, [4, 4])
            value.immediateValue.tensor.floats.values.extend(weights.tolist())
        if op_type == "relu":
            # A decompression op keeps its data in attributes: weight rows, counted as parameters.
            dequantize = block.operations.add(type="constexpr_affine_dequantize")
            for key, dims in (("quantized_data", [2, 2]), ("scale", [4]), ("axis", [])):
                value = dequantize.attributes.add(key=key).value
                _tensor_type(value.type, dims)
                value.immediateValue.tensor.floats.values.extend([1.0] * max(1, int(np.prod(dims))))
            _tensor_type(dequantize.outputs.add(name="dq").type, [2, 2])
        op = block.operations.add(type=op_type)
        op.inputs.add(key="x").value.arguments.add(name="x")
        if op_type == "linear":
            op.inputs.add(key="weight").value.arguments.add(name="w")
        _tensor_type(op.outputs.add(name="y").type, [1, 4])
    (tmp_path / "functions.mlmodel").write_bytes(model.SerializeToString())
    graphs = open_model(tmp_path / "functions.mlmodel").graphs
    assert [graph.name for graph in graphs] == ["second", "main"]
    assert [node.type.name for node in graphs[0].nodes] == ["constexpr_affine_dequantize", "relu"]
    dequantize = graphs[0].nodes[0]
    assert [argument.name for argument, _ in dequantize.weights()] == ["quantized_data", "scale"]
    assert [a.name for a in dequantize.attributes] == ["axis"]
    assert graph_summary(graphs[0])["parameters"] == 4 + 4 + 1
    linear = graphs[1].nodes[0]
    assert graph_summary(graphs[1])["nodes"] == 2 and graph_summary(graphs[1])["parameters"] == 16
    weight = next(value.initializer for argument, value in linear.weights() if argument.name == "weight")
    assert weight.shape == (4, 4) and weight.location == "inline"
    np.testing.assert_array_equal(weight.data(), weights.reshape(4, 4))
    assert format_shape(linear.inputs[0].values[0].type.shape) == "1×4"


def test_neural_network_classifier_outputs_are_connected(tmp_path, pb):
    model = pb["Model"](specificationVersion=1)
    model.description.input.add(name="x").type.multiArrayType.shape.extend([4, 1, 1])
    model.description.output.add(name="classLabel").type.stringType.SetInParent()
    model.description.output.add(name="classProbability").type.dictionaryType.stringKeyType.SetInParent()
    network = model.neuralNetworkClassifier
    dense = network.layers.add(name="dense", input=["x"], output=["logits"]).innerProduct
    dense.inputChannels, dense.outputChannels = 4, 3
    dense.weights.floatValue.extend([0.0] * 12)
    network.layers.add(name="probs", input=["logits"], output=["probabilities"]).softmax.SetInParent()
    network.stringClassLabels.vector.extend(["a", "b", "c"])
    network.labelProbabilityLayerName = "probs"
    (tmp_path / "classifier.mlmodel").write_bytes(model.SerializeToString())
    graph = open_model(tmp_path / "classifier.mlmodel").graphs[0]
    assert graph_summary(graph)["nodes"] == 2 and graph.description.startswith("3 classes: a, b, c")
    labels = graph.nodes[-1]
    assert labels.type.name == "classLabels" and labels.inputs[0].values[0].name == "probabilities"
    assert [a.name for a in labels.outputs] == ["classLabel", "classProbability"]
    assert format_shape(graph.nodes[1].outputs[0].values[0].type.shape) == "3×1×1"


def test_tree_ensemble_is_one_descriptive_box(tmp_path, pb):
    model = pb["Model"](specificationVersion=1)
    model.description.input.add(name="features").type.multiArrayType.shape.extend([3])
    model.description.output.add(name="label").type.stringType.SetInParent()
    ensemble = model.treeEnsembleClassifier
    for tree, node in ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1)):
        ensemble.treeEnsemble.nodes.add(treeId=tree, nodeId=node)
    ensemble.treeEnsemble.numPredictionDimensions = 2
    ensemble.stringClassLabels.vector.extend(["no", "yes"])
    (tmp_path / "trees.mlmodel").write_bytes(model.SerializeToString())
    graph = open_model(tmp_path / "trees.mlmodel").graphs[0]
    (node,) = graph.nodes
    assert node.type.name == "TreeEnsembleClassifier"
    attributes = {a.name: a.value for a in node.attributes}
    assert attributes["trees"] == 2 and attributes["nodes"] == 5 and attributes["numPredictionDimensions"] == 2
    assert attributes["classes"] == ["no", "yes"]
    assert [v.name for a in node.inputs for v in a.values] == ["features"]


def test_malformed_files(tmp_path, pb):
    model, *_ = _network_model(pb, np.random.default_rng(3))
    data = model.SerializeToString()
    (tmp_path / "cut.mlmodel").write_bytes(data[: len(data) - 40])
    with pytest.raises(ModelError):
        open_model(tmp_path / "cut.mlmodel")
    (tmp_path / "text.mlmodel").write_bytes(b"hello, this is not a model")
    with pytest.raises(ModelError):
        open_model(tmp_path / "text.mlmodel")


# --- corpus ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", [row for row in manifest_rows("coreml") if row["nodes"]], ids=lambda row: row["path"])
def test_corpus_counts(row):
    corpus = require_corpus()
    summary = graph_summary(open_model(corpus / row["path"]).graphs[0])
    assert summary["nodes"] == int(row["nodes"])
    assert summary["parameters"] == int(row["parameters"])


@pytest.mark.parametrize("row", manifest_rows("coreml"), ids=lambda row: row["path"])
def test_every_corpus_file_opens(row):
    model = open_model(require_corpus() / row["path"])
    assert model.graphs and model.graphs[0].nodes and model.format.startswith("Core ML")


@pytest.mark.parametrize("row", [row for row in manifest_rows("coreml") if row["nodes"]], ids=lambda row: row["path"])
def test_against_protobuf_package(row, pb):
    path = require_corpus() / row["path"]
    reference = pb["Model"]()
    reference.ParseFromString(path.read_bytes())
    graph = open_model(path).graphs[0]
    for argument, feature in zip(graph.inputs, reference.description.input):
        assert argument.name == feature.name
        if feature.type.HasField("multiArrayType"):
            assert list(argument.values[0].type.shape) == list(feature.type.multiArrayType.shape)
    if reference.HasField("mlProgram"):
        function = reference.mlProgram.functions[0].value
        operations = function.blocks[0].value.operations
        assert graph_summary(graph)["nodes"] == len(operations)
        assert [node.type.name for node in graph.nodes] == [op.type for op in operations if op.type != "const"]
    else:
        layers = reference.neuralNetwork.layers
        drawn = [node for node in graph.nodes if node.type.category != "Data"]
        assert [node.name for node in drawn] == [layer.name for layer in layers]
        assert [list(node_output.values[0].name for node_output in node.outputs) for node in drawn] == \
            [list(layer.output) for layer in layers]


def test_inferred_layer_shapes_meet_the_described_output():
    """FNS-Candy stores no layer shapes: the inferred ones must arrive at the 3×720×720 output it describes."""
    graph = open_model(require_corpus() / "coreml/ileafsolutions__StyleArt/FNS-Candy.mlmodel").graphs[0]
    shapes = [(node.type.name, node.outputs[0].values[0].type.shape) for node in graph.nodes]
    assert all(shape is not None for _, shape in shapes)
    assert shapes[1] == ("padding", (3, 800, 800)) and shapes[5] == ("convolution", (32, 400, 400))
    assert ("convolution", (32, 362, 362)) in shapes and ("crop", (32, 360, 360)) in shapes  # deconvolution
    last_conv = [shape for name, shape in shapes if name == "convolution"][-1]
    assert last_conv == graph.outputs[0].values[0].type.shape == (3, 720, 720)


def test_ml_program_weights_from_blob_file():
    package = require_corpus() / PACKAGE
    graph = open_model(package).graphs[0]
    conv = graph.nodes[0]
    assert conv.type.name == "conv" and conv.type.category == "Layer"
    data_input = next(v for a in conv.inputs if a.name == "x" for v in a.values)
    assert data_input.name == "input" and format_shape(data_input.type.shape) == "1×3×64×64"
    assert [a.name for a in conv.inputs] == ["x", "weight", "bias"]
    attributes = {a.name: a.value for a in conv.attributes}
    assert attributes["strides"] == [2, 2] and attributes["pad_type"] == "custom"
    weight = next(value.initializer for argument, value in conv.weights() if argument.name == "weight")
    assert weight.shape == (16, 3, 3, 3) and weight.dtype == "float16"
    # Independent read of the blob: storage header, then the metadata record at the const's offset (64).
    blob = (package / "Data" / "com.apple.CoreML" / "weights" / "weight.bin").read_bytes()
    sentinel, blob_type, size, offset = struct.unpack_from("<IIQQ", blob, 64)
    assert sentinel == 0xDEADBEEF and blob_type == 1
    expected = np.frombuffer(blob[offset:offset + size], dtype="<f2").reshape(16, 3, 3, 3)
    np.testing.assert_array_equal(weight.data(), expected)
    assert format_shape(conv.outputs[0].values[0].type.shape) == "1×16×32×32"
    assert [format_shape(v.type.shape) for a in graph.outputs for v in a.values] == ["1×5"]


def test_ml_program_opened_every_way():
    package = require_corpus() / PACKAGE
    inner = package / "Data" / "com.apple.CoreML"
    for path in (package, package / "Manifest.json", inner / "model.mlmodel", inner / "weights" / "weight.bin"):
        assert graph_summary(open_model(path).graphs[0])["nodes"] == 30


def test_damaged_blob_file_is_model_error(tmp_path):
    package = tmp_path / "copy.mlpackage"
    shutil.copytree(require_corpus() / PACKAGE, package)
    blob = package / "Data" / "com.apple.CoreML" / "weights" / "weight.bin"
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes()[:1100])
    graph = open_model(package).graphs[0]  # opening reads no weight bytes
    weights = [value.initializer for node in graph.nodes for _, value in node.weights()
               if value.initializer.location == "weight.bin"]
    assert weights
    with pytest.raises(ModelError):
        for tensor in weights:
            tensor.data()


def test_ml_program_small_constants_are_attributes():
    graph = open_model(require_corpus() / PACKAGE).graphs[0]
    clip = next(node for node in graph.nodes if node.type.name == "clip")
    assert {a.name: a.value for a in clip.attributes if a.visible} == {"alpha": 0.0, "beta": 6.0}
    assert not list(clip.weights())


def test_opening_needs_no_numpy():
    corpus = require_corpus()
    paths = [corpus / PACKAGE, corpus / "coreml/ileafsolutions__StyleArt/FNS-Candy.mlmodel",
             corpus / "paddle/generated/resblock_224/inference.pdmodel",
             corpus / "paddle/scl1323__hand-writing/__model__"]
    script = ("import sys\nfrom litenetron.formats import open_model\n"
              f"for path in {[str(p) for p in paths]!r}:\n    open_model(path)\n"
              "assert 'numpy' not in sys.modules, 'numpy was imported'\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr

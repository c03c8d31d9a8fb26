"""Core ML protobuf schema (CoreML.Specification and MILSpec field numbers) as tables for `codecs.protobuf`.

Written as compact text, one message per entry: ``Name: number field type, ...`` (continuation lines are
indented; ``[]`` marks a repeated field; a type naming an entry of `_ENUMS` is an enum). Map fields are
repeated ``...Entry`` messages with a key (1) and a value (2), as protobuf encodes them. Model kinds that the
reader shows as one descriptive node are kept as ``bytes``, except GLMs and tree ensembles, whose weights and
sizes that node shows.
"""

from __future__ import annotations

from typing import Dict, Tuple

_MESSAGES = """
AcosLayerParams:
AcoshLayerParams:
ActivationELU: 1 alpha float
ActivationLeakyReLU: 1 alpha float
ActivationLinear: 1 alpha float, 2 beta float
ActivationPReLU: 1 alpha WeightParams
ActivationParametricSoftplus: 1 alpha WeightParams, 2 beta WeightParams
ActivationParams: 5 linear ActivationLinear, 10 ReLU ActivationReLU, 15 leakyReLU ActivationLeakyReLU, 20
    thresholdedReLU ActivationThresholdedReLU, 25 PReLU ActivationPReLU, 30 tanh ActivationTanh, 31
    scaledTanh ActivationScaledTanh, 40 sigmoid ActivationSigmoid, 41 sigmoidHard ActivationSigmoidHard, 50
    ELU ActivationELU, 60 softsign ActivationSoftsign, 70 softplus ActivationSoftplus, 71 parametricSoftplus
    ActivationParametricSoftplus
ActivationReLU:
ActivationScaledTanh: 1 alpha float, 2 beta float
ActivationSigmoid:
ActivationSigmoidHard: 1 alpha float, 2 beta float
ActivationSoftplus:
ActivationSoftsign:
ActivationTanh:
ActivationThresholdedReLU: 1 alpha float
AddBroadcastableLayerParams:
AddLayerParams: 1 alpha float
ArgMaxLayerParams: 1 axis int64, 2 removeDim bool
ArgMinLayerParams: 1 axis int64, 2 removeDim bool
ArgSortLayerParams: 1 axis int64, 2 descending bool
Argument: 1 arguments Argument.Binding[]
Argument.Binding: 1 name string, 2 value Value
ArrayFeatureType: 1 shape int64[], 2 dataType ArrayFeatureType.ArrayDataType, 21 enumeratedShapes
    ArrayFeatureType.EnumeratedShapes, 31 shapeRange ArrayFeatureType.ShapeRange, 41 intDefaultValue int32,
    51 floatDefaultValue float, 61 doubleDefaultValue double
ArrayFeatureType.EnumeratedShapes: 1 shapes ArrayFeatureType.Shape[]
ArrayFeatureType.Shape: 1 shape int64[]
ArrayFeatureType.ShapeRange: 1 sizeRanges SizeRange[]
AsinLayerParams:
AsinhLayerParams:
AtanLayerParams:
AtanhLayerParams:
AverageLayerParams:
BatchedMatMulLayerParams: 1 transposeA bool, 2 transposeB bool, 5 weightMatrixFirstDimension uint64, 6
    weightMatrixSecondDimension uint64, 7 hasBias bool, 8 weights WeightParams, 9 bias WeightParams, 10
    int8DynamicQuantize bool
BatchnormLayerParams: 1 channels uint64, 5 computeMeanVar bool, 6 instanceNormalization bool, 10 epsilon
    float, 15 gamma WeightParams, 16 beta WeightParams, 17 mean WeightParams, 18 variance WeightParams
BiDirectionalLSTMLayerParams: 1 inputVectorSize uint64, 2 outputVectorSize uint64, 10 activationsForwardLSTM
    ActivationParams[], 11 activationsBackwardLSTM ActivationParams[], 15 params LSTMParams, 20 weightParams
    LSTMWeightParams[]
BiasLayerParams: 1 shape uint64[], 2 bias WeightParams
Block: 1 inputs NamedValueType[], 2 outputs string[], 3 operations Operation[], 4 attributes
    Block.AttributesEntry[]
Block.AttributesEntry: 1 key string, 2 value Value
BorderAmounts: 10 borderAmounts BorderAmounts.EdgeSizes[]
BorderAmounts.EdgeSizes: 1 startEdgeSize uint64, 2 endEdgeSize uint64
BoxCoordinatesMode: 1 boxMode BoxCoordinatesMode.Coordinates
BranchLayerParams: 1 ifBranch NeuralNetwork, 2 elseBranch NeuralNetwork
BroadcastToDynamicLayerParams:
BroadcastToLikeLayerParams:
BroadcastToStaticLayerParams: 1 targetShape uint64[]
CategoricalDistributionLayerParams: 1 seed int64, 2 numSamples int64, 3 isLogits bool, 4 eps float, 5
    temperature float
CeilLayerParams:
ClampedReLULayerParams: 1 alpha float, 2 beta float
ClipLayerParams: 1 minVal float, 2 maxVal float
ConcatLayerParams: 100 sequenceConcat bool
ConcatNDLayerParams: 1 axis int64, 2 interleave bool
ConstantPaddingLayerParams: 1 value float, 2 padAmounts uint64[], 3 padToGivenOutputSizeMode bool
Convolution3DLayerParams: 1 outputChannels int32, 2 inputChannels int32, 10 nGroups int32, 20 kernelDepth
    int32, 21 kernelHeight int32, 22 kernelWidth int32, 31 strideDepth int32, 32 strideHeight int32, 33
    strideWidth int32, 40 dilationDepth int32, 41 dilationHeight int32, 42 dilationWidth int32, 50 hasBias
    bool, 60 weights WeightParams, 61 bias WeightParams, 70 paddingType
    Convolution3DLayerParams.PaddingType, 80 customPaddingFront int32, 81 customPaddingBack int32, 82
    customPaddingTop int32, 83 customPaddingBottom int32, 84 customPaddingLeft int32, 85 customPaddingRight
    int32, 86 isDeconvolution bool, 87 outputShape uint64[]
ConvolutionLayerParams: 1 outputChannels uint64, 2 kernelChannels uint64, 10 nGroups uint64, 20 kernelSize
    uint64[], 30 stride uint64[], 40 dilationFactor uint64[], 50 valid ValidPadding, 51 same SamePadding, 60
    isDeconvolution bool, 70 hasBias bool, 90 weights WeightParams, 91 bias WeightParams, 100 outputShape
    uint64[]
CopyLayerParams:
CosLayerParams:
CoshLayerParams:
CropLayerParams: 1 cropAmounts BorderAmounts, 5 offset uint64[]
CropResizeLayerParams: 1 targetSize uint64[], 2 normalizedCoordinates bool, 3 mode SamplingMode, 4
    boxIndicesMode BoxCoordinatesMode, 5 spatialScale float
CumSumLayerParams: 1 axis int64, 2 excludeFinalSum bool, 3 reverse bool
CustomLayerParams: 10 className string, 20 weights WeightParams[], 30 parameters
    CustomLayerParams.ParametersEntry[], 40 description string
CustomLayerParams.CustomLayerParamValue: 10 doubleValue double, 20 stringValue string, 30 intValue int32, 40
    longValue int64, 50 boolValue bool
CustomLayerParams.ParametersEntry: 1 key string, 2 value CustomLayerParams.CustomLayerParamValue
DictionaryFeatureType: 1 int64KeyType Int64FeatureType, 2 stringKeyType StringFeatureType
DictionaryType: 1 keyType ValueType, 2 valueType ValueType
DictionaryValue: 1 values DictionaryValue.KeyValuePair[]
DictionaryValue.KeyValuePair: 1 key Value, 2 value Value
Dimension: 1 constant Dimension.ConstantDimension, 2 unknown Dimension.UnknownDimension
Dimension.ConstantDimension: 1 size uint64
Dimension.UnknownDimension: 1 variadic bool
DivideBroadcastableLayerParams:
DotProductLayerParams: 1 cosineSimilarity bool
DoubleFeatureType:
EmbeddingLayerParams: 1 inputDim uint64, 2 outputChannels uint64, 10 hasBias bool, 20 weights WeightParams,
    21 bias WeightParams
EmbeddingNDLayerParams: 1 vocabSize uint64, 2 embeddingSize uint64, 3 hasBias bool, 20 weights WeightParams,
    21 bias WeightParams
EqualLayerParams: 1 alpha float
ErfLayerParams:
Exp2LayerParams:
ExpandDimsLayerParams: 1 axes int64[]
FeatureDescription: 1 name string, 2 shortDescription string, 3 type FeatureType
FeatureType: 1 int64Type Int64FeatureType, 2 doubleType DoubleFeatureType, 3 stringType StringFeatureType, 4
    imageType ImageFeatureType, 5 multiArrayType ArrayFeatureType, 6 dictionaryType DictionaryFeatureType, 7
    sequenceType SequenceFeatureType, 8 stateType StateFeatureType, 1000 isOptional bool
FillDynamicLayerParams: 1 value float
FillLikeLayerParams: 1 value float
FillStaticLayerParams: 1 value float, 2 targetShape uint64[]
FlattenLayerParams: 1 mode FlattenLayerParams.FlattenOrder
FlattenTo2DLayerParams: 1 axis int64
FloorDivBroadcastableLayerParams:
FloorLayerParams:
Function: 1 inputs NamedValueType[], 2 opset string, 3 block_specializations
    Function.Block_specializationsEntry[], 4 attributes Function.AttributesEntry[]
Function.AttributesEntry: 1 key string, 2 value Value
Function.Block_specializationsEntry: 1 key string, 2 value Block
FunctionDescription: 1 name string, 2 input FeatureDescription[], 3 output FeatureDescription[], 4
    predictedFeatureName string, 5 predictedProbabilitiesName string, 6 state FeatureDescription[]
GLMClassifier: 1 weights GLMClassifier.DoubleArray[], 2 offset double[], 3 postEvaluationTransform
    GLMClassifier.PostEvaluationTransform, 4 classEncoding GLMClassifier.ClassEncoding, 100
    stringClassLabels StringVector, 101 int64ClassLabels Int64Vector
GLMClassifier.DoubleArray: 1 value double[]
GLMRegressor: 1 weights GLMRegressor.DoubleArray[], 2 offset double[], 3 postEvaluationTransform
    GLMRegressor.PostEvaluationTransform
GLMRegressor.DoubleArray: 1 value double[]
GRULayerParams: 1 inputVectorSize uint64, 2 outputVectorSize uint64, 10 activations ActivationParams[], 15
    sequenceOutput bool, 20 hasBiasVectors bool, 30 updateGateWeightMatrix WeightParams, 31
    resetGateWeightMatrix WeightParams, 32 outputGateWeightMatrix WeightParams, 50 updateGateRecursionMatrix
    WeightParams, 51 resetGateRecursionMatrix WeightParams, 52 outputGateRecursionMatrix WeightParams, 70
    updateGateBiasVector WeightParams, 71 resetGateBiasVector WeightParams, 72 outputGateBiasVector
    WeightParams, 100 reverseInput bool
GatherAlongAxisLayerParams: 1 axis int64
GatherLayerParams: 1 axis int64
GatherNDLayerParams:
GeluLayerParams: 1 mode GeluLayerParams.GeluMode
GetShapeLayerParams:
GlobalPooling3DLayerParams: 1 type GlobalPooling3DLayerParams.GlobalPoolingType3D
GreaterEqualLayerParams: 2 alpha float
GreaterThanLayerParams: 2 alpha float
ImageFeatureType: 1 width int64, 2 height int64, 3 colorSpace ImageFeatureType.ColorSpace, 21
    enumeratedSizes ImageFeatureType.EnumeratedImageSizes, 31 imageSizeRange ImageFeatureType.ImageSizeRange
ImageFeatureType.EnumeratedImageSizes: 1 sizes ImageFeatureType.ImageSize[]
ImageFeatureType.ImageSize: 1 width uint64, 2 height uint64
ImageFeatureType.ImageSizeRange: 1 widthRange SizeRange, 2 heightRange SizeRange
InnerProductLayerParams: 1 inputChannels uint64, 2 outputChannels uint64, 10 hasBias bool, 20 weights
    WeightParams, 21 bias WeightParams, 22 int8DynamicQuantize bool
Int64FeatureType:
Int64Vector: 1 vector int64[]
L2NormalizeLayerParams: 1 epsilon float
LRNLayerParams: 1 alpha float, 2 beta float, 3 localSize uint64, 4 k float
LSTMParams: 10 sequenceOutput bool, 20 hasBiasVectors bool, 30 forgetBias bool, 40 hasPeepholeVectors bool,
    50 coupledInputAndForgetGate bool, 60 cellClipThreshold float
LSTMWeightParams: 1 inputGateWeightMatrix WeightParams, 2 forgetGateWeightMatrix WeightParams, 3
    blockInputWeightMatrix WeightParams, 4 outputGateWeightMatrix WeightParams, 20 inputGateRecursionMatrix
    WeightParams, 21 forgetGateRecursionMatrix WeightParams, 22 blockInputRecursionMatrix WeightParams, 23
    outputGateRecursionMatrix WeightParams, 40 inputGateBiasVector WeightParams, 41 forgetGateBiasVector
    WeightParams, 42 blockInputBiasVector WeightParams, 43 outputGateBiasVector WeightParams, 60
    inputGatePeepholeVector WeightParams, 61 forgetGatePeepholeVector WeightParams, 62
    outputGatePeepholeVector WeightParams
LayerNormalizationLayerParams: 1 normalizedShape int64[], 2 eps float, 3 gamma WeightParams, 4 beta
    WeightParams
LessEqualLayerParams: 2 alpha float
LessThanLayerParams: 2 alpha float
LinearQuantizationParams: 1 scale float[], 2 bias float[]
ListType: 1 type ValueType, 2 length Dimension
ListValue: 1 values Value[]
LoadConstantLayerParams: 1 shape uint64[], 2 data WeightParams
LoadConstantNDLayerParams: 1 shape uint64[], 2 data WeightParams
LogicalAndLayerParams:
LogicalNotLayerParams:
LogicalOrLayerParams:
LogicalXorLayerParams:
LookUpTableQuantizationParams: 1 floatValue float[]
LoopBreakLayerParams:
LoopContinueLayerParams:
LoopLayerParams: 1 maxLoopIterations uint64, 2 conditionVar string, 3 conditionNetwork NeuralNetwork, 4
    bodyNetwork NeuralNetwork
LowerTriangularLayerParams: 1 k int64
MatrixBandPartLayerParams: 1 numLower int64, 2 numUpper int64
MaxBroadcastableLayerParams:
MaxLayerParams:
MeanVarianceNormalizeLayerParams: 1 acrossChannels bool, 2 normalizeVariance bool, 3 epsilon float
Metadata: 1 shortDescription string, 2 versionString string, 3 author string, 4 license string, 100
    userDefined Metadata.UserDefinedEntry[]
Metadata.UserDefinedEntry: 1 key string, 2 value string
MinBroadcastableLayerParams:
MinLayerParams:
ModBroadcastableLayerParams:
Model: 1 specificationVersion int32, 2 description ModelDescription, 10 isUpdatable bool, 200
    pipelineClassifier PipelineClassifier, 201 pipelineRegressor PipelineRegressor, 202 pipeline Pipeline,
    300 glmRegressor GLMRegressor, 301 supportVectorRegressor bytes, 302 treeEnsembleRegressor
    TreeEnsembleRegressor, 303 neuralNetworkRegressor NeuralNetworkRegressor, 304 bayesianProbitRegressor
    bytes, 400 glmClassifier GLMClassifier, 401 supportVectorClassifier bytes, 402 treeEnsembleClassifier
    TreeEnsembleClassifier, 403 neuralNetworkClassifier NeuralNetworkClassifier, 404
    kNearestNeighborsClassifier bytes, 500 neuralNetwork NeuralNetwork, 501 itemSimilarityRecommender bytes,
    502 mlProgram Program, 555 customModel bytes, 556 linkedModel bytes, 560 classConfidenceThresholding
    bytes, 600 oneHotEncoder bytes, 601 imputer bytes, 602 featureVectorizer bytes, 603 dictVectorizer
    bytes, 604 scaler bytes, 606 categoricalMapping bytes, 607 normalizer bytes, 609 arrayFeatureExtractor
    bytes, 610 nonMaximumSuppression bytes, 900 identity bytes, 2000 textClassifier bytes, 2001 wordTagger
    bytes, 2002 visionFeaturePrint bytes, 2003 soundAnalysisPreprocessing bytes, 2004 gazetteer bytes, 2005
    wordEmbedding bytes, 2006 audioFeaturePrint bytes, 3000 serializedModel bytes
ModelDescription: 1 input FeatureDescription[], 10 output FeatureDescription[], 11 predictedFeatureName
    string, 12 predictedProbabilitiesName string, 13 state FeatureDescription[], 20 functions
    FunctionDescription[], 21 defaultFunctionName string, 50 trainingInput FeatureDescription[], 100
    metadata Metadata
MultiplyBroadcastableLayerParams:
MultiplyLayerParams: 1 alpha float
NamedValueType: 1 name string, 2 type ValueType
NeuralNetwork: 1 layers NeuralNetworkLayer[], 2 preprocessing NeuralNetworkPreprocessing[], 5
    arrayInputShapeMapping NeuralNetworkMultiArrayShapeMapping, 6 imageInputShapeMapping
    NeuralNetworkImageShapeMapping, 10 updateParams bytes
NeuralNetworkClassifier: 1 layers NeuralNetworkLayer[], 2 preprocessing NeuralNetworkPreprocessing[], 5
    arrayInputShapeMapping NeuralNetworkMultiArrayShapeMapping, 6 imageInputShapeMapping
    NeuralNetworkImageShapeMapping, 10 updateParams bytes, 100 stringClassLabels StringVector, 101
    int64ClassLabels Int64Vector, 200 labelProbabilityLayerName string
NeuralNetworkImageScaler: 10 channelScale float, 20 blueBias float, 21 greenBias float, 22 redBias float, 30
    grayBias float
NeuralNetworkLayer: 1 name string, 2 input string[], 3 output string[], 4 inputTensor Tensor[], 5
    outputTensor Tensor[], 10 isUpdatable bool, 100 convolution ConvolutionLayerParams, 120 pooling
    PoolingLayerParams, 130 activation ActivationParams, 140 innerProduct InnerProductLayerParams, 150
    embedding EmbeddingLayerParams, 160 batchnorm BatchnormLayerParams, 165 mvn
    MeanVarianceNormalizeLayerParams, 170 l2normalize L2NormalizeLayerParams, 175 softmax
    SoftmaxLayerParams, 180 lrn LRNLayerParams, 190 crop CropLayerParams, 200 padding PaddingLayerParams,
    210 upsample UpsampleLayerParams, 211 resizeBilinear ResizeBilinearLayerParams, 212 cropResize
    CropResizeLayerParams, 220 unary UnaryFunctionLayerParams, 230 add AddLayerParams, 231 multiply
    MultiplyLayerParams, 240 average AverageLayerParams, 245 scale ScaleLayerParams, 250 bias
    BiasLayerParams, 260 max MaxLayerParams, 261 min MinLayerParams, 270 dot DotProductLayerParams, 280
    reduce ReduceLayerParams, 290 loadConstant LoadConstantLayerParams, 300 reshape ReshapeLayerParams, 301
    flatten FlattenLayerParams, 310 permute PermuteLayerParams, 320 concat ConcatLayerParams, 330 split
    SplitLayerParams, 340 sequenceRepeat SequenceRepeatLayerParams, 345 reorganizeData
    ReorganizeDataLayerParams, 350 slice SliceLayerParams, 400 simpleRecurrent SimpleRecurrentLayerParams,
    410 gru GRULayerParams, 420 uniDirectionalLSTM UniDirectionalLSTMLayerParams, 430 biDirectionalLSTM
    BiDirectionalLSTMLayerParams, 500 custom CustomLayerParams, 600 copy CopyLayerParams, 605 branch
    BranchLayerParams, 615 loop LoopLayerParams, 620 loopBreak LoopBreakLayerParams, 625 loopContinue
    LoopContinueLayerParams, 635 rangeStatic RangeStaticLayerParams, 640 rangeDynamic
    RangeDynamicLayerParams, 660 clip ClipLayerParams, 665 ceil CeilLayerParams, 670 floor FloorLayerParams,
    680 sign SignLayerParams, 685 round RoundLayerParams, 700 exp2 Exp2LayerParams, 710 sin SinLayerParams,
    715 cos CosLayerParams, 720 tan TanLayerParams, 730 asin AsinLayerParams, 735 acos AcosLayerParams, 740
    atan AtanLayerParams, 750 sinh SinhLayerParams, 755 cosh CoshLayerParams, 760 tanh TanhLayerParams, 770
    asinh AsinhLayerParams, 775 acosh AcoshLayerParams, 780 atanh AtanhLayerParams, 790 erf ErfLayerParams,
    795 gelu GeluLayerParams, 815 equal EqualLayerParams, 820 notEqual NotEqualLayerParams, 825 lessThan
    LessThanLayerParams, 827 lessEqual LessEqualLayerParams, 830 greaterThan GreaterThanLayerParams, 832
    greaterEqual GreaterEqualLayerParams, 840 logicalOr LogicalOrLayerParams, 845 logicalXor
    LogicalXorLayerParams, 850 logicalNot LogicalNotLayerParams, 855 logicalAnd LogicalAndLayerParams, 865
    modBroadcastable ModBroadcastableLayerParams, 870 minBroadcastable MinBroadcastableLayerParams, 875
    maxBroadcastable MaxBroadcastableLayerParams, 880 addBroadcastable AddBroadcastableLayerParams, 885
    powBroadcastable PowBroadcastableLayerParams, 890 divideBroadcastable DivideBroadcastableLayerParams,
    895 floorDivBroadcastable FloorDivBroadcastableLayerParams, 900 multiplyBroadcastable
    MultiplyBroadcastableLayerParams, 905 subtractBroadcastable SubtractBroadcastableLayerParams, 920 tile
    TileLayerParams, 925 stack StackLayerParams, 930 gather GatherLayerParams, 935 scatter
    ScatterLayerParams, 940 gatherND GatherNDLayerParams, 945 scatterND ScatterNDLayerParams, 950 softmaxND
    SoftmaxNDLayerParams, 952 gatherAlongAxis GatherAlongAxisLayerParams, 954 scatterAlongAxis
    ScatterAlongAxisLayerParams, 960 reverse ReverseLayerParams, 965 reverseSeq ReverseSeqLayerParams, 975
    splitND SplitNDLayerParams, 980 concatND ConcatNDLayerParams, 985 transpose TransposeLayerParams, 995
    sliceStatic SliceStaticLayerParams, 1000 sliceDynamic SliceDynamicLayerParams, 1005 slidingWindows
    SlidingWindowsLayerParams, 1015 topK TopKLayerParams, 1020 argMin ArgMinLayerParams, 1025 argMax
    ArgMaxLayerParams, 1040 embeddingND EmbeddingNDLayerParams, 1045 batchedMatmul BatchedMatMulLayerParams,
    1065 getShape GetShapeLayerParams, 1070 loadConstantND LoadConstantNDLayerParams, 1080 fillLike
    FillLikeLayerParams, 1085 fillStatic FillStaticLayerParams, 1090 fillDynamic FillDynamicLayerParams,
    1100 broadcastToLike BroadcastToLikeLayerParams, 1105 broadcastToStatic BroadcastToStaticLayerParams,
    1110 broadcastToDynamic BroadcastToDynamicLayerParams, 1120 squeeze SqueezeLayerParams, 1125 expandDims
    ExpandDimsLayerParams, 1130 flattenTo2D FlattenTo2DLayerParams, 1135 reshapeLike ReshapeLikeLayerParams,
    1140 reshapeStatic ReshapeStaticLayerParams, 1145 reshapeDynamic ReshapeDynamicLayerParams, 1150
    rankPreservingReshape RankPreservingReshapeLayerParams, 1155 constantPad ConstantPaddingLayerParams,
    1170 randomNormalLike RandomNormalLikeLayerParams, 1175 randomNormalStatic
    RandomNormalStaticLayerParams, 1180 randomNormalDynamic RandomNormalDynamicLayerParams, 1190
    randomUniformLike RandomUniformLikeLayerParams, 1195 randomUniformStatic RandomUniformStaticLayerParams,
    1200 randomUniformDynamic RandomUniformDynamicLayerParams, 1210 randomBernoulliLike
    RandomBernoulliLikeLayerParams, 1215 randomBernoulliStatic RandomBernoulliStaticLayerParams, 1220
    randomBernoulliDynamic RandomBernoulliDynamicLayerParams, 1230 categoricalDistribution
    CategoricalDistributionLayerParams, 1250 reduceL1 ReduceL1LayerParams, 1255 reduceL2
    ReduceL2LayerParams, 1260 reduceMax ReduceMaxLayerParams, 1265 reduceMin ReduceMinLayerParams, 1270
    reduceSum ReduceSumLayerParams, 1275 reduceProd ReduceProdLayerParams, 1280 reduceMean
    ReduceMeanLayerParams, 1285 reduceLogSum ReduceLogSumLayerParams, 1290 reduceSumSquare
    ReduceSumSquareLayerParams, 1295 reduceLogSumExp ReduceLogSumExpLayerParams, 1313 whereNonZero
    WhereNonZeroLayerParams, 1315 matrixBandPart MatrixBandPartLayerParams, 1320 lowerTriangular
    LowerTriangularLayerParams, 1325 upperTriangular UpperTriangularLayerParams, 1330 whereBroadcastable
    WhereBroadcastableLayerParams, 1350 layerNormalization LayerNormalizationLayerParams, 1400
    NonMaximumSuppression NonMaximumSuppressionLayerParams, 1450 oneHot OneHotLayerParams, 1455 cumSum
    CumSumLayerParams, 1460 clampedReLU ClampedReLULayerParams, 1461 argSort ArgSortLayerParams, 1465
    pooling3d Pooling3DLayerParams, 1466 globalPooling3d GlobalPooling3DLayerParams, 1470 sliceBySize
    SliceBySizeLayerParams, 1471 convolution3d Convolution3DLayerParams
NeuralNetworkMeanImage: 1 meanImage float[]
NeuralNetworkPreprocessing: 1 featureName string, 10 scaler NeuralNetworkImageScaler, 11 meanImage
    NeuralNetworkMeanImage
NeuralNetworkRegressor: 1 layers NeuralNetworkLayer[], 2 preprocessing NeuralNetworkPreprocessing[], 5
    arrayInputShapeMapping NeuralNetworkMultiArrayShapeMapping, 6 imageInputShapeMapping
    NeuralNetworkImageShapeMapping, 10 updateParams bytes
NonMaximumSuppressionLayerParams: 1 iouThreshold float, 2 scoreThreshold float, 3 maxBoxes uint64, 4
    perClassSuppression bool
NotEqualLayerParams: 1 alpha float
OneHotLayerParams: 1 oneHotVectorSize uint64, 2 axis int64, 3 onValue float, 4 offValue float
Operation: 1 type string, 2 inputs Operation.InputsEntry[], 3 outputs NamedValueType[], 4 blocks Block[], 5
    attributes Operation.AttributesEntry[]
Operation.AttributesEntry: 1 key string, 2 value Value
Operation.InputsEntry: 1 key string, 2 value Argument
PaddingLayerParams: 1 constant PaddingLayerParams.PaddingConstant, 2 reflection
    PaddingLayerParams.PaddingReflection, 3 replication PaddingLayerParams.PaddingReplication, 10
    paddingAmounts BorderAmounts
PaddingLayerParams.PaddingConstant: 1 value float
PaddingLayerParams.PaddingReflection:
PaddingLayerParams.PaddingReplication:
PermuteLayerParams: 1 axis uint64[]
Pipeline: 1 models Model[], 2 names string[]
PipelineClassifier: 1 pipeline Pipeline
PipelineRegressor: 1 pipeline Pipeline
Pooling3DLayerParams: 1 type Pooling3DLayerParams.PoolingType3D, 2 kernelDepth int32, 3 kernelHeight int32,
    4 kernelWidth int32, 5 strideDepth int32, 6 strideHeight int32, 7 strideWidth int32, 8
    customPaddingFront int32, 9 customPaddingBack int32, 10 customPaddingTop int32, 11 customPaddingBottom
    int32, 12 customPaddingLeft int32, 13 customPaddingRight int32, 14 countExcludePadding bool, 15
    paddingType Pooling3DLayerParams.Pooling3DPaddingType
PoolingLayerParams: 1 type PoolingLayerParams.PoolingType, 10 kernelSize uint64[], 20 stride uint64[], 30
    valid ValidPadding, 31 same SamePadding, 32 includeLastPixel PoolingLayerParams.ValidCompletePadding, 50
    avgPoolExcludePadding bool, 60 globalPooling bool
PoolingLayerParams.ValidCompletePadding: 10 paddingAmounts uint64[]
PowBroadcastableLayerParams:
Program: 1 version int64, 2 functions Program.FunctionsEntry[], 3 docString string, 4 attributes
    Program.AttributesEntry[]
Program.AttributesEntry: 1 key string, 2 value Value
Program.FunctionsEntry: 1 key string, 2 value Function
QuantizationParams: 1 numberOfBits uint64, 101 linearQuantization LinearQuantizationParams, 102
    lookupTableQuantization LookUpTableQuantizationParams
RandomBernoulliDynamicLayerParams: 1 seed int64, 2 prob float
RandomBernoulliLikeLayerParams: 1 seed int64, 2 prob float
RandomBernoulliStaticLayerParams: 1 seed int64, 2 prob float, 3 outputShape uint64[]
RandomNormalDynamicLayerParams: 1 seed int64, 2 mean float, 3 stdDev float
RandomNormalLikeLayerParams: 1 seed int64, 2 mean float, 3 stdDev float
RandomNormalStaticLayerParams: 1 seed int64, 2 mean float, 3 stdDev float, 4 outputShape uint64[]
RandomUniformDynamicLayerParams: 1 seed int64, 2 minVal float, 3 maxVal float
RandomUniformLikeLayerParams: 1 seed int64, 2 minVal float, 3 maxVal float
RandomUniformStaticLayerParams: 1 seed int64, 2 minVal float, 3 maxVal float, 4 outputShape uint64[]
RangeDynamicLayerParams: 2 startValue float, 3 stepSizeValue float
RangeStaticLayerParams: 1 endValue float, 2 startValue float, 3 stepSizeValue float
RankPreservingReshapeLayerParams: 1 targetShape int64[]
ReduceL1LayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceL2LayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceLayerParams: 1 mode ReduceLayerParams.ReduceOperation, 2 epsilon float, 3 axis
    ReduceLayerParams.ReduceAxis
ReduceLogSumExpLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceLogSumLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceMaxLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceMeanLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceMinLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceProdLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceSumLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReduceSumSquareLayerParams: 1 axes int64[], 2 keepDims bool, 3 reduceAll bool
ReorganizeDataLayerParams: 1 mode ReorganizeDataLayerParams.ReorganizationType, 2 blockSize uint64
ReshapeDynamicLayerParams:
ReshapeLayerParams: 1 targetShape int64[], 2 mode ReshapeLayerParams.ReshapeOrder
ReshapeLikeLayerParams:
ReshapeStaticLayerParams: 1 targetShape int64[]
ResizeBilinearLayerParams: 1 targetSize uint64[], 2 mode SamplingMode
ReverseLayerParams: 1 reverseDim bool[]
ReverseSeqLayerParams: 1 batchAxis int64, 2 sequenceAxis int64
RoundLayerParams:
SamePadding: 1 asymmetryMode SamePadding.SamePaddingMode
SamplingMode: 1 samplingMethod SamplingMode.Method
ScaleLayerParams: 1 shapeScale uint64[], 2 scale WeightParams, 3 hasBias bool, 4 shapeBias uint64[], 5 bias
    WeightParams
ScatterAlongAxisLayerParams: 1 axis int64, 2 mode ScatterMode
ScatterLayerParams: 1 axis int64, 2 mode ScatterMode
ScatterNDLayerParams: 1 mode ScatterMode
SequenceFeatureType: 1 int64Type Int64FeatureType, 3 stringType StringFeatureType, 101 sizeRange SizeRange
SequenceRepeatLayerParams: 1 nRepetitions uint64
SignLayerParams:
SimpleRecurrentLayerParams: 1 inputVectorSize uint64, 2 outputVectorSize uint64, 10 activation
    ActivationParams, 15 sequenceOutput bool, 20 hasBiasVector bool, 30 weightMatrix WeightParams, 31
    recursionMatrix WeightParams, 32 biasVector WeightParams, 100 reverseInput bool
SinLayerParams:
SinhLayerParams:
SizeRange: 1 lowerBound uint64, 2 upperBound int64
SliceBySizeLayerParams: 2 size int64, 3 axis int64
SliceDynamicLayerParams: 2 beginMasks bool[], 3 endIds int64[], 4 endMasks bool[], 5 strides int64[], 6
    squeezeMasks bool[]
SliceLayerParams: 1 startIndex int64, 2 endIndex int64, 3 stride uint64, 4 axis SliceLayerParams.SliceAxis
SliceStaticLayerParams: 1 beginIds int64[], 2 beginMasks bool[], 3 endIds int64[], 4 endMasks bool[], 5
    strides int64[], 6 squeezeMasks bool[]
SlidingWindowsLayerParams: 1 axis int64, 2 windowSize uint64, 3 step uint64
SoftmaxLayerParams:
SoftmaxNDLayerParams: 1 axis int64
SplitLayerParams: 1 nOutputs uint64
SplitNDLayerParams: 1 axis int64, 2 numSplits uint64, 3 splitSizes uint64[]
SqueezeLayerParams: 1 axes int64[], 2 squeezeAll bool
StackLayerParams: 1 axis int64
StateFeatureType: 1 arrayType ArrayFeatureType
StateType: 1 wrappedType ValueType
StringFeatureType:
StringVector: 1 vector string[]
SubtractBroadcastableLayerParams:
TanLayerParams:
TanhLayerParams:
Tensor: 1 rank uint32, 2 dimValue int64[]
TensorType: 1 dataType DataType, 2 rank int64, 3 dimensions Dimension[], 4 attributes
    TensorType.AttributesEntry[]
TensorType.AttributesEntry: 1 key string, 2 value Value
TensorValue: 1 floats TensorValue.RepeatedFloats, 2 ints TensorValue.RepeatedInts, 3 bools
    TensorValue.RepeatedBools, 4 strings TensorValue.RepeatedStrings, 5 longInts
    TensorValue.RepeatedLongInts, 6 doubles TensorValue.RepeatedDoubles, 7 bytes TensorValue.RepeatedBytes
TensorValue.RepeatedBools: 1 values bool[]
TensorValue.RepeatedBytes: 1 values bytes
TensorValue.RepeatedDoubles: 1 values double[]
TensorValue.RepeatedFloats: 1 values float[]
TensorValue.RepeatedInts: 1 values int32[]
TensorValue.RepeatedLongInts: 1 values int64[]
TensorValue.RepeatedStrings: 1 values string[]
TileLayerParams: 1 reps uint64[]
TopKLayerParams: 1 axis int64, 2 K uint64, 3 useBottomK bool
TransposeLayerParams: 1 axes uint64[]
TreeEnsembleClassifier: 1 treeEnsemble TreeEnsembleParameters, 2 postEvaluationTransform
    TreeEnsemblePostEvaluationTransform, 100 stringClassLabels StringVector, 101 int64ClassLabels
    Int64Vector
TreeEnsembleParameters: 1 nodes TreeEnsembleParameters.TreeNode[], 2 numPredictionDimensions uint64, 3
    basePredictionValue double[]
TreeEnsembleParameters.TreeNode: 1 treeId uint64, 2 nodeId uint64, 3 nodeBehavior
    TreeEnsembleParameters.TreeNode.TreeNodeBehavior, 10 branchFeatureIndex uint64, 11 branchFeatureValue
    double, 12 trueChildNodeId uint64, 13 falseChildNodeId uint64, 14 missingValueTracksTrueChild bool, 20
    evaluationInfo TreeEnsembleParameters.TreeNode.EvaluationInfo[], 30 relativeHitRate double
TreeEnsembleParameters.TreeNode.EvaluationInfo: 1 evaluationIndex uint64, 2 evaluationValue double
TreeEnsembleRegressor: 1 treeEnsemble TreeEnsembleParameters, 2 postEvaluationTransform
    TreeEnsemblePostEvaluationTransform
TupleType: 1 types ValueType[]
TupleValue: 1 values Value[]
UnaryFunctionLayerParams: 1 type UnaryFunctionLayerParams.Operation, 2 alpha float, 3 epsilon float, 4 shift
    float, 5 scale float
UniDirectionalLSTMLayerParams: 1 inputVectorSize uint64, 2 outputVectorSize uint64, 10 activations
    ActivationParams[], 15 params LSTMParams, 20 weightParams LSTMWeightParams, 100 reverseInput bool
UpperTriangularLayerParams: 1 k int64
UpsampleLayerParams: 1 scalingFactor uint64[], 5 mode UpsampleLayerParams.InterpolationMode, 6
    linearUpsampleMode UpsampleLayerParams.LinearUpsampleMode, 7 fractionalScalingFactor float[]
ValidPadding: 1 paddingAmounts BorderAmounts
Value: 1 docString string, 2 type ValueType, 3 immediateValue Value.ImmediateValue, 5 blobFileValue
    Value.BlobFileValue
Value.BlobFileValue: 1 fileName string, 2 offset uint64
Value.ImmediateValue: 1 tensor TensorValue, 2 tuple TupleValue, 3 list ListValue, 4 dictionary
    DictionaryValue
ValueType: 1 tensorType TensorType, 2 listType ListType, 3 tupleType TupleType, 4 dictionaryType
    DictionaryType, 5 stateType StateType
WeightParams: 1 floatValue float[], 2 float16Value bytes, 30 rawValue bytes, 31 int8RawValue bytes, 40
    quantization QuantizationParams, 50 isUpdatable bool
WhereBroadcastableLayerParams:
WhereNonZeroLayerParams:
"""

_ENUMS = """
ArrayFeatureType.ArrayDataType: 0 INVALID_ARRAY_DATA_TYPE, 65552 FLOAT16, 65568 FLOAT32, 65600 DOUBLE,
    131080 INT8, 131104 INT32
BoxCoordinatesMode.Coordinates: 0 CORNERS_HEIGHT_FIRST, 1 CORNERS_WIDTH_FIRST, 2 CENTER_SIZE_HEIGHT_FIRST, 3
    CENTER_SIZE_WIDTH_FIRST
Convolution3DLayerParams.PaddingType: 0 CUSTOM, 1 VALID, 2 SAME
DataType: 0 UNUSED_TYPE, 1 BOOL, 2 STRING, 10 FLOAT16, 11 FLOAT32, 12 FLOAT64, 13 BFLOAT16, 21 INT8, 22
    INT16, 23 INT32, 24 INT64, 25 INT4, 31 UINT8, 32 UINT16, 33 UINT32, 34 UINT64, 35 UINT4, 36 UINT2, 37
    UINT1, 38 UINT6, 39 UINT3, 40 FLOAT8E4M3FN, 41 FLOAT8E5M2
FlattenLayerParams.FlattenOrder: 0 CHANNEL_FIRST, 1 CHANNEL_LAST
GLMClassifier.ClassEncoding: 0 ReferenceClass, 1 OneVsRest
GLMClassifier.PostEvaluationTransform: 0 Logit, 1 Probit
GLMRegressor.PostEvaluationTransform: 0 NoTransform, 1 Logit, 2 Probit
GeluLayerParams.GeluMode: 0 EXACT, 1 TANH_APPROXIMATION, 2 SIGMOID_APPROXIMATION
GlobalPooling3DLayerParams.GlobalPoolingType3D: 0 MAX, 1 AVERAGE
ImageFeatureType.ColorSpace: 0 INVALID_COLOR_SPACE, 10 GRAYSCALE, 20 RGB, 30 BGR, 40 GRAYSCALE_FLOAT16
NeuralNetworkImageShapeMapping: 0 RANK5_IMAGE_MAPPING, 1 RANK4_IMAGE_MAPPING
NeuralNetworkMultiArrayShapeMapping: 0 RANK5_ARRAY_MAPPING, 1 EXACT_ARRAY_MAPPING
Pooling3DLayerParams.Pooling3DPaddingType: 0 CUSTOM, 1 VALID, 2 SAME
Pooling3DLayerParams.PoolingType3D: 0 MAX, 1 AVERAGE
PoolingLayerParams.PoolingType: 0 MAX, 1 AVERAGE, 2 L2
ReduceLayerParams.ReduceAxis: 0 CHW, 1 HW, 2 C, 3 H, 4 W
ReduceLayerParams.ReduceOperation: 0 SUM, 1 AVG, 2 PROD, 3 LOGSUM, 4 SUMSQUARE, 5 L1, 6 L2, 7 MAX, 8 MIN, 9
    ARGMAX
ReorganizeDataLayerParams.ReorganizationType: 0 SPACE_TO_DEPTH, 1 DEPTH_TO_SPACE, 2 PIXEL_SHUFFLE
ReshapeLayerParams.ReshapeOrder: 0 CHANNEL_FIRST, 1 CHANNEL_LAST
SamePadding.SamePaddingMode: 0 BOTTOM_RIGHT_HEAVY, 1 TOP_LEFT_HEAVY
SamplingMode.Method: 0 STRICT_ALIGN_ENDPOINTS_MODE, 1 ALIGN_ENDPOINTS_MODE, 2 UPSAMPLE_MODE, 3
    ROI_ALIGN_MODE
ScatterMode: 0 SCATTER_UPDATE, 1 SCATTER_ADD, 2 SCATTER_SUB, 3 SCATTER_MUL, 4 SCATTER_DIV, 5 SCATTER_MAX, 6
    SCATTER_MIN
SliceLayerParams.SliceAxis: 0 CHANNEL_AXIS, 1 HEIGHT_AXIS, 2 WIDTH_AXIS
TreeEnsembleParameters.TreeNode.TreeNodeBehavior: 0 BranchOnValueLessThanEqual, 1 BranchOnValueLessThan, 2
    BranchOnValueGreaterThanEqual, 3 BranchOnValueGreaterThan, 4 BranchOnValueEqual, 5
    BranchOnValueNotEqual, 6 LeafNode
TreeEnsemblePostEvaluationTransform: 0 NoTransform, 1 Classification_SoftMax, 2 Regression_Logistic, 3
    Classification_SoftMaxWithZeroClassReference
UnaryFunctionLayerParams.Operation: 0 SQRT, 1 RSQRT, 2 INVERSE, 3 POWER, 4 EXP, 5 LOG, 6 ABS, 7 THRESHOLD
UpsampleLayerParams.InterpolationMode: 0 NN, 1 BILINEAR
UpsampleLayerParams.LinearUpsampleMode: 0 DEFAULT, 1 ALIGN_CORNERS_TRUE, 2 ALIGN_CORNERS_FALSE
"""


def _entries(text: str):
    """Yield (name, body) for each ``Name: body`` entry, joining indented continuation lines."""
    name, body = None, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            body.append(line.strip())
            continue
        if name is not None:
            yield name, " ".join(body)
        name, _, rest = line.partition(":")
        body = [rest.strip()]
    if name is not None:
        yield name, " ".join(body)


def _parse() -> Tuple[dict, Dict[str, Dict[int, str]], Dict[Tuple[str, str], str]]:
    enums = {}
    for name, body in _entries(_ENUMS):
        enums[name] = {int(number): label for number, label in (item.split() for item in body.split(", "))}
    schema, enum_fields = {}, {}
    for name, body in _entries(_MESSAGES):
        fields = {}
        for item in filter(None, body.split(", ")):
            number, field, kind = item.split()
            base = kind[:-2] if kind.endswith("[]") else kind
            if base in enums:
                enum_fields[(name, field)] = base
                kind = "enum" + kind[len(base):]
            fields[int(number)] = (field, kind)
        schema[name] = fields
    return schema, enums, enum_fields


# SCHEMA: message → {number: (field, type)}; ENUMS: enum → {value: label};
# ENUM_FIELDS: (message, field) → enum name, to show enum values by their labels.
SCHEMA, ENUMS, ENUM_FIELDS = _parse()

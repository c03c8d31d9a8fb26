"""What kind of arithmetic an operator does, across every family's spelling of it.

Families name the same operator differently (`Conv`, `CONV_2D`, `Conv2D`, `Convolution`, `aten::conv2d`,
`convolutional`): `canonical` folds a name to one spelling (lower case, no namespace, no underscores) and
`KINDS` maps the folded name to the rule that costs it. A name missing here is "unknown", never free.
"""

from __future__ import annotations

import re

# Elementary operations per output element of an elementwise operator; exp, log, tanh, erf, sqrt and division
# count as one operation each (we count operations, not instructions).
_ELEMENTWISE = {
    1: "add addv2 sub mul div realdiv floordiv floormod mod neg abs sign reciprocal floor ceil round sqrt rsqrt "
       "exp log erf tanh sin cos tan asin acos atan sinh cosh square max maximum min minimum relu pow "
       "equal notequal greater greaterequal greaterorequal less lessequal lessorequal not and or xor bitwiseand "
       "bitwiseor bitwisexor logicaland logicalor logicalnot where select selectv2 isnan isinf biasadd "
       "relun1to1 threshold rsub addcmul eltwise binaryop unaryop elementwise elementwiseadd elementwisesub "
       "elementwisemul elementwisediv elementwisemax elementwisemin elementwisepow truediv squareddifference",
    2: "leakyrelu prelu clip clamp hardtanh relu6 thresholdedrelu shrink softsign celu quantizelinear "
       "dequantizelinear quantize dequantize multiply subtract average elemwiseadd elemwisesub elemwisemul "
       "elemwisediv broadcastadd broadcastsub broadcastmul broadcastdiv broadcastmaximum broadcastminimum "
       "shortcut power rescaling scalechannels sam",
    3: "elu selu softplus hardsigmoid",
    4: "sigmoid logistic hardswish hardsilu",
    5: "silu swish",
    6: "mish",
    8: "gelu fastgelu biasgelu quickgelu",
}

# Operators that move, view or describe data without arithmetic: zero MACs and FLOPs.
_MOVEMENT = (
    "reshape flatten squeeze unsqueeze transpose permute concat concatv2 concatenation cat stack pack unpack "
    "unstack split splitv slice stridedslice narrow gather gathernd gatherelements gatherv2 scatter scatternd "
    "scatterelements pad padv2 mirrorpad expand expanddims broadcastto tile shape size rank identity dropout "
    "cast constant constantofshape const range view contiguous clone copy detach to typeas select index "
    "indexselect embedding embeddingbag depthtospace spacetodepth pixelshuffle pixelunshuffle shufflechannel "
    "channelshuffle nonzero onehot input placeholder data noop output flatten2 reshape2 transpose2 "
    "unsqueeze2 squeeze2 fill filllike zeros ones zeroslike oneslike emptylike full fulllike arange t "
    "getitem listconstruct tupleconstruct listunpack tupleunpack alias aliasof lift fresh crop croplike "
    "reverse reversev2 flip roll unfold fold reshapelike squeezev2 sequenceconstruct sequenceat "
    "splittosequence concatfromsequence identityn stopgradient preventgradient enter exit merge switch "
    "nextiteration loopcond readvariableop varhandleop assignvariableop "
    "permutev2 interleave repeat repeatinterleave expandas newzeros newones newempty inputlayer zeropadding1d "
    "zeropadding2d zeropadding3d concatenate route reorg priorbox permutelayer assign assignvalue fillconstant "
    "flattencontiguousrange numtotensor swapaxis variable variablev2 restorev2 savev2 isvariableinitialized "
    "varisinitializedop shardedfilename stringjoin mergev2checkpoints scalarsummary histogramsummary "
    "mergesummary placeholderwithdefault shapen broadcastgradientargs concatoffset dynamicstitch refswitch "
    "queueclosev2 queuesizev2 queuedequeuemanyv2 queueenqueuemanyv2 randomshufflequeuev2 rnnparamconcat"
).split()

_CONV = ("conv conv1d conv2d conv3d convolution convolution1d convolution2d convolution3d convolutional "
         "depthwiseconv2d depthwiseconv2dnative convolutiondepthwise convdepthwise depthwiseconvolution "
         "convinteger qlinearconv convolutionbackwardinput1d mkldnnconvolution cudnnconvolution conv2dfusion "
         "separableconv2dconv fusedconv nhwcconv conv2dnchwc deformableconv").split()
_TRANSPOSED = ("convtranspose convtranspose1d convtranspose2d convtranspose3d conv2dtranspose conv3dtranspose "
               "conv2dbackpropinput conv3dbackpropinputv2 transposeconv deconvolution deconvolution2d deconv "
               "deconvolutiondepthwise conv2dtransposefusion").split()
_LINEAR = "gemm fullyconnected innerproduct dense linear addmm fc qgemm fusedgemm connected".split()
_MATMUL = ("matmul batchmatmul batchmatmulv2 batchmatmulv3 bmm mm matmulv2 matmulinteger qlinearmatmul "
           "fusedmatmul baddbmm matmulnbits").split()
_POOL = ("maxpool averagepool avgpool pool pooling pool2d pool3d maxpool1d maxpool2d maxpool3d avgpool1d "
         "avgpool2d avgpool3d averagepool2d maxpooling1d maxpooling2d maxpooling3d averagepooling1d "
         "averagepooling2d averagepooling3d lppool maxpoolwithargmax maxpoolwithindices pooling2d").split()
_GLOBAL_POOL = ("globalaveragepool globalmaxpool globallppool adaptiveavgpool1d adaptiveavgpool2d "
                "adaptiveavgpool3d adaptivemaxpool1d adaptivemaxpool2d globalaveragepooling1d "
                "globalaveragepooling2d globalmaxpooling1d globalmaxpooling2d globalavgpool globalavgpool2d "
                "globalmaxpool2d").split()
_AFFINE_NORM = ("batchnormalization batchnorm fusedbatchnorm fusedbatchnormv2 fusedbatchnormv3 nativebatchnorm "
                "batchnorm1d batchnorm2d batchnorm3d bn batchnormalizationv2 scale affine cudnnbatchnorm "
                "batchnormcxx").split()
_STATS_NORM = ("layernormalization layernorm instancenormalization instancenorm groupnormalization groupnorm "
               "rmsnorm rmsnormalization simplifiedlayernormalization skiplayernormalization "
               "skipsimplifiedlayernormalization nativelayernorm nativegroupnorm l2normalization lpnormalization "
               "l2norm normalize mvn meanvariancenormalization normalization").split()
_SOFTMAX = ("softmax logsoftmax softmaxv2 logsoftmaxv2 softmaxoutput softmaxwithloss softmaxactivation "
            "softmaxcaffe").split()
_RECURRENT = ("lstm gru rnn simplernn cudnnrnn lstmv2 grucell lstmcell rnncell unidirectionalsequencelstm "
              "bidirectionalsequencelstm unidirectionalsequencernn svdf").split()
_REDUCE = ("reducesum reducemean reducemax reducemin reduceprod reducel1 reducel2 reducesumsquare "
           "reducelogsum reducelogsumexp argmax argmin reduction reduce cumsum cumprod sum mean prod "
           "logsumexp amax amin any all norm frobeniusnorm").split()
_RESIZE = ("resize upsample resizebilinear resizenearestneighbor resizebicubic interp upsamplebilinear2d "
           "upsamplenearest2d upsamplenearest1d upsamplenearest3d upsamplebicubic2d upsamplelinear1d interpolate "
           "upsampling1d upsampling2d upsampling3d resizenearest bilinearinterp nearestinterp nearestinterpv2 "
           "bilinearinterpv2 upsampling").split()
_ATTENTION = ("attention multiheadattentionddotproductattention sdpa groupqueryattention "
              "scaleddotproductflashattentionddotproductefficientattention "
              "scaleddotproductflashattentionforcpu").split()
_LRN = "lrn localresponsenormalization".split()


def _table() -> dict:
    kinds = {}
    for count, names in _ELEMENTWISE.items():
        kinds.update((name, ("elementwise", count)) for name in names.split())
    for kind, names in (("movement", _MOVEMENT), ("conv", _CONV), ("transposed", _TRANSPOSED),
                        ("linear", _LINEAR), ("matmul", _MATMUL), ("pool", _POOL), ("global_pool", _GLOBAL_POOL),
                        ("affine_norm", _AFFINE_NORM), ("stats_norm", _STATS_NORM), ("softmax", _SOFTMAX),
                        ("reduce", _REDUCE), ("resize", _RESIZE), ("attention", _ATTENTION), ("lrn", _LRN),
                        ("einsum", ["einsum"]), ("recurrent", _RECURRENT),
                        ("activation", ["activation"])):
        kinds.update((name, (kind, 0)) for name in names)
    return kinds


KINDS = _table()

# `Sum`/`Mean`/`Max`/`Min` are elementwise over several inputs in ONNX but reductions in TensorFlow; the
# cost rules tell them apart by the number of data inputs.
VARIADIC_ELEMENTWISE = {"sum", "mean", "max", "min", "addn", "elementwisesum"}

_NAMESPACE = re.compile(r"^(?:torch\.ops\.)?(?:aten|prim|quantized|onnx|ai\.onnx|com\.microsoft)(?:::|\.)")


def canonical(name: str) -> str:
    """`aten::conv2d` → `conv2d`; `torch.ops.aten.convolution.default` → `convolution`; `CONV_2D` → `conv2d`."""
    name = _NAMESPACE.sub("", name.strip())
    if "::" in name:
        name = name.rsplit("::", 1)[1]
    name = name.split(".", 1)[0]
    return name.replace("_", "").replace("-", "").lower()


def kind_of(name: str):
    """(kind, per-element operation count) for an operator name, or None when we have no rule for it.
    Quantized twins (`QuantizedConvolution`, `QLinearConv`) cost what their float operator costs."""
    name = canonical(name)
    kind = KINDS.get(name)
    if kind is None and name.startswith("quantized"):
        kind = KINDS.get(name[len("quantized"):])
    return kind

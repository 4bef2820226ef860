using Google.Protobuf;
using Microsoft.ML.Sharpness.Onnx.Proto;

namespace Microsoft.ML.Sharpness.Tests.Imported;

[TestClass]
public sealed class BadOnnxInputTests
{
    [TestMethod]
    public void AFileThatIsNotOnnxIsNamed()
    {
        string path = Temporary("not-onnx", System.Text.Encoding.UTF8.GetBytes("ImagePath\tLabel\nshirt.png\tShirt\n"));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => SamImageClassifierModel.FromOnnxFile(path));
        StringAssert.Contains(error.Message, $"'{path}' is not an ONNX model");
        var fit = Assert.Throws<Exception>(() => Fit(new SamImageClassifierOptions { PretrainedModelPath = path }, channels: 3, side: 32));
        StringAssert.Contains(fit.Message, "is not an ONNX model");
    }

    [TestMethod]
    public void AnUnsupportedOperatorIsRefusedNamingTheOperatorTheNodeAndTheOpset()
    {
        var error = Assert.ThrowsExactly<NotSupportedException>(() => SamImageClassifierModel.FromOnnxFile(OnnxFixtures.PathOf("unsupported-op.onnx")));
        StringAssert.Contains(error.Message, "operator 'Erf'");
        StringAssert.Contains(error.Message, "node '/Erf'");
        StringAssert.Contains(error.Message, "opset 13");
        StringAssert.Contains(error.Message, "Supported operators: ");
    }

    [TestMethod]
    public void ControlFlowAndCustomDomainsAreRefused()
    {
        var loop = Modified("squeezenet-folded.onnx", m => m.Graph.Node[3].OpType = "Loop");
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => SamImageClassifierModel.FromOnnxFile(loop)).Message, "dynamic control flow");
        var custom = Modified("squeezenet-folded.onnx", m => m.Graph.Node[1].Domain = "com.microsoft");
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => SamImageClassifierModel.FromOnnxFile(custom)).Message, "domain 'com.microsoft'");
    }

    [TestMethod]
    public void AnInputThatIsNotFloatNchwImagesIsRefused()
    {
        var nhwc = Assert.ThrowsExactly<NotSupportedException>(() => SamImageClassifierModel.FromOnnxFile(OnnxFixtures.PathOf("nhwc-input.onnx")));
        StringAssert.Contains(nhwc.Message, "reads 'input' as Float [batch, 32, 32, 3]");
        StringAssert.Contains(nhwc.Message, "NCHW");
        var bytes = Modified("squeezenet-folded.onnx", m => m.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Uint8);
        var uint8 = Assert.ThrowsExactly<NotSupportedException>(() => SamImageClassifierModel.FromOnnxFile(bytes));
        StringAssert.Contains(uint8.Message, "as Uint8");
        StringAssert.Contains(uint8.Message, "float32 images [N, C, H, W]");
    }

    [TestMethod]
    public void AFeatureNodeThatDoesNotExistIsNamedWithNodesThatDo()
    {
        var error = Assert.Throws<Exception>(() => Fit(new SamImageClassifierOptions
        {
            PretrainedModelPath = OnnxFixtures.PathOf("resnet18-folded.onnx"), PretrainedFeatureNode = "/layers/layers.9/Relu",
        }, channels: 3, side: 32));
        StringAssert.Contains(error.Message, "no node or tensor named '/layers/layers.9/Relu'");
        StringAssert.Contains(error.Message, "'/fc/Gemm'");
    }

    [TestMethod]
    public void ImagesOfAnotherShapeThanTheModelTakesAreRefusedNamingBoth()
    {
        var fixedSize = Assert.Throws<Exception>(() => Fit(new SamImageClassifierOptions { PretrainedModelPath = OnnxFixtures.PathOf("resnet18-folded.onnx") }, channels: 1, side: 28));
        StringAssert.Contains(fixedSize.Message, "takes 3×32×32 images; the feature column holds 1×28×28");

        // Height and width left open: the network is tried on the images, and the node that cannot take them is named.
        var open = Modified("mobilenetv3-folded.onnx", m =>
        {
            foreach (int axis in new[] { 2, 3 }) m.Graph.Input[0].Type.TensorType.Shape.Dim[axis] = new TensorShapeProto.Types.Dimension { DimParam = "side" };
        });
        var error = Assert.Throws<Exception>(() => Fit(new SamImageClassifierOptions { PretrainedModelPath = open, PretrainedFeatureNode = "/head/head.2/Gemm" }, channels: 3, side: 16));
        StringAssert.Contains(error.Message, "cannot take 3×16×16 images");
        StringAssert.Contains(error.Message, "(Gemm)");
    }

    [TestMethod]
    public void FineTuningOptionsWithoutAPretrainedModelOrWithAMissingFileAreNamed()
    {
        var ml = new MLContext();
        var frozen = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { FreezeBackbone = true }));
        StringAssert.Contains(frozen.Message, "FreezeBackbone is True; expected its default with PretrainedModelPath null");
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { PretrainedModelPath = "no/such/model.onnx" }));
        StringAssert.Contains(missing.Message, "PretrainedModelPath is no/such/model.onnx; expected the path of an existing .onnx file");
        var scale = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            PretrainedModelPath = OnnxFixtures.PathOf("resnet18-folded.onnx"), BackboneLearningRateScale = 0,
        }));
        StringAssert.Contains(scale.Message, "BackboneLearningRateScale is 0");
        var normalization = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(new SamImageClassifierOptions
        {
            PretrainedModelPath = OnnxFixtures.PathOf("resnet18-folded.onnx"), InputNormalization = new InputNormalization { Mean = new[] { 0.5f, 0.5f }, Std = new[] { 0.2f, 0.2f } },
        }, channels: 3, side: 32));
        StringAssert.Contains(normalization.Message, "InputNormalization has 2 means and 2 deviations; the images have 3 channels");
    }

    private static void Fit(SamImageClassifierOptions options, int channels, int side)
    {
        var ml = new MLContext(seed: 1);
        options.Epochs = 1;
        options.NumberOfThreads = 1;
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(8, 2, seed: 1, channels: channels, side: side), SyntheticImages.Schema(channels, side));
        ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(data);
    }

    private static string Modified(string fixture, Action<ModelProto> change)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxFixtures.PathOf(fixture)));
        change(model);
        return Temporary(fixture, model.ToByteArray());
    }

    private static string Temporary(string name, byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"sharpness-bad-{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

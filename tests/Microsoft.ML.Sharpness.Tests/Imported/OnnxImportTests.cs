using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks.Layers;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Imported;

[TestClass]
public sealed class OnnxImportTests
{
    public static IEnumerable<object[]> Models =>
        new[] { "resnet18-folded", "resnet18-bn", "mobilenetv2-folded", "mobilenetv2-bn", "efficientnet-b0-folded", "efficientnet-b0-bn",
            "mobilenetv3-folded", "mobilenetv3-bn", "squeezenet-folded" }.Select(m => new object[] { m });

    [TestMethod]
    [DynamicData(nameof(Models))]
    public void ImportedLogitsEqualOnnxRuntimes(string model)
    {
        string path = OnnxFixtures.PathOf($"{model}.onnx");
        using var imported = SamImageClassifierModel.FromOnnxFile(path);
        Assert.AreEqual((3, 32, 32, 10), (imported.Info.Channels, imported.Info.Height, imported.Info.Width, imported.Info.ClassNames.Count));
        manual_seed(7);
        using Tensor images = randn(3, 3, 32, 32);
        using Tensor logits = imported.Network.call(images);
        double difference = OnnxFixtures.RelativeDifference(logits.data<float>().ToArray(), OnnxFixtures.RuntimeOutput(path, images));
        Assert.IsLessThanOrEqualTo(1e-4, difference, $"{model}: max relative difference {difference:G3}");
    }

    [TestMethod]
    [DynamicData(nameof(Models))]
    public void AnImportedNetworkExportsBackToTheSameLogitsAndRunsTheSecondOrderForward(string model)
    {
        using var imported = SamImageClassifierModel.FromOnnxFile(OnnxFixtures.PathOf($"{model}.onnx"));
        string exported = Path.Combine(Path.GetTempPath(), $"sharpness-{model}-{Guid.NewGuid():N}.onnx");
        try
        {
            imported.ExportOnnx(exported);
            manual_seed(8);
            using Tensor images = randn(2, 3, 32, 32).requires_grad_(true);
            using Tensor logits = imported.Network.call(images);
            double difference = OnnxFixtures.RelativeDifference(OnnxFixtures.RuntimeOutput(exported, images.detach()), logits.detach().data<float>().ToArray());
            Assert.IsLessThanOrEqualTo(1e-4, difference, $"{model}: exported against imported, max relative difference {difference:G3}");
            using Tensor secondOrder = LayerRules.SecondOrderForward(imported.Network, images);
            Assert.IsTrue(secondOrder.allclose(logits, rtol: 1e-4, atol: 1e-5), $"{model}: second-order forward differs by {(secondOrder - logits).abs().max().item<float>()}");
        }
        finally
        {
            File.Delete(exported);
        }
    }

    [TestMethod]
    [DataRow("mobilenetv2-bn")]
    [DataRow("efficientnet-b0-folded")]
    [DataRow("mobilenetv3-bn")]
    public void PerExampleGradientsOfAnImportedNetworkMatchThePerRowLoop(string model)
    {
        // depthwise and grouped convolutions, BatchNorm, squeeze-excite products, Linear: every layer with weights has a per-row rule
        using var imported = SamImageClassifierModel.FromOnnxFile(OnnxFixtures.PathOf($"{model}.onnx"));
        manual_seed(3);
        using Tensor x = randn(6, 3, 32, 32), y = randint(10, 6);
        var trick = new PerExampleGradients(imported.Network);
        Assert.IsFalse(trick.UsesRowLoop);
        var fast = FisherInformation.Compute(trick, x, y, 0, seed: 1);
        var slow = FisherInformation.Compute(new PerExampleGradients(imported.Network, forceRowLoop: true), x, y, 0, seed: 1);
        Assert.AreEqual(slow.EmpiricalTrace, fast.EmpiricalTrace, 1e-4 * slow.EmpiricalTrace, "empirical Fisher trace");
        Assert.AreEqual(slow.FisherRaoNorm, fast.FisherRaoNorm, 1e-3 * slow.FisherRaoNorm, "Fisher–Rao norm");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AModelExportedWithAFixedBatchAndOpset11TakesAnyBatch(bool foldedReshape)
    {
        string path = OnnxFixtures.PathOf("mobilenetv3-static-batch-opset11.onnx");
        if (foldedReshape)
        {
            // What newer exporters write for x.view(x.size(0), -1) at a fixed batch: a constant target [2, 256].
            var model = Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            model.Graph.Initializer.Add(new Onnx.Proto.TensorProto { Name = "folded_shape", DataType = (int)Onnx.Proto.TensorProto.Types.DataType.Int64, Dims = { 2 }, Int64Data = { 2, 256 } });
            model.Graph.Node.Last(n => n.OpType == "Reshape").Input[1] = "folded_shape";
            path = Path.Combine(Path.GetTempPath(), $"sharpness-folded-reshape-{Guid.NewGuid():N}.onnx");
            File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        }
        using var imported = SamImageClassifierModel.FromOnnxFile(path);
        manual_seed(9);
        using Tensor images = randn(5, 3, 32, 32);
        using Tensor logits = imported.Network.call(images);
        CollectionAssert.AreEqual(new long[] { 5, 10 }, logits.shape);
        double difference = OnnxFixtures.RelativeDifference(logits.narrow(0, 0, 2).contiguous().data<float>().ToArray(), OnnxFixtures.RuntimeOutput(path, images.narrow(0, 0, 2)));
        Assert.IsLessThanOrEqualTo(1e-4, difference, $"max relative difference {difference:G3} on the model's own batch of 2");
    }
}

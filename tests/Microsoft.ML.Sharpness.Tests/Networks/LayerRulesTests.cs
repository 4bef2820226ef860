using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Layers;
using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Networks;

[TestClass]
public sealed class LayerRulesTests
{
    [TestMethod]
    [DataRow(ImageClassifierArchitecture.Mlp)]
    [DataRow(ImageClassifierArchitecture.ConvNet)]
    [DataRow(ImageClassifierArchitecture.ResNet)]
    public void EveryLayerOfEveryArchitectureHasARuleAndEveryParameterOwnerAPerRowGradient(ImageClassifierArchitecture architecture)
    {
        using var network = NetworkFactory.Create(new NetworkShape(architecture, 3, 16, 16, 4, 1));
        foreach (var layer in network.modules())
            Assert.IsNotNull(LayerRules.Find(layer), $"{architecture}: {layer.GetType().Name}");
        Assert.IsTrue(LayerRules.HavePerRowGradients(network));
        Assert.IsFalse(new PerExampleGradients(network).UsesRowLoop);
    }

    [TestMethod]
    [DataRow(ImageClassifierArchitecture.ConvNet)]
    [DataRow(ImageClassifierArchitecture.ResNet)]
    public void TheSecondOrderForwardPassComputesTheSameLogitsAsTheNetwork(ImageClassifierArchitecture architecture)
    {
        using var network = NetworkFactory.Create(new NetworkShape(architecture, 3, 16, 16, 4, 1));
        network.eval();
        manual_seed(4);
        // inputs that carry gradient, so every convolution takes its im2col form
        using Tensor x = randn(5, 3, 16, 16).requires_grad_(true);
        using Tensor expected = network.call(x), actual = LayerRules.SecondOrderForward(network, x);
        Assert.IsTrue(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"{architecture}: max difference {(actual - expected).abs().max().item<float>()}");
    }

    [TestMethod]
    public void ALayerWithoutARuleIsNamedOnExportAndSendsPerExampleGradientsToTheRowLoop()
    {
        using var unknown = nn.Sequential(("flatten", nn.Flatten()), ("norm", nn.LayerNorm(16)), ("classifier", nn.Linear(16, 3)));
        var error = Assert.ThrowsExactly<NotSupportedException>(() => LayerRules.ExportOnnx(unknown, new OnnxGraphBuilder(), "x", ""));
        StringAssert.Contains(error.Message, "LayerNorm");
        Assert.IsFalse(LayerRules.HavePerRowGradients(unknown));
        Assert.IsTrue(new PerExampleGradients(unknown).UsesRowLoop);
    }

    [TestMethod]
    public void NetworkWeightsSetPerturbAndRestoreExactly()
    {
        using var network = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.ConvNet, 1, 8, 8, 3));
        var weights = new NetworkWeights(network);
        Assert.AreEqual(network.parameters().Sum(p => p.numel()), weights.Dimension);
        float[] original = weights.Flatten().data<float>().ToArray();

        using Tensor delta = randn(weights.Dimension);
        using (weights.Perturb(delta))
        {
            float[] moved = weights.Flatten().data<float>().ToArray();
            float[] d = delta.data<float>().ToArray();
            for (int i = 0; i < original.Length; i += 97) Assert.AreEqual(original[i] + d[i], moved[i], 1e-6f, $"entry {i}");
            weights.Set(zeros(weights.Dimension)); // whatever happens meanwhile
        }
        CollectionAssert.AreEqual(original, weights.Flatten().data<float>().ToArray(), "restored bit for bit");

        var error = Assert.ThrowsExactly<ArgumentException>(() => weights.Set(zeros(3)));
        StringAssert.Contains(error.Message, $"{weights.Dimension} entries");
    }
}

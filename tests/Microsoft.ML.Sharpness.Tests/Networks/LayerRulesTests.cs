using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Layers;
using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Networks;

[TestClass]
public sealed class LayerRulesTests
{
    [TestMethod]
    [DataRow(ImageClassifierArchitecture.Mlp)]
    [DataRow(ImageClassifierArchitecture.ConvNet)]
    [DataRow(ImageClassifierArchitecture.ResNet)]
    [DataRow(ImageClassifierArchitecture.ResNet18)]
    [DataRow(ImageClassifierArchitecture.WideResNet)]
    public void EveryLayerOfEveryArchitectureHasARuleAndEveryParameterOwnerAPerRowGradient(ImageClassifierArchitecture architecture)
    {
        using var network = NetworkFactory.Create(Shape(architecture));
        foreach (var layer in network.modules())
            Assert.IsNotNull(LayerRules.Find(layer), $"{architecture}: {layer.GetType().Name}");
        Assert.IsTrue(LayerRules.HavePerRowGradients(network));
        Assert.IsFalse(new PerExampleGradients(network).UsesRowLoop);
    }

    [TestMethod]
    [DataRow(ImageClassifierArchitecture.ConvNet)]
    [DataRow(ImageClassifierArchitecture.ResNet)]
    [DataRow(ImageClassifierArchitecture.ResNet18)]
    [DataRow(ImageClassifierArchitecture.WideResNet)]
    public void TheSecondOrderForwardPassComputesTheSameLogitsAsTheNetwork(ImageClassifierArchitecture architecture)
    {
        using var network = NetworkFactory.Create(Shape(architecture));
        network.eval();
        manual_seed(4);
        // inputs that carry gradient, so every convolution takes its im2col form
        using Tensor x = randn(5, 3, 16, 16).requires_grad_(true);
        using Tensor expected = network.call(x), actual = LayerRules.SecondOrderForward(network, x);
        Assert.IsTrue(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"{architecture}: max difference {(actual - expected).abs().max().item<float>()}");
    }

    /// <summary>3×16×16 images, 4 classes; one block per ResNet stage; WRN-10-2 with dropout (which inference leaves out).</summary>
    private static NetworkShape Shape(ImageClassifierArchitecture architecture) =>
        new(architecture, 3, 16, 16, 4, ResNetBlocksPerStage: 1, WideResNetDepth: 10, WideResNetWidth: 2, WideResNetDropout: 0.3f);

    [TestMethod]
    [DataRow(64, 7, 2, true)]
    [DataRow(63, 3, 1, false)]
    [DataRow(16, 3, 1, false)]
    public void ResNet18HasTheImageNetStemFrom64PixelsAndTheCifarStemBelow(int side, int kernel, int stride, bool maxPool)
    {
        using var network = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.ResNet18, 3, side, side, 10));
        var layers = network.named_children().ToDictionary(c => c.name, c => c.module);
        var stem = (Conv2d)layers["stem"];
        Assert.AreEqual((kernel, stride, 64L), (stem.kernel_size[0], stem.stride[0], stem.out_channels));
        Assert.AreEqual(maxPool, layers.ContainsKey("stem_pool"));
        var blocks = network.children().OfType<ResidualBlock>().ToArray();
        Assert.HasCount(8, blocks, "[2, 2, 2, 2] basic blocks");
        CollectionAssert.AreEqual(new[] { false, false, true, false, true, false, true, false }, blocks.Select(b => b.ShortcutPath.Count > 0).ToArray(),
            "1×1 conv + BN shortcuts where the shape changes: the first block of stages 2–4");
        Assert.AreEqual(512L, ((Linear)layers["classifier"]).in_features);
        network.eval();
        manual_seed(1);
        using var logits = network.call(randn(2, 3, side, side));
        CollectionAssert.AreEqual(new long[] { 2, 10 }, logits.shape);
    }

    [TestMethod]
    public void ResNet18AndWrn16x8HaveThePublishedParameterCounts()
    {
        // ResNet-18 (He et al. 2016) for 224×224 ImageNet images has the well-known 11,689,512 parameters; Zagoruyko and Komodakis (2016) give WRN-16-8 on CIFAR-10 as 11.0M.
        using var resNet18 = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.ResNet18, 3, 224, 224, 1000));
        Assert.AreEqual(11_689_512L, resNet18.parameters().Sum(p => p.numel()));
        using var wrn = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.WideResNet, 3, 32, 32, 10));
        Assert.AreEqual(11.0e6, wrn.parameters().Sum(p => p.numel()), 0.05e6);
    }

    [TestMethod]
    [DataRow(10, 1, 0f, 1, new[] { false, true, true })]
    [DataRow(22, 2, 0.3f, 3, new[] { true, false, false, true, false, false, true, false, false })]
    public void AWideResNetHasThreeGroupsOfPreActivationBlocks(int depth, int width, float dropout, int blocksPerGroup, bool[] projections)
    {
        using var network = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.WideResNet, 3, 16, 16, 4,
            WideResNetDepth: depth, WideResNetWidth: width, WideResNetDropout: dropout));
        var blocks = network.children().OfType<PreActivationBlock>().ToArray();
        Assert.HasCount(3 * blocksPerGroup, blocks, "(d − 4)/6 blocks per group");
        CollectionAssert.AreEqual(projections, blocks.Select(b => b.ShortcutPath.Count > 0).ToArray(), "1×1 projections where the shape changes");
        Assert.AreEqual(dropout > 0, blocks.All(b => b.MainPath.Any(l => l.Layer is Dropout)), "a dropout layer only when asked for");
        var layers = network.named_children().ToDictionary(c => c.name, c => c.module);
        Assert.AreEqual(16L, ((Conv2d)layers["stem"]).out_channels);
        Assert.AreEqual(64L * width, ((BatchNorm2d)layers["bn"]).num_features, "the last group has 64k channels, then BN-ReLU");
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

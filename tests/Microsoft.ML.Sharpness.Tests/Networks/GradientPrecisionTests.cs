using Microsoft.ML.Sharpness.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Networks;

/// <summary>
/// The float32 gradients libtorch computes for each architecture agree with a float64 computation. This guards against the
/// libtorch 2.10 CPU defect seen on this machine: wrong (run-dependent) conv2d input gradients for layers with fewer than
/// 16 output channels (docs/known-issues.md). The networks' layers all have at least 16.
/// </summary>
[TestClass]
public sealed class GradientPrecisionTests
{
    [TestMethod]
    [DataRow(ImageClassifierArchitecture.ConvNet, 1, 28)]
    [DataRow(ImageClassifierArchitecture.ResNet, 3, 32)]
    [DataRow(ImageClassifierArchitecture.Mlp, 1, 28)]
    public void Float32GradientsMatchFloat64(ImageClassifierArchitecture architecture, int channels, int side)
    {
        manual_seed(1);
        var network = NetworkFactory.Create(new NetworkShape(architecture, channels, side, side, 10, 1));
        network.eval();
        Tensor x = randn(32, channels, side, side), y = randint(10, 32);
        Tensor single = Gradient(network, x, y);
        network.to(ScalarType.Float64);
        Tensor reference = Gradient(network, x.to_type(ScalarType.Float64), y);
        double error = single.to_type(ScalarType.Float64).sub(reference).norm().item<double>() / reference.norm().item<double>();
        Assert.IsTrue(error < 1e-4, $"{architecture}: relative gradient error {error:E2}");
    }

    private static Tensor Gradient(TorchSharp.Modules.Sequential network, Tensor x, Tensor y)
    {
        var parameters = network.parameters().ToArray();
        var grads = autograd.grad(new[] { nn.functional.cross_entropy(network.forward(x), y) }, parameters);
        return cat(grads.Select(g => g.flatten()).ToArray());
    }
}

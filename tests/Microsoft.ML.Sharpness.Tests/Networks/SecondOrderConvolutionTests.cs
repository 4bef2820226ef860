using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Networks;

/// <summary>
/// Hessian-vector products through <see cref="SecondOrderConvolution"/> (the evaluator's route) agree with float64 double
/// backward through libtorch's own convolution, at 1 and 2 threads, for the ConvNet and the ResNet and for batch sizes at
/// which libtorch's convolution double backward was seen to go wrong (docs/known-issues.md), and for a convolution
/// geometry with stride, dilation, bias and 1×1 kernels whose transposed convolutions need output padding, and for depthwise
/// and grouped convolutions (MobileNet, EfficientNet).
/// </summary>
[TestClass]
public sealed class SecondOrderConvolutionTests
{
    public static IEnumerable<object[]> Networks() => new[]
    {
        new object[] { "ConvNet", 1, 28, 24 },
        new object[] { "ConvNet", 1, 28, 232 },
        new object[] { "ResNet", 3, 32, 24 },
        new object[] { "ResNet", 1, 28, 50 },
        new object[] { "geometry", 3, 16, 24 },
        new object[] { "grouped", 3, 16, 24 },
    };

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void HessianVectorProductsMatchFloat64(string architecture, int channels, int side, int rows)
    {
        int threads = get_num_threads();
        try
        {
            foreach (int t in new[] { 1, 2 })
            {
                set_num_threads(t);
                var network = Create(architecture, channels, side);
                manual_seed(2);
                Tensor x = randn(rows, channels, side, side), y = randint(3, rows);
                var parameters = network.parameters().ToArray();
                Tensor v = randn(parameters.Sum(p => p.numel()));
                Tensor product = Product(input => LayerRules.SecondOrderForward(network, input), parameters, x, y, v);

                network.to(ScalarType.Float64);
                Tensor product64 = Product(network.forward, network.parameters().ToArray(), x.to_type(ScalarType.Float64), y, v.to_type(ScalarType.Float64));
                double error = product.to_type(ScalarType.Float64).sub(product64).norm().item<double>() / product64.norm().item<double>();
                Assert.IsTrue(error < 1e-4, $"{architecture} {channels}×{side}×{side}, {rows} rows, {t} thread(s): relative error {error:E2}");
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [TestMethod]
    public void FirstLayerAndFrozenInputsUseLibtorchsConvolution()
    {
        manual_seed(1);
        var conv = nn.Conv2d(2, 16, 3, padding: 1);
        Tensor x = randn(4, 2, 8, 8);
        Tensor expected = conv.call(x), actual = LayerRules.SecondOrderForward(conv, x);
        Assert.AreEqual(0.0, (actual - expected).abs().max().item<float>());
        Tensor xg = x.clone().requires_grad_(true);
        Assert.IsTrue((SecondOrderConvolution.Convolve(conv, xg) - conv.call(xg)).abs().max().item<float>() < 1e-5f);
    }

    private static Sequential Create(string architecture, int channels, int side)
    {
        manual_seed(1);
        Sequential network = architecture == "grouped"
            ? nn.Sequential(
                ("conv1", nn.Conv2d(channels, 16, 3, padding: 1, bias: false)), ("relu1", nn.ReLU()),
                ("depthwise", nn.Conv2d(16, 16, 3, stride: 2, padding: 1, groups: 16)), ("relu2", nn.ReLU()),
                ("grouped", nn.Conv2d(16, 8, 3, padding: 2, dilation: 2, groups: 4, bias: false)), ("relu3", nn.ReLU()),
                ("flatten", nn.Flatten()), ("classifier", nn.Linear(8 * 8 * 8, 3)))
            : architecture == "geometry"
            ? nn.Sequential(
                ("conv1", nn.Conv2d(channels, 16, 3, padding: 1, bias: false)), ("relu1", nn.ReLU()),
                ("conv2", nn.Conv2d(16, 16, 3, stride: 2, padding: 2, dilation: 2)), ("relu2", nn.ReLU()),
                ("conv3", nn.Conv2d(16, 16, 1, stride: 2)), ("relu3", nn.ReLU()),
                ("flatten", nn.Flatten()), ("classifier", nn.Linear(16 * 4 * 4, 3)))
            : NetworkFactory.Create(new NetworkShape(Enum.Parse<ImageClassifierArchitecture>(architecture), channels, side, side, 3, 1));
        using (no_grad())
        {
            foreach (var norm in network.modules().OfType<BatchNorm>())
            {
                norm.running_mean!.copy_(randn(norm.running_mean.shape).mul(0.1));
                norm.running_var!.copy_(rand(norm.running_var.shape).add(0.5));
            }
        }
        network.eval();
        return network;
    }

    /// <summary>H·v of the summed cross-entropy by double backward through <paramref name="forward"/>.</summary>
    private static Tensor Product(Func<Tensor, Tensor> forward, Parameter[] parameters, Tensor x, Tensor y, Tensor v)
    {
        Tensor loss = nn.functional.cross_entropy(forward(x), y, reduction: nn.Reduction.Sum);
        Tensor gradient = Gradients.Flatten(Gradients.Of(loss, parameters, createGraph: true));
        return Gradients.Flatten(Gradients.Of(gradient.dot(v), parameters));
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Tests.Evaluation;

/// <summary>Small networks and data for checks against dense Hessians, closed forms and per-row loops.</summary>
internal static class TinyNetworks
{
    /// <summary>A smooth two-layer net, 4 → 5 (tanh) → 3: 43 parameters.</summary>
    public static Sequential Smooth(int seed)
    {
        manual_seed(seed);
        var network = Sequential(("fc1", Linear(4, 5)), ("tanh", Tanh()), ("fc2", Linear(5, 3)));
        network.eval();
        return network;
    }

    /// <summary>
    /// Every layer kind of the SamImageClassifier networks: Conv2d with and without bias, BatchNorm2d/1d with trained-looking
    /// statistics, pooling, Linear, for [N, 2, 16, 16] inputs. Layers have at least 16 channels and convolutions see at least
    /// 16×16 inputs: smaller ones meet a libtorch 2.10 CPU defect (wrong, run-dependent gradients and Hessian-vector
    /// products; docs/known-issues.md) that GradientPrecisionTests guard against.
    /// </summary>
    public static Sequential AllLayerKinds(int seed)
    {
        manual_seed(seed);
        var network = Sequential(
            ("conv1", Conv2d(2, 16, 3, padding: 1, bias: false)), ("bn1", BatchNorm2d(16)), ("relu1", ReLU()),
            ("conv2", Conv2d(16, 16, 3, stride: 2, padding: 1)), ("relu2", ReLU()), ("pool", MaxPool2d(2, 2)),
            ("flatten", Flatten()), ("fc1", Linear(16 * 4 * 4, 16)), ("bn2", BatchNorm1d(16)), ("relu3", ReLU()), ("classifier", Linear(16, 3)));
        using (no_grad())
        {
            foreach (var norm in network.modules().OfType<BatchNorm>())
            {
                norm.running_mean!.copy_(randn(norm.running_mean.shape).mul(0.1));
                norm.running_var!.copy_(rand(norm.running_var.shape).add(0.5));
                norm.weight!.copy_(rand(norm.weight.shape).add(0.5));
                norm.bias!.copy_(randn(norm.bias.shape).mul(0.1));
            }
        }
        network.eval();
        return network;
    }

    /// <summary>Random inputs of <paramref name="shape"/> and labels in [0, classes).</summary>
    public static (Tensor Images, Tensor Labels) Data(long[] shape, int classes, int seed)
    {
        manual_seed(seed);
        return (randn(shape), randint(classes, shape[0]));
    }

    /// <summary>The exact Hessian of <paramref name="surface"/>'s network loss, row by row from double backward of each gradient entry.</summary>
    public static Tensor DenseHessian(Sequential network, Tensor images, Tensor labels)
    {
        var parameters = network.parameters().ToArray();
        Tensor loss = functional.cross_entropy(network.forward(images), labels);
        var grads = autograd.grad(new[] { loss }, parameters, retain_graph: true, create_graph: true);
        Tensor gradient = cat(grads.Select(g => g.flatten()).ToArray());
        long n = gradient.shape[0];
        Tensor hessian = zeros(n, n, dtype: ScalarType.Float64);
        for (long i = 0; i < n; i++)
        {
            var row = autograd.grad(new[] { gradient[i] }, parameters, retain_graph: true);
            hessian[i] = cat(row.Select(g => g.flatten()).ToArray()).to_type(ScalarType.Float64);
        }
        return hessian.add(hessian.t()).div(2);
    }
}

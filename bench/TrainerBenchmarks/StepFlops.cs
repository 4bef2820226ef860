using Microsoft.ML.Sharpness.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Floating-point operations of one SGD training step on a batch, counting only the multiply-accumulates of the convolutions and
/// linear layers (a MAC = 2 FLOPs): the forward pass costs 2·MACs; the backward pass computes the gradient with respect to each
/// layer's input and to its weight, 2·MACs each, except the first layer, whose input (the images) needs no gradient. Per row:
/// 2·(3·ΣMACs − MACs(first)). BatchNorm, ReLU, pooling, the loss, the optimizer update and SAM's perturbation are not counted;
/// a SAM step is counted as two such passes. A layer's MACs per row are its output elements per row times its weight's elements
/// per output channel, read from a one-row forward pass (forward hooks on every Conv2d and Linear).
/// ConvNet on 1×28×28, K = 10: conv1 225,792 + conv2 3,612,672 + fc1 401,408 + classifier 1,280 = 4,241,152 MACs per row;
/// 24,995,328 FLOPs per row, 3.199 GFLOP per batch of 128.
/// </summary>
internal static class StepFlops
{
    public static double OfSgdStep(Sequential network, NetworkShape shape, int batch)
    {
        var macs = new List<double>();
        var layers = network.modules().Where(m => m is Conv2d or Linear).Cast<nn.Module<Tensor, Tensor>>().ToList();
        var hooks = layers.Select(layer => layer.register_forward_hook((module, _, output) =>
        {
            Tensor weight = module.named_parameters().First(p => p.name == "weight").parameter;
            macs.Add((double)output.numel() / output.shape[0] * (weight.numel() / weight.shape[0]));
            return output;
        })).ToArray();
        bool training = network.training;
        try
        {
            network.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            network.call(zeros(1, shape.Channels, shape.Height, shape.Width));
        }
        finally
        {
            foreach (var hook in hooks) hook.remove();
            network.train(training);
        }
        return 2.0 * batch * (3 * macs.Sum() - macs[0]);
    }
}

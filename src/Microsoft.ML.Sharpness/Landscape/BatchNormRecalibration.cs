using TorchSharp.Modules;
using Microsoft.ML.Sharpness.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>
/// Replaces every BatchNorm layer's running statistics with the cumulative average of the batch statistics of the given rows
/// (training-mode forward passes in chunks, no gradient; PyTorch's <c>update_bn</c>, Garipov et al. 2018).
/// </summary>
internal static class BatchNormRecalibration
{
    public static void Run(nn.Module<Tensor, Tensor> network, Tensor images)
    {
        var layers = network.modules().OfType<BatchNorm>().ToArray();
        if (layers.Length == 0) return;
        var momenta = layers.Select(layer => layer.momentum).ToArray();
        foreach (var layer in layers)
        {
            layer.reset_running_stats();
            layer.momentum = null;
        }
        try
        {
            network.train();
            using var noGrad = no_grad();
            foreach (var (start, length) in RowChunks.Of(images.shape[0]))
            {
                if (length < 2 && start > 0) break; // one row has no variance; the earlier chunks already gave the statistics
                using var scope = NewDisposeScope();
                network.call(images.narrow(0, start, length));
            }
        }
        finally
        {
            for (int i = 0; i < layers.Length; i++) layers[i].momentum = momenta[i];
            network.eval();
        }
    }
}

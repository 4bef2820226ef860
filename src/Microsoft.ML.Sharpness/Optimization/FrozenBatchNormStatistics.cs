using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Optimization;

/// <summary>
/// While alive, BatchNorm layers still normalize with batch statistics but leave their running mean, variance and batch
/// count untouched (momentum 0, count restored): SAM's second forward pass must not count as a second batch.
/// </summary>
internal sealed class FrozenBatchNormStatistics : IDisposable
{
    private readonly BatchNorm[] layers;
    private readonly double?[] momenta;
    private readonly Tensor?[] counts;

    public FrozenBatchNormStatistics(BatchNorm[] layers)
    {
        this.layers = layers;
        momenta = new double?[layers.Length];
        counts = new Tensor?[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            momenta[i] = layers[i].momentum;
            layers[i].momentum = 0.0;
            counts[i] = layers[i].num_batches_tracked?.clone();
        }
    }

    public void Dispose()
    {
        using (no_grad())
        {
            for (int i = 0; i < layers.Length; i++)
            {
                layers[i].momentum = momenta[i];
                if (counts[i] is { } count)
                {
                    layers[i].num_batches_tracked!.copy_(count);
                    count.Dispose();
                }
            }
        }
    }
}

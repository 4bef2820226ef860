using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>The plain TorchSharp training loop a user would write by hand: shuffle, slice, forward, backward, SGD step.</summary>
internal static class HandWrittenLoop
{
    /// <summary>One epoch per call of <see cref="SgdEpoch"/> with SGD (lr 0.01, momentum 0.9, weight decay 5e-4) and a shuffling generator seeded 1.</summary>
    public static Func<double> Epochs(Sequential network, Tensor features, Tensor labels, int batchSize)
    {
        var optimizer = optim.SGD(network.parameters(), 0.01, 0.9, 0, 5e-4);
        var generator = new Generator(1);
        return () => SgdEpoch(network, features, labels, batchSize, optimizer, generator);
    }

    /// <summary>Trains one SGD epoch over the tensors and returns its wall-clock seconds.</summary>
    public static double SgdEpoch(Sequential network, Tensor features, Tensor labels, int batchSize, optim.Optimizer optimizer, Generator generator)
    {
        var clock = Stopwatch.StartNew();
        network.train();
        long rows = labels.shape[0];
        using Tensor order = randperm(rows, generator: generator);
        for (long start = 0; start < rows; start += batchSize)
        {
            using var scope = NewDisposeScope();
            Tensor index = order.narrow(0, start, Math.Min(batchSize, rows - start));
            optimizer.zero_grad();
            Tensor logits = network.forward(features.index_select(0, index));
            Tensor loss = nn.functional.cross_entropy(logits, labels.index_select(0, index));
            loss.backward();
            optimizer.step();
            loss.item<float>();
        }
        return clock.Elapsed.TotalSeconds;
    }
}

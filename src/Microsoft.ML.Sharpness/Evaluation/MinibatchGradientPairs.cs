using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Means and standard errors over pairs of disjoint minibatches.</summary>
internal readonly record struct MinibatchGradientResult(Estimate LocalGeneralization, Estimate Cosine, Estimate NoiseTrace, int BatchSize, int Pairs);

/// <summary>
/// Over pairs of disjoint minibatches B₁, B₂ of B rows drawn at random from the N rows, with gᵢ the mean-loss gradient of
/// Bᵢ and ḡ the full gradient: the local generalization measure E[‖g₂‖·(1 − cos(g₁, g₂))] (Huszár 2018), the mean cosine
/// E[cos(g₁, g₂)], and the gradient-noise trace E‖g_B − ḡ‖² (both gᵢ of a pair count as samples).
/// </summary>
internal static class MinibatchGradientPairs
{
    public static MinibatchGradientResult Compute(nn.Module<Tensor, Tensor> network, Tensor images, Tensor labels, Tensor fullGradient,
        int batchSize, int pairs, long seed, Action? throwIfCanceled = null)
    {
        long rows = images.shape[0];
        if (2L * batchSize > rows)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Two disjoint minibatches of {batchSize} rows need at least {2L * batchSize} rows; {rows} are evaluated.");
        using var generator = new Generator((ulong)seed);
        var local = new List<double>();
        var cosines = new List<double>();
        var noise = new List<double>();
        for (int pair = 0; pair < pairs; pair++)
        {
            throwIfCanceled?.Invoke();
            using var scope = NewDisposeScope();
            Tensor order = randperm(rows, generator: generator);
            Tensor first = Gradient(order.narrow(0, 0, batchSize)), second = Gradient(order.narrow(0, batchSize, batchSize));
            double firstNorm = first.norm().item<float>(), secondNorm = second.norm().item<float>();
            double cosine = first.dot(second).item<float>() / Math.Max(firstNorm * secondNorm, 1e-30);
            cosines.Add(cosine);
            local.Add(secondNorm * (1 - cosine));
            noise.Add(first.sub(fullGradient).pow(2).sum().item<float>());
            noise.Add(second.sub(fullGradient).pow(2).sum().item<float>());
        }
        return new MinibatchGradientResult(Statistics.MeanAndStandardError(local), Statistics.MeanAndStandardError(cosines),
            Statistics.MeanAndStandardError(noise), batchSize, pairs);

        Tensor Gradient(Tensor index) =>
            new NetworkLossSurface(network, images.index_select(0, index), labels.index_select(0, index)).LossAndGradient().Gradient;
    }
}

using Microsoft.ML.Sharpness.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Fisher traces and the Fisher–Rao norm of a network over a set of rows.</summary>
internal readonly record struct FisherResult(double EmpiricalTrace, double ModelTrace, Estimate? ModelTraceEstimate, double FisherRaoNorm, bool UsedRowLoop);

/// <summary>
/// Empirical Fisher trace (1/N)·Σᵢ ‖∇_w ℓᵢ‖² with ℓᵢ = −log p(yᵢ|xᵢ); model ("true") Fisher trace
/// (1/N)·Σᵢ Σ_y p(y|xᵢ)·‖∇_w log p(y|xᵢ)‖² (Martens 2020; Kunstner et al. 2019), exact over classes or by Monte Carlo with
/// y ~ p(·|xᵢ); Fisher–Rao norm (1/N)·Σᵢ ⟨w, ∇_w ℓᵢ⟩² (Liang et al. 2019). Network in inference mode.
/// </summary>
internal static class FisherInformation
{
    /// <param name="gradients">The per-row gradient engine of the network.</param>
    /// <param name="images">Images [N, C, H, W].</param>
    /// <param name="labels">Class indices [N].</param>
    /// <param name="modelSamples">0 for the exact model Fisher (one backward pass per class); S &gt; 0 for S sampled labels per row.</param>
    /// <param name="seed">Seeds the sampled labels.</param>
    /// <param name="throwIfCanceled">Runs before each chunk of rows.</param>
    public static FisherResult Compute(PerExampleGradients gradients, Tensor images, Tensor labels, int modelSamples, long seed, Action? throwIfCanceled = null)
    {
        long rows = images.shape[0];
        using var generator = new Generator((ulong)seed);
        double empirical = 0, model = 0, fisherRao = 0;
        var modelPerSample = new double[Math.Max(modelSamples, 0)];
        foreach (var (start, length) in RowChunks.Of(rows))
        {
            throwIfCanceled?.Invoke();
            using var scope = NewDisposeScope();
            Tensor chunkLabels = labels.narrow(0, start, length);
            Tensor chunk = images.narrow(0, start, length);
            Tensor probabilities;
            using (no_grad()) probabilities = nn.functional.softmax(gradients.Network.call(chunk), 1);
            Tensor? sampled = modelSamples > 0 ? multinomial(probabilities, modelSamples, replacement: true, generator: generator) : null;
            var stats = gradients.Compute(chunk, (logits, index) =>
            {
                Tensor logProbabilities = nn.functional.log_softmax(logits, 1);
                var objectives = new List<Tensor> { -logProbabilities.gather(1, chunkLabels.index_select(0, index).unsqueeze(1)).squeeze(1) };
                if (sampled is null)
                {
                    for (long y = 0; y < logits.shape[1]; y++) objectives.Add(logProbabilities.select(1, y));
                }
                else
                {
                    Tensor rowSamples = sampled.index_select(0, index);
                    for (int s = 0; s < modelSamples; s++) objectives.Add(logProbabilities.gather(1, rowSamples.narrow(1, s, 1)).squeeze(1));
                }
                return objectives;
            });
            empirical += stats[0].SquaredNorms.sum().item<float>();
            fisherRao += stats[0].WeightProducts.pow(2).sum().item<float>();
            if (modelSamples == 0)
            {
                for (int y = 1; y < stats.Length; y++)
                    model += stats[y].SquaredNorms.mul(probabilities.select(1, y - 1)).sum().item<float>();
            }
            else
            {
                for (int s = 0; s < modelSamples; s++) modelPerSample[s] += stats[s + 1].SquaredNorms.sum().item<float>();
            }
        }
        Estimate? estimate = null;
        if (modelSamples > 0)
        {
            estimate = Statistics.MeanAndStandardError(modelPerSample.Select(v => v / rows).ToArray());
            model = estimate.Value.Value;
        }
        else
        {
            model /= rows;
        }
        return new FisherResult(empirical / rows, model, estimate, fisherRao / rows, gradients.UsesRowLoop);
    }
}

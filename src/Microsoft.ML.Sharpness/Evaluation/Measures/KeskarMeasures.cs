namespace Microsoft.ML.Sharpness.Evaluation.Measures;

/// <summary>Keskar et al. (2017) ε-sharpness in the full parameter space, one maximization per ε.</summary>
internal sealed class KeskarFullSpaceMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.KeskarFullSpace;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c) => metrics with
    {
        Keskar = [.. metrics.Keskar, .. c.Options.KeskarEpsilons.Select(e =>
            Result(e, null, KeskarMaximization.FullSpace(c.Surface, e, c.Options.KeskarIterations, c.Start)))],
    };

    internal static KeskarSharpness Result(double epsilon, int? dimension, KeskarResult r) =>
        new(epsilon, dimension, r.Sharpness, r.MaximumLoss, r.Iterations, r.LargestBoxFraction);
}

/// <summary>Keskar ε-sharpness in a random subspace of p = min(<see cref="SharpnessEvaluationOptions.KeskarSubspaceDimension"/>, n) dimensions.</summary>
internal sealed class KeskarSubspaceMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.KeskarSubspace;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c)
    {
        int p = (int)Math.Min(c.Options.KeskarSubspaceDimension, c.Surface.Dimension);
        return metrics with
        {
            Keskar = [.. metrics.Keskar, .. c.Options.KeskarEpsilons.Select(e => KeskarFullSpaceMeasure.Result(e, p,
                KeskarMaximization.Subspace(c.Surface, e, p, c.Options.KeskarIterations, c.Options.Seed, c.Start)))],
        };
    }
}

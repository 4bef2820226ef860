namespace Microsoft.ML.Sharpness.Evaluation.Measures;

/// <summary>Empirical and model Fisher traces and the Fisher–Rao norm, from per-example gradients.</summary>
internal sealed class FisherMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.Fisher;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c)
    {
        var f = FisherInformation.Compute(new PerExampleGradients(c.Network), c.Rows.Features, c.Rows.Labels, c.Options.ModelFisherSamples, c.Options.Seed, c.ThrowIfCanceled);
        var modelTrace = f.ModelTraceEstimate is { } e ? new StochasticValue(e.Value, e.StandardError, e.Samples) : new StochasticValue(f.ModelTrace, null, 0);
        return metrics with { Fisher = new FisherMeasures(f.EmpiricalTrace, modelTrace, f.FisherRaoNorm, f.UsedRowLoop ? "per-row loop" : "per-example trick") };
    }
}

/// <summary>Local generalization measure, mean cosine and gradient-noise trace over pairs of disjoint minibatches.</summary>
internal sealed class MinibatchGradientsMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.MinibatchGradients;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c)
    {
        var (options, rows) = (c.Options, c.Rows);
        int batch = (int)Math.Min(options.MinibatchSize, rows.Count / 2);
        if (batch < 1)
        {
            c.Log($"Minibatch-gradient measures skipped: two disjoint minibatches need at least 2 rows; {rows.Count} are evaluated.");
            return metrics;
        }
        if (batch < options.MinibatchSize)
            c.Log($"MinibatchSize {options.MinibatchSize} is more than half of the {rows.Count} rows evaluated; using minibatches of {batch} rows.");
        var m = MinibatchGradientPairs.Compute(c.Network, rows.Features, rows.Labels, c.Start.Gradient, batch, options.MinibatchPairs, options.Seed, c.ThrowIfCanceled);
        return metrics with
        {
            MinibatchGradients = new MinibatchGradientMeasures(Stochastic(m.LocalGeneralization), Stochastic(m.Cosine), Stochastic(m.NoiseTrace), m.BatchSize, m.Pairs),
        };
    }

    private static StochasticValue Stochastic(Estimate e) => new(e.Value, e.StandardError, e.Samples);
}

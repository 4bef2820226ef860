namespace Microsoft.ML.Sharpness.Evaluation.Measures;

/// <summary>SAM sharpness (Foret et al. 2021) per ρ, with k ascent steps.</summary>
internal sealed class SamSharpnessMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.Sam;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c) => metrics with
    {
        Sam = [.. c.Options.Rhos.Select(r => new RadiusSharpness(r, c.Options.SamAscentSteps,
            SamSharpness.Evaluate(c.Surface, r, c.Options.SamAscentSteps, null, c.Start)))],
    };
}

/// <summary>Adaptive sharpness (ASAM, Kwon et al. 2021) per ρ, with η = <see cref="SharpnessEvaluationOptions.AdaptiveEta"/>.</summary>
internal sealed class AdaptiveSharpnessMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.AdaptiveSam;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c) => metrics with
    {
        AdaptiveSam = [.. c.Options.Rhos.Select(r => new RadiusSharpness(r, c.Options.SamAscentSteps,
            SamSharpness.Evaluate(c.Surface, r, c.Options.SamAscentSteps, c.Options.AdaptiveEta, c.Start), Eta: c.Options.AdaptiveEta))],
    };
}

/// <summary>m-sharpness (Foret et al. 2021, §4): the mean over the ⌊N/m⌋ disjoint consecutive sub-batches of m rows of each one's SAM sharpness.</summary>
internal sealed class MSharpnessMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.MSharpness;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c)
    {
        var (options, rows) = (c.Options, c.Rows);
        int m = (int)Math.Min(options.SharpnessBatchSize, rows.Count);
        if (m < options.SharpnessBatchSize)
            c.Log($"SharpnessBatchSize {options.SharpnessBatchSize} is more than the {rows.Count} rows evaluated; m-sharpness uses one sub-batch of {m} rows.");
        var surfaces = Enumerable.Range(0, (int)(rows.Count / m))
            .Select(b => new NetworkLossSurface(c.Network, rows.Features.narrow(0, b * (long)m, m), rows.Labels.narrow(0, b * (long)m, m)))
            .ToArray();
        var starts = surfaces.Select(s => s.LossAndGradient()).ToArray();
        return metrics with
        {
            MSharpness = [.. options.Rhos.Select(rho =>
            {
                var values = surfaces.Select((s, i) => SamSharpness.Evaluate(s, rho, options.SamAscentSteps, null, starts[i])).ToArray();
                var estimate = Statistics.MeanAndStandardError(values);
                return new RadiusSharpness(rho, options.SamAscentSteps, estimate.Value, SubBatchSize: m, SubBatches: values.Length,
                    StandardError: values.Length > 1 ? estimate.StandardError : null);
            })],
        };
    }
}

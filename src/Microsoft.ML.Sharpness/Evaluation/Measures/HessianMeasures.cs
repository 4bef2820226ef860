namespace Microsoft.ML.Sharpness.Evaluation.Measures;

/// <summary>The top Hessian eigenvalues by power iteration with deflation.</summary>
internal sealed class HessianEigenvaluesMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.HessianEigenvalues;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c) => metrics with
    {
        HessianEigenvalues = [.. HessianSpectrum.TopEigenvalues(c.Surface, c.Options.HessianEigenvalueCount, c.Options.PowerIterations,
            c.Options.PowerIterationTolerance, c.Options.Seed).Select(e => new HessianEigenvalue(e.Eigenvalue, e.Iterations, e.Converged))],
    };
}

/// <summary>tr(H) by Hutch++ (Meyer et al. 2021) or Hutchinson's estimator (1990).</summary>
internal sealed class HessianTraceMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.HessianTrace;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c)
    {
        bool hutchPlusPlus = c.Options.TraceEstimator == HessianTraceEstimator.HutchPlusPlus;
        var t = hutchPlusPlus
            ? HessianSpectrum.TraceHutchPlusPlus(c.Surface, c.Options.TraceProbes, c.Options.Seed)
            : HessianSpectrum.Trace(c.Surface, c.Options.TraceProbes, c.Options.Seed);
        return metrics with { HessianTrace = new StochasticValue(t.Value, t.StandardError, t.Samples, hutchPlusPlus ? "Hutch++" : "Hutchinson") };
    }
}

/// <summary>The Hessian eigenvalue density by stochastic Lanczos quadrature (Ghorbani et al. 2019).</summary>
internal sealed class HessianDensityMeasure : SharpnessMeasure
{
    public override SharpnessMeasures Kind => SharpnessMeasures.HessianDensity;

    public override SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext c)
    {
        var d = HessianSpectrum.Density(c.Surface, c.Options.DensityRuns, c.Options.DensityLanczosSteps, c.Options.Seed);
        return metrics with { HessianDensity = new HessianDensity(d.Nodes, d.Weights, d.Runs, d.LanczosSteps) };
    }
}

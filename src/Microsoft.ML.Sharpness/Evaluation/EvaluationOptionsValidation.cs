using Require = Microsoft.ML.Sharpness.Runtime.Require<Microsoft.ML.Sharpness.SharpnessEvaluationOptions>;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Rejects evaluation settings that cannot run, with a message naming the option, its value and what is expected.</summary>
internal static class EvaluationOptionsValidation
{
    public static void Check(SharpnessEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Require.That(options.MaxRows > 0, nameof(options.MaxRows), options.MaxRows, "a positive number of rows");
        Require.That(options.KeskarEpsilons is not null && options.KeskarEpsilons.All(e => e > 0 && double.IsFinite(e)), nameof(options.KeskarEpsilons),
            options.KeskarEpsilons, "finite ε > 0 (Keskar et al. use 1e-3 and 5e-4)");
        Require.That(options.KeskarIterations > 0, nameof(options.KeskarIterations), options.KeskarIterations, "a positive number of iterations");
        Require.That(options.KeskarSubspaceDimension > 0, nameof(options.KeskarSubspaceDimension), options.KeskarSubspaceDimension, "a positive dimension p");
        Require.That(options.Rhos is not null && options.Rhos.All(r => r >= 0 && double.IsFinite(r)), nameof(options.Rhos), options.Rhos, "finite radii ρ ≥ 0");
        Require.That(options.SamAscentSteps > 0, nameof(options.SamAscentSteps), options.SamAscentSteps, "a positive number of ascent steps k");
        Require.That(options.AdaptiveEta >= 0 && double.IsFinite(options.AdaptiveEta), nameof(options.AdaptiveEta), options.AdaptiveEta, "a finite η ≥ 0");
        Require.That(options.SharpnessBatchSize > 0, nameof(options.SharpnessBatchSize), options.SharpnessBatchSize, "a positive number of rows m");
        Require.That(options.HessianEigenvalueCount > 0, nameof(options.HessianEigenvalueCount), options.HessianEigenvalueCount, "a positive number of eigenvalues");
        Require.That(options.PowerIterations > 0, nameof(options.PowerIterations), options.PowerIterations, "a positive number of iterations");
        Require.That(options.PowerIterationTolerance > 0, nameof(options.PowerIterationTolerance), options.PowerIterationTolerance, "a positive relative tolerance");
        Require.That(options.TraceProbes >= (options.TraceEstimator == HessianTraceEstimator.HutchPlusPlus ? 6 : 2), nameof(options.TraceProbes), options.TraceProbes,
            "at least 2 probes for Hutchinson, 6 for Hutch++ (for a standard error)");
        Require.Defined(options.TraceEstimator, nameof(options.TraceEstimator));
        Require.That(options.DensityRuns > 0, nameof(options.DensityRuns), options.DensityRuns, "a positive number of Lanczos runs");
        Require.That(options.DensityLanczosSteps > 1, nameof(options.DensityLanczosSteps), options.DensityLanczosSteps, "at least 2 Lanczos steps");
        Require.That(options.ModelFisherSamples >= 0, nameof(options.ModelFisherSamples), options.ModelFisherSamples, "0 (exact over classes) or a positive number of sampled labels");
        Require.That(options.MinibatchSize > 0, nameof(options.MinibatchSize), options.MinibatchSize, "a positive number of rows B");
        Require.That(options.MinibatchPairs > 1, nameof(options.MinibatchPairs), options.MinibatchPairs, "at least 2 pairs (for a standard error)");
        Require.That(options.TopKPredictionCount > 0, nameof(options.TopKPredictionCount), options.TopKPredictionCount, "a positive K for the top-K accuracy");
        Require.That(options.NumberOfThreads is null or > 0, nameof(options.NumberOfThreads), options.NumberOfThreads, "null or a positive thread count");
        Require.That((options.Measures & ~SharpnessMeasures.All) == 0, nameof(options.Measures), options.Measures, "a combination of " + string.Join(", ", Enum.GetNames<SharpnessMeasures>()));
    }

}

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Sample statistics of repeated random estimates.</summary>
internal static class Statistics
{
    /// <summary>The mean and its standard error s/√n (s the sample standard deviation; 0 for a single sample).</summary>
    public static Estimate MeanAndStandardError(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("No samples.", nameof(samples));
        double mean = samples.Average();
        if (samples.Count == 1) return new Estimate(mean, 0, 1);
        double variance = samples.Sum(x => (x - mean) * (x - mean)) / (samples.Count - 1);
        return new Estimate(mean, Math.Sqrt(variance / samples.Count), samples.Count);
    }
}

namespace Microsoft.ML.Sharpness.Pipelines.Plots;

/// <summary>A smooth eigenvalue density from stochastic Lanczos quadrature's nodes and weights.</summary>
public static class SpectralDensity
{
    /// <summary>
    /// φ(t) = Σᵢ wᵢ·exp(−(t − λᵢ)²/2σ²)/(σ√2π) (Ghorbani et al. 2019, SLQ with a Gaussian kernel), on <paramref name="points"/>
    /// values of t from min λ − 3σ to max λ + 3σ, with σ = <paramref name="widthFraction"/>·(max λ − min λ) (at least 1e-3).
    /// </summary>
    public static (double[] T, double[] Density) Smooth(IReadOnlyList<double> nodes, IReadOnlyList<double> weights, int points = 400, double widthFraction = 0.01)
    {
        if (nodes.Count == 0 || nodes.Count != weights.Count)
            throw new ArgumentException($"Expected as many weights as nodes, at least one; got {nodes.Count} nodes and {weights.Count} weights.");
        double low = nodes.Min(), high = nodes.Max();
        double sigma = Math.Max(widthFraction * (high - low), 1e-3);
        double from = low - 3 * sigma, to = high + 3 * sigma;
        var t = new double[points];
        var density = new double[points];
        double norm = 1 / (sigma * Math.Sqrt(2 * Math.PI));
        for (int k = 0; k < points; k++)
        {
            t[k] = from + (to - from) * k / (points - 1);
            double sum = 0;
            for (int i = 0; i < nodes.Count; i++)
            {
                double z = (t[k] - nodes[i]) / sigma;
                sum += weights[i] * Math.Exp(-0.5 * z * z);
            }
            density[k] = norm * sum;
        }
        return (t, density);
    }
}

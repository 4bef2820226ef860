namespace Microsoft.ML.Sharpness.Lab.Charts;

/// <summary>A smooth eigenvalue density from stochastic Lanczos quadrature's nodes and weights.</summary>
internal static class SpectralDensity
{
    /// <summary>
    /// φ(t) = Σᵢ wᵢ·exp(−(t − λᵢ)²/2σ²)/(σ√2π) (Ghorbani et al. 2019, SLQ with a Gaussian kernel) on <paramref name="points"/>
    /// evenly spaced t from <paramref name="from"/> to <paramref name="to"/>.
    /// </summary>
    public static (double[] T, double[] Density) Smooth(IReadOnlyList<double> nodes, IReadOnlyList<double> weights, double sigma, double from, double to, int points = 400)
    {
        if (nodes.Count == 0 || nodes.Count != weights.Count)
            throw new ArgumentException($"Expected as many weights as nodes, at least one; got {nodes.Count} nodes and {weights.Count} weights.");
        if (!(sigma > 0) || !(from < to) || points < 2)
            throw new ArgumentOutOfRangeException(nameof(sigma), $"Expected σ > 0, from < to and at least 2 points; got σ = {sigma}, [{from}, {to}], {points} points.");
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

    /// <summary>
    /// The kernel width and range for densities drawn together: σ = <paramref name="widthFraction"/>·(max λ − min λ) over all
    /// nodes (at least 1e-3), from min λ − 3σ to max λ + 3σ.
    /// </summary>
    public static (double Sigma, double From, double To) Range(IEnumerable<double> allNodes, double widthFraction = 0.01)
    {
        var nodes = allNodes.ToArray();
        double low = nodes.Min(), high = nodes.Max();
        double sigma = Math.Max(widthFraction * (high - low), 1e-3);
        return (sigma, low - 3 * sigma, high + 3 * sigma);
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>One Hessian eigenvalue found by power iteration, with the iterations it took and whether it met the tolerance.</summary>
internal readonly record struct PowerIterationResult(double Eigenvalue, int Iterations, bool Converged);

/// <summary>An estimate with the standard error of its mean over <paramref name="Samples"/> random samples.</summary>
internal readonly record struct Estimate(double Value, double StandardError, int Samples);

/// <summary>A spectral density as nodes (eigenvalue estimates) and weights that sum to one, averaged over random starts.</summary>
internal sealed record SpectralDensity(IReadOnlyList<double> Nodes, IReadOnlyList<double> Weights, int Runs, int LanczosSteps);

/// <summary>
/// The Hessian of a <see cref="LossSurface"/> seen only through Hessian-vector products, as in PyHessian (Yao et al. 2020):
/// top eigenvalues by power iteration with deflation, the trace by Hutchinson's estimator or Hutch++, the density by stochastic
/// Lanczos quadrature (Ghorbani et al. 2019).
/// </summary>
internal static class HessianSpectrum
{
    /// <summary>
    /// The <paramref name="count"/> eigenvalues of largest magnitude: power iteration v ← Hv/‖Hv‖ with v kept orthogonal to the
    /// eigenvectors already found, λ = vᵀHv, until |λ − λ_prev| ≤ tolerance·(|λ_prev| + 1e-6).
    /// </summary>
    public static IReadOnlyList<PowerIterationResult> TopEigenvalues(LossSurface surface, int count, int maxIterations, double tolerance, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var found = new List<Tensor>();
        var results = new List<PowerIterationResult>();
        for (int k = 0; k < count; k++)
        {
            var (result, v) = PowerIterate(surface, Orthogonalize(randn(surface.Dimension, generator: generator), found), found, maxIterations, tolerance);
            found.Add(v);
            results.Add(result);
        }
        return results;
    }

    /// <summary>
    /// The eigenvalue of largest magnitude by exactly <paramref name="iterations"/> steps of v ← Hv/‖Hv‖ from <paramref name="start"/>
    /// (a warm start: the previous call's vector, so that the iterations carry on across calls while w moves slowly); λ = vᵀHv at
    /// the last step. Returns λ and the new unit vector, which outlives the caller's dispose scope.
    /// </summary>
    public static (double Eigenvalue, Tensor Vector) WarmStartedTopEigenvalue(LossSurface surface, Tensor start, int iterations)
    {
        using var scope = NewDisposeScope();
        var (result, v) = PowerIterate(surface, start, Array.Empty<Tensor>(), iterations, tolerance: 0);
        return (result.Eigenvalue, v.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Power iteration from <paramref name="start"/> kept orthogonal to <paramref name="found"/>, until |λ − λ_prev| ≤
    /// tolerance·(|λ_prev| + 1e-6) or <paramref name="maxIterations"/>; the final unit vector lives in the caller's dispose scope.
    /// </summary>
    private static (PowerIterationResult Result, Tensor Vector) PowerIterate(LossSurface surface, Tensor start, IReadOnlyList<Tensor> found, int maxIterations, double tolerance)
    {
        Tensor v = Normalize(start);
        double eigenvalue = 0;
        bool converged = false;
        int iteration = 0;
        while (iteration < maxIterations && !converged)
        {
            iteration++;
            using var step = NewDisposeScope(); // each iteration's temporaries go; only the new v stays
            Tensor hv = surface.HessianVectorProduct(v);
            double previous = eigenvalue;
            eigenvalue = hv.dot(v).item<float>();
            converged = tolerance > 0 && iteration > 1 && Math.Abs(eigenvalue - previous) <= tolerance * (Math.Abs(previous) + 1e-6);
            v = Normalize(Orthogonalize(hv, found)).MoveToOuterDisposeScope();
        }
        return (new PowerIterationResult(eigenvalue, iteration, converged), v);
    }

    /// <summary>Hutchinson (1990): tr(H) = E[zᵀHz] for Rademacher z, the mean over <paramref name="probes"/> probes.</summary>
    public static Estimate Trace(LossSurface surface, int probes, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var samples = new List<double>();
        for (int i = 0; i < probes; i++)
        {
            using var probeScope = NewDisposeScope();
            Tensor z = Rademacher(surface.Dimension, 1, generator).squeeze(1);
            samples.Add(surface.HessianVectorProduct(z).dot(z).item<float>());
        }
        return Statistics.MeanAndStandardError(samples);
    }

    /// <summary>
    /// Hutch++ (Meyer et al. 2021) with <paramref name="products"/> Hessian-vector products, a third per stage: Q = orth(H·S) for
    /// Rademacher S [n, k]; tr(H) ≈ tr(QᵀHQ) + Hutchinson on (I − QQᵀ)H(I − QQᵀ). The sketch takes the top of the spectrum out
    /// of the random part, whose heavy tail makes plain Hutchinson slow to converge on networks. The standard error is that of
    /// the residual Hutchinson mean.
    /// </summary>
    public static Estimate TraceHutchPlusPlus(LossSurface surface, int products, long seed)
    {
        int k = Math.Max(1, products / 3);
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        Tensor sketch = Rademacher(surface.Dimension, k, generator);
        Tensor images = stack(Enumerable.Range(0, k).Select(j => surface.HessianVectorProduct(sketch.select(1, j))).ToArray(), 1);
        var (q, _) = linalg.qr(images);
        double top = Enumerable.Range(0, (int)q.shape[1]).Sum(j =>
        {
            Tensor column = q.select(1, j).contiguous();
            return (double)surface.HessianVectorProduct(column).dot(column).item<float>();
        });
        Tensor probes = Rademacher(surface.Dimension, k, generator);
        Tensor residual = probes.sub(q.mm(q.t().mm(probes)));
        var samples = Enumerable.Range(0, k).Select(j =>
        {
            Tensor r = residual.select(1, j).contiguous();
            return (double)surface.HessianVectorProduct(r).dot(r).item<float>();
        }).ToArray();
        var rest = Statistics.MeanAndStandardError(samples);
        return new Estimate(top + rest.Value, rest.StandardError, 3 * k);
    }

    /// <summary>
    /// Stochastic Lanczos quadrature: <paramref name="runs"/> Lanczos runs of <paramref name="steps"/> steps from random unit
    /// vectors (full reorthogonalization); each run's tridiagonal T gives nodes θⱼ (its eigenvalues) with weights τⱼ² (the
    /// squared first components of its eigenvectors), averaged over runs.
    /// </summary>
    public static SpectralDensity Density(LossSurface surface, int runs, int steps, long seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var nodes = new List<double>();
        var weights = new List<double>();
        int m = (int)Math.Min(steps, surface.Dimension);
        for (int run = 0; run < runs; run++)
        {
            using var runScope = NewDisposeScope();
            var basis = new List<Tensor> { Normalize(randn(surface.Dimension, generator: generator)) };
            var alpha = new double[m];
            var beta = new double[m];
            int size = m;
            for (int j = 0; j < m; j++)
            {
                using var step = NewDisposeScope(); // each step's temporaries go; only the new basis vector stays
                Tensor w = surface.HessianVectorProduct(basis[j]);
                alpha[j] = w.dot(basis[j]).item<float>();
                w = Orthogonalize(w, basis);
                if (j == m - 1) break;
                beta[j] = w.norm().item<float>();
                if (beta[j] < 1e-10) { size = j + 1; break; }
                basis.Add(w.div(beta[j]).MoveToOuterDisposeScope());
            }
            Tensor tridiagonal = zeros(size, size, dtype: ScalarType.Float64);
            for (int j = 0; j < size; j++)
            {
                tridiagonal[j, j] = alpha[j];
                if (j + 1 < size) { tridiagonal[j, j + 1] = beta[j]; tridiagonal[j + 1, j] = beta[j]; }
            }
            var (values, vectors) = linalg.eigh(tridiagonal);
            for (int j = 0; j < size; j++)
            {
                nodes.Add(values[j].item<double>());
                weights.Add(Math.Pow(vectors[0, j].item<double>(), 2) / runs);
            }
        }
        return new SpectralDensity(nodes, weights, runs, m);
    }

    /// <summary>v minus its projections on the orthonormal <paramref name="basis"/> (Gram–Schmidt), as a new tensor; one temporary at a time.</summary>
    private static Tensor Orthogonalize(Tensor v, IReadOnlyList<Tensor> basis)
    {
        Tensor result = v.clone();
        foreach (var u in basis)
        {
            using var projection = u.mul(u.dot(result));
            result.sub_(projection);
        }
        return result;
    }

    private static Tensor Rademacher(long n, long columns, Generator generator) =>
        randint(0, 2, new[] { n, columns }, generator: generator).to_type(ScalarType.Float32).mul_(2).sub_(1);

    private static Tensor Normalize(Tensor v) => v.div(v.norm().item<float>() + 1e-12);
}

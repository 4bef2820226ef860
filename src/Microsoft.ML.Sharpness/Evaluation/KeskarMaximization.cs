using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>The result of one ε-sharpness maximization: φ, the loss found, and how far inside the box the maximizer lies.</summary>
internal readonly record struct KeskarResult(double Sharpness, double MaximumLoss, int Iterations, double LargestBoxFraction);

/// <summary>
/// Keskar et al. (2017), Metric 2.1: φ = 100·(max_{y∈C_ε} L(w + A·y) − L(w)) / (1 + L(w)), with the box
/// C_ε = {y : |yᵢ| ≤ ε·(|(A⁺w)ᵢ| + 1)}; A = I (full space) or a random n×p matrix with N(0, 1) entries (a p-dimensional
/// random subspace). The maximum is sought by projected sign-gradient ascent: the first step goes to the corner of the box
/// that maximizes the loss's linearization, later steps halve in length; the best point visited is kept.
/// </summary>
internal static class KeskarMaximization
{
    /// <summary>φ in the full parameter space (A = I).</summary>
    public static KeskarResult FullSpace(LossSurface surface, double epsilon, int iterations, (double Loss, Tensor Gradient)? start = null)
    {
        using var scope = NewDisposeScope();
        Tensor bound = surface.Weights().abs_().add_(1).mul_(epsilon);
        return Maximize(surface, bound, y => y, g => g, iterations, start);
    }

    /// <summary>φ in a random <paramref name="dimension"/>-dimensional subspace spanned by the columns of A, drawn from <paramref name="seed"/>.</summary>
    public static KeskarResult Subspace(LossSurface surface, double epsilon, int dimension, int iterations, long seed, (double Loss, Tensor Gradient)? start = null)
    {
        if (dimension < 1 || dimension > surface.Dimension)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"The subspace dimension must lie in [1, {surface.Dimension}] (the number of parameters).");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        Tensor a = randn(surface.Dimension, dimension, generator: generator);
        // A⁺w by the normal equations (AᵀA is p×p and well conditioned for a tall Gaussian A), in double precision.
        Tensor a64 = a.to_type(ScalarType.Float64);
        Tensor projected = linalg.solve(a64.t().mm(a64), a64.t().mv(surface.Weights().to_type(ScalarType.Float64))).to_type(ScalarType.Float32);
        Tensor bound = projected.abs_().add_(1).mul_(epsilon);
        return Maximize(surface, bound, y => a.mv(y), g => a.t().mv(g), iterations, start);
    }

    private static KeskarResult Maximize(LossSurface surface, Tensor bound, Func<Tensor, Tensor> lift, Func<Tensor, Tensor> pullBack,
        int iterations, (double Loss, Tensor Gradient)? start)
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "The number of iterations must be ≥ 1.");
        var (baseLoss, gradient) = start ?? surface.LossAndGradient();
        Tensor y = zeros_like(bound);
        double bestLoss = baseLoss, bestFraction = 0, stepLength = 1;
        for (int iteration = 1; iteration <= iterations; iteration++, stepLength /= 2)
        {
            y.add_(pullBack(gradient).sign().mul_(bound), alpha: stepLength);
            y = y.clamp(-bound, bound);
            double loss;
            if (iteration < iterations) (loss, gradient) = surface.LossAndGradient(lift(y));
            else loss = surface.Loss(lift(y));
            if (loss > bestLoss)
            {
                bestLoss = loss;
                bestFraction = y.abs().div_(bound).max().item<float>();
            }
        }
        return new KeskarResult(100 * (bestLoss - baseLoss) / (1 + baseLoss), bestLoss, iterations, bestFraction);
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// SAM sharpness (Foret et al. 2021): max over ‖ε‖₂ ≤ ρ of L(w + ε) − L(w), by k steps of normalized gradient ascent
/// projected on the ρ-ball; k = 1 gives SAM's first-order ε = ρ·g/‖g‖₂. Adaptive sharpness (ASAM, Kwon et al. 2021)
/// is the same over the ball scaled elementwise by T = |w| + η, ‖T⁻¹ε‖₂ ≤ ρ, whose first step is ε = ρ·T²g/‖Tg‖₂.
/// </summary>
internal static class SamSharpness
{
    private const double NormFloor = 1e-12;

    /// <summary>
    /// L(w + ε_k) − L(w) for k = 1, and the largest L(w + ε_j) − L(w) over the k ascent iterates for k &gt; 1 (so the value
    /// never decreases with k). Iterate: δ ← Π_ρ(δ + ρ·Tg/‖Tg‖₂), ε = T·δ, g = ∇L(w + ε); T = 1 for plain SAM.
    /// </summary>
    /// <param name="surface">The loss.</param>
    /// <param name="rho">ρ ≥ 0, the radius.</param>
    /// <param name="steps">k ≥ 1, the ascent steps.</param>
    /// <param name="adaptiveEta">η for adaptive sharpness; null for plain SAM sharpness.</param>
    /// <param name="start">L(w) and ∇L(w) when the caller has them already.</param>
    public static double Evaluate(LossSurface surface, double rho, int steps, double? adaptiveEta, (double Loss, Tensor Gradient)? start = null)
    {
        if (rho < 0) throw new ArgumentOutOfRangeException(nameof(rho), rho, "ρ must be ≥ 0.");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The number of ascent steps must be ≥ 1.");
        var (baseLoss, gradient) = start ?? surface.LossAndGradient();
        if (rho == 0) return 0;

        using var scope = NewDisposeScope();
        Tensor? scale = adaptiveEta is { } eta ? surface.Weights().abs_().add_(eta) : null;
        Tensor delta = zeros(surface.Dimension);
        double best = double.NegativeInfinity;
        for (int step = 1; step <= steps; step++)
        {
            Tensor direction = scale is null ? gradient : gradient.mul(scale);
            double norm = direction.norm().item<float>();
            if (norm < NormFloor) break; // a stationary point: no ascent direction
            delta.add_(direction, alpha: rho / norm);
            double deltaNorm = delta.norm().item<float>();
            if (deltaNorm > rho) delta.mul_(rho / deltaNorm);
            Tensor epsilon = scale is null ? delta : delta.mul(scale);
            double loss;
            if (step < steps) (loss, gradient) = surface.LossAndGradient(epsilon);
            else loss = surface.Loss(epsilon);
            best = Math.Max(best, loss - baseLoss);
        }
        return double.IsNegativeInfinity(best) ? 0 : best;
    }
}

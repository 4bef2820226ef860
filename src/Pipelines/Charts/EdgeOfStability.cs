namespace Microsoft.ML.Sharpness.Lab.Charts;

/// <summary>
/// The sharpness above which full-batch training with the run's base optimizer is unstable on a quadratic: λ₁ &gt; c/η
/// (Cohen et al. 2021, "Gradient descent on neural networks typically occurs at the edge of stability"). Gradient descent has
/// c = 2; heavy-ball momentum μ, c = 2 + 2μ; Nesterov momentum μ, c = (2 + 2μ)/(1 + 2μ) (their appendix). Adam's threshold
/// bounds the preconditioned sharpness λ₁(P⁻¹H), not the λ₁ the monitor measures (Cohen et al. 2022), so it has none here.
/// SAM's own edge lies below its base optimizer's (Long and Bartlett 2023); the line is the base optimizer's.
/// </summary>
internal static class EdgeOfStability
{
    /// <summary>c in the threshold c/η for the run's settings, or null for Adam and AdamW.</summary>
    public static double? Factor(TrainingSettings settings) => settings.BaseOptimizer switch
    {
        BaseOptimizer.Sgd when settings.Nesterov => (2 + 2.0 * settings.Momentum) / (1 + 2.0 * settings.Momentum),
        BaseOptimizer.Sgd => 2 + 2.0 * settings.Momentum,
        _ => null,
    };

    /// <summary>How the threshold was chosen, for a chart's caption.</summary>
    public static string Describe(TrainingSettings settings) => settings.BaseOptimizer switch
    {
        BaseOptimizer.Sgd when settings.Nesterov => $"(2 + 2μ)/((1 + 2μ)η), Nesterov momentum μ = {settings.Momentum:G3}",
        BaseOptimizer.Sgd when settings.Momentum > 0 => $"(2 + 2μ)/η, heavy-ball momentum μ = {settings.Momentum:G3}",
        BaseOptimizer.Sgd => "2/η, plain gradient descent",
        _ => $"none: {settings.BaseOptimizer}'s edge bounds the preconditioned sharpness λ₁(P⁻¹H), not λ₁",
    };
}

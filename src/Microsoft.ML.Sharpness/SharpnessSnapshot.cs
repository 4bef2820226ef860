namespace Microsoft.ML.Sharpness;

/// <summary>
/// What the sharpness monitor (<see cref="TrainingSettings.SharpnessMonitor"/>) measured at one moment of training, on its fixed
/// sample of N training rows, network in inference mode, L the mean cross-entropy over the sample.
/// </summary>
/// <param name="Epoch">The 1-based epoch it was taken in.</param>
/// <param name="Step">Training steps taken before it, counted over the run.</param>
/// <param name="LearningRate">η, the learning rate of the last step before it (for the edge-of-stability threshold 2/η).</param>
/// <param name="Loss">L(w) on the sample.</param>
/// <param name="TopEigenvalue">λ₁ = vᵀHv after warm-started power iterations v ← Hv/‖Hv‖ (Cohen et al. 2021 track it against 2/η).</param>
/// <param name="WeightNorm">‖w‖₂ over the trainable parameters (its rise and fall over training separate memorization from consolidation).</param>
/// <param name="SamSharpness">L(w + ρ·g/‖g‖₂) − L(w) with g = ∇L(w) (Foret et al. 2021).</param>
/// <param name="GradientNoiseTrace">E‖g_B − ḡ‖² over minibatches B of the sample, ḡ its full gradient (≈ tr Σ/B, the SGD noise scale of Jastrzębski et al. 2018); null when turned off or the sample is too small.</param>
/// <param name="Seconds">Wall-clock seconds the measurement took.</param>
public sealed record SharpnessSnapshot(
    int Epoch,
    long Step,
    double LearningRate,
    double Loss,
    double TopEigenvalue,
    double WeightNorm,
    double SamSharpness,
    double? GradientNoiseTrace,
    double Seconds)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"λ₁ {TopEigenvalue:G4} (2/η {2 / LearningRate:G4}), ‖w‖ {WeightNorm:G4}, SAM sharpness {SamSharpness:G4}" +
        (GradientNoiseTrace is double noise ? $", noise trace {noise:G4}" : "") + $", {Seconds:F1} s";
}

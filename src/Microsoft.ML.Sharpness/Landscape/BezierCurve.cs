using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>The quadratic Bézier curve of Garipov et al. (2018) between two weight vectors w₁ and w₂, bent towards θ.</summary>
internal static class BezierCurve
{
    /// <summary>φ_θ(t) = (1 − t)²·w₁ + 2t(1 − t)·θ + t²·w₂ (Garipov et al. 2018); exactly w₁ at t = 0 and w₂ at t = 1.</summary>
    public static Tensor At(Tensor first, Tensor bend, Tensor second, double t) =>
        first * ((1 - t) * (1 - t)) + bend * BendWeight(t) + second * (t * t);

    /// <summary>∂φ_θ(t)/∂θ = 2t(1 − t)·I, so ∇_θ L(φ_θ(t)) = 2t(1 − t)·∇_w L(φ_θ(t)).</summary>
    public static double BendWeight(double t) => 2 * t * (1 - t);

    /// <summary>θ = (w₁ + w₂)/2, Garipov et al.'s start: with it φ_θ(t) = (1 − t)·w₁ + t·w₂, the straight line.</summary>
    public static Tensor StraightBend(Tensor first, Tensor second) => (first + second) / 2;
}

using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// A loss L over a flat parameter vector w of <see cref="Dimension"/> entries, probed around w: the sharpness, Hessian and
/// gradient-noise measures are written against this, so that they can be checked on an analytic surface (a quadratic).
/// Every vector is a 1-D float32 tensor of length <see cref="Dimension"/>; probing never changes w.
/// </summary>
internal abstract class LossSurface
{
    /// <summary>n, the number of parameters.</summary>
    public abstract long Dimension { get; }

    /// <summary>A copy of w.</summary>
    public abstract Tensor Weights();

    /// <summary>L(w + δ); δ = null means L(w).</summary>
    public abstract double Loss(Tensor? delta = null);

    /// <summary>L(w + δ) and ∇L(w + δ).</summary>
    public abstract (double Loss, Tensor Gradient) LossAndGradient(Tensor? delta = null);

    /// <summary>H(w)·v, the Hessian of L at w times v.</summary>
    public abstract Tensor HessianVectorProduct(Tensor v);
}

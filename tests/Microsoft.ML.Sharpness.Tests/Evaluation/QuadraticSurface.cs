using Microsoft.ML.Sharpness.Evaluation;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Evaluation;

/// <summary>L(w) = ½·wᵀAw + bᵀw with A = Q·diag(λ)·Qᵀ for a random orthogonal Q: a surface whose Hessian spectrum is λ.</summary>
internal sealed class QuadraticSurface : LossSurface
{
    private readonly Tensor weights;

    public QuadraticSurface(double[] eigenvalues, int seed)
    {
        manual_seed(seed);
        int n = eigenvalues.Length;
        var (q, _) = linalg.qr(randn(n, n, dtype: ScalarType.Float64));
        Hessian = q.mm(diag(tensor(eigenvalues))).mm(q.t());
        Linear = randn(n, dtype: ScalarType.Float64);
        weights = randn(n, dtype: ScalarType.Float64);
    }

    /// <summary>A.</summary>
    public Tensor Hessian { get; }

    /// <summary>b.</summary>
    public Tensor Linear { get; }

    public override long Dimension => weights.shape[0];

    public override Tensor Weights() => weights.to_type(ScalarType.Float32);

    public override double Loss(Tensor? delta = null)
    {
        Tensor w = At(delta);
        return (0.5 * w.dot(Hessian.mv(w)) + Linear.dot(w)).item<double>();
    }

    public override (double Loss, Tensor Gradient) LossAndGradient(Tensor? delta = null) =>
        (Loss(delta), GradientAt(delta).to_type(ScalarType.Float32));

    public override Tensor HessianVectorProduct(Tensor v) => Hessian.mv(v.to_type(ScalarType.Float64)).to_type(ScalarType.Float32);

    /// <summary>∇L(w + δ) = A(w + δ) + b, in double precision.</summary>
    public Tensor GradientAt(Tensor? delta = null) => Hessian.mv(At(delta)).add(Linear);

    private Tensor At(Tensor? delta) => delta is null ? weights : weights.add(delta.to_type(ScalarType.Float64));
}

using Microsoft.ML.Sharpness.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Optimization;

/// <summary>The outcome of one training step: mean loss at the starting weights and correctly classified rows.</summary>
internal readonly record struct StepOutcome(double Loss, long Correct);

/// <summary>
/// One training step of the base optimizer (SGD, Adam or AdamW) alone, or under SAM (Foret et al. 2021) or ASAM (Kwon et al.
/// 2021): SAM perturbs w by ε = ρ·g/‖g‖₂, ASAM by ε = ρ·T²g/‖Tg‖₂ with T = |w| + η, g the raw gradient at w; the gradient at
/// w + ε (BatchNorm running statistics frozen) is what the base optimizer steps with, from the original w. With m-sharpness
/// each sub-batch of m rows gets its own ε and the sub-batch gradients are averaged, weighted by their row counts. Gradient
/// clipping, when on, applies to the gradient the base optimizer steps with, after all of that, never to the one defining ε.
/// </summary>
internal sealed class SharpnessAwareStep
{
    private const double NormFloor = 1e-12;
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly NetworkWeights weights;
    private readonly IReadOnlyList<Parameter> parameters;
    private readonly BatchNorm[] batchNorms;
    private readonly optim.Optimizer baseOptimizer;
    private readonly SharpnessOptimizer kind;
    private readonly double rho;
    private readonly double eta;
    private readonly int rowsPerPerturbation;
    private readonly double labelSmoothing;
    private readonly double gradientClipNorm;
    private readonly bool[] perturbed;

    /// <summary>
    /// A step of <paramref name="kind"/> over <paramref name="baseOptimizer"/>; <paramref name="gradientClipNorm"/> is the global L2 norm c the
    /// stepping gradient is clipped to (0 = off); <paramref name="perturbs"/> picks the parameters ε covers, its norm taken over them only (null: all).
    /// </summary>
    public SharpnessAwareStep(nn.Module<Tensor, Tensor> model, optim.Optimizer baseOptimizer, SharpnessOptimizer kind,
        double rho, double eta, int rowsPerPerturbation, double labelSmoothing, double gradientClipNorm = 0, Func<Parameter, bool>? perturbs = null)
    {
        this.gradientClipNorm = gradientClipNorm;
        this.model = model;
        this.baseOptimizer = baseOptimizer;
        this.kind = kind;
        this.rho = rho;
        this.eta = eta;
        this.rowsPerPerturbation = rowsPerPerturbation;
        this.labelSmoothing = labelSmoothing;
        weights = new NetworkWeights(model);
        parameters = weights.Parameters;
        perturbed = parameters.Select(p => perturbs?.Invoke(p) ?? true).ToArray();
        batchNorms = model.modules().OfType<BatchNorm>().ToArray();
    }

    /// <summary>Runs one step on a batch of images <paramref name="x"/> [B, C, H, W] with class indices <paramref name="y"/> [B].</summary>
    public StepOutcome Step(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        if (kind == SharpnessOptimizer.Sgd)
        {
            baseOptimizer.zero_grad();
            Tensor logits = model.forward(x);
            Tensor loss = Loss(logits, y);
            loss.backward();
            BaseStep();
            return new StepOutcome(loss.item<float>(), Correct(logits, y));
        }

        long rows = x.shape[0];
        var chunks = SubBatches.Split(rows, rowsPerPerturbation);
        if (chunks.Count == 1)
        {
            var outcome = PerturbedGradient(x, y);
            BaseStep();
            return outcome;
        }

        Tensor?[] sum = new Tensor?[parameters.Count];
        double lossSum = 0;
        long correct = 0;
        foreach (var (start, length) in chunks)
        {
            var outcome = PerturbedGradient(x.narrow(0, start, length), y.narrow(0, start, length));
            lossSum += outcome.Loss * length;
            correct += outcome.Correct;
            double weight = (double)length / rows;
            using (no_grad())
            {
                for (int i = 0; i < parameters.Count; i++)
                {
                    if (parameters[i].grad is not { } grad) continue;
                    sum[i] = sum[i] is null ? grad.mul(weight) : sum[i]!.add_(grad, weight);
                }
            }
        }
        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++)
                if (sum[i] is { } total) parameters[i].grad!.copy_(total);
        }
        BaseStep();
        return new StepOutcome(lossSum / rows, correct);
    }

    /// <summary>The base optimizer's step with the parameters' gradients, clipped first when <see cref="gradientClipNorm"/> is on.</summary>
    private void BaseStep()
    {
        if (gradientClipNorm > 0)
            using (no_grad()) ClipGradients();
        baseOptimizer.step();
    }

    /// <summary>Global norm clipping (Pascanu et al. 2013): g ← g·min(1, c/‖g‖₂), the norm over all parameters together.</summary>
    private void ClipGradients()
    {
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return;
        // c/0 is +∞ and clamps to 1: a zero gradient stays zero. No host round trip: the factor stays a tensor.
        Tensor factor = stack(grads.Select(g => g.norm()).ToList()).norm().reciprocal_().mul_(gradientClipNorm).clamp_max_(1);
        foreach (var grad in grads) grad.mul_(factor);
    }

    /// <summary>Leaves ∇L(w + ε) of the batch in the parameters' gradients, with w unchanged; returns the loss at w.</summary>
    private StepOutcome PerturbedGradient(Tensor x, Tensor y)
    {
        baseOptimizer.zero_grad();
        Tensor logits = model.forward(x);
        Tensor loss = Loss(logits, y);
        loss.backward();
        var outcome = new StepOutcome(loss.item<float>(), Correct(logits, y));

        Tensor?[] perturbation;
        using (no_grad()) perturbation = Perturbation();
        using (weights.Perturb(perturbation))
        {
            baseOptimizer.zero_grad();
            using (new FrozenBatchNormStatistics(batchNorms))
                Loss(model.forward(x), y).backward();
        }
        return outcome;
    }

    /// <summary>SAM: ε = ρ·g/‖g‖₂; ASAM: ε = ρ·T²g/‖Tg‖₂ with T = |w| + η, the norms taken over all parameters together.</summary>
    private Tensor?[] Perturbation()
    {
        Tensor?[] direction = new Tensor?[parameters.Count];
        Tensor?[] scale = new Tensor?[parameters.Count];
        var norms = new List<Tensor>();
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].grad is not { } grad || !perturbed[i]) continue;
            if (kind == SharpnessOptimizer.AdaptiveSam)
            {
                scale[i] = parameters[i].abs().add_(eta);
                direction[i] = grad.mul(scale[i]!);
            }
            else
            {
                direction[i] = grad;
            }
            norms.Add(direction[i]!.norm());
        }
        if (norms.Count == 0) return direction;
        Tensor factor = rho / (stack(norms).norm() + NormFloor);
        for (int i = 0; i < parameters.Count; i++)
        {
            if (direction[i] is null) continue;
            direction[i] = scale[i] is { } t ? direction[i]!.mul(t).mul_(factor) : direction[i]!.mul(factor);
        }
        return direction;
    }

    private Tensor Loss(Tensor logits, Tensor y) =>
        nn.functional.cross_entropy(logits, y, label_smoothing: labelSmoothing);

    private static long Correct(Tensor logits, Tensor y)
    {
        using (no_grad())
            return logits.argmax(1).eq(y).sum().item<long>();
    }
}

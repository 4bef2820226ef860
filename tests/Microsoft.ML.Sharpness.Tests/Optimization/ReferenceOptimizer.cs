namespace Microsoft.ML.Sharpness.Tests.Optimization;

/// <summary>The base optimizers' updates computed by hand in double precision over flat weights, from their papers' formulas.</summary>
internal sealed class ReferenceOptimizer
{
    private readonly TrainingSettings settings;
    private double[]? first, second;
    private int step;

    public ReferenceOptimizer(TrainingSettings settings) => this.settings = settings;

    /// <summary>One step from <paramref name="w"/> with gradient <paramref name="g"/> at learning rate <paramref name="lr"/>; returns the new weights.</summary>
    public double[] Step(double[] w, double[] g, double lr)
    {
        step++;
        double lambda = settings.WeightDecay, beta1 = settings.Beta1, beta2 = settings.Beta2, epsilon = settings.AdamEpsilon, mu = settings.Momentum;
        first ??= new double[w.Length];
        second ??= new double[w.Length];
        var next = new double[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            switch (settings.BaseOptimizer)
            {
                case BaseOptimizer.Sgd:
                {
                    // SGD with momentum (PyTorch's form): d = g + λw, b ← μb + d (b₁ = d), w ← w − lr·b; Nesterov: w ← w − lr·(d + μb).
                    double d = g[i] + lambda * w[i];
                    first[i] = step == 1 ? d : mu * first[i] + d;
                    next[i] = w[i] - lr * (settings.Nesterov ? d + mu * first[i] : first[i]);
                    break;
                }
                default:
                {
                    // Adam (Kingma and Ba 2015, L2 decay in d) / AdamW (Loshchilov and Hutter 2019, d = g and w ← w·(1 − lr·λ)):
                    // m ← β₁m + (1 − β₁)d, v ← β₂v + (1 − β₂)d², w ← w − lr·m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
                    bool decoupled = settings.BaseOptimizer == BaseOptimizer.AdamW;
                    double d = decoupled ? g[i] : g[i] + lambda * w[i];
                    first[i] = beta1 * first[i] + (1 - beta1) * d;
                    second[i] = beta2 * second[i] + (1 - beta2) * d * d;
                    double mHat = first[i] / (1 - Math.Pow(beta1, step)), vHat = second[i] / (1 - Math.Pow(beta2, step));
                    next[i] = (decoupled ? w[i] * (1 - lr * lambda) : w[i]) - lr * mHat / (Math.Sqrt(vHat) + epsilon);
                    break;
                }
            }
        }
        return next;
    }

    /// <summary>Global norm clipping (Pascanu et al. 2013): g·min(1, c/‖g‖₂).</summary>
    public static double[] Clip(double[] g, double c)
    {
        double norm = Norm(g);
        return g.Select(v => v * Math.Min(1, c / norm)).ToArray();
    }

    public static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));
}

namespace Microsoft.ML.Sharpness.Tests.Optimization;

/// <summary>Closed-form softmax regression in double precision: the analytic reference the SAM steps are checked against.</summary>
internal sealed class SoftmaxRegression
{
    public SoftmaxRegression(double[,] weight, double[] bias)
    {
        Weight = weight;
        Bias = bias;
    }

    public double[,] Weight { get; }
    public double[] Bias { get; }
    public int Classes => Bias.Length;
    public int Inputs => Weight.GetLength(1);

    /// <summary>Gradient of the mean cross-entropy, (1/B)·Σ (softmax(Wx + b) − onehot(y)) ⊗ [x, 1], flattened as [W row-major, b].</summary>
    public double[] Gradient(double[][] x, int[] y)
    {
        var gradient = new double[Classes * Inputs + Classes];
        for (int n = 0; n < x.Length; n++)
        {
            var logits = new double[Classes];
            for (int k = 0; k < Classes; k++)
            {
                logits[k] = Bias[k];
                for (int d = 0; d < Inputs; d++) logits[k] += Weight[k, d] * x[n][d];
            }
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            for (int k = 0; k < Classes; k++)
            {
                double delta = (Math.Exp(logits[k] - max) / sum - (y[n] == k ? 1 : 0)) / x.Length;
                for (int d = 0; d < Inputs; d++) gradient[k * Inputs + d] += delta * x[n][d];
                gradient[Classes * Inputs + k] += delta;
            }
        }
        return gradient;
    }

    public double[] Flatten()
    {
        var flat = new double[Classes * Inputs + Classes];
        for (int k = 0; k < Classes; k++)
        {
            for (int d = 0; d < Inputs; d++) flat[k * Inputs + d] = Weight[k, d];
            flat[Classes * Inputs + k] = Bias[k];
        }
        return flat;
    }

    public static SoftmaxRegression FromFlat(double[] flat, int classes, int inputs)
    {
        var weight = new double[classes, inputs];
        var bias = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            for (int d = 0; d < inputs; d++) weight[k, d] = flat[k * inputs + d];
            bias[k] = flat[classes * inputs + k];
        }
        return new SoftmaxRegression(weight, bias);
    }

    /// <summary>∇L(w + ε) with ε = ρ·T²g/‖Tg‖₂ (T = |w| + η when adaptive, else 1): SAM's and ASAM's second gradient.</summary>
    public double[] PerturbedGradient(double[][] x, int[] y, double rho, double? adaptiveEta)
    {
        double[] w = Flatten();
        double[] g = Gradient(x, y);
        double[] t = w.Select(v => adaptiveEta is double eta ? Math.Abs(v) + eta : 1.0).ToArray();
        double norm = Math.Sqrt(g.Select((gi, i) => t[i] * gi * t[i] * gi).Sum());
        double[] perturbed = w.Select((wi, i) => wi + rho * t[i] * t[i] * g[i] / (norm + 1e-12)).ToArray();
        return FromFlat(perturbed, Classes, Inputs).Gradient(x, y);
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;

namespace FashionMnistSam;

public static partial class FashionMnistModel
{
    /// <summary>A trained model with its test metrics, and the rows the side-by-side table prints.</summary>
    public sealed record Result(ITransformer Model, MulticlassClassificationMetrics Metrics, TimeSpan TrainingTime)
    {
        public static readonly (string Label, Func<Result, string> Value)[] Rows =
        {
            ("Micro accuracy", r => r.Metrics.MicroAccuracy.ToString("P2")),
            ("Macro accuracy", r => r.Metrics.MacroAccuracy.ToString("P2")),
            ("Log-loss", r => r.Metrics.LogLoss.ToString("F4")),
            ("Log-loss reduction", r => r.Metrics.LogLossReduction.ToString("F4")),
            ("Top-3 accuracy", r => r.Metrics.TopKAccuracyForAllK[2].ToString("P2")),
            ("Training seconds", r => r.TrainingTime.TotalSeconds.ToString("F1")),
        };
    }

    /// <summary>The sharpness measures the side-by-side table prints, by their <see cref="SharpnessMetrics.ToDictionary"/> names.</summary>
    public static readonly (string Label, string Key)[] SharpnessRows =
    {
        ("Train loss L(w)", "Loss"),
        ("SAM sharpness ρ=0.05", "Sam[rho=0.05,k=1]"),
        ("Adaptive sharpness ρ=0.05", "AdaptiveSam[rho=0.05,k=1]"),
        ("Keskar ε=1e-3 (full)", "Keskar[full space,eps=0.001]"),
        ("Keskar ε=1e-3 (100-d)", "Keskar[100-d subspace,eps=0.001]"),
        ("Hessian λ1", "HessianEigenvalue[1]"),
        ("Hessian trace", "HessianTrace"),
        ("Empirical Fisher trace", "Fisher.EmpiricalTrace"),
        ("Local generalization", "Minibatch.LocalGeneralization"),
    };
}

using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;

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

    /// <summary>The sharpness measures the side-by-side table prints, by their <see cref="SharpnessMetrics.ToDictionary"/> keys (<see cref="SharpnessMetrics.Keys"/>).</summary>
    public static readonly (string Label, string Key)[] SharpnessRows =
    {
        ("Train loss L(w)", SharpnessMetrics.Keys.Loss),
        ("SAM sharpness ρ=0.05", SharpnessMetrics.Keys.Sam(0.05)),
        ("Adaptive sharpness ρ=0.05", SharpnessMetrics.Keys.AdaptiveSam(0.05)),
        ("Keskar ε=1e-3 (full)", SharpnessMetrics.Keys.Keskar(1e-3)),
        ("Keskar ε=1e-3 (100-d)", SharpnessMetrics.Keys.Keskar(1e-3, subspaceDimension: 100)),
        ("Hessian λ1", SharpnessMetrics.Keys.HessianEigenvalue(1)),
        ("Hessian trace", SharpnessMetrics.Keys.HessianTrace),
        ("Empirical Fisher trace", SharpnessMetrics.Keys.EmpiricalFisherTrace),
        ("Local generalization", SharpnessMetrics.Keys.LocalGeneralization),
    };
}

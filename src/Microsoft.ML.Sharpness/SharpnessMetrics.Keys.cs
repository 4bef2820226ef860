using System.Globalization;

namespace Microsoft.ML.Sharpness;

public sealed partial record SharpnessMetrics
{
    /// <summary>
    /// The names of <see cref="ToDictionary"/>'s entries, e.g. <c>Keys.Sam(0.05, 1)</c> is <c>"Sam[rho=0.05,k=1]"</c>: use these
    /// instead of writing the strings, so that a renamed measure is a compile error rather than a missing value.
    /// </summary>
    public static class Keys
    {
        /// <summary>The number of rows evaluated.</summary>
        public const string Rows = nameof(SharpnessMetrics.Rows);

        /// <summary>n, the number of trainable parameters.</summary>
        public const string Parameters = nameof(SharpnessMetrics.Parameters);

        /// <summary>L(w).</summary>
        public const string Loss = nameof(SharpnessMetrics.Loss);

        /// <summary>The fraction of rows classified correctly.</summary>
        public const string Accuracy = nameof(SharpnessMetrics.Accuracy);

        /// <summary>‖w‖₂.</summary>
        public const string WeightNorm = nameof(SharpnessMetrics.WeightNorm);

        /// <summary>tr(H).</summary>
        public const string HessianTrace = "HessianTrace";

        /// <summary>The number of nodes of the Hessian eigenvalue density (the nodes and weights are in <see cref="SharpnessMetrics.HessianDensity"/>).</summary>
        public const string HessianDensityNodes = "HessianDensity.Nodes";

        /// <summary>The empirical Fisher trace.</summary>
        public const string EmpiricalFisherTrace = "Fisher.EmpiricalTrace";

        /// <summary>The model Fisher trace.</summary>
        public const string ModelFisherTrace = "Fisher.ModelTrace";

        /// <summary>The Fisher–Rao norm.</summary>
        public const string FisherRaoNorm = "Fisher.FisherRaoNorm";

        /// <summary>The local generalization measure E[‖g₂‖·(1 − cos(g₁, g₂))].</summary>
        public const string LocalGeneralization = "Minibatch.LocalGeneralization";

        /// <summary>The mean cosine between minibatch gradients.</summary>
        public const string MeanGradientCosine = "Minibatch.MeanCosine";

        /// <summary>The gradient-noise trace E‖g_B − ḡ‖².</summary>
        public const string GradientNoiseTrace = "Minibatch.NoiseTrace";

        /// <summary>One of ML.NET's standard metrics by its property name, e.g. <c>Standard("MicroAccuracy")</c>.</summary>
        public static string Standard(string metric) => $"Standard.{metric}";

        /// <summary>Keskar ε-sharpness in the full space (<paramref name="subspaceDimension"/> null) or a p-dimensional random subspace.</summary>
        public static string Keskar(double epsilon, int? subspaceDimension = null) =>
            $"Keskar[{(subspaceDimension is { } p ? $"{p}-d subspace" : "full space")},eps={Text(epsilon)}]";

        /// <summary>The largest loss Keskar's maximization found inside the box.</summary>
        public static string KeskarMaximumLoss(double epsilon, int? subspaceDimension = null) => Keskar(epsilon, subspaceDimension) + ".MaximumLoss";

        /// <summary>SAM sharpness at radius ρ with k ascent steps.</summary>
        public static string Sam(double rho, int ascentSteps = 1) => Radius("Sam", rho, ascentSteps, null);

        /// <summary>Adaptive (ASAM) sharpness at radius ρ with k ascent steps.</summary>
        public static string AdaptiveSam(double rho, int ascentSteps = 1) => Radius("AdaptiveSam", rho, ascentSteps, null);

        /// <summary>m-sharpness at radius ρ with k ascent steps over sub-batches of m rows.</summary>
        public static string MSharpness(double rho, int ascentSteps, int subBatchSize) => Radius("MSharpness", rho, ascentSteps, subBatchSize);

        /// <summary>The i-th largest Hessian eigenvalue, 1-based.</summary>
        public static string HessianEigenvalue(int index) => $"HessianEigenvalue[{index}]";

        /// <summary>The power iterations the i-th eigenvalue took.</summary>
        public static string HessianEigenvalueIterations(int index) => HessianEigenvalue(index) + ".Iterations";

        /// <summary>The standard error of a stochastic value's entry.</summary>
        public static string StandardError(string key) => key + ".StandardError";

        /// <summary>The seconds one measure took, by its name in <see cref="SharpnessMetrics.Seconds"/>.</summary>
        public static string Seconds(string measure) => $"Seconds.{measure}";

        internal static string Radius(string name, double rho, int ascentSteps, int? subBatchSize) =>
            $"{name}[rho={Text(rho)},k={ascentSteps}" + (subBatchSize is { } m ? $",m={m}]" : "]");

        /// <summary>A setting's value in a key: four significant digits, invariant culture.</summary>
        internal static string Text(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness;

/// <summary>
/// What <see cref="SharpnessEvaluationCatalog.EvaluateWithSharpness"/> measured: ML.NET's standard multiclass metrics and the
/// sharpness, Hessian, Fisher and minibatch-gradient measures of the loss L(w) = mean cross-entropy over <see cref="Rows"/>
/// rows (network in inference mode, no label smoothing, no weight decay). Measures not asked for are null or empty.
/// </summary>
public sealed record SharpnessMetrics
{
    /// <summary>ML.NET's own multiclass metrics on the evaluated rows.</summary>
    [JsonIgnore]
    public MulticlassClassificationMetrics Standard { get; init; } = null!;

    /// <summary>The rows evaluated (the first <see cref="SharpnessEvaluationOptions.MaxRows"/> of the data).</summary>
    public int Rows { get; init; }

    /// <summary>n, the number of trainable parameters w.</summary>
    public long Parameters { get; init; }

    /// <summary>L(w), the mean cross-entropy.</summary>
    public double Loss { get; init; }

    /// <summary>The fraction of rows classified correctly.</summary>
    public double Accuracy { get; init; }

    /// <summary>‖w‖₂.</summary>
    public double WeightNorm { get; init; }

    /// <summary>Keskar ε-sharpness values, full space and subspace.</summary>
    public IReadOnlyList<KeskarSharpness> Keskar { get; init; } = Array.Empty<KeskarSharpness>();

    /// <summary>SAM sharpness per ρ.</summary>
    public IReadOnlyList<RadiusSharpness> Sam { get; init; } = Array.Empty<RadiusSharpness>();

    /// <summary>Adaptive (ASAM) sharpness per ρ.</summary>
    public IReadOnlyList<RadiusSharpness> AdaptiveSam { get; init; } = Array.Empty<RadiusSharpness>();

    /// <summary>m-sharpness per ρ.</summary>
    public IReadOnlyList<RadiusSharpness> MSharpness { get; init; } = Array.Empty<RadiusSharpness>();

    /// <summary>The top Hessian eigenvalues, largest magnitude first.</summary>
    public IReadOnlyList<HessianEigenvalue> HessianEigenvalues { get; init; } = Array.Empty<HessianEigenvalue>();

    /// <summary>tr(H) by Hutchinson's estimator.</summary>
    public StochasticValue? HessianTrace { get; init; }

    /// <summary>The Hessian eigenvalue density by stochastic Lanczos quadrature.</summary>
    public HessianDensity? HessianDensity { get; init; }

    /// <summary>Fisher traces and the Fisher–Rao norm.</summary>
    public FisherMeasures? Fisher { get; init; }

    /// <summary>Minibatch-gradient measures.</summary>
    public MinibatchGradientMeasures? MinibatchGradients { get; init; }

    /// <summary>Seconds each measure took, by measure.</summary>
    public IReadOnlyDictionary<string, double> Seconds { get; init; } = new Dictionary<string, double>();

    /// <summary>The standard metrics as name → value (micro/macro accuracy, log-loss and its reduction, top-K accuracy).</summary>
    public IReadOnlyDictionary<string, double> StandardMetrics => Standard is null ? new Dictionary<string, double>() : new Dictionary<string, double>
    {
        ["MicroAccuracy"] = Standard.MicroAccuracy,
        ["MacroAccuracy"] = Standard.MacroAccuracy,
        ["LogLoss"] = Standard.LogLoss,
        ["LogLossReduction"] = Standard.LogLossReduction,
        ["TopKAccuracy"] = Standard.TopKAccuracy,
    };

    /// <summary>Every reported number by name, e.g. <c>Sam[rho=0.05,k=1]</c> and <c>HessianTrace.StandardError</c>.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var values = new Dictionary<string, double>();
        foreach (var (name, value) in StandardMetrics) values[$"Standard.{name}"] = value;
        values[nameof(Rows)] = Rows;
        values[nameof(Parameters)] = Parameters;
        values[nameof(Loss)] = Loss;
        values[nameof(Accuracy)] = Accuracy;
        values[nameof(WeightNorm)] = WeightNorm;
        foreach (var k in Keskar)
        {
            values[$"Keskar[{k.Space},eps={Text(k.Epsilon)}]"] = k.Value;
            values[$"Keskar[{k.Space},eps={Text(k.Epsilon)}].MaximumLoss"] = k.MaximumLoss;
        }
        AddRadii("Sam", Sam);
        AddRadii("AdaptiveSam", AdaptiveSam);
        AddRadii("MSharpness", MSharpness);
        for (int i = 0; i < HessianEigenvalues.Count; i++)
        {
            values[$"HessianEigenvalue[{i + 1}]"] = HessianEigenvalues[i].Value;
            values[$"HessianEigenvalue[{i + 1}].Iterations"] = HessianEigenvalues[i].Iterations;
        }
        AddStochastic("HessianTrace", HessianTrace);
        if (Fisher is { } fisher)
        {
            values["Fisher.EmpiricalTrace"] = fisher.EmpiricalTrace;
            AddStochastic("Fisher.ModelTrace", fisher.ModelTrace);
            values["Fisher.FisherRaoNorm"] = fisher.FisherRaoNorm;
        }
        if (MinibatchGradients is { } minibatch)
        {
            AddStochastic("Minibatch.LocalGeneralization", minibatch.LocalGeneralization);
            AddStochastic("Minibatch.MeanCosine", minibatch.MeanCosine);
            AddStochastic("Minibatch.NoiseTrace", minibatch.NoiseTrace);
        }
        foreach (var (name, seconds) in Seconds) values[$"Seconds.{name}"] = seconds;
        return values;

        void AddRadii(string name, IReadOnlyList<RadiusSharpness> list)
        {
            foreach (var r in list)
            {
                string key = $"{name}[rho={Text(r.Rho)},k={r.AscentSteps}" + (r.SubBatchSize is { } m ? $",m={m}]" : "]");
                values[key] = r.Value;
                if (r.StandardError is { } se) values[key + ".StandardError"] = se;
            }
        }

        void AddStochastic(string name, StochasticValue? value)
        {
            if (value is null) return;
            values[name] = value.Value;
            if (value.StandardError is { } se) values[name + ".StandardError"] = se;
        }
    }

    /// <summary>The result as indented JSON, the standard metrics included under <c>StandardMetrics</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>One readable table of every measure with its settings.</summary>
    public override string ToString()
    {
        var rows = new List<(string Measure, string Settings, string Value)>
        {
            ("Micro-accuracy (ML.NET)", "", Format(Standard?.MicroAccuracy ?? double.NaN)),
            ("Macro-accuracy (ML.NET)", "", Format(Standard?.MacroAccuracy ?? double.NaN)),
            ("Log-loss (ML.NET)", "", Format(Standard?.LogLoss ?? double.NaN)),
            ("Loss L(w)", $"{Rows} rows, {Parameters:N0} parameters", Format(Loss)),
            ("Accuracy", "", Format(Accuracy)),
            ("‖w‖₂", "", Format(WeightNorm)),
        };
        foreach (var k in Keskar)
            rows.Add(("Keskar ε-sharpness", $"{k.Space}, ε = {Text(k.Epsilon)}, {k.Iterations} iterations", Format(k.Value)));
        foreach (var r in Sam) rows.Add(("SAM sharpness", $"ρ = {Text(r.Rho)}, k = {r.AscentSteps}", Format(r.Value)));
        foreach (var r in AdaptiveSam) rows.Add(("Adaptive sharpness", $"ρ = {Text(r.Rho)}, k = {r.AscentSteps}, η = {Text(r.Eta ?? 0)}", Format(r.Value)));
        foreach (var r in MSharpness) rows.Add(("m-sharpness", $"ρ = {Text(r.Rho)}, k = {r.AscentSteps}, m = {r.SubBatchSize}", Format(r.Value, r.StandardError)));
        for (int i = 0; i < HessianEigenvalues.Count; i++)
        {
            var e = HessianEigenvalues[i];
            rows.Add(($"Hessian eigenvalue λ{i + 1}", $"{e.Iterations} power iterations{(e.Converged ? "" : ", not converged")}", Format(e.Value)));
        }
        if (HessianTrace is { } trace) rows.Add(("Hessian trace", $"{trace.Method}, {trace.Samples} Hessian-vector products", Format(trace.Value, trace.StandardError)));
        if (HessianDensity is { } density) rows.Add(("Hessian density", $"SLQ, {density.Runs} run(s) × {density.LanczosSteps} steps", $"{density.Nodes.Count} nodes"));
        if (Fisher is { } fisher)
        {
            rows.Add(("Empirical Fisher trace", fisher.Method, Format(fisher.EmpiricalTrace)));
            rows.Add(("Model Fisher trace", fisher.ModelTrace.Samples == 0 ? "exact over classes" : $"{fisher.ModelTrace.Samples} sampled labels per row",
                Format(fisher.ModelTrace.Value, fisher.ModelTrace.StandardError)));
            rows.Add(("Fisher–Rao norm", "E[⟨w, ∇ℓ⟩²]", Format(fisher.FisherRaoNorm)));
        }
        if (MinibatchGradients is { } mb)
        {
            string settings = $"B = {mb.BatchSize}, {mb.Pairs} pairs";
            rows.Add(("Local generalization measure", settings, Format(mb.LocalGeneralization.Value, mb.LocalGeneralization.StandardError)));
            rows.Add(("Mean gradient cosine", settings, Format(mb.MeanCosine.Value, mb.MeanCosine.StandardError)));
            rows.Add(("Gradient-noise trace", settings, Format(mb.NoiseTrace.Value, mb.NoiseTrace.StandardError)));
        }

        int w1 = Math.Max(7, rows.Max(r => r.Measure.Length)), w2 = Math.Max(8, rows.Max(r => r.Settings.Length));
        var text = new StringBuilder();
        text.AppendLine($"{"Measure".PadRight(w1)}  {"Settings".PadRight(w2)}  Value");
        text.AppendLine($"{new string('-', w1)}  {new string('-', w2)}  {new string('-', 20)}");
        foreach (var (measure, settings, value) in rows) text.AppendLine($"{measure.PadRight(w1)}  {settings.PadRight(w2)}  {value}");
        return text.ToString();
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static string Text(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Format(double value, double? standardError = null) =>
        value.ToString("G5", CultureInfo.InvariantCulture) + (standardError is { } se ? $" ± {se.ToString("G2", CultureInfo.InvariantCulture)}" : "");
}

/// <summary>Keskar et al. (2017) ε-sharpness φ = 100·(max_{y∈C_ε} L(w + A·y) − L(w)) / (1 + L(w)).</summary>
/// <param name="Epsilon">ε, the box half-width relative to |(A⁺w)ᵢ| + 1.</param>
/// <param name="SubspaceDimension">p for a random subspace; null for the full space (A = I).</param>
/// <param name="Value">φ.</param>
/// <param name="MaximumLoss">The largest loss found inside the box.</param>
/// <param name="Iterations">Ascent iterations.</param>
/// <param name="LargestBoxFraction">max |yᵢ| / boundᵢ at the maximizer; at most 1, as the maximizer stays inside C_ε.</param>
public sealed record KeskarSharpness(double Epsilon, int? SubspaceDimension, double Value, double MaximumLoss, int Iterations, double LargestBoxFraction)
{
    /// <summary>"full space" or "p-d subspace".</summary>
    public string Space => SubspaceDimension is { } p ? $"{p}-d subspace" : "full space";
}

/// <summary>A sharpness measured over a ρ-ball: SAM, adaptive (with <paramref name="Eta"/>) or m-sharpness (with <paramref name="SubBatchSize"/>).</summary>
/// <param name="Rho">ρ.</param>
/// <param name="AscentSteps">k, the normalized-gradient ascent steps.</param>
/// <param name="Value">max L(w + ε) − L(w) found (for m-sharpness, the mean over sub-batches).</param>
/// <param name="Eta">η of adaptive sharpness.</param>
/// <param name="SubBatchSize">m of m-sharpness.</param>
/// <param name="SubBatches">How many sub-batches of m rows m-sharpness averaged.</param>
/// <param name="StandardError">For m-sharpness, the standard error of the mean over sub-batches.</param>
public sealed record RadiusSharpness(double Rho, int AscentSteps, double Value, double? Eta = null, int? SubBatchSize = null, int? SubBatches = null, double? StandardError = null);

/// <summary>A Hessian eigenvalue from power iteration.</summary>
/// <param name="Value">λ.</param>
/// <param name="Iterations">Power iterations run.</param>
/// <param name="Converged">Whether the relative change fell below the tolerance.</param>
public sealed record HessianEigenvalue(double Value, int Iterations, bool Converged);

/// <summary>A stochastic estimate: the mean over <paramref name="Samples"/> samples and its standard error (null when exact).</summary>
/// <param name="Value">The estimate.</param>
/// <param name="StandardError">Its standard error; null when the value is exact.</param>
/// <param name="Samples">Random samples (probes, pairs, sampled labels) it used; 0 when exact.</param>
/// <param name="Method">The estimator, where there is a choice.</param>
public sealed record StochasticValue(double Value, double? StandardError, int Samples, string? Method = null);

/// <summary>The Hessian eigenvalue density: nodes and weights (summing to one) of stochastic Lanczos quadrature.</summary>
public sealed record HessianDensity(IReadOnlyList<double> Nodes, IReadOnlyList<double> Weights, int Runs, int LanczosSteps);

/// <summary>Fisher information measures.</summary>
/// <param name="EmpiricalTrace">(1/N)·Σᵢ ‖∇_w ℓᵢ‖².</param>
/// <param name="ModelTrace">(1/N)·Σᵢ Σ_y p(y|xᵢ)·‖∇_w log p(y|xᵢ)‖²; exact (0 samples) or Monte Carlo.</param>
/// <param name="FisherRaoNorm">(1/N)·Σᵢ ⟨w, ∇_w ℓᵢ⟩² (Liang et al. 2019).</param>
/// <param name="Method">How per-row gradients were obtained: "per-example trick" or "per-row loop".</param>
public sealed record FisherMeasures(double EmpiricalTrace, StochasticValue ModelTrace, double FisherRaoNorm, string Method);

/// <summary>Measures over pairs of disjoint minibatches of <paramref name="BatchSize"/> rows.</summary>
/// <param name="LocalGeneralization">E[‖g₂‖·(1 − cos(g₁, g₂))] (Huszár 2018).</param>
/// <param name="MeanCosine">E[cos(g₁, g₂)].</param>
/// <param name="NoiseTrace">E‖g_B − ḡ‖², ḡ the gradient over all evaluated rows.</param>
/// <param name="BatchSize">B.</param>
/// <param name="Pairs">Pairs drawn.</param>
public sealed record MinibatchGradientMeasures(StochasticValue LocalGeneralization, StochasticValue MeanCosine, StochasticValue NoiseTrace, int BatchSize, int Pairs);

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
public sealed partial record SharpnessMetrics
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
    [JsonIgnore]
    public IReadOnlyList<KeskarSharpness> Keskar { get; init; } = Array.Empty<KeskarSharpness>();

    /// <summary>SAM sharpness per ρ.</summary>
    [JsonIgnore]
    public IReadOnlyList<RadiusSharpness> Sam { get; init; } = Array.Empty<RadiusSharpness>();

    /// <summary>Adaptive (ASAM) sharpness per ρ.</summary>
    [JsonIgnore]
    public IReadOnlyList<RadiusSharpness> AdaptiveSam { get; init; } = Array.Empty<RadiusSharpness>();

    /// <summary>m-sharpness per ρ.</summary>
    [JsonIgnore]
    public IReadOnlyList<RadiusSharpness> MSharpness { get; init; } = Array.Empty<RadiusSharpness>();

    /// <summary>The top Hessian eigenvalues, largest magnitude first.</summary>
    [JsonIgnore]
    public IReadOnlyList<HessianEigenvalue> HessianEigenvalues { get; init; } = Array.Empty<HessianEigenvalue>();

    /// <summary>tr(H) by Hutch++ (the default) or Hutchinson's estimator; see <see cref="SharpnessEvaluationOptions.TraceEstimator"/>.</summary>
    [JsonIgnore]
    public StochasticValue? HessianTrace { get; init; }

    /// <summary>The Hessian eigenvalue density by stochastic Lanczos quadrature.</summary>
    public HessianDensity? HessianDensity { get; init; }

    /// <summary>Fisher traces and the Fisher–Rao norm.</summary>
    [JsonIgnore]
    public FisherMeasures? Fisher { get; init; }

    /// <summary>Minibatch-gradient measures.</summary>
    [JsonIgnore]
    public MinibatchGradientMeasures? MinibatchGradients { get; init; }

    /// <summary>Seconds each measure took, by measure.</summary>
    [JsonIgnore]
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

    /// <summary>
    /// Every reported number, in report order: each with its <see cref="ToDictionary"/> key, and, for the rows of
    /// <see cref="ToString"/>'s table, the measure's name and settings. <see cref="ToDictionary"/>, <see cref="ToString"/> and
    /// <see cref="ToJson"/> are all read from this list.
    /// </summary>
    [JsonPropertyOrder(1)]
    public IReadOnlyList<MetricEntry> Entries => BuildEntries();

    /// <summary>Every reported number by name (<see cref="Keys"/>), e.g. <c>Sam[rho=0.05,k=1]</c> and <c>HessianTrace.StandardError</c>.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary()
    {
        var values = new Dictionary<string, double>();
        foreach (var entry in Entries)
        {
            values[entry.Key] = entry.Value;
            if (entry.StandardError is { } se) values[Keys.StandardError(entry.Key)] = se;
        }
        return values;
    }

    /// <summary>The result as indented JSON: the totals, <c>StandardMetrics</c>, the Hessian density, <c>Seconds</c> and every entry of <see cref="Entries"/>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>One readable table of every measure with its settings.</summary>
    public override string ToString()
    {
        var rows = Entries.Where(e => e.Measure is not null)
            .Select(e => (Measure: e.Measure!, e.Settings, Value: e.Text ?? Format(e.Value, e.StandardError))).ToList();
        int w1 = Math.Max(7, rows.Max(r => r.Measure.Length)), w2 = Math.Max(8, rows.Max(r => r.Settings.Length));
        var text = new StringBuilder();
        text.AppendLine($"{"Measure".PadRight(w1)}  {"Settings".PadRight(w2)}  Value");
        text.AppendLine($"{new string('-', w1)}  {new string('-', w2)}  {new string('-', 20)}");
        foreach (var (measure, settings, value) in rows) text.AppendLine($"{measure.PadRight(w1)}  {settings.PadRight(w2)}  {value}");
        return text.ToString();
    }

    /// <summary>The one place that lists what is reported, in order.</summary>
    private List<MetricEntry> BuildEntries()
    {
        var list = new List<MetricEntry>();
        void Add(string key, double value, string? measure = null, string settings = "", double? standardError = null, string? text = null) =>
            list.Add(new MetricEntry(key, value, standardError, measure, settings, text));

        foreach (var (name, value) in StandardMetrics)
            Add(Keys.Standard(name), value, StandardNames.TryGetValue(name, out var shown) ? shown : null,
                name == "TopKAccuracy" ? $"k = {Standard.TopKPredictionCount}" : "");
        Add(Keys.Rows, Rows);
        Add(Keys.Parameters, Parameters);
        Add(Keys.Loss, Loss, "Loss L(w)", $"{Rows} rows, {Parameters:N0} parameters");
        Add(Keys.Accuracy, Accuracy, "Accuracy");
        Add(Keys.WeightNorm, WeightNorm, "‖w‖₂");
        foreach (var k in Keskar)
        {
            Add(Keys.Keskar(k.Epsilon, k.SubspaceDimension), k.Value, "Keskar ε-sharpness", $"{k.Space}, ε = {Text(k.Epsilon)}, {k.Iterations} iterations");
            Add(Keys.KeskarMaximumLoss(k.Epsilon, k.SubspaceDimension), k.MaximumLoss);
        }
        foreach (var r in Sam)
            Add(Keys.Sam(r.Rho, r.AscentSteps), r.Value, "SAM sharpness", $"ρ = {Text(r.Rho)}, k = {r.AscentSteps}", r.StandardError);
        foreach (var r in AdaptiveSam)
            Add(Keys.AdaptiveSam(r.Rho, r.AscentSteps), r.Value, "Adaptive sharpness", $"ρ = {Text(r.Rho)}, k = {r.AscentSteps}, η = {Text(r.Eta ?? 0)}", r.StandardError);
        foreach (var r in MSharpness)
            Add(Keys.MSharpness(r.Rho, r.AscentSteps, r.SubBatchSize ?? 0), r.Value, "m-sharpness", $"ρ = {Text(r.Rho)}, k = {r.AscentSteps}, m = {r.SubBatchSize}", r.StandardError);
        for (int i = 0; i < HessianEigenvalues.Count; i++)
        {
            var e = HessianEigenvalues[i];
            Add(Keys.HessianEigenvalue(i + 1), e.Value, $"Hessian eigenvalue λ{i + 1}", $"{e.Iterations} power iterations{(e.Converged ? "" : ", not converged")}");
            Add(Keys.HessianEigenvalueIterations(i + 1), e.Iterations);
        }
        if (HessianTrace is { } trace)
            Add(Keys.HessianTrace, trace.Value, "Hessian trace", $"{trace.Method}, {trace.Samples} Hessian-vector products", trace.StandardError);
        if (HessianDensity is { } density)
            Add(Keys.HessianDensityNodes, density.Nodes.Count, "Hessian density", $"SLQ, {density.Runs} run(s) × {density.LanczosSteps} steps", text: $"{density.Nodes.Count} nodes");
        if (Fisher is { } fisher)
        {
            Add(Keys.EmpiricalFisherTrace, fisher.EmpiricalTrace, "Empirical Fisher trace", fisher.Method);
            Add(Keys.ModelFisherTrace, fisher.ModelTrace.Value, "Model Fisher trace",
                fisher.ModelTrace.Samples == 0 ? "exact over classes" : $"{fisher.ModelTrace.Samples} sampled labels per row", fisher.ModelTrace.StandardError);
            Add(Keys.FisherRaoNorm, fisher.FisherRaoNorm, "Fisher–Rao norm", "E[⟨w, ∇ℓ⟩²]");
        }
        if (MinibatchGradients is { } mb)
        {
            string settings = $"B = {mb.BatchSize}, {mb.Pairs} pairs";
            Add(Keys.LocalGeneralization, mb.LocalGeneralization.Value, "Local generalization measure", settings, mb.LocalGeneralization.StandardError);
            Add(Keys.MeanGradientCosine, mb.MeanCosine.Value, "Mean gradient cosine", settings, mb.MeanCosine.StandardError);
            Add(Keys.GradientNoiseTrace, mb.NoiseTrace.Value, "Gradient-noise trace", settings, mb.NoiseTrace.StandardError);
        }
        foreach (var (name, seconds) in Seconds) Add(Keys.Seconds(name), seconds);
        return list;
    }

    /// <summary>The table names of the standard metrics shown in <see cref="ToString"/>.</summary>
    private static readonly Dictionary<string, string> StandardNames = new()
    {
        ["MicroAccuracy"] = "Micro-accuracy (ML.NET)",
        ["MacroAccuracy"] = "Macro-accuracy (ML.NET)",
        ["LogLoss"] = "Log-loss (ML.NET)",
        ["TopKAccuracy"] = "Top-k accuracy (ML.NET)",
    };

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static string Text(double value) => Keys.Text(value);

    private static string Format(double value, double? standardError = null) =>
        value.ToString("G5", CultureInfo.InvariantCulture) + (standardError is { } se ? $" ± {se.ToString("G2", CultureInfo.InvariantCulture)}" : "");
}

/// <summary>One reported number of <see cref="SharpnessMetrics.Entries"/>.</summary>
/// <param name="Key">Its name in <see cref="SharpnessMetrics.ToDictionary"/> (see <see cref="SharpnessMetrics.Keys"/>).</param>
/// <param name="Value">The value.</param>
/// <param name="StandardError">Its standard error, for stochastic estimates; null when exact.</param>
/// <param name="Measure">Its row name in <see cref="SharpnessMetrics.ToString"/>'s table; null for numbers only in the dictionary (counts, timings).</param>
/// <param name="Settings">The settings it was measured with, as shown in the table.</param>
/// <param name="Text">How the table shows the value when not as a number (e.g. "50 nodes").</param>
public sealed record MetricEntry(string Key, double Value, double? StandardError, string? Measure, string Settings, string? Text);

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

using System.Text.Json;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// One named trainer configuration of a study; every unset value comes from the study's defaults, then from
/// <see cref="SamImageClassifierOptions"/>.
/// </summary>
public sealed class RunSettings
{
    /// <summary>The run's name in tables, plots and folder names.</summary>
    public string? Name { get; set; }

    /// <summary>The network. Default ConvNet.</summary>
    public ImageClassifierArchitecture? Architecture { get; set; }

    /// <summary>Sgd, Sam or AdaptiveSam.</summary>
    public SharpnessOptimizer? Optimizer { get; set; }

    /// <summary>SAM's radius ρ.</summary>
    public float? Rho { get; set; }

    /// <summary>ASAM's η.</summary>
    public float? AdaptiveEta { get; set; }

    /// <summary>m-sharpness rows per perturbation (0 = the whole batch).</summary>
    public int? SharpnessBatchSize { get; set; }

    /// <summary>Rows per step.</summary>
    public int? BatchSize { get; set; }

    /// <summary>Rows per step as a fraction of the training rows (Keskar's large batch is 0.1); overrides <see cref="BatchSize"/>.</summary>
    public double? BatchFraction { get; set; }

    /// <summary>Learning rate.</summary>
    public float? LearningRate { get; set; }

    /// <summary>Momentum.</summary>
    public float? Momentum { get; set; }

    /// <summary>Weight decay.</summary>
    public float? WeightDecay { get; set; }

    /// <summary>Learning-rate schedule.</summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>Epochs.</summary>
    public int? Epochs { get; set; }

    /// <summary>Label smoothing.</summary>
    public float? LabelSmoothing { get; set; }

    /// <summary>The name of an earlier run whose model (same seed) this run starts from (Keskar's piggybacked warm start).</summary>
    public string? WarmStartFrom { get; set; }

    /// <summary>Whether the run appears in tables and plots (false for a warm-start helper run). Default true.</summary>
    public bool? Report { get; set; }

    /// <summary>This run's values, with <paramref name="defaults"/> where it has none.</summary>
    public RunSettings Over(RunSettings defaults) => new()
    {
        Name = Name ?? defaults.Name,
        Architecture = Architecture ?? defaults.Architecture,
        Optimizer = Optimizer ?? defaults.Optimizer,
        Rho = Rho ?? defaults.Rho,
        AdaptiveEta = AdaptiveEta ?? defaults.AdaptiveEta,
        SharpnessBatchSize = SharpnessBatchSize ?? defaults.SharpnessBatchSize,
        BatchSize = BatchSize ?? defaults.BatchSize,
        BatchFraction = BatchFraction ?? (BatchSize is null ? defaults.BatchFraction : null),
        LearningRate = LearningRate ?? defaults.LearningRate,
        Momentum = Momentum ?? defaults.Momentum,
        WeightDecay = WeightDecay ?? defaults.WeightDecay,
        Schedule = Schedule ?? defaults.Schedule,
        Epochs = Epochs ?? defaults.Epochs,
        LabelSmoothing = LabelSmoothing ?? defaults.LabelSmoothing,
        WarmStartFrom = WarmStartFrom,
        Report = Report ?? defaults.Report,
    };

    /// <summary>The trainer options of this run for <paramref name="trainRows"/> training rows and <paramref name="seed"/>.</summary>
    public SamImageClassifierOptions ToOptions(long trainRows, int seed, int? threads)
    {
        var options = new SamImageClassifierOptions { Seed = seed, NumberOfThreads = threads, Device = TrainingDevice.Cpu };
        if (Architecture is { } a) options.Architecture = a;
        if (Optimizer is { } o) options.Optimizer = o;
        if (Rho is { } r) options.Rho = r;
        if (AdaptiveEta is { } eta) options.AdaptiveEta = eta;
        if (SharpnessBatchSize is { } m) options.SharpnessBatchSize = m;
        if (BatchSize is { } b) options.BatchSize = b;
        if (BatchFraction is { } f) options.BatchSize = (int)Math.Max(2, Math.Round(f * trainRows));
        if (LearningRate is { } lr) options.LearningRate = lr;
        if (Momentum is { } mo) options.Momentum = mo;
        if (WeightDecay is { } wd) options.WeightDecay = wd;
        if (Schedule is { } s) options.LearningRateSchedule = s;
        if (Epochs is { } e) options.Epochs = e;
        if (LabelSmoothing is { } ls) options.LabelSmoothing = ls;
        return options;
    }

    /// <summary>The settings as JSON, to tell whether a finished run was made with the same ones.</summary>
    public string Fingerprint() => JsonSerializer.Serialize(this, StudyDefinition.Json);
}

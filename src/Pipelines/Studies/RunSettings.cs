using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// One named trainer configuration of a study: the lab's own fields, and any <see cref="TrainingSettings"/> properties by
/// their camelCase names (<c>"optimizer"</c>, <c>"learningRateSchedule"</c>, …), held as written in the study file. Every unset
/// value comes from the study's defaults, then from <see cref="SamImageClassifierOptions"/>.
/// </summary>
internal sealed class RunSettings
{
    /// <summary>The run's name in tables, plots and folder names.</summary>
    public string? Name { get; set; }

    /// <summary>Rows per step as a fraction of the training rows (Keskar's large batch is 0.1); overrides <c>batchSize</c>.</summary>
    public double? BatchFraction { get; set; }

    /// <summary>The name of an earlier run whose model (same seed) this run starts from (Keskar's piggybacked warm start).</summary>
    public string? WarmStartFrom { get; set; }

    /// <summary>
    /// The fraction of training labels corrupted before training (a seeded choice per seed, the same for every run of that seed;
    /// the test rows keep their true labels); null or 0 for none. See <see cref="LabelNoiseKind"/>.
    /// </summary>
    public double? LabelNoise { get; set; }

    /// <summary>How <see cref="LabelNoise"/> corrupts a label. Default <see cref="Studies.LabelNoiseKind.Symmetric"/>.</summary>
    public LabelNoiseKind? LabelNoiseKind { get; set; }

    /// <summary>Whether the run appears in tables and plots (false for a warm-start helper run). Default true.</summary>
    public bool? Report { get; set; }

    /// <summary>The <see cref="TrainingSettings"/> this run sets, by camelCase property name; checked by <see cref="TrainingOverrides.Check"/>.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement> Training { get; set; } = [];

    /// <summary>Sets the training setting <paramref name="property"/> (a <see cref="TrainingSettings"/> property name) to <paramref name="value"/>.</summary>
    public void Set<T>(string property, T value) => Training[TrainingOverrides.JsonName(property)] = JsonSerializer.SerializeToElement(value, StudyDefinition.Json);

    /// <summary>This run's values, with <paramref name="defaults"/> where it has none (a run's own <c>batchSize</c> also drops the defaults' <c>batchFraction</c>).</summary>
    public RunSettings Over(RunSettings defaults) => new()
    {
        Name = Name ?? defaults.Name,
        BatchFraction = BatchFraction ?? (Training.ContainsKey(TrainingOverrides.JsonName(nameof(TrainingSettings.BatchSize))) ? null : defaults.BatchFraction),
        WarmStartFrom = WarmStartFrom,
        LabelNoise = LabelNoise ?? defaults.LabelNoise,
        LabelNoiseKind = LabelNoiseKind ?? defaults.LabelNoiseKind,
        Report = Report ?? defaults.Report,
        Training = defaults.Training.Concat(Training).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value),
    };

    /// <summary>The trainer options of this run for <paramref name="trainRows"/> training rows and <paramref name="seed"/>, on the CPU.</summary>
    public SamImageClassifierOptions ToOptions(long trainRows, int seed, int? threads)
    {
        var options = TrainingOverrides.Apply(Training);
        options.Seed = seed;
        options.NumberOfThreads = threads;
        options.Device = TrainingDevice.Cpu;
        if (BatchFraction is { } f) options.BatchSize = (int)Math.Max(2, Math.Round(f * trainRows));
        return options;
    }

    /// <summary>
    /// What the run's model depends on, as JSON, to tell whether a finished run was made with the same settings: the lab's
    /// fields and every resolved training setting of <paramref name="options"/> (so a changed library default counts too).
    /// </summary>
    public string Fingerprint(SamImageClassifierOptions options) =>
        JsonSerializer.Serialize(new { Name, BatchFraction, WarmStartFrom, LabelNoise = NoiseFraction, LabelNoiseKind = NoiseKind, Training = options.CopySettings() },
            StudyDefinition.Json);

    /// <summary>The label noise fraction, 0 for none.</summary>
    public double NoiseFraction => LabelNoise ?? 0;

    /// <summary>The label noise kind, <see cref="Studies.LabelNoiseKind.Symmetric"/> unless set.</summary>
    public LabelNoiseKind NoiseKind => LabelNoiseKind ?? Studies.LabelNoiseKind.Symmetric;
}

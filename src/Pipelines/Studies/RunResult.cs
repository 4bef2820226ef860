using System.Text.Json;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>What one run of a study (one configuration, one seed) measured; saved as <c>result.json</c> in the run's folder.</summary>
internal sealed class RunResult
{
    /// <summary>The run's name.</summary>
    public string Run { get; set; } = "";

    /// <summary>The seed.</summary>
    public int Seed { get; set; }

    /// <summary>The run's settings as JSON; a finished run is reused only when they are unchanged.</summary>
    public string Settings { get; set; } = "";

    /// <summary>The study settings that shape every run's numbers (data set size, row samples, evaluation) as JSON; a finished run is
    /// reused only when they are unchanged too (results written before this field existed have none and are reused).</summary>
    public string? StudySettings { get; set; }

    /// <summary>The optimizer.</summary>
    public SharpnessOptimizer Optimizer { get; set; }

    /// <summary>Rows per step, resolved (a batch fraction becomes rows).</summary>
    public int BatchSize { get; set; }

    /// <summary>SAM's ρ (0 for SGD).</summary>
    public double Rho { get; set; }

    /// <summary>The run this one warm-started from, if any.</summary>
    public string? WarmStartFrom { get; set; }

    /// <summary>The fraction of training labels corrupted (0 for none).</summary>
    public double LabelNoise { get; set; }

    /// <summary>How the labels were corrupted (null without noise).</summary>
    public LabelNoiseKind? LabelNoiseKind { get; set; }

    /// <summary>How many training rows had their label flipped.</summary>
    public int FlippedRows { get; set; }

    /// <summary>Accuracy on all training rows against their true labels (with label noise; else null, the same as <see cref="TrainAccuracy"/>).</summary>
    public double? CleanTrainAccuracy { get; set; }

    /// <summary>The share of flipped rows predicted as their noisy label: how much noise the network memorized (with label noise; else null).</summary>
    public double? Memorized { get; set; }

    /// <summary>The share of flipped rows predicted as their true label (with label noise; else null).</summary>
    public double? FlippedCorrect { get; set; }

    /// <summary>Training rows.</summary>
    public long TrainRows { get; set; }

    /// <summary>Test rows (the test accuracy's and the validation's).</summary>
    public long TestRows { get; set; }

    /// <summary>Per-epoch training history (validation = the whole test set).</summary>
    public List<TrainingEpochReport> History { get; set; } = [];

    /// <summary>The sharpness monitor's snapshots (<see cref="TrainingSettings.SharpnessMonitor"/>); empty when it was off.</summary>
    public List<SharpnessSnapshot> SharpnessHistory { get; set; } = [];

    /// <summary>The edge-of-stability threshold's c in c/η for the run's base optimizer (<see cref="Charts.EdgeOfStability"/>); null for Adam and AdamW.</summary>
    public double? StabilityFactor { get; set; }

    /// <summary>How <see cref="StabilityFactor"/> was chosen, for the chart's caption.</summary>
    public string? StabilityThreshold { get; set; }

    /// <summary>Wall-clock seconds of training.</summary>
    public double TrainingSeconds { get; set; }

    /// <summary>Accuracy on all training rows against the labels trained on (noisy ones with label noise; inference mode, ML.NET's evaluator).</summary>
    public double TrainAccuracy { get; set; }

    /// <summary>Log-loss on all training rows.</summary>
    public double TrainLogLoss { get; set; }

    /// <summary>Accuracy on all test rows.</summary>
    public double TestAccuracy { get; set; }

    /// <summary>Log-loss on all test rows.</summary>
    public double TestLogLoss { get; set; }

    /// <summary>Train accuracy − test accuracy.</summary>
    public double GeneralizationGap => TrainAccuracy - TestAccuracy;

    /// <summary><c>SharpnessMetrics.ToDictionary()</c> on the evaluated training rows.</summary>
    public Dictionary<string, double> TrainSharpness { get; set; } = [];

    /// <summary><c>SharpnessMetrics.ToDictionary()</c> on the evaluated test rows.</summary>
    public Dictionary<string, double> TestSharpness { get; set; } = [];

    /// <summary>Wall-clock seconds of both sharpness evaluations.</summary>
    public double EvaluationSeconds { get; set; }

    /// <summary>Processor count, OS and thread setting the run was made on.</summary>
    public string Machine { get; set; } = "";

    /// <summary>When the run finished (UTC).</summary>
    public DateTime FinishedUtc { get; set; }

    /// <summary>Writes the result as JSON, atomically (a half-written file never looks finished).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, StudyDefinition.Json));

    /// <summary>Reads a result written by <see cref="Save"/>; null when the file is missing or unreadable.</summary>
    public static RunResult? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunResult>(File.ReadAllText(path), StudyDefinition.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

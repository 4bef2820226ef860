using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Lab.Reports;

/// <summary>A value over seeds: the mean and, with two or more seeds, the standard error of the mean (s/√n).</summary>
/// <param name="Mean">The mean over seeds.</param>
/// <param name="StandardError">s/√n over seeds, or, with one seed, the measure's own standard error when it has one; else null.</param>
/// <param name="Seeds">How many seeds had the value.</param>
internal sealed record SeedStatistic(double Mean, double? StandardError, int Seeds);

/// <summary>One run's results over its seeds.</summary>
internal sealed class RunSummary
{
    /// <summary>The results of each seed.</summary>
    public required IReadOnlyList<RunResult> Results { get; init; }

    /// <summary>The run's name.</summary>
    public string Run => Results[0].Run;

    /// <summary>The value named <paramref name="key"/> (see <see cref="Value(RunResult, string)"/>) over seeds; null if no seed has it.</summary>
    public SeedStatistic? this[string key]
    {
        get
        {
            var values = Results.Select(r => Value(r, key)).Where(v => v is not null).Select(v => v!.Value).ToArray();
            if (values.Length == 0) return null;
            double mean = values.Average();
            double? error = values.Length > 1
                ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1) / values.Length)
                : Value(Results[0], SharpnessMetrics.Keys.StandardError(key));
            return new SeedStatistic(mean, error, values.Length);
        }
    }

    /// <summary>
    /// A result's value by key: <c>TestAccuracy</c>, <c>TrainAccuracy</c>, <c>GeneralizationGap</c>, <c>TestLogLoss</c>,
    /// <c>TrainLogLoss</c>, <c>TrainingSeconds</c>, <c>BatchSize</c>, <c>Rho</c>, with label noise <c>LabelNoise</c>, <c>CleanTrainAccuracy</c>,
    /// <c>Memorized</c> and <c>FlippedCorrect</c> (see <see cref="RunResult"/>), or a sharpness key prefixed with
    /// <c>train:</c> or <c>test:</c> (<see cref="ResultColumns.Train"/>, <see cref="ResultColumns.Test"/>; e.g. <c>train:Keskar[full space,eps=0.001]</c>).
    /// </summary>
    public static double? Value(RunResult result, string key) => key switch
    {
        "TestAccuracy" => result.TestAccuracy,
        "TrainAccuracy" => result.TrainAccuracy,
        "GeneralizationGap" => result.GeneralizationGap,
        "TestLogLoss" => result.TestLogLoss,
        "TrainLogLoss" => result.TrainLogLoss,
        "TrainingSeconds" => result.TrainingSeconds,
        "BatchSize" => result.BatchSize,
        "Rho" => result.Rho,
        "LabelNoise" => result.LabelNoise,
        "CleanTrainAccuracy" => result.CleanTrainAccuracy ?? result.TrainAccuracy, // without noise the labels trained on are the true ones
        "Memorized" => result.Memorized,
        "FlippedCorrect" => result.FlippedCorrect,
        _ when key.StartsWith(ResultColumns.TrainPrefix, StringComparison.Ordinal) =>
            result.TrainSharpness.TryGetValue(key[ResultColumns.TrainPrefix.Length..], out double v) ? v : null,
        _ when key.StartsWith(ResultColumns.TestPrefix, StringComparison.Ordinal) =>
            result.TestSharpness.TryGetValue(key[ResultColumns.TestPrefix.Length..], out double v) ? v : null,
        _ => null,
    };

    /// <summary>The results grouped by run, in the study's run order, without runs marked <c>"report": false</c>.</summary>
    public static IReadOnlyList<RunSummary> Of(StudyDefinition study, IEnumerable<RunResult> results)
    {
        var byRun = results.GroupBy(r => r.Run).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Seed).ToList());
        return [.. study.ResolvedRuns()
            .Where(run => run.Report != false && byRun.ContainsKey(run.Name!))
            .Select(run => new RunSummary { Results = byRun[run.Name!] })];
    }
}

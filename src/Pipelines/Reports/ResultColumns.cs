using System.Globalization;
using Microsoft.ML.Sharpness.Lab.Studies;
using Keys = Microsoft.ML.Sharpness.SharpnessMetrics.Keys;

namespace Microsoft.ML.Sharpness.Lab.Reports;

/// <summary>A column of the results table: a value key of <see cref="RunSummary"/>, its heading and how it is shown.</summary>
/// <param name="Key">The key (see <see cref="RunSummary.Value"/>).</param>
/// <param name="Heading">The Markdown/HTML heading.</param>
/// <param name="Format">"P" for a percentage, otherwise a .NET numeric format.</param>
/// <param name="ShowError">Whether cells show "± standard error" (not for settings such as the batch size).</param>
/// <param name="Required">Whether every result must have the value (not the flipped rows' memorization, which runs without label noise lack).</param>
internal sealed record ResultColumn(string Key, string Heading, string Format, bool ShowError = true, bool Required = true);

/// <summary>The columns of a study's results table, in order, decided by what the study asks for.</summary>
internal static class ResultColumns
{
    /// <summary>What a key of a sharpness value measured on the evaluated training rows starts with.</summary>
    public const string TrainPrefix = "train:";

    /// <summary>What a key of a sharpness value measured on the evaluated test rows starts with.</summary>
    public const string TestPrefix = "test:";

    /// <summary>The key of a sharpness value measured on the evaluated training rows, e.g. <c>train:HessianTrace</c>.</summary>
    public static string Train(string metricKey) => TrainPrefix + metricKey;

    /// <summary>The key of a sharpness value measured on the evaluated test rows.</summary>
    public static string Test(string metricKey) => TestPrefix + metricKey;

    /// <summary>
    /// The batch size when the study's runs differ in it; the label noise when a run has some; accuracy, gap and loss (with label noise,
    /// also the training accuracy against the true labels and the flipped rows' memorization); the main sharpness measures of each
    /// <see cref="EvaluationSettings"/> measure set (training rows, then test rows), one column per ε or ρ asked for; training time.
    /// </summary>
    public static IReadOnlyList<ResultColumn> For(StudyDefinition study)
    {
        var columns = new List<ResultColumn>();
        var batches = study.ResolvedRuns().Where(run => run.Report != false)
            .Select(run => run.BatchFraction is { } f ? $"fraction {f}" : $"{run.ToOptions(0, study.Seeds[0], null).BatchSize}");
        if (batches.Distinct().Count() > 1) columns.Add(new("BatchSize", "batch", "0", ShowError: false));
        bool noisy = study.ResolvedRuns().Any(run => run.Report != false && run.NoiseFraction > 0);
        if (noisy) columns.Add(new("LabelNoise", "label noise", "P", ShowError: false));
        columns.AddRange(
        [
            new("TestAccuracy", "test accuracy", "P"),
            new("TrainAccuracy", noisy ? "train accuracy (labels trained on)" : "train accuracy", "P"),
            new("GeneralizationGap", "gap", "P"),
            new("TestLogLoss", "test log-loss", "F4"),
            new("TrainLogLoss", "train log-loss", "F4"),
        ]);
        if (noisy)
            columns.AddRange(
            [
                new("CleanTrainAccuracy", "train accuracy (true labels)", "P"),
                new("Memorized", "flipped rows memorized", "P", Required: false),
                new("FlippedCorrect", "flipped rows correct", "P", Required: false),
            ]);
        var evaluation = study.Evaluation;
        columns.AddRange(Sharpness(evaluation.ToOptions(evaluation.TrainMeasures, evaluation.TrainRows, study.Threads), Train, ""));
        columns.AddRange(Sharpness(evaluation.ToOptions(evaluation.TestMeasures, evaluation.TestRows, study.Threads), Test, "test "));
        columns.Add(new("TrainingSeconds", "training s", "F0"));
        return columns;
    }

    /// <summary>Checks that every result has a value for every column.</summary>
    /// <exception cref="StudyException">A result lacks a column the study asks for; the message names the column key, the run and the seed.</exception>
    public static void RequireValues(IReadOnlyList<ResultColumn> columns, IEnumerable<RunResult> results)
    {
        foreach (var result in results)
            foreach (var column in columns.Where(c => c.Required))
                if (RunSummary.Value(result, column.Key) is null)
                    throw new StudyException($"The result of run \"{result.Run}\" (seed {result.Seed}) has no \"{column.Key}\", which the study's evaluation asks for.");
    }

    /// <summary>The table's columns of the measures <paramref name="options"/> asks for, with the keys the evaluator gives them.</summary>
    private static IEnumerable<ResultColumn> Sharpness(SharpnessEvaluationOptions options, Func<string, string> key, string prefix)
    {
        ResultColumn Column(string metricKey, string heading) => new(key(metricKey), prefix + heading, "G4");
        bool Has(SharpnessMeasures measure) => options.Measures.HasFlag(measure);
        if (Has(SharpnessMeasures.KeskarFullSpace))
            foreach (double epsilon in options.KeskarEpsilons)
                yield return Column(Keys.Keskar(epsilon), $"Keskar ε={Exponent(epsilon)} full");
        if (Has(SharpnessMeasures.KeskarSubspace))
            foreach (double epsilon in options.KeskarEpsilons)
                yield return Column(Keys.Keskar(epsilon, options.KeskarSubspaceDimension), $"Keskar ε={Exponent(epsilon)} {options.KeskarSubspaceDimension}-d");
        if (Has(SharpnessMeasures.Sam))
            foreach (double rho in options.Rhos)
                yield return Column(Keys.Sam(rho, options.SamAscentSteps), $"SAM ρ={rho.ToString("G4", CultureInfo.InvariantCulture)}");
        if (Has(SharpnessMeasures.AdaptiveSam))
            foreach (double rho in options.Rhos)
                yield return Column(Keys.AdaptiveSam(rho, options.SamAscentSteps), $"ASAM ρ={rho.ToString("G4", CultureInfo.InvariantCulture)}");
        if (Has(SharpnessMeasures.HessianEigenvalues)) yield return Column(Keys.HessianEigenvalue(1), "Hessian λ₁");
        if (Has(SharpnessMeasures.HessianTrace)) yield return Column(Keys.HessianTrace, "Hessian trace");
        if (Has(SharpnessMeasures.Fisher)) yield return Column(Keys.EmpiricalFisherTrace, "emp. Fisher trace");
        if (Has(SharpnessMeasures.MinibatchGradients)) yield return Column(Keys.LocalGeneralization, "LGM");
    }

    /// <summary>A small setting such as ε as mantissa and exponent, e.g. <c>1e-3</c>, <c>5e-4</c>.</summary>
    private static string Exponent(double value) => value.ToString("0.###e0", CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.ML.Sharpness.Lab.Charts;
using Microsoft.ML.Sharpness.Lab.Charts.Drawing;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Lab.Reports;

/// <summary>
/// Writes a study's results: <c>results.csv</c> (every run × seed, every value), <c>summary.csv</c> and <c>summary.md</c>
/// (per run, mean ± standard error over seeds), the charts in <c>plots/</c> and a one-page <c>report.html</c>. A report of a
/// study whose shards have not all finished shows what has, and says which run × seed units and landscapes are missing.
/// </summary>
internal static class StudyReport
{
    /// <summary>
    /// Writes every file of the report into <paramref name="output"/>; <paramref name="missing"/> are the run × seed units that
    /// have not finished (none when the whole study ran in one process).
    /// </summary>
    /// <exception cref="StudyException">A reported result lacks a value the study asks for (<see cref="ResultColumns.RequireValues"/>); nothing is written.</exception>
    public static void Write(StudyDefinition study, string output, IReadOnlyList<RunResult> results, LandscapeResults landscapes,
        IReadOnlyList<StudyUnit>? missing = null)
    {
        var summaries = RunSummary.Of(study, results);
        var columns = ResultColumns.For(study);
        ResultColumns.RequireValues(columns, summaries.SelectMany(s => s.Results));
        var notFinished = NotFinished(missing ?? [], landscapes.Skipped);
        WriteResults(Path.Combine(output, "results.csv"), results);
        WriteSummaryCsv(Path.Combine(output, "summary.csv"), summaries, columns);
        var comparison = NoiseComparison.Of(study, summaries);
        string markdown = SummaryMarkdown(summaries, columns) + NoiseComparison.Markdown(comparison) + string.Concat(notFinished.Select(line => $"\n{line}\n"));
        File.WriteAllText(Path.Combine(output, "summary.md"), markdown);
        string plots = Path.Combine(output, "plots");
        var charts = ChartData.Write(plots, study, summaries, landscapes);
        ChartFolder.Draw(plots);
        File.WriteAllText(Path.Combine(output, "report.html"), Html(study, summaries, columns, charts, results, comparison, landscapes.Curves, notFinished));
    }

    /// <summary>
    /// The sentences that say what the report lacks: the run × seed units not finished (left out of every table and chart)
    /// and the landscapes not drawn; none for a finished study.
    /// </summary>
    private static IReadOnlyList<string> NotFinished(IReadOnlyList<StudyUnit> missing, IReadOnlyList<string> skippedLandscapes)
    {
        var lines = new List<string>();
        if (missing.Count > 0)
            lines.Add($"Not finished yet, so left out of the tables and charts ({missing.Count} run × seed): {string.Join(", ", missing)}.");
        if (skippedLandscapes.Count > 0)
            lines.Add($"Landscapes not drawn yet: {string.Join("; ", skippedLandscapes)}.");
        return lines;
    }

    /// <summary>Mean ± standard error as text in a column's format ("–" when missing).</summary>
    public static string Cell(SeedStatistic? value, ResultColumn column)
    {
        if (value is null) return "–";
        string format = column.Format;
        string Show(double v) => format == "P" ? (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %" : v.ToString(format, CultureInfo.InvariantCulture);
        return value.StandardError is double se && column.ShowError ? $"{Show(value.Mean)} ± {Show(se)}" : Show(value.Mean);
    }

    /// <summary>The summary as a Markdown table, one row per run.</summary>
    public static string SummaryMarkdown(IReadOnlyList<RunSummary> summaries, IReadOnlyList<ResultColumn> columns)
    {
        var text = new StringBuilder();
        text.Append("| run | seeds | ").AppendJoin(" | ", columns.Select(c => c.Heading)).Append(" |\n");
        text.Append("|---|---|").Append(string.Concat(columns.Select(_ => "---|"))).Append('\n');
        foreach (var s in summaries)
            text.Append($"| {s.Run} | {s.SeedsCell} | ").AppendJoin(" | ", columns.Select(c => Cell(s[c.Key], c))).Append(" |\n");
        return text.ToString();
    }

    /// <summary>The rows a sharpness evaluation used, as the results recorded them: "256", or "200–256" when runs differ.</summary>
    private static string RowsEvaluated(IEnumerable<IReadOnlyDictionary<string, double>> metrics)
    {
        var rows = metrics.Select(m => m.TryGetValue(SharpnessMetrics.Keys.Rows, out double n) ? (long?)n : null).OfType<long>().Distinct().Order().ToList();
        return rows.Count switch
        {
            0 => "no",
            1 => rows[0].ToString("N0", CultureInfo.InvariantCulture),
            _ => $"{rows[0].ToString("N0", CultureInfo.InvariantCulture)}–{rows[^1].ToString("N0", CultureInfo.InvariantCulture)}",
        };
    }

    private static void WriteResults(string path, IReadOnlyList<RunResult> results)
    {
        var trainKeys = results.SelectMany(r => r.TrainSharpness.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var testKeys = results.SelectMany(r => r.TestSharpness.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        string[] fixedColumns = ["run", "seed", "optimizer", "batch_size", "rho", "warm_start_from", "train_rows", "epochs", "train_accuracy", "train_log_loss",
            "test_accuracy", "test_log_loss", "generalization_gap", "training_seconds", "evaluation_seconds",
            "label_noise", "label_noise_kind", "flipped_rows", "clean_train_accuracy", "memorized", "flipped_correct"];
        // With the sharpness monitor on in some run: its last snapshot and its total seconds.
        bool monitored = results.Any(r => r.SharpnessHistory.Count > 0);
        string[] monitorColumns = monitored
            ? ["monitor_top_eigenvalue", "monitor_stability_threshold", "monitor_weight_norm", "monitor_sam_sharpness", "monitor_noise_trace", "monitor_seconds"]
            : [];
        IEnumerable<object?> Monitor(RunResult r) => !monitored ? [] : r.SharpnessHistory.LastOrDefault() is not { } last ? monitorColumns.Select(_ => (object?)null) :
            [last.TopEigenvalue, r.StabilityFactor / last.LearningRate, last.WeightNorm, last.SamSharpness, last.GradientNoiseTrace, r.SharpnessHistory.Sum(s => s.Seconds)];
        Csv.Write(path, [.. fixedColumns, .. monitorColumns, .. trainKeys.Select(ResultColumns.Train), .. testKeys.Select(ResultColumns.Test)],
            results.Select(r => (IReadOnlyList<object?>)
            [
                r.Run, r.Seed, r.Optimizer.ToString(), r.BatchSize, r.Rho, r.WarmStartFrom, r.TrainRows, r.History.Count, r.TrainAccuracy, r.TrainLogLoss,
                r.TestAccuracy, r.TestLogLoss, r.GeneralizationGap, r.TrainingSeconds, r.EvaluationSeconds,
                r.LabelNoise, r.LabelNoiseKind?.ToString(), r.FlippedRows, r.CleanTrainAccuracy, r.Memorized, r.FlippedCorrect, .. Monitor(r),
                .. trainKeys.Select(k => r.TrainSharpness.TryGetValue(k, out double v) ? (object?)v : null),
                .. testKeys.Select(k => r.TestSharpness.TryGetValue(k, out double v) ? (object?)v : null),
            ]));
    }

    private static void WriteSummaryCsv(string path, IReadOnlyList<RunSummary> summaries, IReadOnlyList<ResultColumn> columns) =>
        Csv.Write(path, ["run", "seeds", .. columns.SelectMany(c => new[] { c.Key, c.Key + " SE" })],
            summaries.Select(s => (IReadOnlyList<object?>)
                [s.Run, s.Results.Count, .. columns.SelectMany(c => new object?[] { s[c.Key]?.Mean, s[c.Key]?.StandardError })]));

    private static string Html(StudyDefinition study, IReadOnlyList<RunSummary> summaries, IReadOnlyList<ResultColumn> columns, IReadOnlyList<string> charts,
        IReadOnlyList<RunResult> results, IReadOnlyList<NoiseComparison.Row> comparison, IReadOnlyList<ConnectionCurve> curves, IReadOnlyList<string> notFinished)
    {
        string E(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(study.Name)}}</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
            .table-scroll { max-width: 100%; overflow-x: auto; border: 1px solid #ddd; }
            table { border-collapse: collapse; font-size: 0.85em; }
            th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: right; }
            th { background: #f3f3f3; min-width: 5em; vertical-align: bottom; }
            td { white-space: nowrap; }
            th:first-child, td:first-child { text-align: left; position: sticky; left: 0; }
            td:first-child { background: #fff; }
            figure { display: inline-block; margin: 0.5em; } img { width: 580px; border: 1px solid #eee; }
            figcaption { font-size: 0.85em; }
            .not-finished { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.4em 0.8em; }
            </style></head><body>
            <h1>{{E(study.Name)}}</h1>
            <p>{{E(study.Description)}}</p>
            """);
        var first = results.FirstOrDefault();
        html.Append($"<p>Data: <code>{E(study.DataFolder)}</code>, {first?.TrainRows:N0} training and {first?.TestRows:N0} test rows; seeds {string.Join(", ", study.Seeds)}; " +
            $"{E(first?.Machine ?? "")}. Values are means over seeds ± their standard error (one seed: the estimator's own standard error where it has one). " +
            $"Sharpness on {RowsEvaluated(results.Select(r => r.TrainSharpness))} training rows, measures marked test on " +
            $"{RowsEvaluated(results.Select(r => r.TestSharpness))} test rows" +
            (study.Evaluation.Profile == EvaluationProfile.Quick ? $" (quick profile: at most {QuickProfile.Rows} rows, the cheaper measures with fewer iterations, 1-D landscapes only)" : "") +
            ".</p>\n");
        html.Append("<h2>Results</h2>\n<div class=\"table-scroll\"><table><tr><th>run</th><th>seeds</th>");
        foreach (var c in columns) html.Append($"<th>{E(c.Heading)}</th>");
        html.Append("</tr>\n");
        foreach (var s in summaries)
        {
            html.Append($"<tr><td>{E(s.Run)}</td><td>{E(s.SeedsCell)}</td>");
            foreach (var c in columns) html.Append($"<td>{E(Cell(s[c.Key], c))}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table></div>\n");
        foreach (string line in notFinished) html.Append($"<p class=\"not-finished\">{E(line)}</p>\n");
        html.Append("<p>All numbers: <a href=\"results.csv\">results.csv</a>, <a href=\"summary.csv\">summary.csv</a>; each run's ")
            .Append("model, result and full sharpness metrics are in <code>runs/</code>.</p>\n").Append(NoiseComparison.Html(comparison));
        if (curves.Count > 0)
        {
            html.Append("<h2>Mode connectivity</h2>\n<p>Training-loss barrier max<sub>t</sub> L(t) − (L(0) + L(1))/2 along the trained quadratic Bézier curve " +
                "and along the straight line between two models (Garipov et al. 2018; BatchNorm statistics recomputed at each t).</p>\n" +
                "<div class=\"table-scroll\"><table><tr><th>from</th><th>to</th><th>line barrier</th><th>curve barrier</th><th>worst test accuracy, line</th><th>worst test accuracy, curve</th></tr>\n");
            foreach (var c in curves)
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(c.From)}</td><td>{E(c.To)}</td><td>{c.LineBarrier:F4}</td><td>{c.CurveBarrier:F4}</td>" +
                    $"<td>{c.TestLine.Min(p => p.Accuracy):P2}</td><td>{c.TestCurve.Min(p => p.Accuracy):P2}</td></tr>\n");
            html.Append("</table></div>\n");
        }
        html.Append("<h2>Charts</h2>\n");
        foreach (string chart in charts)
            html.Append($"<figure><a href=\"plots/{chart}.svg\"><img src=\"plots/{chart}.png\" alt=\"{E(chart)}\"></a>" +
                $"<figcaption>{E(chart)} (<a href=\"plots/{chart}.csv\">numbers</a>)</figcaption></figure>\n");
        html.Append("</body></html>\n");
        return html.ToString();
    }
}

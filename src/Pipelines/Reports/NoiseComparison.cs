using System.Globalization;
using System.Text;
using Microsoft.ML.Sharpness.Lab.Charts;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Lab.Reports;

/// <summary>
/// At each label-noise level of a study, every series that perturbs the weights (SAM, ASAM, m-SAM) against the most accurate plain-SGD
/// series at that level: the difference in clean test accuracy (mean over seeds) with its standard error √(SE₁² + SE₂²), and whether it
/// is a win: at least <see cref="MinimumGain"/> and more than two standard errors.
/// </summary>
internal static class NoiseComparison
{
    /// <summary>The smallest difference in test accuracy that counts as a win (2 points).</summary>
    public const double MinimumGain = 0.02;

    /// <summary>One comparison: at <paramref name="Noise"/>, <paramref name="Series"/> against <paramref name="Baseline"/>.</summary>
    internal sealed record Row(double Noise, string Series, double Accuracy, string Baseline, double BaselineAccuracy, double Difference, double? StandardError, int Seeds)
    {
        /// <summary>At least <see cref="MinimumGain"/> better and outside two standard errors (needs two seeds or more).</summary>
        public bool Wins => StandardError is double se && Difference >= MinimumGain && Difference > 2 * se;
    }

    /// <summary>The comparisons, by noise level; empty when the study has no SGD series or no perturbing series.</summary>
    public static IReadOnlyList<Row> Of(StudyDefinition study, IReadOnlyList<RunSummary> summaries)
    {
        var rows = new List<Row>();
        var series = NoiseSeries.Of(study, summaries);
        var points = series.SelectMany(s => s.Runs.Select(run => (Series: s.Name, Noise: run["LabelNoise"]!.Mean, Run: run,
            Optimizer: run.Results[0].Optimizer))).ToList();
        foreach (var level in points.GroupBy(p => p.Noise).OrderBy(g => g.Key))
        {
            var baseline = level.Where(p => p.Optimizer == SharpnessOptimizer.Sgd).MaxBy(p => p.Run["TestAccuracy"]!.Mean);
            if (baseline.Run is null) continue;
            var b = baseline.Run["TestAccuracy"]!;
            foreach (var p in level.Where(p => p.Optimizer != SharpnessOptimizer.Sgd))
            {
                var a = p.Run["TestAccuracy"]!;
                double? se = a.StandardError is double sa && b.StandardError is double sb && a.Seeds > 1 && b.Seeds > 1 ? Math.Sqrt(sa * sa + sb * sb) : null;
                rows.Add(new Row(level.Key, p.Series, a.Mean, baseline.Series, b.Mean, a.Mean - b.Mean, se, Math.Min(a.Seeds, b.Seeds)));
            }
        }
        return rows;
    }

    /// <summary>The comparisons as a Markdown section (empty text when there are none).</summary>
    public static string Markdown(IReadOnlyList<Row> rows)
    {
        if (rows.Count == 0) return "";
        string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        var text = new StringBuilder("\n## Against the best SGD at each label noise\n\n")
            .Append($"A win: at least {P(MinimumGain)} points of clean test accuracy above the most accurate SGD series, and more than two standard errors.\n\n")
            .Append("| label noise | series | test accuracy | best SGD | its accuracy | difference (points) | win |\n|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
            text.Append($"| {P(r.Noise)} % | {r.Series} | {P(r.Accuracy)} % | {r.Baseline} | {P(r.BaselineAccuracy)} % | ")
                .Append($"{(r.Difference >= 0 ? "+" : "")}{P(r.Difference)}{(r.StandardError is double se ? $" ± {P(se)}" : "")} | ")
                .Append(r.StandardError is null ? "– (one seed)" : r.Wins ? "**yes**" : "no").Append(" |\n");
        return text.ToString();
    }

    /// <summary>The comparisons as an HTML section (empty text when there are none).</summary>
    public static string Html(IReadOnlyList<Row> rows)
    {
        if (rows.Count == 0) return "";
        string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        string E(string text) => System.Net.WebUtility.HtmlEncode(text);
        var html = new StringBuilder("<h2>Against the best SGD at each label noise</h2>\n")
            .Append($"<p>A win: at least {P(MinimumGain)} points of clean test accuracy above the most accurate SGD series, and more than two standard errors.</p>\n")
            .Append("<div class=\"table-scroll\"><table><tr><th>label noise</th><th>series</th><th>test accuracy</th><th>best SGD</th><th>its accuracy</th><th>difference (points)</th><th>win</th></tr>\n");
        foreach (var r in rows)
            html.Append($"<tr><td>{P(r.Noise)} %</td><td>{E(r.Series)}</td><td>{P(r.Accuracy)} %</td><td>{E(r.Baseline)}</td><td>{P(r.BaselineAccuracy)} %</td>")
                .Append($"<td>{(r.Difference >= 0 ? "+" : "")}{P(r.Difference)}{(r.StandardError is double se ? $" ± {P(se)}" : "")}</td>")
                .Append($"<td>{(r.StandardError is null ? "– (one seed)" : r.Wins ? "<b>yes</b>" : "no")}</td></tr>\n");
        return html.Append("</table></div>\n").ToString();
    }
}

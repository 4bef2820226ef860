using Microsoft.ML.Sharpness.Lab.Reports;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Lab.Charts;

/// <summary>
/// Writes the numbers of every chart of a study as CSV into the plots folder; <see cref="Drawing.ChartFolder"/> then draws each CSV
/// file as PNG and SVG. The file name says what the chart is (see <see cref="Drawing.ChartPlots"/>).
/// </summary>
internal static class ChartData
{
    /// <summary>The sharpness the batch-size and ρ charts show (their axis says ε = 1e-3).</summary>
    private static readonly string KeskarKey = ResultColumns.Train(SharpnessMetrics.Keys.Keskar(1e-3));

    /// <summary>Writes the CSV of every chart the results and landscapes allow; returns the chart names.</summary>
    public static IReadOnlyList<string> Write(string folder, StudyDefinition study, IReadOnlyList<RunSummary> summaries, LandscapeResults landscapes)
    {
        var names = new List<string>();
        void Add(string name, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows) => names.Add(Write(folder, name, header, rows));

        if (summaries.Count > 0)
            Add("training-curves", ["run", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "learning_rate", "seconds"],
                summaries.SelectMany(s => s.Results[0].History.Select(h => (IReadOnlyList<object?>)
                    [s.Run, h.Epoch, h.TrainLoss, h.TrainAccuracy, h.ValidationLoss, h.ValidationAccuracy, h.LearningRate, h.Seconds])));

        foreach (var result in summaries.Select(s => s.Results[0]).Where(r => r.SharpnessHistory.Count > 0))
            names.AddRange(WriteMonitor(folder, result));

        var fromScratch = summaries.Where(s => s.Results[0].WarmStartFrom is null).ToList();
        if (fromScratch.Select(s => s.Results[0].BatchSize).Distinct().Count() > 1)
            Add("sharpness-vs-batch-size", ["run", "batch_size", "test_accuracy", "test_accuracy_se", "keskar_sharpness", "keskar_sharpness_se"],
                AgainstSetting(fromScratch, "BatchSize"));
        if (summaries.Where(s => s.Results[0].Optimizer == SharpnessOptimizer.Sam).Select(s => s.Results[0].Rho).Distinct().Count() > 1)
            Add("sharpness-vs-rho", ["run", "rho", "test_accuracy", "test_accuracy_se", "keskar_sharpness", "keskar_sharpness_se"],
                AgainstSetting([.. summaries.Where(s => s.Results[0].Optimizer is SharpnessOptimizer.Sam or SharpnessOptimizer.Sgd)], "Rho"));

        var noiseSeries = NoiseSeries.Of(study, summaries);
        if (noiseSeries.Count > 0)
        {
            Add("accuracy-vs-label-noise", ["series", "label_noise", "test_accuracy", "test_accuracy_se", "clean_train_accuracy", "memorized", "memorized_se", "seeds"],
                noiseSeries.SelectMany(series => series.Runs.Select(s => (IReadOnlyList<object?>)
                [
                    series.Name, s["LabelNoise"]!.Mean, s["TestAccuracy"]!.Mean, s["TestAccuracy"]!.StandardError, s["CleanTrainAccuracy"]?.Mean,
                    s["Memorized"]?.Mean, s["Memorized"]?.StandardError, s.Results.Count,
                ])));
            foreach (double noise in noiseSeries.SelectMany(series => series.Runs).Select(s => s["LabelNoise"]!.Mean).Where(n => n > 0).Distinct().Order())
                Add($"memorization-noise-{Math.Round(100 * noise)}", ["series", "epoch", "memorized", "flipped_correct", "test_accuracy", "seeds"],
                    noiseSeries.SelectMany(series => series.Runs.Where(s => s["LabelNoise"]!.Mean == noise).SelectMany(s => MemorizationCurve(series.Name, s))));
        }

        foreach (var curve in landscapes.Interpolations) names.Add(WriteInterpolation(folder, curve));
        if (landscapes.Directions.Count > 0) names.Add(WriteDirections(folder, landscapes.Directions));
        foreach (var (run, points) in landscapes.Surfaces) names.Add(WriteSurface(folder, run, points));
        if (landscapes.Spectra.Count > 0) names.Add(WriteSpectra(folder, landscapes.Spectra));
        foreach (var curve in landscapes.Curves) names.Add(WriteCurve(folder, curve));
        return names;
    }

    /// <summary>Per epoch, over seeds: the shares of flipped rows predicted as their noisy label and as their true label, and the test accuracy.</summary>
    private static IEnumerable<IReadOnlyList<object?>> MemorizationCurve(string series, RunSummary summary)
    {
        int epochs = summary.Results.Min(r => r.History.Count);
        for (int e = 0; e < epochs; e++)
        {
            var reports = summary.Results.Select(r => r.History[e]).ToList();
            double? Mean(string set) => reports.All(h => h.AdditionalValidation?.ContainsKey(set) == true)
                ? reports.Average(h => h.AdditionalValidation![set].Accuracy) : null;
            yield return [series, e + 1, Mean(NoisyTrainingData.MemorizedSet), Mean(NoisyTrainingData.FlippedCorrectSet),
                reports.Average(h => h.ValidationAccuracy ?? double.NaN), reports.Count];
        }
    }

    private static IEnumerable<IReadOnlyList<object?>> AgainstSetting(IReadOnlyList<RunSummary> summaries, string settingKey) =>
        summaries.Select(s => (Summary: s, Setting: s[settingKey]!.Mean)).OrderBy(p => p.Setting).Select(p => (IReadOnlyList<object?>)
        [
            p.Summary.Run, p.Setting, p.Summary["TestAccuracy"]!.Mean, p.Summary["TestAccuracy"]!.StandardError,
            p.Summary[KeskarKey]?.Mean, p.Summary[KeskarKey]?.StandardError,
        ]);

    /// <summary>
    /// Writes the first seed's monitor snapshots by step as <c>edge-of-stability-RUN.csv</c> (λ₁, the threshold c/η at each
    /// snapshot's learning rate, <see cref="EdgeOfStability"/>, empty for Adam, and the weight norm) and <c>sharpness-monitor-RUN.csv</c>
    /// (SAM sharpness, gradient-noise trace, loss on the sample); returns the chart names.
    /// </summary>
    private static IEnumerable<string> WriteMonitor(string folder, RunResult result)
    {
        string slug = StudyFolder.Slug(result.Run);
        yield return Write(folder, $"edge-of-stability-{slug}",
            ["run", "epoch", "step", "learning_rate", "top_eigenvalue", "stability_threshold", "threshold", "weight_norm"],
            result.SharpnessHistory.Select(s => (IReadOnlyList<object?>)
                [result.Run, s.Epoch, s.Step, s.LearningRate, s.TopEigenvalue, result.StabilityFactor / s.LearningRate, result.StabilityThreshold, s.WeightNorm]));
        yield return Write(folder, $"sharpness-monitor-{slug}",
            ["run", "epoch", "step", "sam_sharpness", "noise_trace", "loss"],
            result.SharpnessHistory.Select(s => (IReadOnlyList<object?>)[result.Run, s.Epoch, s.Step, s.SamSharpness, s.GradientNoiseTrace, s.Loss]));
    }

    /// <summary>Writes <c>interpolation-FROM-to-TO.csv</c> (α, train and test loss and accuracy); returns the chart name.</summary>
    private static string WriteInterpolation(string folder, InterpolationCurve curve) =>
        Write(folder, $"interpolation-{StudyFolder.Slug(curve.From)}-to-{StudyFolder.Slug(curve.To)}",
            ["from", "to", "alpha", "train_loss", "train_accuracy", "test_loss", "test_accuracy"],
            curve.Train.Zip(curve.Test, (train, test) => (IReadOnlyList<object?>)[curve.From, curve.To, train.X, train.Loss, train.Accuracy, test.Loss, test.Accuracy]));

    /// <summary>Writes <c>curve-FROM-to-TO.csv</c> (t, loss and accuracy along the Bézier curve and the line, train and test); returns the chart name.</summary>
    private static string WriteCurve(string folder, ConnectionCurve curve) =>
        Write(folder, $"curve-{StudyFolder.Slug(curve.From)}-to-{StudyFolder.Slug(curve.To)}",
            ["from", "to", "t", "curve_train_loss", "curve_train_accuracy", "line_train_loss", "line_train_accuracy",
                "curve_test_loss", "curve_test_accuracy", "line_test_loss", "line_test_accuracy"],
            curve.Curve.Select((point, i) => (IReadOnlyList<object?>)
            [
                curve.From, curve.To, point.X, point.Loss, point.Accuracy, curve.Line[i].Loss, curve.Line[i].Accuracy,
                curve.TestCurve[i].Loss, curve.TestCurve[i].Accuracy, curve.TestLine[i].Loss, curve.TestLine[i].Accuracy,
            ]));

    /// <summary>Writes <c>random-direction.csv</c>: one 1-D random-direction curve per run; returns the chart name.</summary>
    private static string WriteDirections(string folder, IReadOnlyDictionary<string, IReadOnlyList<LandscapePoint>> curves) =>
        Write(folder, "random-direction", ["run", "step", "loss", "accuracy"],
            curves.SelectMany(d => d.Value.Select(p => (IReadOnlyList<object?>)[d.Key, p.X, p.Loss, p.Accuracy])));

    /// <summary>Writes <c>surface-RUN.csv</c>: a 2-D random-direction landscape; returns the chart name.</summary>
    private static string WriteSurface(string folder, string run, IReadOnlyList<LandscapePoint> points) =>
        Write(folder, $"surface-{StudyFolder.Slug(run)}", ["run", "x", "y", "loss", "accuracy"],
            points.Select(p => (IReadOnlyList<object?>)[run, p.X, p.Y, p.Loss, p.Accuracy]));

    /// <summary>Writes <c>hessian-density.csv</c>: each run's Gaussian-smoothed SLQ density on one grid and kernel; returns the chart name.</summary>
    private static string WriteSpectra(string folder, IReadOnlyList<SpectrumResult> spectra)
    {
        var (sigma, from, to) = SpectralDensity.Range(spectra.SelectMany(s => s.Nodes));
        return Write(folder, "hessian-density", ["run", "eigenvalue", "density"], spectra.SelectMany(s =>
        {
            var (t, density) = SpectralDensity.Smooth(s.Nodes, s.Weights, sigma, from, to);
            return t.Zip(density, (x, d) => (IReadOnlyList<object?>)[s.Run, x, d]);
        }));
    }

    private static string Write(string folder, string name, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        Directory.CreateDirectory(folder);
        Csv.Write(Path.Combine(folder, name + ".csv"), header, rows);
        return name;
    }
}

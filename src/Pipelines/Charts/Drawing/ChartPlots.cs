using ScottPlot;

namespace Microsoft.ML.Sharpness.Lab.Charts.Drawing;

/// <summary>Draws one chart CSV of a sharpness-lab report; the file name (without extension) says which chart it is.</summary>
internal static class ChartPlots
{
    /// <summary>Draws <paramref name="csvPath"/> into <paramref name="files"/>; false when the file name is no known chart.</summary>
    public static bool Draw(string csvPath, ChartFiles files)
    {
        string name = Path.GetFileNameWithoutExtension(csvPath);
        var table = CsvTable.Read(csvPath);
        Plot? plot = name switch
        {
            "training-curves" => TrainingCurves(table),
            "sharpness-vs-batch-size" => AgainstSetting(table, "batch_size", "batch size", logX: true),
            "sharpness-vs-rho" => AgainstSetting(table, "rho", "SAM radius ρ (0 = SGD)", logX: false),
            "random-direction" => Directions(table),
            "hessian-density" => Spectra(table),
            "accuracy-vs-label-noise" => AgainstNoise(table),
            _ when name.StartsWith("memorization-noise-", StringComparison.Ordinal) => Memorization(table, name["memorization-noise-".Length..]),
            _ when name.StartsWith("edge-of-stability-", StringComparison.Ordinal) => EdgeOfStability(table),
            _ when name.StartsWith("sharpness-monitor-", StringComparison.Ordinal) => SharpnessMonitor(table),
            _ when name.StartsWith("interpolation-", StringComparison.Ordinal) => Interpolation(table),
            _ when name.StartsWith("curve-", StringComparison.Ordinal) => Curve(table),
            _ when name.StartsWith("surface-", StringComparison.Ordinal) => Surface(table),
            _ => null,
        };
        if (plot is null) return false;
        files.Save(plot, name);
        return true;
    }

    /// <summary>Train (dashed) and test (solid) accuracy per epoch, one colour per run.</summary>
    private static Plot TrainingCurves(CsvTable table)
    {
        var plot = NewPlot("Accuracy during training (first seed)", "epoch", "accuracy (%)");
        var runs = table.GroupBy("run").ToList();
        foreach (var ((run, rows), color) in runs.Zip(Palette(runs.Count)))
        {
            double[] epochs = [.. rows.Select(r => table.Number(r, "epoch"))];
            var test = plot.Add.Scatter(epochs, rows.Select(r => 100 * table.Number(r, "test_accuracy")).ToArray());
            test.Color = color;
            test.LegendText = $"{run} test";
            var train = plot.Add.Scatter(epochs, rows.Select(r => 100 * table.Number(r, "train_accuracy")).ToArray());
            train.Color = color;
            train.LinePattern = LinePattern.Dashed;
            train.MarkerSize = 0;
            train.LegendText = $"{run} train";
        }
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>
    /// The sharpness monitor's λ₁ by step against the edge-of-stability threshold c/η of the base optimizer (Cohen et al. 2021; the
    /// caption says which c, or that Adam has none for λ₁), and the weight norm on the right axis.
    /// </summary>
    private static Plot EdgeOfStability(CsvTable table)
    {
        var rows = table.Rows;
        string run = table.Text(rows[0], "run");
        var plot = NewPlot($"{run}: sharpness λ₁ and the edge of stability", $"step (threshold {table.Text(rows[0], "threshold")})", "λ₁ (monitor sample)");
        var palette = Palette(3);
        double[] steps = [.. rows.Select(r => table.Number(r, "step"))];
        var eigenvalue = plot.Add.Scatter(steps, rows.Select(r => table.Number(r, "top_eigenvalue")).ToArray());
        eigenvalue.LegendText = "λ₁";
        eigenvalue.Color = palette[0];
        double[] threshold = [.. rows.Select(r => table.Number(r, "stability_threshold"))];
        if (threshold.All(double.IsFinite))
        {
            var line = plot.Add.Scatter(steps, threshold);
            line.LegendText = "edge of stability c/η";
            line.Color = palette[1];
            line.LinePattern = LinePattern.Dashed;
            line.MarkerSize = 0;
        }
        var norm = plot.Add.Scatter(steps, rows.Select(r => table.Number(r, "weight_norm")).ToArray());
        norm.LegendText = "‖w‖₂ (right)";
        norm.Color = palette[2];
        norm.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "weight norm ‖w‖₂";
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>The sharpness monitor's SAM sharpness (left) and gradient-noise trace E‖g_B − ḡ‖² (right) by step.</summary>
    private static Plot SharpnessMonitor(CsvTable table)
    {
        var rows = table.Rows;
        var plot = NewPlot($"{table.Text(rows[0], "run")}: SAM sharpness and gradient noise", "step", "SAM sharpness L(w + ρg/‖g‖) − L(w)");
        var palette = Palette(2);
        double[] steps = [.. rows.Select(r => table.Number(r, "step"))];
        var sam = plot.Add.Scatter(steps, rows.Select(r => table.Number(r, "sam_sharpness")).ToArray());
        sam.LegendText = "SAM sharpness";
        sam.Color = palette[0];
        double[] noise = [.. rows.Select(r => table.Number(r, "noise_trace"))];
        if (noise.All(double.IsFinite))
        {
            var trace = plot.Add.Scatter(steps, noise);
            trace.LegendText = "noise trace (right)";
            trace.Color = palette[1];
            trace.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "gradient-noise trace E‖g_B − ḡ‖²";
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Keskar et al. (2017) Fig. 4 style: test accuracy (left) and ε-sharpness (right) against a setting, with standard-error bars.</summary>
    private static Plot AgainstSetting(CsvTable table, string column, string label, bool logX)
    {
        var plot = NewPlot($"Test accuracy and sharpness against {label}", logX ? $"{label} (log scale)" : label, "test accuracy (%)");
        double[] settings = [.. table.Rows.Select(r => table.Number(r, column))];
        double[] xs = [.. settings.Select(v => logX ? Math.Log2(v) : v)];
        var palette = Palette(2);
        Series(plot, xs, table.Rows.Select(r => 100 * table.Number(r, "test_accuracy")), table.Rows.Select(r => 100 * Zero(table.Number(r, "test_accuracy_se"))),
            "test accuracy", palette[0], MarkerShape.FilledCircle, plot.Axes.Left);
        if (table.Rows.All(r => !double.IsNaN(table.Number(r, "keskar_sharpness"))))
        {
            Series(plot, xs, table.Rows.Select(r => table.Number(r, "keskar_sharpness")), table.Rows.Select(r => Zero(table.Number(r, "keskar_sharpness_se"))),
                "Keskar ε-sharpness, ε = 1e-3 (right)", palette[1], MarkerShape.FilledSquare, plot.Axes.Right);
            plot.Axes.Right.Label.Text = "ε-sharpness (training rows)";
        }
        if (logX)
            plot.Axes.Bottom.SetTicks(xs, [.. settings.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture))]);
        plot.ShowLegend(Alignment.UpperCenter);
        return plot;
    }

    /// <summary>Clean test accuracy (solid, ± standard error) and the share of flipped training rows memorized (dashed, right) against label noise, one colour per series.</summary>
    private static Plot AgainstNoise(CsvTable table)
    {
        var plot = NewPlot("Accuracy and memorization against label noise", "training labels flipped (%)", "test accuracy, true labels (%)");
        var series = table.GroupBy("series").ToList();
        foreach (var ((name, rows), color) in series.Zip(Palette(series.Count)))
        {
            double[] noise = [.. rows.Select(r => 100 * table.Number(r, "label_noise"))];
            Series(plot, noise, rows.Select(r => 100 * table.Number(r, "test_accuracy")), rows.Select(r => 100 * Zero(table.Number(r, "test_accuracy_se"))),
                name, color, MarkerShape.FilledCircle, plot.Axes.Left);
            var noisy = rows.Where(r => !double.IsNaN(table.Number(r, "memorized"))).ToList(); // without noise nothing can be memorized
            var memorized = plot.Add.Scatter(noisy.Select(r => 100 * table.Number(r, "label_noise")).ToArray(), noisy.Select(r => 100 * table.Number(r, "memorized")).ToArray());
            memorized.Axes.YAxis = plot.Axes.Right;
            memorized.Color = color;
            memorized.LinePattern = LinePattern.Dashed;
            memorized.MarkerSize = 4;
            memorized.LegendText = $"{name}: memorized (right)";
        }
        plot.Axes.Right.Label.Text = "flipped rows predicted as their noisy label (%)";
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    /// <summary>Per epoch, one colour per series: the share of flipped rows predicted as their noisy label (solid) and the test accuracy (dashed).</summary>
    private static Plot Memorization(CsvTable table, string noise)
    {
        var plot = NewPlot($"Memorization during training, {noise} % of the labels flipped (mean over seeds)", "epoch", "%");
        var series = table.GroupBy("series").ToList();
        foreach (var ((name, rows), color) in series.Zip(Palette(series.Count)))
        {
            double[] epochs = [.. rows.Select(r => table.Number(r, "epoch"))];
            var memorized = plot.Add.Scatter(epochs, rows.Select(r => 100 * table.Number(r, "memorized")).ToArray());
            memorized.Color = color;
            memorized.MarkerSize = 3;
            memorized.LegendText = $"{name}: flipped rows memorized";
            var test = plot.Add.Scatter(epochs, rows.Select(r => 100 * table.Number(r, "test_accuracy")).ToArray());
            test.Color = color;
            test.LinePattern = LinePattern.Dashed;
            test.MarkerSize = 0;
            test.LegendText = $"{name}: test accuracy";
        }
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>Keskar et al. (2017) Fig. 3: loss (left) and accuracy (right) along (1 − α)·w_A + α·w_B on training (solid) and test (dashed) rows.</summary>
    private static Plot Interpolation(CsvTable table)
    {
        var first = table.Rows[0];
        var plot = NewPlot($"From {table.Text(first, "from")} (α = 0) to {table.Text(first, "to")} (α = 1)", "α", "cross-entropy");
        double[] alphas = [.. table.Rows.Select(r => table.Number(r, "alpha"))];
        var palette = Palette(2);
        foreach (var (rows, pattern) in new[] { ("train", LinePattern.Solid), ("test", LinePattern.Dashed) })
        {
            var loss = plot.Add.Scatter(alphas, table.Rows.Select(r => table.Number(r, $"{rows}_loss")).ToArray());
            loss.LegendText = $"{rows} loss";
            loss.Color = palette[0];
            loss.LinePattern = pattern;
            loss.MarkerSize = 3;
            var accuracy = plot.Add.Scatter(alphas, table.Rows.Select(r => 100 * table.Number(r, $"{rows}_accuracy")).ToArray());
            accuracy.Axes.YAxis = plot.Axes.Right;
            accuracy.LegendText = $"{rows} accuracy (right)";
            accuracy.Color = palette[1];
            accuracy.LinePattern = pattern;
            accuracy.MarkerSize = 3;
        }
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.ShowLegend(Alignment.UpperCenter);
        return plot;
    }

    /// <summary>
    /// Garipov et al. (2018) Fig. 2 style: loss (left) and accuracy (right) along the trained Bézier curve and the straight line between two
    /// models, on training (solid) and test (dashed) rows.
    /// </summary>
    private static Plot Curve(CsvTable table)
    {
        var first = table.Rows[0];
        var plot = NewPlot($"Bézier curve and line from {table.Text(first, "from")} (t = 0) to {table.Text(first, "to")} (t = 1)", "t", "cross-entropy");
        double[] ts = [.. table.Rows.Select(r => table.Number(r, "t"))];
        var palette = Palette(4);
        foreach (var (path, index) in new[] { ("curve", 0), ("line", 1) })
            foreach (var (rows, pattern) in new[] { ("train", LinePattern.Solid), ("test", LinePattern.Dashed) })
            {
                var loss = plot.Add.Scatter(ts, table.Rows.Select(r => table.Number(r, $"{path}_{rows}_loss")).ToArray());
                loss.LegendText = $"{path} {rows} loss";
                loss.Color = palette[index];
                loss.LinePattern = pattern;
                loss.MarkerSize = 3;
                var accuracy = plot.Add.Scatter(ts, table.Rows.Select(r => 100 * table.Number(r, $"{path}_{rows}_accuracy")).ToArray());
                accuracy.Axes.YAxis = plot.Axes.Right;
                accuracy.LegendText = $"{path} {rows} accuracy (right)";
                accuracy.Color = palette[index + 2];
                accuracy.LinePattern = pattern;
                accuracy.MarkerSize = 3;
            }
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.ShowLegend(Edge.Right); // eight entries would hide the middle of the curves
        return plot;
    }

    /// <summary>Li et al. (2018): training loss along a filter-normalized random direction, one curve per run.</summary>
    private static Plot Directions(CsvTable table)
    {
        var plot = NewPlot("Training loss along a filter-normalized random direction", "step along the direction", "cross-entropy");
        var runs = table.GroupBy("run").ToList();
        foreach (var ((run, rows), color) in runs.Zip(Palette(runs.Count)))
        {
            var line = plot.Add.Scatter(rows.Select(r => table.Number(r, "step")).ToArray(), rows.Select(r => table.Number(r, "loss")).ToArray());
            line.LegendText = run;
            line.Color = color;
            line.MarkerSize = 3;
        }
        plot.ShowLegend(Alignment.UpperCenter);
        return plot;
    }

    /// <summary>Li et al. (2018): log₁₀ training loss over two filter-normalized random directions, as a heat map with contour lines.</summary>
    private static Plot Surface(CsvTable table)
    {
        double[] xs = [.. table.Rows.Select(r => table.Number(r, "x")).Distinct().Order()];
        double[] ys = [.. table.Rows.Select(r => table.Number(r, "y")).Distinct().Order()];
        var loss = table.Rows.ToDictionary(r => (table.Number(r, "x"), table.Number(r, "y")), r => Math.Log10(table.Number(r, "loss")));
        var heat = new double[ys.Length, xs.Length];
        var coordinates = new Coordinates3d[ys.Length, xs.Length];
        for (int j = 0; j < ys.Length; j++)
            for (int i = 0; i < xs.Length; i++)
            {
                heat[ys.Length - 1 - j, i] = loss[(xs[i], ys[j])]; // heat-map rows run top to bottom
                coordinates[j, i] = new Coordinates3d(xs[i], ys[j], loss[(xs[i], ys[j])]);
            }
        var plot = NewPlot($"{table.Text(table.Rows[0], "run")}: training loss over two random directions", "direction 1", "direction 2");
        var map = plot.Add.Heatmap(heat);
        map.Extent = new CoordinateRect(xs[0], xs[^1], ys[0], ys[^1]);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(map).Label = "log₁₀ cross-entropy";
        var contours = plot.Add.ContourLines(coordinates);
        contours.LineColor = Colors.White.WithAlpha(0.8);
        plot.Axes.SquareUnits();
        return plot;
    }

    /// <summary>Hessian eigenvalue densities (SLQ, Gaussian-smoothed) on a log axis, one curve per run (Foret et al. 2021, Fig. 3).</summary>
    private static Plot Spectra(CsvTable table)
    {
        var plot = NewPlot("Hessian eigenvalue density (training rows)", "eigenvalue", "log₁₀ density");
        var runs = table.GroupBy("run").ToList();
        foreach (var ((run, rows), color) in runs.Zip(Palette(runs.Count)))
        {
            var line = plot.Add.Scatter(rows.Select(r => table.Number(r, "eigenvalue")).ToArray(),
                rows.Select(r => Math.Log10(Math.Max(table.Number(r, "density"), DensityFloor))).ToArray());
            line.LegendText = run;
            line.Color = color;
            line.MarkerSize = 0;
        }
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.SetLimitsY(Math.Log10(DensityFloor), plot.Axes.GetLimits().Top + 0.5);
        return plot;
    }

    /// <summary>Densities below this are drawn at it: the Gaussian tails between distant nodes would otherwise fill the log axis.</summary>
    private const double DensityFloor = 1e-8;

    private static void Series(Plot plot, double[] xs, IEnumerable<double> ys, IEnumerable<double> errors, string legend, Color color, MarkerShape marker, IYAxis axis)
    {
        double[] values = [.. ys];
        var line = plot.Add.Scatter(xs, values);
        line.LegendText = legend;
        line.Color = color;
        line.MarkerShape = marker;
        line.MarkerSize = 8;
        line.Axes.YAxis = axis;
        var bars = plot.Add.ErrorBar(xs, values, [.. errors]);
        bars.Color = color;
        bars.Axes.YAxis = axis;
    }

    private static double Zero(double value) => double.IsNaN(value) ? 0 : value;

    private static Plot NewPlot(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    private static Color[] Palette(int count)
    {
        var palette = new ScottPlot.Palettes.Category10();
        return [.. Enumerable.Range(0, count).Select(palette.GetColor)];
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Sharpness;

namespace LandscapeSample;

/// <summary>
/// Charts of the landscapes: their numbers as CSV in the layout <c>sharpness-plots</c> reads (the file name says which
/// chart), drawn as PNG and SVG by that tool, which the build copies into <c>plot-tool/</c> next to this sample.
/// </summary>
public static partial class LandscapeModel
{
    /// <summary>Writes <c>interpolation-FROM-to-TO.csv</c>: α with the loss and accuracy on training and test rows.</summary>
    public static void WriteInterpolation(string folder, string from, string to, LossLandscape train, LossLandscape test) =>
        WriteCsv(folder, $"interpolation-{from.ToLowerInvariant()}-to-{to.ToLowerInvariant()}", ["from", "to", "alpha", "train_loss", "train_accuracy", "test_loss", "test_accuracy"],
            train.Points.Zip(test.Points, (a, b) => new object[] { from, to, a.X, a.Loss, a.Accuracy, b.Loss, b.Accuracy }));

    /// <summary>Writes <c>random-direction.csv</c>: one 1-D random-direction curve per model.</summary>
    public static void WriteDirections(string folder, IReadOnlyDictionary<string, LossLandscape> curves) =>
        WriteCsv(folder, "random-direction", ["run", "step", "loss", "accuracy"],
            curves.SelectMany(curve => curve.Value.Points.Select(p => new object[] { curve.Key, p.X, p.Loss, p.Accuracy })));

    /// <summary>Writes <c>surface-NAME.csv</c>: a 2-D random-direction landscape.</summary>
    public static void WriteSurface(string folder, string name, LossLandscape surface) =>
        WriteCsv(folder, $"surface-{name.ToLowerInvariant()}", ["run", "x", "y", "loss", "accuracy"],
            surface.Points.Select(p => new object[] { name, p.X, p.Y, p.Loss, p.Accuracy }));

    /// <summary>Runs <c>dotnet plot-tool/sharpness-plots.dll FOLDER</c>; returns what it printed (one line per chart).</summary>
    /// <exception cref="InvalidOperationException">The tool is missing or failed.</exception>
    public static string DrawCharts(string folder)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "plot-tool", "sharpness-plots.dll");
        if (!File.Exists(tool))
            throw new InvalidOperationException($"The plot tool is missing at '{tool}'; build this sample (SharpnessUsesPlotTool publishes it there).");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        start.ArgumentList.Add(tool);
        start.ArgumentList.Add(folder);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"sharpness-plots failed (exit code {process.ExitCode}).");
        return output;
    }

    private static void WriteCsv(string folder, string name, IReadOnlyList<string> header, IEnumerable<object[]> rows)
    {
        Directory.CreateDirectory(folder);
        string Field(object value) => value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture)!;
        File.WriteAllLines(Path.Combine(folder, name + ".csv"), [string.Join(',', header), .. rows.Select(row => string.Join(',', row.Select(Field)))]);
    }
}

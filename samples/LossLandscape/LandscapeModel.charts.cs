using System.Globalization;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Sharpness.Lab.Charts.Drawing;

namespace LandscapeSample;

/// <summary>
/// Charts of the landscapes: their numbers as CSV in the layout the lab's chart code reads (the file name says which
/// chart), drawn as PNG and SVG by that code (src/Pipelines/Charts/Drawing, compiled into this sample).
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

    /// <summary>Draws every chart CSV of <paramref name="folder"/> as PNG and SVG with the lab's chart code; returns one line per chart.</summary>
    public static string DrawCharts(string folder) => string.Concat(ChartFolder.Draw(folder).Select(line => line + Environment.NewLine));

    private static void WriteCsv(string folder, string name, IReadOnlyList<string> header, IEnumerable<object[]> rows)
    {
        Directory.CreateDirectory(folder);
        string Field(object value) => value is double d ? d.ToString("R", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture)!;
        File.WriteAllLines(Path.Combine(folder, name + ".csv"), [string.Join(',', header), .. rows.Select(row => string.Join(',', row.Select(Field)))]);
    }
}

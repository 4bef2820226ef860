namespace Microsoft.ML.Sharpness.Lab.Charts.Drawing;

/// <summary>Draws every chart CSV of a folder (training-curves.csv, interpolation-*.csv, …) as PNG and SVG with ScottPlot.</summary>
internal static class ChartFolder
{
    /// <summary>Draws each known chart CSV in <paramref name="folder"/>, in file-name order; returns one line per chart drawn.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IReadOnlyList<string> Draw(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The chart folder '{folder}' does not exist.");
        var files = new ChartFiles(folder);
        var drawn = new List<string>();
        foreach (string csv in Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal))
            if (ChartPlots.Draw(csv, files))
                drawn.Add($"{Path.GetFileNameWithoutExtension(csv)}: {ChartFiles.Width}×{ChartFiles.Height} PNG and SVG");
        return drawn;
    }
}

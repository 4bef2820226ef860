using System.Diagnostics;

namespace Microsoft.ML.Sharpness.Lab.Charts;

/// <summary>
/// Runs <c>sharpness-plots</c> (src/Pipelines.Plots), which draws every chart CSV of a folder as PNG and SVG with ScottPlot,
/// in its own process: ScottPlot needs SkiaSharp 3 and ML.NET's ImageAnalytics SkiaSharp 2.88, and a process loads only one.
/// The build copies the tool into the <c>plot-tool</c> folder next to this assembly.
/// </summary>
internal static class PlotTool
{
    /// <summary>The tool's assembly, next to this one.</summary>
    private static string Location => Path.Combine(AppContext.BaseDirectory, "plot-tool", "sharpness-plots.dll");

    /// <summary>Draws every chart CSV in <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidOperationException">The tool is missing or failed.</exception>
    public static void Draw(string folder)
    {
        if (!File.Exists(Location))
            throw new InvalidOperationException($"The plot tool is missing at '{Location}'; build with the repository's Directory.Build.targets (SharpnessUsesPlotTool).");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Location);
        start.ArgumentList.Add(folder);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"sharpness-plots failed (exit code {process.ExitCode}): {errors.Result}{output}");
    }
}

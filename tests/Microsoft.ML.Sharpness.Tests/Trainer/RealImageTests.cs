using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

/// <summary>The shipped Fashion-MNIST PNG subset (500 training, 200 test images) read through ImageAnalytics, as a user's image folder would be.</summary>
[TestClass]
public sealed class RealImageTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-small");

    private sealed class ImageRow
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
        [LoadColumn(1)] public string Label { get; set; } = "";
    }

    [TestMethod]
    [DataRow(SharpnessOptimizer.Sgd)]
    [DataRow(SharpnessOptimizer.Sam)]
    public void FashionMnistPngSubsetIsLearnedClearlyAboveChance(SharpnessOptimizer optimizer)
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromTextFile<ImageRow>(Path.Combine(Folder, "train.tsv"), separatorChar: '\t', hasHeader: true);
        var test = ml.Data.LoadFromTextFile<ImageRow>(Path.Combine(Folder, "test.tsv"), separatorChar: '\t', hasHeader: true);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", Folder, "ImagePath"))
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                Optimizer = optimizer, Epochs = 8, BatchSize = 32, NumberOfThreads = 2,
            }));
        var model = pipeline.Fit(train);

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine($"{optimizer}: test micro-accuracy {metrics.MicroAccuracy:P1}, log-loss {metrics.LogLoss:F3}");
        Assert.AreEqual(10, metrics.PerClassLogLoss.Count);
        Assert.IsGreaterThan(0.6, metrics.MicroAccuracy, "chance is 0.1");
        Assert.IsLessThan(Math.Log(10), metrics.LogLoss, "better than the uniform prediction's log-loss");
    }
}

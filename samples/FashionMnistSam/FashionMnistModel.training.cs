using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Transforms.Image;

namespace FashionMnistSam;

/// <summary>Training side, as Model Builder lays it out: the pipeline, training and evaluation.</summary>
public static partial class FashionMnistModel
{
    /// <summary>Image files → 1×28×28 pixels in [0, 1] → SamImageClassifier → the predicted class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, string imageFolder, SamImageClassifierOptions options) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath"))
            .Append(mlContext.Transforms.ResizeImages("Image", 28, 28))
            .Append(mlContext.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red,
                interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(mlContext.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>Reads an index file of (ImagePath, Label) rows.</summary>
    public static IDataView LoadIndex(MLContext mlContext, string indexFile) =>
        mlContext.Data.LoadFromTextFile<ModelInput>(indexFile, separatorChar: '\t', hasHeader: true);

    /// <summary>Trains one model and returns it with its test metrics and training time.</summary>
    public static (ITransformer Model, MulticlassClassificationMetrics Metrics, TimeSpan Time) TrainAndEvaluate(
        MLContext mlContext, string imageFolder, IDataView train, IDataView test, SamImageClassifierOptions options)
    {
        var clock = Stopwatch.StartNew();
        ITransformer model = BuildPipeline(mlContext, imageFolder, options).Fit(train);
        clock.Stop();
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test), topKPredictionCount: 3);
        return (model, metrics, clock.Elapsed);
    }

    /// <summary>
    /// How sharp the minimum is: EvaluateWithSharpness on 1,000 training images (shuffled with a fixed seed, since the index
    /// lists images class by class), with the default measures.
    /// </summary>
    public static SharpnessMetrics EvaluateSharpness(MLContext mlContext, ITransformer model, IDataView train) =>
        mlContext.MulticlassClassification.EvaluateWithSharpness(model, mlContext.Data.ShuffleRows(train, seed: 1),
            new SharpnessEvaluationOptions { MaxRows = 1000 });
}

using Microsoft.ML;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Transforms.Image;

namespace LandscapeSample;

/// <summary>Training side: the image pipeline and the two models whose landscapes are drawn.</summary>
public static partial class LandscapeModel
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

    /// <summary>Trains the ConvNet with <paramref name="optimizer"/> (10 epochs, batch 128, lr 0.05 cosine, ρ = 0.05, seed 1).</summary>
    public static ITransformer Train(MLContext mlContext, string imageFolder, IDataView train, SharpnessOptimizer optimizer, int epochs) =>
        BuildPipeline(mlContext, imageFolder, new SamImageClassifierOptions
        {
            Optimizer = optimizer,
            Architecture = ImageClassifierArchitecture.ConvNet,
            Epochs = epochs,
            BatchSize = 128,
            LearningRate = 0.05f,
            Rho = 0.05f,
            Progress = new Progress<TrainingEpochReport>(report => Console.WriteLine($"  {optimizer}: {report}")),
        }).Fit(train);
}

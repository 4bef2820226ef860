using Microsoft.ML;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Transforms.Image;

namespace TransferLearning;

/// <summary>Training side, as Model Builder lays it out: the pretrained model's input, the pipeline, training and evaluation.</summary>
public static partial class TransferModel
{
    /// <summary>The image shape an ONNX classifier takes (imported once to read it).</summary>
    public static SamImageClassifierModelInfo DescribeOnnx(string onnxPath)
    {
        using var model = SamImageClassifierModel.FromOnnxFile(onnxPath);
        return model.Info;
    }

    /// <summary>
    /// Fine-tuning options: the pretrained backbone learns at 0.1× the learning rate, its new head at the full rate; 3-channel
    /// (ImageNet) models get ImageNet's normalization inside the network. Without <paramref name="pretrained"/>: the same
    /// ResNet-8 trained from scratch with the same budget.
    /// </summary>
    public static SamImageClassifierOptions Options(string? pretrained, SamImageClassifierModelInfo input, SharpnessOptimizer optimizer, int epochs) => new()
    {
        PretrainedModelPath = pretrained,
        InputNormalization = pretrained is not null && input.Channels == 3 ? InputNormalization.ImageNet : null,
        Architecture = ImageClassifierArchitecture.ResNet,
        ResNetBlocksPerStage = 1,
        Optimizer = optimizer,
        Rho = 0.05f,
        Epochs = epochs,
        BatchSize = 20,
        LearningRate = 0.05f,
    };

    /// <summary>Image files → C×H×W pixels in [0, 1] (the pretrained model's shape) → SamImageClassifier → the predicted class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, string imageFolder, SamImageClassifierModelInfo input, SamImageClassifierOptions options) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath"))
            .Append(mlContext.Transforms.ResizeImages("Image", input.Width, input.Height))
            .Append(mlContext.Transforms.ExtractPixels("Features", "Image",
                input.Channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
                interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(mlContext.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>Reads an index file of (ImagePath, Label) rows, keeping only <paramref name="classes"/> (all when null) and the first <paramref name="perClass"/> rows of each.</summary>
    public static IDataView LoadIndex(MLContext mlContext, string indexFile, string[]? classes, int? perClass)
    {
        var rows = mlContext.Data.CreateEnumerable<ModelInput>(mlContext.Data.LoadFromTextFile<ModelInput>(indexFile, separatorChar: '\t', hasHeader: true), reuseRowObject: false)
            .Where(r => classes is null || classes.Contains(r.Label))
            .GroupBy(r => r.Label)
            .SelectMany(g => perClass is { } n ? g.Take(n) : g)
            .ToArray();
        return mlContext.Data.LoadFromEnumerable(rows);
    }

    /// <summary>Trains one model and returns it with its test accuracy.</summary>
    public static (ITransformer Model, double Accuracy) TrainAndEvaluate(MLContext mlContext, string imageFolder, SamImageClassifierModelInfo input,
        IDataView train, IDataView test, SamImageClassifierOptions options)
    {
        options.Progress = new Progress<TrainingEpochReport>(report => { if (report.Epoch % 10 == 0) Console.WriteLine($"  {report}"); });
        ITransformer model = BuildPipeline(mlContext, imageFolder, input, options).Fit(train);
        return (model, mlContext.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy);
    }
}

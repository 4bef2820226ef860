using Microsoft.ML;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Transforms.Image;

namespace TransferLearning;

/// <summary>Training side, as Model Builder lays it out: the pretrained model's input, the pipelines, training and evaluation.</summary>
public static partial class TransferModel
{
    /// <summary>The pretrained network to fine-tune: an ONNX file, its preprocessing graph (or none) and the image shape it takes.</summary>
    public sealed record Pretrained(string Path, string? Preprocessing, SamImageClassifierModelInfo Input)
    {
        /// <summary>ML.NET's ImageNet ResNet-18 (package Microsoft.ML.DnnImageFeaturizer.ResNet18) with its preprocessing: 0–255 RGB at 224×224.</summary>
        public static Pretrained ResNet18ImageNet() => Describe(PretrainedModels.ResNet18ImageNet, PretrainedModels.ResNet18ImageNetPreprocessing);

        /// <summary>An ONNX file of your own; it reads pixels in [0, 1] (ImageNet's normalization added for 3-channel models).</summary>
        public static Pretrained Describe(string path, string? preprocessing = null)
        {
            using var model = SamImageClassifierModel.FromOnnxFile(path);
            return new(path, preprocessing, model.Info);
        }
    }

    /// <summary>
    /// Fine-tuning options. With <paramref name="linearProbe"/>: the head alone on the frozen backbone (each image passes the
    /// backbone once), 30 epochs; under SAM with ρ = 5, which the head on ResNet-18's unnormalized 512 features needs to resist
    /// noisy labels (docs/reproductions.md). Otherwise the whole network, 10 epochs: the backbone at 0.01× the learning rate with
    /// its BatchNorm statistics frozen (a few images per class make noisy batch statistics), ε (under SAM) on the head alone.
    /// SGD with momentum, learning rate 0.01 cosine, batch 16.
    /// </summary>
    public static SamImageClassifierOptions FineTuneOptions(Pretrained pretrained, SharpnessOptimizer optimizer, bool linearProbe) => new()
    {
        PretrainedModelPath = pretrained.Path,
        PretrainedPreprocessingPath = pretrained.Preprocessing,
        InputNormalization = pretrained.Preprocessing is null && pretrained.Input.Channels == 3 ? InputNormalization.ImageNet : null,
        FreezeBackbone = linearProbe,
        FreezeBackboneStatistics = !linearProbe,
        PerturbBackbone = false,
        BackboneLearningRateScale = 0.01f,
        Optimizer = optimizer,
        Rho = linearProbe ? 5f : 0.05f,
        LearningRate = 0.01f,
        Epochs = linearProbe ? 30 : 10,
        BatchSize = 16,
    };

    /// <summary>Image files → the pretrained model's pixels (0–255 for a model with a preprocessing graph, else [0, 1]) → SamImageClassifier → the predicted class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, string imageFolder, Pretrained pretrained, SamImageClassifierOptions options) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(LoadPixels(mlContext, imageFolder, pretrained, "Features"))
            .Append(mlContext.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>
    /// ML.NET's own transfer-learning recipe, for comparison: 224×224 pixels → DnnFeaturizeImage(ResNet18) → a linear classifier
    /// (SdcaMaximumEntropy) on the 512 features.
    /// </summary>
    public static IEstimator<ITransformer> BuildRecipePipeline(MLContext mlContext, string imageFolder) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath"))
            .Append(mlContext.Transforms.ResizeImages("Image", 224, 224))
            .Append(mlContext.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(mlContext.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(mlContext, m.OutputColumn, m.InputColumn), "Pixels"))
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy())
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    private static IEstimator<ITransformer> LoadPixels(MLContext mlContext, string imageFolder, Pretrained pretrained, string column)
    {
        var input = pretrained.Input;
        var pixels = pretrained.Preprocessing is not null
            ? mlContext.Transforms.ExtractPixels(column, "Image")
            : mlContext.Transforms.ExtractPixels(column, "Image",
                input.Channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
                interleavePixelColors: false, scaleImage: 1f / 255);
        return mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath")
            .Append(mlContext.Transforms.ResizeImages("Image", input.Width, input.Height))
            .Append(pixels);
    }

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

    /// <summary>Trains one pipeline and returns the model, its test accuracy and the seconds Fit took.</summary>
    public static (ITransformer Model, double Accuracy, double Seconds) TrainAndEvaluate(MLContext mlContext, IEstimator<ITransformer> pipeline, IDataView train, IDataView test)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        ITransformer model = pipeline.Fit(train);
        double seconds = watch.Elapsed.TotalSeconds;
        return (model, mlContext.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy, seconds);
    }
}

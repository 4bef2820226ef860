using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;

namespace ColorShapes;

/// <summary>Training side, as Model Builder lays it out: the pipeline, training and evaluation.</summary>
public static partial class ColorShapesModel
{
    /// <summary>Colour image files → 3×S×S pixels in [0, 1] (R, G, B planes) → SamImageClassifier → the predicted class name.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, string imageFolder, int imageSize, SamImageClassifierOptions options) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath"))
            .Append(mlContext.Transforms.ResizeImages("Image", imageSize, imageSize))
            .Append(mlContext.Transforms.ExtractPixels("Features", "Image", interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(mlContext.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>
    /// ResNet-18 (the ImageNet stem at 64 px and above) with random crop + flip, AdamW under SAM, a tenth of the training images
    /// held out for early stopping, checkpoints in <paramref name="checkpointFolder"/> so that a stopped run resumes.
    /// </summary>
    public static SamImageClassifierOptions Options(int epochs, string? checkpointFolder) => new()
    {
        Architecture = ImageClassifierArchitecture.ResNet18,
        Augmentation = ImageAugmentation.CropAndFlip,
        AugmentationPadding = 4,
        Optimizer = SharpnessOptimizer.Sam,
        Rho = 0.05f,
        BaseOptimizer = BaseOptimizer.AdamW,
        LearningRate = 1e-3f,
        WeightDecay = 0.05f,
        Epochs = epochs,
        BatchSize = 64,
        ValidationFraction = 0.1,
        EarlyStoppingPatience = 3,
        CheckpointDirectory = checkpointFolder,
        Progress = new Progress<TrainingEpochReport>(report => Console.WriteLine($"  {report}")),
    };

    /// <summary>
    /// The same task by transfer learning: colour image files → 224×224 pixels as ML.NET's ImageNet ResNet-18 takes them
    /// (<c>ExtractPixels</c>' defaults: R, G, B planes, 0–255) → SamImageClassifier on that network (the package
    /// Microsoft.ML.DnnImageFeaturizer.ResNet18, which this sample references, ships it) → the predicted class name.
    /// </summary>
    public static IEstimator<ITransformer> BuildTransferPipeline(MLContext mlContext, string imageFolder, SamImageClassifierOptions options) =>
        mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath"))
            .Append(mlContext.Transforms.ResizeImages("Image", 224, 224))
            .Append(mlContext.Transforms.ExtractPixels("Features", "Image"))
            .Append(mlContext.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>
    /// Transfer from ML.NET's ImageNet ResNet-18 (<see cref="PretrainedModels.ResNet18ImageNet"/>, with its preprocessing inside the
    /// network): a new 5-class head on the frozen backbone (each image passes the backbone once), 30 epochs of SGD under SAM with
    /// ρ = 5, the radius the head on ResNet-18's unnormalized 512 features needs (docs/reproductions.md).
    /// </summary>
    public static SamImageClassifierOptions TransferOptions() => new()
    {
        PretrainedModelPath = PretrainedModels.ResNet18ImageNet,
        PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing,
        FreezeBackbone = true,
        Optimizer = SharpnessOptimizer.Sam,
        Rho = 5f,
        LearningRate = 0.01f,
        Epochs = 30,
        BatchSize = 16,
    };

    /// <summary>Reads an index file of (ImagePath, Label) rows.</summary>
    public static IDataView LoadIndex(MLContext mlContext, string indexFile) =>
        mlContext.Data.LoadFromTextFile<ModelInput>(indexFile, separatorChar: '\t', hasHeader: true);

    /// <summary>Trains and returns the model with its test metrics.</summary>
    public static (ITransformer Model, MulticlassClassificationMetrics Metrics) TrainAndEvaluate(
        MLContext mlContext, IEstimator<ITransformer> pipeline, IDataView train, IDataView test)
    {
        ITransformer model = pipeline.Fit(train);
        return (model, mlContext.MulticlassClassification.Evaluate(model.Transform(test)));
    }
}

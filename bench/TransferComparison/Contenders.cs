using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>What one pipeline gave on one training set: test accuracy, the seconds its Fit took and the seconds scoring the test set took.</summary>
internal sealed record ContenderResult(string Contender, double Accuracy, double FitSeconds, double ScoreSeconds);

/// <summary>Settings of SharpnessML's contenders that the command line can change (the rest are in <see cref="Contenders"/>).</summary>
internal sealed record FineTuneSettings(
    int FineTuneEpochs, float FineTuneLearningRate, float BackboneScale, float FineTuneRho, bool FreezeStatistics, bool PerturbBackbone,
    int HeadEpochs, float HeadLearningRate, float HeadRho, int ScratchEpochs, float ScratchLearningRate, int BatchSize, int Threads, bool Verbose);

/// <summary>
/// The pipelines compared on the same rows: ML.NET's documented transfer-learning recipe (DnnFeaturizeImage(ResNet18) + a linear
/// trainer) and SharpnessML's SamImageClassifier on the same ResNet-18 (head on the frozen backbone, full fine-tune) or from scratch.
/// </summary>
internal sealed class Contenders
{
    private const int Side = 224;
    private readonly MLContext ml;
    private readonly string folder;
    private readonly FineTuneSettings settings;
    private readonly ITransformer featurizer;
    private readonly IDataView testRows;
    private IDataView? testFeatures;

    public Contenders(MLContext ml, string folder, IDataView testRows, FineTuneSettings settings)
    {
        (this.ml, this.folder, this.testRows, this.settings) = (ml, folder, testRows, settings);
        featurizer = Featurizer().Fit(testRows);
    }

    /// <summary>The test rows featurized for the recipe, once (ResNet-18 is fixed: every recipe model reads the same features).</summary>
    private IDataView TestFeatures()
    {
        if (testFeatures is null)
        {
            var watch = Stopwatch.StartNew();
            testFeatures = ml.Data.Cache(featurizer.Transform(testRows));
            testFeatures.GetColumn<float[]>("Features").Count(); // fills the cache
            Console.WriteLine($"Featurized the {testFeatures.GetRowCount()} test images for ML.NET's recipe in {watch.Elapsed.TotalSeconds:F0} s.");
        }
        return testFeatures;
    }

    /// <summary>The contenders' names, in the order they run.</summary>
    public static readonly string[] All =
        ["recipe-sdca", "recipe-lbfgs", "frozen-sgd", "frozen-sam", "finetune-sgd", "finetune-sam", "lpft-sgd", "lpft-sam", "scratch-sgd"];

    public ContenderResult Run(string name, IDataView train, int seed) => name switch
    {
        "recipe-sdca" => Recipe(name, train, ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
        "recipe-lbfgs" => Recipe(name, train, ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()),
        "frozen-sgd" => Ours(name, train, seed, Pretrained(frozen: true, SharpnessOptimizer.Sgd)),
        "frozen-sam" => Ours(name, train, seed, Pretrained(frozen: true, SharpnessOptimizer.Sam)),
        "finetune-sgd" => Ours(name, train, seed, Pretrained(frozen: false, SharpnessOptimizer.Sgd)),
        "finetune-sam" => Ours(name, train, seed, Pretrained(frozen: false, SharpnessOptimizer.Sam)),
        "lpft-sgd" => Ours(name, train, seed, Pretrained(frozen: false, SharpnessOptimizer.Sgd), probe: Pretrained(frozen: true, SharpnessOptimizer.Sgd)),
        "lpft-sam" => Ours(name, train, seed, Pretrained(frozen: false, SharpnessOptimizer.Sam), probe: Pretrained(frozen: true, SharpnessOptimizer.Sam)),
        "scratch-sgd" => Ours(name, train, seed, Scratch(), side: 28),
        _ => throw new ArgumentException($"Unknown contender '{name}'; the contenders are {string.Join(", ", All)}."),
    };

    /// <summary>ML.NET's recipe as its docs write it: 224×224 pixels (ExtractPixels' defaults) → DnnFeaturizeImage(ResNet18).</summary>
    private IEstimator<ITransformer> Featurizer() =>
        ml.Transforms.LoadImages("Image", folder, nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", Side, Side))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));

    /// <summary>
    /// The recipe's Fit, timed: the featurizer (which learns nothing) turns the training images into ResNet-18 features, cached as
    /// the trainer passes over them several times, and the linear trainer learns on them; its model scores the shared test features.
    /// </summary>
    private ContenderResult Recipe<TModel>(string name, IDataView train, IEstimator<TModel> trainer) where TModel : class, ITransformer
    {
        var test = TestFeatures();
        var watch = Stopwatch.StartNew();
        var features = ml.Data.Cache(featurizer.Transform(train));
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(features);
        double fit = watch.Elapsed.TotalSeconds;
        watch.Restart();
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        return new(name, accuracy, fit, watch.Elapsed.TotalSeconds);
    }

    private SamImageClassifierOptions Pretrained(bool frozen, SharpnessOptimizer optimizer) => new()
    {
        PretrainedModelPath = PretrainedModels.ResNet18ImageNet,
        PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing,
        FreezeBackbone = frozen,
        FreezeBackboneStatistics = !frozen && settings.FreezeStatistics,
        PerturbBackbone = frozen || settings.PerturbBackbone,
        BackboneLearningRateScale = settings.BackboneScale,
        Optimizer = optimizer,
        Rho = frozen ? settings.HeadRho : settings.FineTuneRho,
        LearningRate = frozen ? settings.HeadLearningRate : settings.FineTuneLearningRate,
        Epochs = frozen ? settings.HeadEpochs : settings.FineTuneEpochs,
        BatchSize = settings.BatchSize,
    };

    private SamImageClassifierOptions Scratch() => new()
    {
        Architecture = ImageClassifierArchitecture.ConvNet,
        Optimizer = SharpnessOptimizer.Sgd,
        LearningRate = settings.ScratchLearningRate,
        Epochs = settings.ScratchEpochs,
        BatchSize = settings.BatchSize,
    };

    /// <summary>
    /// SharpnessML's pipeline: pixels at the network's size → SamImageClassifier; its saved-model path (ONNX) scores every test image.
    /// With <paramref name="probe"/>: linear probing, then fine-tuning (LP-FT): a head trained on the frozen backbone first, the whole
    /// network fine-tuned from it (<see cref="SamImageClassifierOptions.InitialModel"/>); the fit time covers both.
    /// </summary>
    private ContenderResult Ours(string name, IDataView train, int seed, SamImageClassifierOptions options, int side = Side, SamImageClassifierOptions? probe = null)
    {
        var watch = Stopwatch.StartNew();
        if (probe is not null) options.InitialModel = Pipeline(probe, seed, side).Fit(train);
        var model = Pipeline(options, seed, side).Fit(train);
        double fit = watch.Elapsed.TotalSeconds;
        watch.Restart();
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(testRows)).MicroAccuracy;
        return new(name, accuracy, fit, watch.Elapsed.TotalSeconds);
    }

    private IEstimator<ITransformer> Pipeline(SamImageClassifierOptions options, int seed, int side)
    {
        options.Seed = seed;
        options.NumberOfThreads = settings.Threads;
        options.Device = TrainingDevice.Cpu;
        if (settings.Verbose) options.Progress = new Progress<TrainingEpochReport>(report => Console.WriteLine($"    {report}"));
        var pixels = side == Side
            ? ml.Transforms.ExtractPixels("Features", "Image")
            : ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255);
        return ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder, nameof(ImageRow.ImagePath)))
            .Append(ml.Transforms.ResizeImages("Image", side, side))
            .Append(pixels)
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    }
}

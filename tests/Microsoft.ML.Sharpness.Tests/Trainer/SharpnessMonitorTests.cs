using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

/// <summary>
/// The sharpness monitor inside training: snapshots where the interval puts them, the same weights as without it (it draws nothing
/// from the training generators and leaves BatchNorm's statistics alone), bit-identical resume from a checkpoint, option checks.
/// </summary>
[TestClass]
public sealed class SharpnessMonitorTests
{
    private const int Channels = 3, Side = 16;
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Everything the monitor could disturb: BatchNorm, dropout, augmentation, Adam's moments under SAM, a held-out split.</summary>
    private static SamImageClassifierOptions Options(SharpnessMonitorOptions? monitor, int epochs = 3, string? checkpoints = null, IProgress<TrainingEpochReport>? progress = null)
    {
        var settings = new TrainingSettings
        {
            Architecture = ImageClassifierArchitecture.WideResNet, WideResNetDepth = 10, WideResNetWidth = 1, WideResNetDropout = 0.2f,
            Optimizer = SharpnessOptimizer.Sam, BaseOptimizer = BaseOptimizer.AdamW, LearningRate = 0.003f,
            Augmentation = ImageAugmentation.CropAndFlip | ImageAugmentation.Cutout, AugmentationPadding = 2, CutoutSize = 4,
            ValidationFraction = 0.2, Epochs = epochs, BatchSize = 32, Seed = 5, SharpnessMonitor = monitor,
        };
        var options = JsonSerializer.Deserialize<SamImageClassifierOptions>(JsonSerializer.Serialize(settings, Json), Json)!;
        options.NumberOfThreads = 1;
        options.CheckpointDirectory = checkpoints;
        options.Progress = progress;
        return options;
    }

    private static readonly SyntheticImages.Row[] Rows = SyntheticImages.Rows(160, 3, seed: 8, channels: Channels, side: Side);

    private static SamImageClassifierTransformer Fit(MLContext ml, SamImageClassifierOptions options) =>
        ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(SyntheticImages.Keyed(ml, Rows, SyntheticImages.Schema(Channels, Side)));

    private static int[] State(SamImageClassifierTransformer model) =>
        model.Model.Network.state_dict().Values.SelectMany(p => p.to_type(ScalarType.Float32).data<float>().ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();

    private sealed class OnEpoch(Action<TrainingEpochReport> action) : IProgress<TrainingEpochReport>
    {
        public void Report(TrainingEpochReport value) => action(value);
    }

    /// <summary>The measured values without the seconds, which differ from run to run.</summary>
    private static SharpnessSnapshot[] Measured(IEnumerable<SharpnessSnapshot> snapshots) => snapshots.Select(s => s with { Seconds = 0 }).ToArray();

    [TestMethod]
    public void AnEpochsIntervalTakesOneSnapshotAtTheEndOfEveryNthEpoch()
    {
        using var model = Fit(new MLContext(), Options(new SharpnessMonitorOptions { EveryEpochs = 2, Rows = 64 }, epochs: 4));
        var history = model.Model.Info.SharpnessHistory;
        CollectionAssert.AreEqual(new[] { 2, 4 }, history.Select(s => s.Epoch).ToArray());
        CollectionAssert.AreEqual(new long[] { 8, 16 }, history.Select(s => s.Step).ToArray(), "128 training rows in batches of 32: 4 steps an epoch");
        CollectionAssert.AreEqual(new[] { null, history[0], null, history[1] }, model.TrainingHistory.Select(r => r.Sharpness).ToArray());
        foreach (var s in history)
        {
            Assert.IsTrue(double.IsFinite(s.TopEigenvalue) && s.WeightNorm > 0 && s.SamSharpness > 0 && s.GradientNoiseTrace > 0 && s.Loss > 0, s.ToString());
            Assert.AreEqual(model.TrainingHistory[s.Epoch - 1].LearningRate, s.LearningRate);
        }
        StringAssert.Contains(model.TrainingHistory[1].ToString(), "λ₁");
    }

    [TestMethod]
    public void AStepsIntervalTakesSeveralSnapshotsPerEpochAndTheEpochReportsItsLast()
    {
        using var model = Fit(new MLContext(), Options(new SharpnessMonitorOptions { EverySteps = 3, Rows = 32, PowerIterations = 1, NoisePairs = 0 }));
        var history = model.Model.Info.SharpnessHistory;
        CollectionAssert.AreEqual(new long[] { 3, 6, 9, 12 }, history.Select(s => s.Step).ToArray(), "3 epochs of 4 steps");
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 3 }, history.Select(s => s.Epoch).ToArray());
        CollectionAssert.AreEqual(new[] { history[0], history[1], history[3] }, model.TrainingHistory.Select(r => r.Sharpness).ToArray());
        Assert.IsTrue(history.All(s => s.GradientNoiseTrace is null), "NoisePairs 0 leaves the noise trace out");
    }

    [TestMethod]
    public void TrainingWithTheMonitorGivesTheWeightsAndBatchNormStatisticsOfTrainingWithout()
    {
        using var without = Fit(new MLContext(), Options(null));
        using var with = Fit(new MLContext(), Options(new SharpnessMonitorOptions { EverySteps = 2, Rows = 48 }));
        Assert.HasCount(6, with.Model.Info.SharpnessHistory);
        CollectionAssert.AreEqual(State(without), State(with), "weights and BatchNorm running statistics, bit for bit");
        CollectionAssert.AreEqual(without.TrainingHistory.Select(r => (r.TrainLoss, r.TrainAccuracy, r.ValidationLoss)).ToArray(),
            with.TrainingHistory.Select(r => (r.TrainLoss, r.TrainAccuracy, r.ValidationLoss)).ToArray());
        Assert.IsEmpty(without.Model.Info.SharpnessHistory);
    }

    [TestMethod]
    public void ARunWithTheMonitorResumedFromACheckpointRepeatsTheUninterruptedSnapshots()
    {
        var monitor = new SharpnessMonitorOptions { EverySteps = 3, Rows = 48 };
        using var uninterrupted = Fit(new MLContext(), Options(monitor, epochs: 4));
        string folder = Directory.CreateTempSubdirectory("sharpness-monitor-checkpoint-").FullName;
        try
        {
            var ml = new MLContext();
            Assert.ThrowsExactly<OperationCanceledException>(() => Fit(ml, Options(monitor, epochs: 4, folder, new OnEpoch(r => { if (r.Epoch == 2) ml.CancelExecution(); }))));
            using var resumed = Fit(new MLContext(), Options(monitor, epochs: 4, folder));
            CollectionAssert.AreEqual(State(uninterrupted), State(resumed), "weights bit for bit");
            CollectionAssert.AreEqual(Measured(uninterrupted.Model.Info.SharpnessHistory), Measured(resumed.Model.Info.SharpnessHistory),
                "the same snapshots: the sample is drawn again and the power iteration carries on from the checkpoint's vector");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TheSnapshotsAreSavedWithTheModel()
    {
        var ml = new MLContext();
        using var model = Fit(ml, Options(new SharpnessMonitorOptions { Rows = 32, PowerIterations = 1 }, epochs: 2));
        var data = SyntheticImages.Keyed(ml, Rows, SyntheticImages.Schema(Channels, Side));
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        using var loaded = SamImageClassifierModel.FromTransformer(new MLContext().Model.Load(stream, out _));
        CollectionAssert.AreEqual(model.Model.Info.SharpnessHistory.ToArray(), loaded.Info.SharpnessHistory.ToArray());
        Assert.AreEqual(model.TrainingHistory[1].Sharpness, loaded.Info.TrainingHistory[1].Sharpness);
        Assert.AreEqual(32, loaded.Info.Training.SharpnessMonitor!.Rows);
    }

    [TestMethod]
    public void ImpossibleMonitorSettingsAreRejectedNamingTheSetting()
    {
        var ml = new MLContext();
        foreach (var (monitor, name) in new (SharpnessMonitorOptions, string)[]
        {
            (new() { Rows = 0 }, "SharpnessMonitor.Rows"), (new() { EveryEpochs = 0 }, "SharpnessMonitor.EveryEpochs"),
            (new() { EverySteps = -1 }, "SharpnessMonitor.EverySteps"), (new() { PowerIterations = 0 }, "SharpnessMonitor.PowerIterations"),
            (new() { Rho = 0 }, "SharpnessMonitor.Rho"), (new() { NoiseBatchSize = 0 }, "SharpnessMonitor.NoiseBatchSize"),
            (new() { NoisePairs = -1 }, "SharpnessMonitor.NoisePairs"),
        })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(Options(monitor)));
            StringAssert.Contains(e.Message, name);
        }
    }
}

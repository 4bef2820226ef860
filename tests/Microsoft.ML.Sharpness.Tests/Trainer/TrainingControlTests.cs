using System.Diagnostics;
using Microsoft.ML.Sharpness.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

/// <summary>Validation hold-out, early stopping, cancellation and the user's MLContext.</summary>
[TestClass]
public sealed class TrainingControlTests
{
    private sealed class OnEpoch(Action<TrainingEpochReport> action) : IProgress<TrainingEpochReport>
    {
        public void Report(TrainingEpochReport value) => action(value);
    }

    private static float[] Weights(SamImageClassifierTransformer model) =>
        model.Model.Network.state_dict().Values.SelectMany(p => p.to_type(ScalarType.Float32).data<float>().ToArray()).ToArray();

    [TestMethod]
    public void TheValidationSplitIsStratifiedDisjointAndSeeded()
    {
        long[] labels = Enumerable.Range(0, 103).Select(i => (long)(i % 3 == 0 ? 0 : i % 5 == 0 ? 1 : 2)).Append(3).ToArray(); // class 3 has one row
        var (train, validation) = ValidationSplit.Split(labels, 0.2, seed: 4);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, labels.Length).Select(i => (long)i).ToArray(), train.Concat(validation).ToArray());
        foreach (var group in labels.Select((label, row) => (label, row)).GroupBy(p => p.label).Where(g => g.Count() > 1))
        {
            int held = validation.Count(row => labels[row] == group.Key);
            Assert.AreEqual((int)Math.Round(0.2 * group.Count(), MidpointRounding.AwayFromZero), held, $"class {group.Key} keeps its share");
        }
        Assert.IsFalse(validation.Any(row => labels[row] == 3), "a class with a single row stays in training");
        CollectionAssert.AreEqual(validation, ValidationSplit.Split(labels, 0.2, seed: 4).Validation);
        CollectionAssert.AreNotEqual(validation, ValidationSplit.Split(labels, 0.2, seed: 5).Validation);
    }

    [TestMethod]
    public void EarlyStoppingStopsAfterPatienceEpochsWithoutImprovementAndRestoresTheBestWeights()
    {
        using var network = nn.Linear(2, 1);
        using var stopping = new EarlyStopping(patience: 2, EarlyStoppingMetric.ValidationLoss);
        double[] losses = [0.9, 0.5, 0.7, 0.4, 0.6, 0.45, 0.3];
        var stops = new List<bool>();
        for (int epoch = 1; epoch <= losses.Length; epoch++)
        {
            using (no_grad()) network.weight!.fill_(epoch);
            stops.Add(stopping.Observe(new TrainingEpochReport(epoch, 1, 0.5, losses[epoch - 1], 0.5, 0.1, 1), network));
            if (stops[^1]) break;
        }
        CollectionAssert.AreEqual(new[] { false, false, false, false, false, true }, stops.ToArray(), "epochs 5 and 6 do not beat epoch 4's 0.4");
        Assert.AreEqual(4, stopping.State.BestEpoch);
        stopping.RestoreBest(network);
        Assert.IsTrue(network.weight!.eq(4).all().item<bool>(), "the best epoch's weights are back");
    }

    [TestMethod]
    public void AFitWithEarlyStoppingAndAHeldOutShareKeepsTheBestEpoch()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(120, 3, seed: 21, noise: 2.5f));
        var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Optimizer = SharpnessOptimizer.Sgd, Epochs = 40, BatchSize = 16, LearningRate = 0.2f, LearningRateSchedule = LearningRateSchedule.Constant,
            ValidationFraction = 0.25, EarlyStoppingPatience = 3, EarlyStoppingMetric = EarlyStoppingMetric.ValidationLoss, NumberOfThreads = 1,
        }).Fit(data);

        var info = model.Model.Info;
        Assert.AreEqual(90, info.TrainingRows, "a quarter of each class held out");
        Assert.IsTrue(info.TrainingHistory.Count < 40, $"noisy data overfit quickly: stopped after {info.TrainingHistory.Count} epochs");
        var best = info.TrainingHistory.MinBy(r => r.ValidationLoss)!;
        Assert.AreEqual(best.Epoch, info.BestEpoch);
        Assert.AreEqual(info.TrainingHistory.Count, best.Epoch + 3, "stopped three epochs after the best");
    }

    [TestMethod]
    public void CancelExecutionStopsAFitWithinAStepAndTheContextTrainsAgain()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(2000, 3, seed: 21, channels: 3, side: 16), SyntheticImages.Schema(3, 16));
        var epochs = new List<int>();
        var trainer = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Epochs = 50, BatchSize = 32, NumberOfThreads = 1,
            Progress = new OnEpoch(r => { epochs.Add(r.Epoch); if (r.Epoch == 1) ml.CancelExecution(); }),
        });
        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data));
        StringAssert.Contains(error.Message, "CancelExecution");
        CollectionAssert.AreEqual(new[] { 1 }, epochs, "canceled in the epoch after the request, before it ended");

        var again = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 1, BatchSize = 64, NumberOfThreads = 1 }).Fit(data);
        Assert.HasCount(1, again.TrainingHistory);
    }

    [TestMethod]
    public void CancelExecutionStopsEvaluateWithSharpnessAndLeavesTheModelAsItWas()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(96, 3, seed: 21));
        var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 1, BatchSize = 16, NumberOfThreads = 1 }).Fit(data);
        float[] before = Weights(model);
        bool canceled = false;
        ml.Log += (_, e) =>
        {
            if (!canceled && e.Source == "EvaluateWithSharpness" && e.Message.Contains("] Evaluating")) { canceled = true; ml.CancelExecution(); }
        };
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.MulticlassClassification.EvaluateWithSharpness(model, data));
        CollectionAssert.AreEqual(before, Weights(model), "no perturbation is left in the weights");

        var metrics = ml.MulticlassClassification.EvaluateWithSharpness(model, data, new SharpnessEvaluationOptions { Measures = SharpnessMeasures.Sam });
        Assert.IsTrue(double.IsFinite(metrics.Loss));
    }

    [TestMethod]
    public void TheContextsSeedIsUsedWhenTheOptionsHaveNone()
    {
        SamImageClassifierTransformer Train(int? contextSeed, int? seed)
        {
            var ml = new MLContext(contextSeed);
            var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(64, 2, seed: 21));
            return ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 1, BatchSize = 16, Seed = seed, NumberOfThreads = 1 }).Fit(data);
        }
        using var fromContext = Train(contextSeed: 5, seed: null);
        using var explicitSeed = Train(contextSeed: null, seed: 5);
        using var overridden = Train(contextSeed: 5, seed: 6);
        using var unseeded = Train(contextSeed: null, seed: null);
        Assert.AreEqual(5, fromContext.Model.Info.Training.Seed);
        CollectionAssert.AreEqual(Weights(explicitSeed), Weights(fromContext));
        Assert.AreEqual(6, overridden.Model.Info.Training.Seed);
        Assert.AreEqual(1, unseeded.Model.Info.Training.Seed, "no seed anywhere: seed 1, recorded");
    }

    [TestMethod]
    public void TheContextsGpuSettingsReachTheOnnxScorer()
    {
        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(64, 2, seed: 21));
        var trainer = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 1, BatchSize = 16, NumberOfThreads = 1, Device = TrainingDevice.Cpu });
        var error = Assert.ThrowsExactly<EntryPointNotFoundException>(() => trainer.Fit(data), "this machine's ONNX Runtime has no CUDA provider, and the context forbids falling back");
        StringAssert.Contains(error.Message, "CUDA");

        ml.FallbackToCpu = true;
        var model = trainer.Fit(data);
        Assert.IsNotNull(model.Transform(data).Preview(2));
    }

    [TestMethod]
    public void OptionsChangedAfterTheTrainerWasMadeAreCheckedAtFit()
    {
        var ml = new MLContext(seed: 1);
        var options = new SamImageClassifierOptions { Epochs = 1, BatchSize = 16 };
        var trainer = ml.MulticlassClassification.Trainers.SamImageClassifier(options);
        options.BatchSize = 0;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(SyntheticImages.Keyed(ml, SyntheticImages.Rows(32, 2, seed: 1))));
        StringAssert.Contains(error.Message, "BatchSize");
    }

    [TestMethod]
    [DataRow(nameof(TrainingSettings.AugmentationPadding))]
    [DataRow(nameof(TrainingSettings.CutoutSize))]
    [DataRow(nameof(TrainingSettings.EarlyStoppingPatience))]
    [DataRow(nameof(TrainingSettings.ValidationFraction))]
    public void SettingsThatCannotWorkAreRefusedNamingTheSetting(string setting)
    {
        var ml = new MLContext(seed: 1);
        var options = new SamImageClassifierOptions { Epochs = 1, BatchSize = 16 };
        switch (setting)
        {
            case nameof(TrainingSettings.AugmentationPadding): options.Augmentation = ImageAugmentation.CropAndFlip; options.AugmentationPadding = 9; break; // 8×8 images
            case nameof(TrainingSettings.CutoutSize): options.Augmentation = ImageAugmentation.Cutout; options.CutoutSize = 9; break;
            case nameof(TrainingSettings.EarlyStoppingPatience): options.EarlyStoppingPatience = 3; break; // no validation rows
            case nameof(TrainingSettings.ValidationFraction): options.ValidationFraction = 1; break;
        }
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(SyntheticImages.Keyed(ml, SyntheticImages.Rows(32, 2, seed: 1))));
        StringAssert.Contains(error.Message, setting);
    }
}

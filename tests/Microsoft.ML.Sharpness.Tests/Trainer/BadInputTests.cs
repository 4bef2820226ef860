using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

[TestClass]
public sealed class BadInputTests
{
    private sealed class FlatRow
    {
        public string Label { get; set; } = "";
        [VectorType(64)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class DoubleRow
    {
        public string Label { get; set; } = "";
        [VectorType(1, 8, 8)] public double[] Features { get; set; } = Array.Empty<double>();
    }

    private readonly MLContext ml = new(seed: 1);

    private SamImageClassifierTrainer Trainer(Action<SamImageClassifierOptions>? change = null)
    {
        var options = new SamImageClassifierOptions { Epochs = 1, BatchSize = 8 };
        change?.Invoke(options);
        return ml.MulticlassClassification.Trainers.SamImageClassifier(options);
    }

    private static void AssertMessage(Exception error, params string[] parts)
    {
        foreach (string part in parts)
            StringAssert.Contains(error.Message, part);
    }

    [TestMethod]
    public void MissingFeatureColumnIsNamed()
    {
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(16, 2, 1));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(o => o.FeatureColumnName = "Pixels").Fit(data));
        AssertMessage(error, "'Pixels'", "not in the data", "'Features'");
    }

    [TestMethod]
    public void FeatureColumnThatIsNotThreeDimensionalIsRejected()
    {
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(new[] { new FlatRow { Label = "a", Features = new float[64] } }))
            .Transform(ml.Data.LoadFromEnumerable(new[] { new FlatRow { Label = "a", Features = new float[64] } }));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        AssertMessage(error, "'Features'", "[64]", "three known dimensions");
    }

    [TestMethod]
    public void FeatureColumnOfTheWrongTypeIsRejected()
    {
        var raw = ml.Data.LoadFromEnumerable(new[] { new DoubleRow { Label = "a", Features = new double[64] }, new DoubleRow { Label = "b", Features = new double[64] } });
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        AssertMessage(error, "'Features'", "Double", "Vector<Single, C, H, W>");
    }

    [TestMethod]
    public void LabelThatIsNotAKeyIsRejected()
    {
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(16, 2, 1));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        AssertMessage(error, "'Label'", "String", "key", "MapValueToKey");
    }

    [TestMethod]
    public void FewerThanTwoClassesAreRejected()
    {
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(16, 1, 1));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer().Fit(data));
        AssertMessage(error, "'Label'", "1 class", "at least 2");
    }

    [TestMethod]
    public void EmptyDataIsRejected()
    {
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(SyntheticImages.Rows(16, 2, 1)));
        var data = keys.Transform(ml.Data.LoadFromEnumerable(Array.Empty<SyntheticImages.Row>()));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer().Fit(data));
        AssertMessage(error, "training data", "no rows");
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    public void NonFiniteFeaturesAreRejectedWithTheRow(float bad)
    {
        var rows = SyntheticImages.Rows(16, 2, 1);
        rows[5].Features[10] = bad;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer().Fit(SyntheticImages.Keyed(ml, rows)));
        AssertMessage(error, "Row 5", "'Features'", "finite");
    }

    [TestMethod]
    [DataRow(nameof(SamImageClassifierOptions.BatchSize), 0)]
    [DataRow(nameof(SamImageClassifierOptions.BatchSize), -3)]
    [DataRow(nameof(SamImageClassifierOptions.Rho), -0.1)]
    [DataRow(nameof(SamImageClassifierOptions.Epochs), 0)]
    [DataRow(nameof(SamImageClassifierOptions.LearningRate), 0.0)]
    [DataRow(nameof(SamImageClassifierOptions.SharpnessBatchSize), 1)]
    [DataRow(nameof(SamImageClassifierOptions.Momentum), 1.0)]
    [DataRow(nameof(SamImageClassifierOptions.WideResNetDepth), 12)]
    [DataRow(nameof(SamImageClassifierOptions.WideResNetDepth), 4)]
    [DataRow(nameof(SamImageClassifierOptions.WideResNetWidth), 0)]
    [DataRow(nameof(SamImageClassifierOptions.WideResNetDropout), 1.0)]
    public void InvalidOptionsAreNamed(string option, double value)
    {
        var options = new SamImageClassifierOptions();
        var property = typeof(SamImageClassifierOptions).GetProperty(option)!;
        property.SetValue(options, Convert.ChangeType(value, property.PropertyType));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(options));
        AssertMessage(error, $"SamImageClassifierOptions.{option} is", "expected");
    }

    [TestMethod]
    public void AWideResNetDepthThatIsNot6nPlus4SaysWhatIsExpected()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Trainer(o => { o.Architecture = ImageClassifierArchitecture.WideResNet; o.WideResNetDepth = 20; }));
        AssertMessage(error, "SamImageClassifierOptions.WideResNetDepth is 20", "6n + 4", "10, 16, 22, 28");
    }

    [TestMethod]
    public void CudaWithoutFallbackOnAMachineWithoutCudaIsRejected()
    {
        Assert.IsFalse(TorchSharp.torch.cuda.is_available(), "this test describes a machine without CUDA");
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(16, 2, 1));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer(o => { o.Device = TrainingDevice.Cuda; o.FallbackToCpu = false; }).Fit(data));
        AssertMessage(error, "Device", "Cuda", "FallbackToCpu");
    }

    [TestMethod]
    public void CudaWithFallbackTrainsOnTheCpuAndSaysSo()
    {
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "SamImageClassifier") messages.Add(e.Message); };
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(16, 2, 1));
        Trainer(o => o.Device = TrainingDevice.Cuda).Fit(data);
        Assert.IsTrue(messages.Any(m => m.Contains("training on the CPU")), string.Join("\n", messages));
    }

    [TestMethod]
    public void DivergingTrainingStopsWithTheEpochAndStep()
    {
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(64, 2, 1));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Trainer(o =>
        {
            o.Architecture = ImageClassifierArchitecture.Mlp;
            o.LearningRate = 1e30f;
            o.LearningRateSchedule = LearningRateSchedule.Constant;
            o.Epochs = 3;
        }).Fit(data));
        AssertMessage(error, "diverged", "epoch 1, step", "LearningRate", "Rho");
    }

    [TestMethod]
    public void ScoringDataWithOtherImageSizesIsRejected()
    {
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(16, 2, 1));
        var model = Trainer().Fit(data);
        var other = ml.Data.LoadFromEnumerable(new[] { new FlatRow { Features = new float[64] } });
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(other));
        AssertMessage(error, "'Features'");
    }
}

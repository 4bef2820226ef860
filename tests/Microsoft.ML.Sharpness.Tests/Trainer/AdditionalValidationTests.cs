namespace Microsoft.ML.Sharpness.Tests.Trainer;

/// <summary>Further validation sets measured after every epoch (<see cref="SamImageClassifierOptions.AdditionalValidationSets"/>).</summary>
[TestClass]
public sealed class AdditionalValidationTests
{
    private const int Classes = 3;

    /// <summary>The rows with every label moved to the next class (c → c + 1), keyed with <paramref name="keys"/> so both sets share one key mapping.</summary>
    private static IDataView Shifted(MLContext ml, SyntheticImages.Row[] rows, ITransformer keys) =>
        keys.Transform(ml.Data.LoadFromEnumerable(rows.Select(row => new SyntheticImages.Row
        {
            Label = $"class{(int.Parse(row.Label["class".Length..]) + 1) % Classes}", Features = row.Features,
        })));

    [TestMethod]
    public void EachNamedSetIsScoredEveryEpochWithTheNetworkOfThatEpoch()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticImages.Rows(150, Classes, seed: 5, noise: 1.5f);
        var raw = ml.Data.LoadFromEnumerable(rows);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        var train = keys.Transform(raw);
        var logged = new List<string>();
        ml.Log += (_, e) => { if (e.Message.Contains("epoch ")) logged.Add(e.Message); };
        var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Optimizer = SharpnessOptimizer.Sam, Epochs = 3, BatchSize = 32, NumberOfThreads = 1,
            AdditionalValidationSets = new Dictionary<string, IDataView> { ["train"] = train, ["shifted"] = Shifted(ml, rows, keys) },
        }).Fit(train);

        var history = model.Model.Info.TrainingHistory;
        Assert.AreEqual(3, history.Count);
        foreach (var epoch in history)
        {
            CollectionAssert.AreEquivalent(new[] { "train", "shifted" }, epoch.AdditionalValidation!.Keys.ToArray());
            var (clean, shifted) = (epoch.AdditionalValidation["train"], epoch.AdditionalValidation["shifted"]);
            Assert.IsTrue(clean.Accuracy + shifted.Accuracy <= 1 + 1e-12, "a prediction cannot match a label and the next class");
            Assert.AreNotEqual(clean.Loss, shifted.Loss);
        }
        Assert.IsNull(history[0].ValidationAccuracy, "the named sets are not the validation set");

        // The last epoch's score is the final network's: ML.NET's evaluator on the saved scoring chain agrees (float32 ONNX
        // against TorchSharp, so within a row's worth of accuracy and 1e-4 in loss).
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(train));
        Assert.AreEqual(metrics.MicroAccuracy, history[^1].AdditionalValidation!["train"].Accuracy, 1.0 / rows.Length + 1e-12);
        Assert.AreEqual(metrics.LogLoss, history[^1].AdditionalValidation!["train"].Loss, 1e-4);
        Assert.IsTrue(history[^1].AdditionalValidation!["train"].Accuracy > 0.6, "the bands are learnt");
        Assert.IsTrue(logged.All(line => line.Contains("shifted loss")), "each epoch's log line names the sets");
    }

    [TestMethod]
    public void ASetWithoutANameOrWithOtherImagesIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var train = SyntheticImages.Keyed(ml, SyntheticImages.Rows(30, Classes, seed: 5));
        var unnamed = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(
            new SamImageClassifierOptions { AdditionalValidationSets = new Dictionary<string, IDataView> { [" "] = train } }));
        StringAssert.Contains(unnamed.Message, "AdditionalValidationSets");

        var large = SyntheticImages.Keyed(ml, SyntheticImages.Rows(30, Classes, seed: 5, side: 12), SyntheticImages.Schema(1, 12));
        var other = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(
            new SamImageClassifierOptions { Epochs = 1, NumberOfThreads = 1, AdditionalValidationSets = new Dictionary<string, IDataView> { ["big"] = large } }).Fit(train));
        StringAssert.Contains(other.Message, "validation set 'big' has 1×12×12 images");
    }
}

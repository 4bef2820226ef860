namespace Microsoft.ML.Sharpness.Tests.Trainer;

[TestClass]
public sealed class TrainingBehaviourTests
{
    private sealed class Collector : IProgress<TrainingEpochReport>
    {
        public List<TrainingEpochReport> Reports { get; } = new();
        public void Report(TrainingEpochReport value) => Reports.Add(value);
    }

    private static SamImageClassifierTransformer Train(int seed, SharpnessOptimizer optimizer = SharpnessOptimizer.Sam, int sharpnessBatchSize = 0)
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(96, 3, seed: 21));
        return ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Optimizer = optimizer, SharpnessBatchSize = sharpnessBatchSize, Epochs = 2, BatchSize = 16, Seed = seed, NumberOfThreads = 1,
        }).Fit(data);
    }

    private static float[] Weights(SamImageClassifierTransformer model) =>
        model.Model.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [TestMethod]
    [DataRow(SharpnessOptimizer.Sgd, 0)]
    [DataRow(SharpnessOptimizer.Sam, 0)]
    [DataRow(SharpnessOptimizer.AdaptiveSam, 4)]
    public void SameSeedGivesIdenticalWeights(SharpnessOptimizer optimizer, int sharpnessBatchSize)
    {
        using var first = Train(seed: 7, optimizer, sharpnessBatchSize);
        using var second = Train(seed: 7, optimizer, sharpnessBatchSize);
        using var other = Train(seed: 8, optimizer, sharpnessBatchSize);
        CollectionAssert.AreEqual(Weights(first), Weights(second));
        CollectionAssert.AreNotEqual(Weights(first), Weights(other));
    }

    [TestMethod]
    public void ProgressReachesTheLogTheCallbackAndTheHistory()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "SamImageClassifier") messages.Add(e.Message); };
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(96, 3, seed: 21));
        var validation = SyntheticImages.Keyed(ml, SyntheticImages.Rows(30, 3, seed: 22));
        var progress = new Collector();
        var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Epochs = 3, BatchSize = 16, ValidationSet = validation, Progress = progress, NumberOfThreads = 1,
        }).Fit(data);

        Assert.HasCount(3, progress.Reports);
        CollectionAssert.AreEqual(progress.Reports, model.TrainingHistory.ToList());
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, progress.Reports.Select(r => r.Epoch).ToArray());
        foreach (var report in progress.Reports)
        {
            Assert.IsTrue(report.TrainLoss > 0 && double.IsFinite(report.TrainLoss));
            Assert.IsTrue(report.TrainAccuracy is >= 0 and <= 1);
            Assert.IsNotNull(report.ValidationLoss);
            Assert.IsTrue(report.ValidationAccuracy is >= 0 and <= 1);
            Assert.IsGreaterThan(0, report.Seconds);
            StringAssert.Contains(string.Join("\n", messages), report.ToString());
        }
        Assert.IsLessThan(progress.Reports[0].TrainLoss, progress.Reports[2].TrainLoss, "the loss goes down on an easy problem");
        // Cosine schedule: the last step's learning rate is close to 0, the first epoch's is still near the base rate.
        Assert.IsGreaterThan(0.04, progress.Reports[0].LearningRate);
        Assert.IsLessThan(0.001, progress.Reports[2].LearningRate);
        string start = messages.First(m => m.Contains("Training a"));
        Assert.IsTrue(start.Contains("ConvNet") && start.Contains("96 rows") && start.Contains("validating on 30"), start);
    }
}

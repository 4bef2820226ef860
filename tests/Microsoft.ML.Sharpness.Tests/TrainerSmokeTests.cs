using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Tests;

[TestClass]
public sealed class TrainerSmokeTests
{
    [TestMethod]
    public void SamLearnsSyntheticBands()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(200, 4, seed: 1));
        var trainer = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 3, BatchSize = 32, NumberOfThreads = 1 });
        var model = trainer.Fit(data);
        var scored = model.Transform(data);
        foreach (var c in scored.Schema) Console.WriteLine($"{c.Name}: {c.Type}");
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Console.WriteLine(metrics.MicroAccuracy);
        Assert.IsGreaterThan(0.9, metrics.MicroAccuracy);
    }
}

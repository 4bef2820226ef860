using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class LabelNoiseTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-small");

    private static int[] Labels(int rows, int classes) => [.. Enumerable.Range(0, rows).Select(i => i % classes)];

    [TestMethod]
    public void SymmetricNoiseFlipsExactlyTheFractionToOtherClassesSpreadEvenly()
    {
        int[] labels = Labels(10_000, 10);
        var (noisy, flipped) = LabelNoise.Apply(labels, 10, 0.4, LabelNoiseKind.Symmetric, seed: 3);
        Assert.AreEqual(4000, flipped.Count(f => f));
        for (int i = 0; i < labels.Length; i++)
            Assert.AreEqual(flipped[i], noisy[i] != labels[i], $"row {i}: flipped exactly when its label changed");
        // Each of the 9 other classes gets about 1/9 of a class's flipped rows: 4000/9 ≈ 444 in all, binomial SD ≈ 20.
        var moves = labels.Zip(noisy).Where(p => p.First != p.Second).GroupBy(p => (p.Second - p.First + 10) % 10).ToDictionary(g => g.Key, g => g.Count());
        Assert.AreEqual(9, moves.Count);
        Assert.IsTrue(moves.Values.All(n => Math.Abs(n - 4000 / 9.0) < 100), string.Join(", ", moves.Values));
        // Every class keeps about its share of flips (stratification is not asked for, but a uniform choice gives ≈ 400 each, SD ≈ 17).
        Assert.IsTrue(labels.Where((_, i) => flipped[i]).GroupBy(l => l).All(g => Math.Abs(g.Count() - 400) < 80));
    }

    [TestMethod]
    public void PairwiseNoiseMovesAClassToTheNextAndTheSeedFixesTheRows()
    {
        int[] labels = Labels(1000, 4);
        var (noisy, flipped) = LabelNoise.Apply(labels, 4, 0.25, LabelNoiseKind.Pairwise, seed: 8);
        Assert.AreEqual(250, flipped.Count(f => f));
        for (int i = 0; i < labels.Length; i++)
            Assert.AreEqual(flipped[i] ? (labels[i] + 1) % 4 : labels[i], noisy[i]);

        CollectionAssert.AreEqual(flipped, LabelNoise.Apply(labels, 4, 0.25, LabelNoiseKind.Pairwise, seed: 8).Flipped);
        CollectionAssert.AreNotEqual(flipped, LabelNoise.Apply(labels, 4, 0.25, LabelNoiseKind.Pairwise, seed: 9).Flipped);
        var more = LabelNoise.Apply(labels, 4, 0.5, LabelNoiseKind.Pairwise, seed: 8).Flipped;
        Assert.IsTrue(flipped.Zip(more).All(p => !p.First || p.Second), "with one seed, the rows flipped at 25 % are among those flipped at 50 %");
        Assert.AreEqual(0, LabelNoise.Apply(labels, 4, 0, LabelNoiseKind.Symmetric, seed: 8).Flipped.Count(f => f));
        Assert.ThrowsExactly<StudyException>(() => LabelNoise.Apply(labels, 4, 1, LabelNoiseKind.Symmetric, seed: 8));
    }

    [TestMethod]
    public void AStudyFileRefusesANoiseOutsideZeroToOne()
    {
        var error = Assert.ThrowsExactly<StudyException>(() => StudyDefinition.Parse(
            """{ "data": "d", "runs": [ { "name": "a", "labelNoise": 1.2 } ] }""", "test"));
        StringAssert.Contains(error.Message, "\"labelNoise\" must be a fraction in [0, 1)");
    }

    [TestMethod]
    public void AStudyTrainsOnNoisyLabelsTestsOnTrueOnesAndReportsMemorization()
    {
        string output = Path.Combine(Path.GetTempPath(), "sharpness-noise-" + Guid.NewGuid().ToString("N"));
        string json = $$"""
            {
              "name": "noise", "data": "{{Data.Replace("\\", "/")}}", "seeds": [1], "threads": 1, "trainRows": 200, "testRows": 100,
              "defaults": { "architecture": "ConvNet", "epochs": 2, "batchSize": 20, "learningRate": 0.05 },
              "runs": [
                { "name": "SGD clean", "optimizer": "Sgd" },
                { "name": "SGD noisy", "optimizer": "Sgd", "labelNoise": 0.5 },
                { "name": "SAM clean", "optimizer": "Sam", "rho": 0.05 },
                { "name": "SAM noisy", "optimizer": "Sam", "rho": 0.05, "labelNoise": 0.5, "labelNoiseKind": "Pairwise" }
              ],
              "evaluation": { "trainRows": 32, "testRows": 32, "trainMeasures": "Sam", "testMeasures": "Sam" }
            }
            """;
        try
        {
            var results = new StudyRunner(StudyDefinition.Parse(json, "test"), output, new NoProgress()).Run();
            var noisy = results.Single(r => r.Run == "SGD noisy" && r.Seed == 1);
            var clean = results.Single(r => r.Run == "SGD clean" && r.Seed == 1);
            Assert.AreEqual(100, noisy.FlippedRows, "half of the 200 training labels");
            Assert.AreEqual(LabelNoiseKind.Symmetric, noisy.LabelNoiseKind);
            Assert.AreEqual(LabelNoiseKind.Pairwise, results.First(r => r.Run == "SAM noisy").LabelNoiseKind);
            Assert.AreEqual(0, clean.FlippedRows);
            Assert.IsNull(clean.Memorized);
            Assert.IsTrue(noisy.Memorized + noisy.FlippedCorrect <= 1 + 1e-12, "a flipped row cannot be predicted as both labels");
            // The labels trained on differ from the true ones on exactly the flipped half: the two training accuracies differ by
            // half of (memorized − flipped rows correct), the unflipped rows counting the same in both.
            Assert.AreEqual(0.5 * (noisy.Memorized!.Value - noisy.FlippedCorrect!.Value), noisy.TrainAccuracy - noisy.CleanTrainAccuracy!.Value, 1e-9);
            Assert.AreNotEqual(noisy.TrainAccuracy, noisy.CleanTrainAccuracy!.Value);
            // The per-epoch memorization comes from the trainer's additional validation sets; the last epoch's is the final model's.
            var last = noisy.History[^1].AdditionalValidation!;
            Assert.AreEqual(noisy.Memorized!.Value, last[NoisyTrainingData.MemorizedSet].Accuracy, 0.0101);
            Assert.AreEqual(noisy.FlippedCorrect!.Value, last[NoisyTrainingData.FlippedCorrectSet].Accuracy, 0.0101);
            // The test rows keep their true labels: the noisy and the clean run are measured on the same 100 rows.
            Assert.AreEqual(clean.TestRows, noisy.TestRows);

            var chart = File.ReadAllLines(Path.Combine(output, "plots", "accuracy-vs-label-noise.csv"));
            // Two series at two noise levels each; the clean SAM run starts the pairwise SAM series (the kind means nothing without noise).
            Assert.AreEqual(1 + 4, chart.Length, string.Join(" | ", chart));
            CollectionAssert.AreEqual(new[] { "labelNoiseKind Symmetric, optimizer Sgd, rho default", "labelNoiseKind Pairwise, optimizer Sam, rho 0.05" },
                chart.Skip(1).Select(line => line[1..line.IndexOf('"', 1)]).Distinct().ToArray(), string.Join(" | ", chart));
            Assert.IsTrue(File.Exists(Path.Combine(output, "plots", "memorization-noise-50.csv")));
            string summary = File.ReadAllText(Path.Combine(output, "summary.md"));
            StringAssert.Contains(summary, "## Against the best SGD at each label noise");
            StringAssert.Contains(File.ReadAllLines(Path.Combine(output, "results.csv"))[0], "memorized");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    private sealed class NoProgress : IStudyProgress
    {
        public void Stage(string message) { }
        public void RunStarted(string run, int seed, int epochs, bool resumed) { }
        public void Epoch(TrainingEpochReport report) { }
        public void RunStage(string message) { }
        public void RunFinished(RunResult result) { }
    }
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

/// <summary>Checkpoint and resume: an interrupted run, resumed, ends with the same weights bit for bit as one that never stopped.</summary>
[TestClass]
public sealed class CheckpointTests
{
    private const int Channels = 3, Side = 16;
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Every kind of state a checkpoint must carry: Adam's moments under SAM, the cosine schedule, crop/flip/cutout and dropout generators, a held-out split, early stopping.</summary>
    private static TrainingSettings Settings() => new()
    {
        Architecture = ImageClassifierArchitecture.WideResNet, WideResNetDepth = 10, WideResNetWidth = 1, WideResNetDropout = 0.2f,
        Optimizer = SharpnessOptimizer.Sam, BaseOptimizer = BaseOptimizer.AdamW, LearningRate = 0.003f,
        Augmentation = ImageAugmentation.CropAndFlip | ImageAugmentation.Cutout, AugmentationPadding = 2, CutoutSize = 4,
        ValidationFraction = 0.2, EarlyStoppingPatience = 10, Epochs = 4, BatchSize = 32, Seed = 3,
    };

    private static SamImageClassifierOptions Options(string? checkpoints = null, IProgress<TrainingEpochReport>? progress = null)
    {
        var options = JsonSerializer.Deserialize<SamImageClassifierOptions>(JsonSerializer.Serialize(Settings(), Json), Json)!;
        options.NumberOfThreads = 1;
        options.CheckpointDirectory = checkpoints;
        options.Progress = progress;
        return options;
    }

    private static SyntheticImages.Row[] Rows(int count) => SyntheticImages.Rows(count, 3, seed: 21, channels: Channels, side: Side);

    private static SamImageClassifierTransformer Fit(MLContext ml, SyntheticImages.Row[] rows, SamImageClassifierOptions options) =>
        ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(SyntheticImages.Keyed(ml, rows, SyntheticImages.Schema(Channels, Side)));

    private static float[] State(SamImageClassifierTransformer model) =>
        model.Model.Network.state_dict().Values.SelectMany(p => p.to_type(ScalarType.Float32).data<float>().ToArray()).ToArray();

    private static string TemporaryFolder() => Directory.CreateTempSubdirectory("sharpness-checkpoint-").FullName;

    private sealed class OnEpoch(Action<TrainingEpochReport> action) : IProgress<TrainingEpochReport>
    {
        public void Report(TrainingEpochReport value) => action(value);
    }

    private static void AssertSameRun(SamImageClassifierTransformer expected, SamImageClassifierTransformer actual)
    {
        CollectionAssert.AreEqual(State(expected), State(actual), "weights and BatchNorm statistics, bit for bit");
        CollectionAssert.AreEqual(expected.TrainingHistory.Select(r => (r.TrainLoss, r.ValidationLoss, r.LearningRate)).ToArray(),
            actual.TrainingHistory.Select(r => (r.TrainLoss, r.ValidationLoss, r.LearningRate)).ToArray(), "the same history");
        Assert.AreEqual(expected.Model.Info.BestEpoch, actual.Model.Info.BestEpoch);
    }

    [TestMethod]
    public void ARunCanceledAfterAnEpochResumesToTheUninterruptedWeights()
    {
        var rows = Rows(240);
        using var uninterrupted = Fit(new MLContext(), rows, Options());
        string folder = TemporaryFolder();
        try
        {
            var ml = new MLContext();
            Assert.ThrowsExactly<OperationCanceledException>(() => Fit(ml, rows, Options(folder, new OnEpoch(r => { if (r.Epoch == 2) ml.CancelExecution(); }))));
            var messages = new List<string>();
            ml.Log += (_, e) => messages.Add(e.Message);
            var epochs = new List<int>();
            using var resumed = Fit(ml, rows, Options(folder, new OnEpoch(r => epochs.Add(r.Epoch))));
            CollectionAssert.AreEqual(new[] { 3, 4 }, epochs, "only the epochs after the checkpoint run again");
            Assert.IsTrue(messages.Any(m => m.Contains("Resuming from the checkpoint") && m.Contains("after epoch 2 of 4")), "the log says it resumed");
            AssertSameRun(uninterrupted, resumed);

            var epochsAfterTheEnd = new List<int>();
            using var finished = Fit(new MLContext(), rows, Options(folder, new OnEpoch(r => epochsAfterTheEnd.Add(r.Epoch))));
            Assert.IsEmpty(epochsAfterTheEnd, "a finished run's checkpoint gives its model without training");
            AssertSameRun(uninterrupted, finished);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AChildProcessKilledMidEpochResumesToTheUninterruptedWeights()
    {
        var rows = Rows(900);
        string folder = TemporaryFolder();
        try
        {
            File.WriteAllText(Path.Combine(folder, "rows.json"), JsonSerializer.Serialize(rows));
            File.WriteAllText(Path.Combine(folder, "settings.json"), JsonSerializer.Serialize(Settings(), Json));
            string checkpoints = Path.Combine(folder, "checkpoints");
            var printed = KillMidEpoch(Path.Combine(folder, "rows.json"), Path.Combine(folder, "settings.json"), checkpoints, afterEpoch: 2);
            Assert.IsFalse(printed.Contains("finished"), $"the child was killed before the end; it printed: {string.Join(" | ", printed)}");
            Assert.IsTrue(File.Exists(Path.Combine(checkpoints, "checkpoint.bin")), "the last finished epoch's checkpoint is on disk");

            var epochs = new List<int>();
            using var resumed = Fit(new MLContext(), rows, Options(checkpoints, new OnEpoch(r => epochs.Add(r.Epoch))));
            Assert.IsTrue(epochs.Count is >= 1 and <= 2 && epochs[^1] == 4, $"resumed after epoch 2 or 3, ran epochs {string.Join(", ", epochs)}");
            using var uninterrupted = Fit(new MLContext(), rows, Options());
            AssertSameRun(uninterrupted, resumed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Starts the training child, waits for <paramref name="afterEpoch"/> to end, kills it halfway into the next epoch; returns what it printed.</summary>
    private static List<string> KillMidEpoch(string rows, string settings, string checkpoints, int afterEpoch)
    {
        string tests = Path.GetDirectoryName(typeof(CheckpointTests).Assembly.Location)!;
        string child = Path.Combine(tests.Replace($"{Path.DirectorySeparatorChar}Microsoft.ML.Sharpness.Tests{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}TrainingProcess{Path.DirectorySeparatorChar}"), "TrainingProcess.dll");
        Assert.IsTrue(File.Exists(child), $"the child program is built next to the tests: {child}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { child, rows, settings, checkpoints, Channels.ToString(), Side.ToString() },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var printed = new List<string>();
        using var epochDone = new SemaphoreSlim(0);
        double epochSeconds = 0;
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (printed) printed.Add(e.Data);
            if (e.Data.StartsWith($"epoch {afterEpoch} "))
            {
                epochSeconds = double.Parse(e.Data.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
                epochDone.Release();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (printed) printed.Add("stderr: " + e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Assert.IsTrue(epochDone.Wait(TimeSpan.FromMinutes(3)), $"the child finished epoch {afterEpoch}; it printed: {string.Join(" | ", printed)}");
            Thread.Sleep(TimeSpan.FromSeconds(epochSeconds / 2));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        lock (printed) return [.. printed];
    }

    [TestMethod]
    public void ACheckpointOfAnotherRunIsRefusedSayingWhatDiffers()
    {
        var rows = Rows(120);
        string folder = TemporaryFolder();
        try
        {
            var options = Options(folder);
            options.Epochs = 1;
            using (Fit(new MLContext(), rows, options)) { }

            var otherRate = Options(folder);
            otherRate.Epochs = 1;
            otherRate.LearningRate = 0.01f;
            var error = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(new MLContext(), rows, otherRate));
            StringAssert.Contains(error.Message, "LearningRate is 0.01 here and 0.003 in the checkpoint");

            var sameOptions = Options(folder);
            sameOptions.Epochs = 1;
            error = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(new MLContext(), Rows(121), sameOptions));
            StringAssert.Contains(error.Message, "data differ");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Sharpness.Benchmarks;
using Microsoft.ML.Sharpness.Networks;
using static TorchSharp.torch;

// Trainer speed, measured side by side in one process and reported as ratios (the machine is noisy):
//   1. SamImageClassifier SGD epoch vs the hand-written TorchSharp loop on the same network, data and batch (goal ≤ 1.05);
//   2. SAM epoch vs SGD epoch (goal ≤ 2.05) and m-sharpness (m = 32) vs SAM.
// Usage: dotnet run -c Release --project bench/TrainerBenchmarks -- [rows=6000] [epochs=4] [threads=2]
int rows = args.Length > 0 ? int.Parse(args[0]) : 6000;
int epochs = args.Length > 1 ? int.Parse(args[1]) : 4;
int threads = args.Length > 2 ? int.Parse(args[2]) : 2;
const int BatchSize = 128, Classes = 10, Side = 28;
set_num_threads(threads);

var random = new Random(1);
var images = new SyntheticRow[rows];
for (int i = 0; i < rows; i++)
    images[i] = new SyntheticRow { Label = (uint)(i % Classes), Features = Enumerable.Range(0, Side * Side).Select(_ => (float)random.NextDouble()).ToArray() };
var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(images);

double[] TrainerEpochs(SharpnessOptimizer optimizer, int m = 0)
{
    var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
    {
        Optimizer = optimizer, SharpnessBatchSize = m, Epochs = epochs, BatchSize = BatchSize, NumberOfThreads = threads,
        LearningRateSchedule = LearningRateSchedule.Constant, LearningRate = 0.01f,
    }).Fit(data);
    return model.TrainingHistory.Select(r => r.Seconds).ToArray();
}

double[] HandEpochs()
{
    using var features = tensor(images.SelectMany(r => r.Features).ToArray(), new long[] { rows, 1, Side, Side });
    using var labels = tensor(images.Select(r => (long)r.Label).ToArray(), new long[] { rows });
    manual_seed(1);
    using var network = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.ConvNet, 1, Side, Side, Classes));
    using var optimizer = optim.SGD(network.parameters(), 0.01, 0.9, 0, 5e-4);
    using var generator = new TorchSharp.torch.Generator(1);
    return Enumerable.Range(0, epochs).Select(_ => HandWrittenLoop.SgdEpoch(network, features, labels, BatchSize, optimizer, generator)).ToArray();
}

// Median over epochs after the first (warm-up), interleaving the contenders over two rounds.
double Median(IEnumerable<double> values) { var v = values.OrderBy(x => x).ToArray(); return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2; }
var runs = new Dictionary<string, List<double>> { ["hand-written SGD"] = new(), ["trainer SGD"] = new(), ["trainer SAM"] = new(), ["trainer SAM m=32"] = new() };
for (int round = 0; round < 2; round++)
{
    runs["hand-written SGD"].AddRange(HandEpochs().Skip(1));
    runs["trainer SGD"].AddRange(TrainerEpochs(SharpnessOptimizer.Sgd).Skip(1));
    runs["trainer SAM"].AddRange(TrainerEpochs(SharpnessOptimizer.Sam).Skip(1));
    runs["trainer SAM m=32"].AddRange(TrainerEpochs(SharpnessOptimizer.Sam, 32).Skip(1));
}

double hand = Median(runs["hand-written SGD"]), sgd = Median(runs["trainer SGD"]), sam = Median(runs["trainer SAM"]), msam = Median(runs["trainer SAM m=32"]);
Console.WriteLine($"ConvNet, {rows} rows of 1×{Side}×{Side}, batch {BatchSize}, {threads} threads, median of {runs["trainer SGD"].Count} epochs each (first epoch of each run skipped)");
Console.WriteLine();
Console.WriteLine("| measurement | seconds per epoch | ratio | goal |");
Console.WriteLine("|---|---|---|---|");
Console.WriteLine($"| hand-written TorchSharp SGD loop | {hand:F2} | 1.00 | |");
Console.WriteLine($"| trainer SGD epoch / hand-written | {sgd:F2} | {sgd / hand:F3} | ≤ 1.05 |");
Console.WriteLine($"| trainer SAM epoch / trainer SGD | {sam:F2} | {sam / sgd:F3} | ≤ 2.05 |");
Console.WriteLine($"| trainer SAM m=32 epoch / trainer SAM | {msam:F2} | {msam / sam:F3} | |");

internal sealed class SyntheticRow
{
    /// <summary>0-based class index (LoadFromEnumerable stores key k + 1).</summary>
    [KeyType(10)] public uint Label { get; set; }
    [VectorType(1, 28, 28)] public float[] Features { get; set; } = Array.Empty<float>();
}

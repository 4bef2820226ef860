using Microsoft.ML.Sharpness;
using Microsoft.ML.Sharpness.Benchmarks;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Runtime;
using Microsoft.ML.Sharpness.Trainer;
using TorchSharp.Modules;
using static TorchSharp.torch;

// Trainer speed, measured side by side in one process and reported as ratios (the machine is noisy):
//   1. the trainer's SGD epoch vs a hand-written TorchSharp loop on the same network, data and batch (goal ≤ 1.05);
//   2. the trainer's SAM epoch vs its SGD epoch (goal ≤ 2.05), and m-sharpness (m = 32) vs SAM.
// The contenders take turns epoch by epoch (round r runs each once, in rotating order), so that slow phases of the
// machine hit all of them; the ratios are medians over rounds of the per-round ratios. Round 0 is warm-up.
// Usage: dotnet run -c Release --project bench/TrainerBenchmarks -- [rows=4000] [rounds=7] [threads=2]
// With "pytorch" first: the trainer's SGD and SAM steps against PyTorch's, and their GFLOP/s against a matmul (PyTorchComparison.cs);
// with "layers" first: each layer's forward and backward against PyTorch's (LayerProfile.cs). The network and batch (StepBenchmarkSetup.cs):
// --architecture ConvNet (1×28×28, batch 128) | ResNet18 (3×64×64, batch 64) | WideResNet (WRN-16-8, 3×32×32, batch 128), 10 classes.
//        dotnet run -c Release --project bench/TrainerBenchmarks -- pytorch [--architecture ConvNet] [--size S] [--channels C] [--batch B]
//               [--rounds 21] [--steps 5] [--matmuls 3] [--threads 2] [--blas-threads 1] [--exchange DIR]
//        dotnet run -c Release --project bench/TrainerBenchmarks -- layers [the same network options] [--rounds 5] [--repeats 3]
// With "monitor" first: SAM epochs with the sharpness monitor at its defaults against without (MonitorOverhead.cs):
//        dotnet run -c Release --project bench/TrainerBenchmarks -- monitor [--rows 4000] [--rounds 4] [--threads 2] [--networks ConvNet,ResNet]
if (args.Length > 0 && args[0] is "pytorch" or "layers" or "monitor")
{
    if (args[0] == "pytorch") PyTorchComparison.Run(args[1..]);
    else if (args[0] == "layers") LayerProfile.Run(args[1..]);
    else MonitorOverhead.Run(args[1..]);
    return;
}
int rows = args.Length > 0 ? int.Parse(args[0]) : 4000;
int rounds = args.Length > 1 ? int.Parse(args[1]) : 7;
int threads = args.Length > 2 ? int.Parse(args[2]) : 2;
const int BatchSize = 128, Classes = 10, Side = 28;
set_num_threads(threads);
NativeMemoryTuning.Apply(); // as SamImageClassifierTrainer.Fit does; it applies to every contender in this process

manual_seed(1);
using var features = rand(rows, 1, Side, Side);
using var labels = randint(Classes, rows);
using var data = StoredRows.From(features, labels);
var shape = new NetworkShape(ImageClassifierArchitecture.ConvNet, 1, Side, Side, Classes);

Sequential NewNetwork() { manual_seed(1); return NetworkFactory.Create(shape); }

Func<double> Trainer(SharpnessOptimizer optimizer, int m = 0) => TrainerEpochs.Of(NewNetwork(), data, BatchSize, optimizer, m);
Func<double> Hand() => HandWrittenLoop.Epochs(NewNetwork(), features, labels, BatchSize);

var contenders = new (string Name, Func<double> Epoch)[]
{
    ("hand-written SGD", Hand()), ("trainer SGD", Trainer(SharpnessOptimizer.Sgd)),
    ("trainer SAM", Trainer(SharpnessOptimizer.Sam)), ("trainer SAM m=32", Trainer(SharpnessOptimizer.Sam, 32)),
};
var seconds = contenders.ToDictionary(c => c.Name, _ => new List<double>());
for (int round = 0; round < rounds; round++)
{
    for (int turn = 0; turn < contenders.Length; turn++)
    {
        var (name, epoch) = contenders[(round + turn) % contenders.Length];
        double s = epoch();
        if (round > 0) seconds[name].Add(s);
    }
}

static double Median(IEnumerable<double> values)
{
    var v = values.OrderBy(x => x).ToArray();
    return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
}
double Ratio(string a, string b) => Median(seconds[a].Zip(seconds[b], (x, y) => x / y));

foreach (var (name, list) in seconds) Console.Error.WriteLine($"{name}: {string.Join(" ", list.Select(s => s.ToString("F2")))}");
Console.WriteLine($"ConvNet, {rows} random 1×{Side}×{Side} images, batch {BatchSize}, {threads} threads, {rounds - 1} rounds after one warm-up round");
Console.WriteLine();
Console.WriteLine("| contender | median seconds per epoch | compared with | median per-round ratio | goal |");
Console.WriteLine("|---|---|---|---|---|");
Console.WriteLine($"| hand-written TorchSharp SGD loop | {Median(seconds["hand-written SGD"]):F2} | | | |");
Console.WriteLine($"| trainer, SGD | {Median(seconds["trainer SGD"]):F2} | hand-written SGD | {Ratio("trainer SGD", "hand-written SGD"):F3} | ≤ 1.05 |");
Console.WriteLine($"| trainer, SAM | {Median(seconds["trainer SAM"]):F2} | trainer SGD | {Ratio("trainer SAM", "trainer SGD"):F3} | ≤ 2.05 |");
Console.WriteLine($"| trainer, SAM with m = 32 | {Median(seconds["trainer SAM m=32"]):F2} | trainer SAM | {Ratio("trainer SAM m=32", "trainer SAM"):F3} | |");

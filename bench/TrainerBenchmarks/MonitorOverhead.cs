using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Runtime;
using Microsoft.ML.Sharpness.Trainer;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// The sharpness monitor's cost (goal ≤ 10 % at its defaults): the trainer's SAM epoch with <see cref="TrainingSettings.SharpnessMonitor"/>
/// at its defaults (one snapshot per epoch) against the same epoch without it, on the ConvNet (1×28×28, batch 128) and ResNet-20
/// (3×32×32, batch 128), random images of 10 classes. Off and on take turns epoch by epoch; the ratio is the median per-round ratio
/// after a warm-up round, and the snapshot's own seconds are reported beside it.
/// Usage: dotnet run -c Release --project bench/TrainerBenchmarks -- monitor [--rows 4000] [--rounds 4] [--threads 2] [--networks ConvNet,ResNet]
/// </summary>
internal static class MonitorOverhead
{
    public static void Run(string[] args)
    {
        int rows = Bench.Option(args, "--rows", 4000), rounds = Bench.Option(args, "--rounds", 4), threads = Bench.Option(args, "--threads", 2);
        var networks = (Bench.Option(args, "--networks") ?? "ConvNet,ResNet").Split(',').Select(n => Enum.Parse<ImageClassifierArchitecture>(n, ignoreCase: true)).ToHashSet();
        set_num_threads(threads);
        NativeMemoryTuning.Apply();
        Console.WriteLine($"SAM over SGD, {rows} random images of 10 classes, batch 128, {threads} threads, {rounds - 1} rounds after one warm-up round; monitor at its defaults");
        Console.WriteLine();
        Console.WriteLine("| network | epoch without monitor (s) | epoch with monitor (s) | snapshot (s) | median per-round ratio | goal |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (shape, name) in new[]
        {
            (new NetworkShape(ImageClassifierArchitecture.ConvNet, 1, 28, 28, 10), "ConvNet 1×28×28"),
            (new NetworkShape(ImageClassifierArchitecture.ResNet, 3, 32, 32, 10), "ResNet-20 3×32×32"),
        }.Where(n => networks.Contains(n.Item1.Architecture)))
            Compare(shape, name, rows, rounds);
    }

    private static void Compare(NetworkShape shape, string name, int rows, int rounds)
    {
        manual_seed(1);
        using var features = rand(rows, shape.Channels, shape.Height, shape.Width);
        using var labels = randint(10, rows);
        using var data = StoredRows.From(features, labels);
        var off = Epoch(shape, data, monitor: null);
        var on = Epoch(shape, data, new SharpnessMonitorOptions());
        var (offSeconds, onSeconds, snapshotSeconds) = (new List<double>(), new List<double>(), new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            var first = round % 2 == 0 ? off : on;
            var second = round % 2 == 0 ? on : off;
            var a = first();
            var b = second();
            if (round == 0) continue;
            foreach (var (epoch, snapshot) in new[] { a, b })
                if (snapshot is { } s) { onSeconds.Add(epoch); snapshotSeconds.Add(s); }
                else offSeconds.Add(epoch);
        }
        Console.Error.WriteLine($"{name}: off {Bench.Join(offSeconds, "F2")}; on {Bench.Join(onSeconds, "F2")}; snapshots {Bench.Join(snapshotSeconds, "F2")}");
        Console.WriteLine($"| {name} | {Bench.Median(offSeconds):F2} | {Bench.Median(onSeconds):F2} | {Bench.Median(snapshotSeconds):F2} | {Bench.MedianRatio(onSeconds, offSeconds):F3} | ≤ 1.10 |");
    }

    /// <summary>One SAM epoch per call from the same starting weights' network, trained on; its seconds and, with the monitor, the snapshot's.</summary>
    private static Func<(double Epoch, double? Snapshot)> Epoch(NetworkShape shape, ImageRows data, SharpnessMonitorOptions? monitor)
    {
        manual_seed(1);
        Sequential network = NetworkFactory.Create(shape);
        var loop = new TrainingLoop(new SamImageClassifierOptions
        {
            Optimizer = SharpnessOptimizer.Sam, Epochs = 1, BatchSize = 128, LearningRateSchedule = LearningRateSchedule.Constant, LearningRate = 0.01f,
            SharpnessMonitor = monitor,
        }, seed: 1, MLHost.Of(new MLContext()), _ => { }, _ => { });
        return () =>
        {
            var progress = loop.Run(network, RowSet.All(data), null, [], CPU, checkpoint: null);
            return (progress.History[0].Seconds, progress.SharpnessHistory.FirstOrDefault()?.Seconds);
        };
    }
}

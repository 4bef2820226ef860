using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// The epoch time of the trainer's in-memory path against today's float-tensor path, SGD on the ConvNet: the trainer's loop reading rows
/// stored as bytes (k/255 images) and as float32 (the same shapes, values that bytes cannot hold), against the hand-written loop that
/// index_selects batches from one float32 tensor (the gather the trainer used before; <see cref="HandWrittenLoop"/>). Contenders take
/// turns epoch by epoch in rotating order; round 0 is warm-up; ratios are medians of per-round ratios.
/// </summary>
internal static class InMemoryEpochSpeed
{
    public static void Run(string[] args)
    {
        int rows = Bench.Option(args, "--rows", 4000), side = Bench.Option(args, "--side", 28), channels = Bench.Option(args, "--channels", 1);
        int rounds = Bench.Option(args, "--rounds", 7), threads = Bench.Option(args, "--threads", 2);
        const int BatchSize = 128, Classes = 10;
        TorchRuntime.Prepare(threads);
        manual_seed(1);
        using var bytes = randint(256, new long[] { rows, channels, side, side }).to_type(ScalarType.Float32).mul_(PixelCodec.ByteScale);
        using var floats = rand(rows, channels, side, side);
        using var labels = randint(Classes, rows);
        using var byteRows = StoredRows.From(bytes, labels);
        using var floatRows = StoredRows.From(floats, labels);
        var shape = new NetworkShape(ImageClassifierArchitecture.ConvNet, channels, side, side, Classes);
        Sequential NewNetwork() { manual_seed(1); return NetworkFactory.Create(shape); }

        Func<double> Trainer(ImageRows data) => TrainerEpochs.Of(NewNetwork(), data, BatchSize, SharpnessOptimizer.Sgd);
        Func<double> Hand() => HandWrittenLoop.Epochs(NewNetwork(), bytes, labels, BatchSize);

        var contenders = new (string Name, Func<double> Epoch)[]
        {
            ("float tensor, index_select (hand-written loop)", Hand()), ($"trainer, {byteRows.Describe()}", Trainer(byteRows)),
            ($"trainer, {floatRows.Describe()}", Trainer(floatRows)),
        };
        var seconds = contenders.ToDictionary(c => c.Name, _ => new List<double>());
        double loadBefore = Bench.LoadAverage();
        for (int round = 0; round < rounds; round++)
            for (int turn = 0; turn < contenders.Length; turn++)
            {
                var (name, epoch) = contenders[(round + turn) % contenders.Length];
                double s = epoch();
                if (round > 0) seconds[name].Add(s);
            }

        string baseline = contenders[0].Name;
        Console.WriteLine($"ConvNet, SGD, {rows} rows of {channels}×{side}×{side}, batch {BatchSize}, {threads} threads, {rounds - 1} rounds after one warm-up; " +
            $"load average {loadBefore:F1} before, {Bench.LoadAverage():F1} after");
        Console.WriteLine();
        Console.WriteLine("| contender | median seconds per epoch | per-round seconds | median ratio to the float-tensor loop |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, _) in contenders)
            Console.WriteLine($"| {name} | {Bench.Median(seconds[name]):F2} | {Bench.Join(seconds[name], "F2")} | {Bench.MedianRatio(seconds[name], seconds[baseline]):F3} |");
    }
}

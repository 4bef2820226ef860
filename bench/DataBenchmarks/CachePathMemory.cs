using System.Diagnostics;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Optimization;
using Microsoft.ML.Sharpness.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Peak resident memory of training on more images than the memory budget: the images come from a data view that makes them as it is
/// read (<see cref="SyntheticImageView"/>), go through the trainer's loader into its cache file (the budget set below their size, so the
/// cache path is taken, as Fit does with DataCacheMemoryLimitMB), then ResNet-18 trains a few SAM steps from prefetched shuffled batches, and
/// finally every batch of one epoch is read once more without training (every page of the cache file touched). Prints VmHWM after each phase.
/// </summary>
internal static class CachePathMemory
{
    public static void Run(string[] args)
    {
        int rows = Bench.Option(args, "--rows", 30000), side = Bench.Option(args, "--side", 96), batch = Bench.Option(args, "--batch", 32);
        int steps = Bench.Option(args, "--steps", 5), limitMB = Bench.Option(args, "--limit-mb", 256), threads = Bench.Option(args, "--threads", 2);
        TorchRuntime.Prepare(threads);
        var ml = new MLContext(seed: 1);
        var data = SyntheticImageView.Create(ml, rows, side);
        var columns = ImageColumns.Inspect(data.Schema, "Features", "Label");
        Console.WriteLine($"{rows} RGB {side}×{side} images ({rows * 3L * side * side * 4 / 1e9:F2} GB as float32), memory budget {limitMB} MiB, " +
            $"ResNet-18, SAM over SGD, batch {batch}, {threads} threads, load average {Bench.LoadAverage():F1}");
        Report("start");

        using var cache = DataCache.Open(limitMB, directory: null);
        var clock = Stopwatch.StartNew();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var stored = ImageRowsLoader.Load(data, "Features", "Label", columns, cache, skipUnreadableImages: false, "training data", _ => { });
        Console.WriteLine($"loaded in {clock.Elapsed.TotalSeconds:F1} s: {stored.Describe()}; {(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6:F0} MB allocated on the managed heap during the pass");
        Report("after the pass over the data");

        var options = new SamImageClassifierOptions { Architecture = ImageClassifierArchitecture.ResNet18, BatchSize = batch };
        manual_seed(1);
        using var network = NetworkFactory.Create(NetworkShape.Of(options, 3, side, side, SyntheticImageView.Classes));
        network.train();
        using var optimizer = BaseOptimizers.Create(network.parameters(), options);
        var stepper = new SharpnessAwareStep(network, optimizer, options.Optimizer, options.Rho, options.AdaptiveEta, options.SharpnessBatchSize,
            options.LabelSmoothing, options.GradientClipNorm);
        using var generator = new Generator(1);
        using var permutation = randperm(stored.Count, generator: generator);
        long[] order = permutation.data<long>().ToArray();
        var stepSeconds = new List<double>();
        foreach (var (features, labels) in stored.Batches(order, batch, CPU))
        {
            clock.Restart();
            using (NewDisposeScope()) stepper.Step(features, labels);
            stepSeconds.Add(clock.Elapsed.TotalSeconds);
            if (stepSeconds.Count == steps) break;
        }
        Console.WriteLine($"{steps} SAM steps: {Bench.Join(stepSeconds, "F2")} s");
        Report($"after {steps} training steps");

        clock.Restart();
        long read = 0;
        foreach (var (features, _) in stored.Batches(order, batch, CPU)) read += features.shape[0];
        Console.WriteLine($"read all {read} rows once more in batches of {batch} (no training): {clock.Elapsed.TotalSeconds:F1} s");
        Report("after reading every batch of an epoch");
    }

    private static void Report(string phase)
    {
        var status = File.ReadAllLines("/proc/self/status").Where(l => l.StartsWith("VmHWM") || l.StartsWith("VmRSS") || l.StartsWith("RssFile"))
            .Select(l => string.Join(' ', l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        Console.WriteLine($"  {phase}: {string.Join(", ", status)}; managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1e6:F0} MB");
    }
}

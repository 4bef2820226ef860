using System.Diagnostics;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// The cost of a frozen-backbone fine-tune against one backbone pass over the same images (issue 21's goal: a 30-epoch frozen
/// fine-tune ≤ 1.3× one pass). Both read the same in-memory 224×224 pixels (ML.NET-cached, so image decoding is in neither):
/// "one pass" is ML.NET's ResNet-18 with its preprocessing run forward in batches by TorchSharp in inference mode; the fine-tune is
/// SamImageClassifier's Fit with FreezeBackbone (the backbone runs once per image, the epochs train the head on stored features).
/// The two take turns; round 0 is warm-up; the ratio is the median over rounds of per-round ratios.
/// </summary>
internal static class FrozenCost
{
    private const int Side = CachedPixels.Side;

    public static void Run(string data, int rows, int rounds, int epochs, int batch, int threads, SharpnessOptimizer optimizer)
    {
        var ml = new MLContext(seed: 1);
        set_num_threads(threads);
        var (cached, all, count) = CachedPixels.Load(ml, data, rows);

        using var preprocess = SamImageClassifierModel.FromOnnxFile(PretrainedModels.ResNet18ImageNetPreprocessing);
        using var backbone = SamImageClassifierModel.FromOnnxFile(PretrainedModels.ResNet18ImageNet);
        double OnePass()
        {
            var watch = Stopwatch.StartNew();
            using var noGrad = no_grad();
            for (int start = 0; start < count; start += batch)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batch, count - start);
                var x = tensor(all.AsSpan(start * 3 * Side * Side, n * 3 * Side * Side).ToArray(), new long[] { n, 3, Side, Side });
                backbone.Network.call(preprocess.Network.call(x));
            }
            return watch.Elapsed.TotalSeconds;
        }
        double FrozenFit()
        {
            var watch = Stopwatch.StartNew();
            ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                PretrainedModelPath = PretrainedModels.ResNet18ImageNet, PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing,
                FreezeBackbone = true, Optimizer = optimizer, LearningRate = 0.01f, Epochs = epochs, BatchSize = batch, NumberOfThreads = threads,
                Device = TrainingDevice.Cpu, Seed = 1,
            }).Fit(cached);
            return watch.Elapsed.TotalSeconds;
        }

        var (pass, fit) = TakingTurns.Run(rounds, OnePass, FrozenFit,
            (round, a, b) => Console.Error.WriteLine($"round {round}: one backbone pass {a:F2} s, {epochs}-epoch frozen fine-tune {b:F2} s"));
        Console.WriteLine($"ResNet-18 (ML.NET's ImageNet file) at {Side}×{Side}, {count} images, batch {batch}, {threads} threads, {optimizer} on the head, " +
            $"{rounds - 1} rounds after a warm-up; load at the end {Bench.LoadAverage():F1}");
        Console.WriteLine();
        Console.WriteLine("| contender | median seconds | ratio to one backbone pass (median over rounds) | goal |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| one backbone pass (preprocessing + ResNet-18 forward, inference mode) | {Bench.Median(pass):F2} | 1 | |");
        Console.WriteLine($"| {epochs}-epoch frozen fine-tune (SamImageClassifier Fit) | {Bench.Median(fit):F2} | {Bench.MedianRatio(fit, pass):F3} | ≤ 1.3 |");
    }
}

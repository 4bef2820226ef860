using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Fine-tuning ML.NET's ImageNet ResNet-18 as the trainer runs it (the imported ONNX graph, node by node, with its preprocessing)
/// against the trainer's own ResNet-18 (NetworkFactory, the same topology) on the same 224×224 images, batch and threads: the
/// epoch seconds the trainer reports (no loading), every parameter trainable at the full rate, BatchNorm in training mode on both.
/// With bench/TrainerBenchmarks' "pytorch" comparison of the trainer's ResNet-18 against PyTorch's, this places the imported
/// fine-tune against PyTorch. The two take turns; round 0 is warm-up; the ratio is the median over rounds of per-round ratios.
/// </summary>
internal static class ImportedStepCost
{
    public static void Run(string data, int rows, int rounds, int batch, int threads, SharpnessOptimizer optimizer)
    {
        var ml = new MLContext(seed: 1);
        set_num_threads(threads);
        var (cached, _, count) = CachedPixels.Load(ml, data, rows);
        double Epoch(bool imported)
        {
            double seconds = double.NaN;
            var options = new SamImageClassifierOptions
            {
                Optimizer = optimizer, LearningRate = 0.001f, Epochs = 1, BatchSize = batch, NumberOfThreads = threads, Device = TrainingDevice.Cpu, Seed = 1,
                Progress = new SynchronousProgress(report => seconds = report.Seconds),
            };
            if (imported)
            {
                options.PretrainedModelPath = PretrainedModels.ResNet18ImageNet;
                options.PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing;
                options.BackboneLearningRateScale = 1;
            }
            else
            {
                options.Architecture = ImageClassifierArchitecture.ResNet18;
            }
            ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(cached);
            return seconds;
        }

        var (importedSeconds, nativeSeconds) = TakingTurns.Run(rounds, () => Epoch(imported: true), () => Epoch(imported: false),
            (round, a, b) => Console.Error.WriteLine($"round {round}: imported ResNet-18 epoch {a:F2} s, native ResNet-18 epoch {b:F2} s"));
        Console.WriteLine($"ResNet-18 at 224×224, {count} images, batch {batch}, {threads} threads, {optimizer}, {rounds - 1} rounds after a warm-up; " +
            $"load at the end {Bench.LoadAverage():F1}; peak resident memory of the process {Bench.PeakResidentMiB():F0} MiB");
        Console.WriteLine();
        Console.WriteLine("| network | median epoch seconds | median per-round ratio to the native ResNet-18 |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| ML.NET's ImageNet ResNet-18, imported (preprocessing + graph, new head) | {Bench.Median(importedSeconds):F2} | {Bench.MedianRatio(importedSeconds, nativeSeconds):F3} |");
        Console.WriteLine($"| NetworkFactory's ResNet-18 (ImageNet stem) | {Bench.Median(nativeSeconds):F2} | 1 |");
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, after Fit may have returned).</summary>
    private sealed class SynchronousProgress(Action<TrainingEpochReport> report) : IProgress<TrainingEpochReport>
    {
        public void Report(TrainingEpochReport value) => report(value);
    }
}

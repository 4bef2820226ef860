using System.Diagnostics;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>Runs the epochs: shuffles, steps with <see cref="SharpnessAwareStep"/>, schedules the learning rate, validates and reports.</summary>
internal sealed class TrainingLoop
{
    private readonly SamImageClassifierOptions options;
    private readonly Action<TrainingEpochReport> report;

    public TrainingLoop(SamImageClassifierOptions options, Action<TrainingEpochReport> report)
    {
        this.options = options;
        this.report = report;
    }

    public IReadOnlyList<TrainingEpochReport> Run(Sequential network, ImageRows train, ImageRows? validation, Device device)
    {
        long rows = train.Count;
        int batchSize = (int)Math.Min(options.BatchSize, rows);
        long steps = (rows + batchSize - 1) / batchSize;
        using var optimizer = BaseOptimizers.Create(network.parameters(), options);
        var stepper = new SharpnessAwareStep(network, optimizer, options.Optimizer, options.Rho, options.AdaptiveEta, options.SharpnessBatchSize, options.LabelSmoothing,
            options.GradientClipNorm);
        var schedule = new LearningRateScheduler(options.LearningRateSchedule, options.LearningRate, steps, options.Epochs, options.StepEpochs, options.StepGamma);
        using var shuffling = new Generator((ulong)options.Seed);
        var history = new List<TrainingEpochReport>();

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            network.train();
            double lossSum = 0, rate = 0;
            long correct = 0, seen = 0;
            long step = 0;
            foreach (var (features, labels) in train.Batches(Shuffle(rows, shuffling), batchSize, device))
            {
                long length = labels.shape[0];
                if (length < 2 && steps > 1) break; // a single leftover row (always the last batch) cannot train BatchNorm
                rate = schedule.RateAt((epoch - 1) * steps + step);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
                StepOutcome outcome;
                using (NewDisposeScope())
                    outcome = stepper.Step(features, labels);
                if (!double.IsFinite(outcome.Loss))
                    throw new InvalidOperationException(
                        $"Training diverged: the loss became {outcome.Loss} at epoch {epoch}, step {step + 1} of {steps}. " +
                        $"Try a lower {nameof(options.LearningRate)} (now {rate:G4})" + (options.Optimizer == SharpnessOptimizer.Sgd ? "." : $" or {nameof(options.Rho)} (now {options.Rho:G4})."));
                lossSum += outcome.Loss * length;
                correct += outcome.Correct;
                seen += length;
                step++;
            }

            (double Loss, double Accuracy)? validated = validation is null ? null : InferenceScores.Of(network, validation, device);
            var epochReport = new TrainingEpochReport(epoch, lossSum / seen, (double)correct / seen,
                validated?.Loss, validated?.Accuracy, rate, clock.Elapsed.TotalSeconds);
            history.Add(epochReport);
            report(epochReport);
        }
        network.eval();
        return history;
    }

    /// <summary>A random permutation of the rows from the seeded generator, as today's epochs have always drawn it.</summary>
    private static long[] Shuffle(long rows, Generator generator)
    {
        using Tensor order = randperm(rows, generator: generator);
        return order.data<long>().ToArray();
    }
}

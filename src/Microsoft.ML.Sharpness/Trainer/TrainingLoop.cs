using System.Diagnostics;
using Microsoft.ML.Sharpness.Augmentation;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks.Imported;
using Microsoft.ML.Sharpness.Optimization;
using Microsoft.ML.Sharpness.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>
/// Runs the epochs: shuffles, augments, steps with <see cref="SharpnessAwareStep"/>, schedules the learning rate, validates, stops
/// early, measures sharpness (<see cref="SharpnessMonitor"/>), checkpoints and reports; checks for cancellation before every step.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly SamImageClassifierOptions options;
    private readonly int seed;
    private readonly MLHost host;
    private readonly Action<TrainingEpochReport> report;
    private readonly Action<string> log;

    /// <summary>A loop over <paramref name="options"/> whose seed is resolved to <paramref name="seed"/>.</summary>
    public TrainingLoop(SamImageClassifierOptions options, int seed, MLHost host, Action<TrainingEpochReport> report, Action<string> log)
    {
        this.options = options;
        this.seed = seed;
        this.host = host;
        this.report = report;
        this.log = log;
    }

    /// <summary>
    /// Trains <paramref name="network"/> on <paramref name="train"/>, validating after every epoch on <paramref name="validation"/> (which drives early
    /// stopping) and on each of <paramref name="additional"/> (reported only).
    /// </summary>
    public TrainingProgress Run(Sequential network, RowSet train, RowSet? validation, IReadOnlyList<(string Name, RowSet Rows)> additional, Device device,
        TrainingCheckpoint? checkpoint)
    {
        long rows = train.Count;
        int batchSize = (int)Math.Min(options.BatchSize, rows);
        long steps = (rows + batchSize - 1) / batchSize;
        using var optimizer = BaseOptimizers.Create(TrainableGroups.Of(network, options), options);
        var stepper = new SharpnessAwareStep(network, optimizer.Optimizer, options.Optimizer, options.Rho, options.AdaptiveEta, options.SharpnessBatchSize, options.LabelSmoothing,
            options.GradientClipNorm, TrainableGroups.Perturbed(network, options));
        var schedule = new LearningRateScheduler(options.LearningRateSchedule, options.LearningRate, steps, options.Epochs, options.StepEpochs, options.StepGamma);
        using var shuffling = new Generator((ulong)seed);
        using var augmentation = BatchAugmentation.For(options, seed + 1L);
        using var earlyStopping = options.EarlyStoppingPatience > 0 ? new EarlyStopping(options.EarlyStoppingPatience, options.EarlyStoppingMetric) : null;
        Generator[] generators = augmentation is null ? [shuffling] : [shuffling, augmentation.Generator];
        using var monitor = options.SharpnessMonitor is { } monitoring ? new SharpnessMonitor(monitoring, network, train, device, seed) : null;

        var progress = Resume(checkpoint, network, optimizer.Optimizer, generators, earlyStopping, monitor) ?? new TrainingProgress();
        while (progress.Epochs < options.Epochs && !progress.StoppedEarly)
        {
            int epoch = progress.Epochs + 1;
            var clock = Stopwatch.StartNew();
            network.train();
            double lossSum = 0, rate = 0;
            long correct = 0, seen = 0, step = 0;
            var snapshots = new List<SharpnessSnapshot>();
            foreach (var (images, labels) in train.Rows.Batches(Shuffle(train.Indices, shuffling), batchSize, device))
            {
                host.ThrowIfCanceled("Training");
                long length = labels.shape[0];
                if (length < 2 && steps > 1) break; // a single leftover row (always the last batch) cannot train BatchNorm
                rate = schedule.RateAt(progress.Steps + step);
                optimizer.SetLearningRate(rate);
                StepOutcome outcome;
                using (NewDisposeScope())
                    outcome = stepper.Step(augmentation?.Apply(images) ?? images, labels);
                if (!double.IsFinite(outcome.Loss))
                    throw new InvalidOperationException(
                        $"Training diverged: the loss became {outcome.Loss} at epoch {epoch}, step {step + 1} of {steps}. " +
                        $"Try a lower {nameof(options.LearningRate)} (now {rate:G4})" + (options.Optimizer == SharpnessOptimizer.Sgd ? "." : $" or {nameof(options.Rho)} (now {options.Rho:G4})."));
                lossSum += outcome.Loss * length;
                correct += outcome.Correct;
                seen += length;
                step++;
                if (monitor?.DueAfterStep(progress.Steps + step) == true)
                    snapshots.Add(Measure(monitor, network, epoch, progress.Steps + step, rate, progress.SharpnessHistory.Count + snapshots.Count));
            }
            if (monitor?.DueAfterEpoch(epoch) == true)
                snapshots.Add(Measure(monitor, network, epoch, progress.Steps + step, rate, progress.SharpnessHistory.Count + snapshots.Count));

            (double Loss, double Accuracy)? validated = validation is null ? null : InferenceScores.Of(network, validation, device);
            var additionalScores = additional.Count == 0 ? null : additional.ToDictionary(set => set.Name, set =>
            {
                var (loss, accuracy) = InferenceScores.Of(network, set.Rows, device);
                return new ValidationScores(loss, accuracy);
            });
            var epochReport = new TrainingEpochReport(epoch, lossSum / seen, (double)correct / seen,
                validated?.Loss, validated?.Accuracy, rate, clock.Elapsed.TotalSeconds) { AdditionalValidation = additionalScores, Sharpness = snapshots.LastOrDefault() };
            bool stop = earlyStopping?.Observe(epochReport, network) ?? false;
            progress = progress with
            {
                Epochs = epoch, Steps = progress.Steps + steps, History = [.. progress.History, epochReport],
                SharpnessHistory = [.. progress.SharpnessHistory, .. snapshots], EarlyStopping = earlyStopping?.State, StoppedEarly = stop,
            };
            checkpoint?.Save(progress, network, optimizer.Optimizer, generators, earlyStopping?.BestState, monitor?.WarmStart);
            report(epochReport);
        }
        if (earlyStopping?.State is { BestEpoch: > 0 } best)
        {
            earlyStopping.RestoreBest(network);
            log(progress.StoppedEarly
                ? $"Stopped early after epoch {progress.Epochs}: {options.EarlyStoppingMetric} did not improve for {options.EarlyStoppingPatience} epochs; keeping epoch {best.BestEpoch}'s weights."
                : $"Keeping the weights of epoch {best.BestEpoch}, the best by {options.EarlyStoppingMetric}.");
        }
        network.eval();
        return progress;
    }

    /// <summary>A snapshot by <paramref name="monitor"/> (in inference mode), the network put back in training mode.</summary>
    private SharpnessSnapshot Measure(SharpnessMonitor monitor, Sequential network, int epoch, long step, double rate, int index)
    {
        host.ThrowIfCanceled("Training");
        var snapshot = monitor.Measure(epoch, step, rate, index);
        network.train();
        return snapshot;
    }

    /// <summary>The rows of an epoch in random order: the i-th is <paramref name="rows"/>[π(i)] for a permutation π drawn from the seeded generator.</summary>
    private static long[] Shuffle(long[] rows, Generator generator)
    {
        using Tensor permutation = randperm(rows.LongLength, generator: generator);
        return permutation.data<long>().ToArray().Select(i => rows[i]).ToArray();
    }

    private TrainingProgress? Resume(TrainingCheckpoint? checkpoint, Sequential network, OptimizerHelper optimizer, Generator[] generators, EarlyStopping? earlyStopping,
        SharpnessMonitor? monitor)
    {
        if (checkpoint?.TryResume(network, optimizer, generators, out var best, out var warmStart) is not { } progress)
            return null;
        if (monitor is not null) monitor.WarmStart = warmStart;
        else warmStart?.Dispose();
        if (earlyStopping is not null && progress.EarlyStopping is { } state)
            earlyStopping.Resume(state, best);
        log($"Resuming from the checkpoint '{checkpoint!.Path}' after epoch {progress.Epochs} of {options.Epochs}" + (progress.StoppedEarly ? " (it had stopped early)." : "."));
        return progress;
    }
}

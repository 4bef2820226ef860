using System.Diagnostics;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks.Imported;
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

    public IReadOnlyList<TrainingEpochReport> Run(Sequential network, ImageTensors train, ImageTensors? validation, Device device)
    {
        long rows = train.Count;
        int batchSize = (int)Math.Min(options.BatchSize, rows);
        long steps = (rows + batchSize - 1) / batchSize;
        using var optimizer = BaseOptimizers.Create(TrainableGroups.Of(network, options), options);
        var stepper = new SharpnessAwareStep(network, optimizer.Optimizer, options.Optimizer, options.Rho, options.AdaptiveEta, options.SharpnessBatchSize, options.LabelSmoothing,
            options.GradientClipNorm);
        var schedule = new LearningRateScheduler(options.LearningRateSchedule, options.LearningRate, steps, options.Epochs, options.StepEpochs, options.StepGamma);
        using var shuffling = new Generator((ulong)options.Seed);
        var history = new List<TrainingEpochReport>();
        long globalStep = 0;

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            network.train();
            double lossSum = 0, rate = 0;
            long correct = 0, seen = 0;
            using Tensor order = randperm(rows, generator: shuffling).to(device);
            for (long step = 0; step < steps; step++, globalStep++)
            {
                long start = step * batchSize, length = Math.Min(batchSize, rows - start);
                if (length < 2 && steps > 1) continue; // a single leftover row cannot train BatchNorm
                rate = schedule.RateAt(globalStep);
                optimizer.SetLearningRate(rate);
                StepOutcome outcome;
                using (NewDisposeScope())
                {
                    Tensor index = order.narrow(0, start, length);
                    outcome = stepper.Step(train.Features.index_select(0, index), train.Labels.index_select(0, index));
                }
                if (!double.IsFinite(outcome.Loss))
                    throw new InvalidOperationException(
                        $"Training diverged: the loss became {outcome.Loss} at epoch {epoch}, step {step + 1} of {steps}. " +
                        $"Try a lower {nameof(options.LearningRate)} (now {rate:G4})" + (options.Optimizer == SharpnessOptimizer.Sgd ? "." : $" or {nameof(options.Rho)} (now {options.Rho:G4})."));
                lossSum += outcome.Loss * length;
                correct += outcome.Correct;
                seen += length;
            }

            (double Loss, double Accuracy)? validated = validation is null ? null : InferenceScores.Of(network, validation.Features, validation.Labels);
            var epochReport = new TrainingEpochReport(epoch, lossSum / seen, (double)correct / seen,
                validated?.Loss, validated?.Accuracy, rate, clock.Elapsed.TotalSeconds);
            history.Add(epochReport);
            report(epochReport);
        }
        network.eval();
        return history;
    }
}

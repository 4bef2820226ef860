using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Runtime;
using Microsoft.ML.Sharpness.Trainer;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>The trainer's own loop as a benchmark contender: one epoch per call, constant learning rate 0.01, on the CPU.</summary>
internal static class TrainerEpochs
{
    public static Func<double> Of(Sequential network, ImageRows data, int batchSize, SharpnessOptimizer optimizer, int sharpnessBatchSize = 0)
    {
        var loop = new TrainingLoop(new SamImageClassifierOptions
        {
            Optimizer = optimizer, SharpnessBatchSize = sharpnessBatchSize, Epochs = 1, BatchSize = batchSize,
            LearningRateSchedule = LearningRateSchedule.Constant, LearningRate = 0.01f,
        }, seed: 1, MLHost.Of(new MLContext()), _ => { }, _ => { });
        return () => loop.Run(network, RowSet.All(data), null, [], CPU, checkpoint: null).History[0].Seconds;
    }
}

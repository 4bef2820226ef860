using Require = Microsoft.ML.Sharpness.Runtime.Require<Microsoft.ML.Sharpness.ModelConnectionOptions>;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>Rejects <see cref="ModelConnectionOptions"/> values that cannot train or evaluate a curve, naming the option and what is expected.</summary>
internal static class ConnectionOptionsValidation
{
    public static void Check(ModelConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Require.That(options.Epochs >= 0, nameof(options.Epochs), options.Epochs, "0 (the straight line's bend, untrained) or more epochs");
        Require.That(options.BatchSize > 0, nameof(options.BatchSize), options.BatchSize, "a positive number of rows");
        Require.That(double.IsFinite(options.LearningRate) && options.LearningRate > 0, nameof(options.LearningRate), options.LearningRate, "a positive learning rate");
        Require.That(options.Momentum is >= 0 and < 1, nameof(options.Momentum), options.Momentum, "a momentum in [0, 1)");
        Require.That(double.IsFinite(options.WeightDecay) && options.WeightDecay >= 0, nameof(options.WeightDecay), options.WeightDecay, "a weight decay of 0 or more");
        Require.That(options.Points >= 2, nameof(options.Points), options.Points, "at least 2 values of t");
        Require.That(options.MaxRows > 0, nameof(options.MaxRows), options.MaxRows, "a positive number of rows");
        Require.That(options.NumberOfThreads is null or > 0, nameof(options.NumberOfThreads), options.NumberOfThreads, "null (TorchSharp's choice) or a positive thread count");
    }
}

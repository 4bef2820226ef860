namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>Rejects option values that cannot train, with a message naming the option, its value and what is expected.</summary>
internal static class OptionsValidation
{
    public static void Check(SamImageClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Require(options.BatchSize > 0, nameof(options.BatchSize), options.BatchSize, "a positive number of rows per step");
        Require(options.Epochs > 0, nameof(options.Epochs), options.Epochs, "a positive number of epochs");
        Require(options.Rho >= 0 && float.IsFinite(options.Rho), nameof(options.Rho), options.Rho, "a finite radius ρ ≥ 0 (0.05 is SAM's usual value)");
        Require(options.AdaptiveEta >= 0 && float.IsFinite(options.AdaptiveEta), nameof(options.AdaptiveEta), options.AdaptiveEta, "a finite η ≥ 0");
        Require(options.SharpnessBatchSize == 0 || options.SharpnessBatchSize >= 2, nameof(options.SharpnessBatchSize), options.SharpnessBatchSize,
            "0 (the whole batch) or at least 2 rows (BatchNorm needs two rows per sub-batch)");
        Require(options.LearningRate > 0 && float.IsFinite(options.LearningRate), nameof(options.LearningRate), options.LearningRate, "a finite positive learning rate");
        Require(options.Momentum >= 0 && options.Momentum < 1, nameof(options.Momentum), options.Momentum, "a momentum in [0, 1)");
        Require(!options.Nesterov || options.Momentum > 0, nameof(options.Nesterov), options.Nesterov, "Nesterov momentum only with Momentum > 0");
        Require(options.WeightDecay >= 0 && float.IsFinite(options.WeightDecay), nameof(options.WeightDecay), options.WeightDecay, "a finite weight decay ≥ 0");
        Require(options.LabelSmoothing >= 0 && options.LabelSmoothing < 1, nameof(options.LabelSmoothing), options.LabelSmoothing, "a label smoothing in [0, 1)");
        Require(options.StepEpochs > 0, nameof(options.StepEpochs), options.StepEpochs, "a positive number of epochs between decays");
        Require(options.StepGamma > 0 && options.StepGamma <= 1, nameof(options.StepGamma), options.StepGamma, "a decay factor in (0, 1]");
        Require(options.ResNetBlocksPerStage > 0, nameof(options.ResNetBlocksPerStage), options.ResNetBlocksPerStage, "a positive number of blocks");
        Require(options.NumberOfThreads is null or > 0, nameof(options.NumberOfThreads), options.NumberOfThreads, "null (TorchSharp's choice) or a positive thread count");
        Require(Enum.IsDefined(options.Optimizer), nameof(options.Optimizer), options.Optimizer, "one of " + string.Join(", ", Enum.GetNames<SharpnessOptimizer>()));
        Require(Enum.IsDefined(options.Architecture), nameof(options.Architecture), options.Architecture, "one of " + string.Join(", ", Enum.GetNames<ImageClassifierArchitecture>()));
        Require(Enum.IsDefined(options.LearningRateSchedule), nameof(options.LearningRateSchedule), options.LearningRateSchedule, "one of " + string.Join(", ", Enum.GetNames<LearningRateSchedule>()));
        Require(Enum.IsDefined(options.Device), nameof(options.Device), options.Device, "one of " + string.Join(", ", Enum.GetNames<TrainingDevice>()));
        foreach (var (name, value) in new[]
        {
            (nameof(options.LabelColumnName), options.LabelColumnName), (nameof(options.FeatureColumnName), options.FeatureColumnName),
            (nameof(options.ScoreColumnName), options.ScoreColumnName), (nameof(options.PredictedLabelColumnName), options.PredictedLabelColumnName),
        })
            Require(!string.IsNullOrWhiteSpace(value), name, value, "a column name");
    }

    private static void Require(bool condition, string option, object? value, string expected)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(option, value, $"{nameof(SamImageClassifierOptions)}.{option} is {value?.ToString() ?? "null"}; expected {expected}.");
    }
}

using Require = Microsoft.ML.Sharpness.Runtime.Require<Microsoft.ML.Sharpness.SamImageClassifierOptions>;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>Rejects option values that cannot train, with a message naming the option, its value and what is expected.</summary>
internal static class OptionsValidation
{
    public static void Check(SamImageClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Require.That(options.BatchSize > 0, nameof(options.BatchSize), options.BatchSize, "a positive number of rows per step");
        Require.That(options.Epochs > 0, nameof(options.Epochs), options.Epochs, "a positive number of epochs");
        Require.That(options.Rho >= 0 && float.IsFinite(options.Rho), nameof(options.Rho), options.Rho, "a finite radius ρ ≥ 0 (0.05 is SAM's usual value)");
        Require.That(options.AdaptiveEta >= 0 && float.IsFinite(options.AdaptiveEta), nameof(options.AdaptiveEta), options.AdaptiveEta, "a finite η ≥ 0");
        Require.That(options.SharpnessBatchSize == 0 || options.SharpnessBatchSize >= 2, nameof(options.SharpnessBatchSize), options.SharpnessBatchSize,
            "0 (the whole batch) or at least 2 rows (BatchNorm needs two rows per sub-batch)");
        Require.That(options.LearningRate > 0 && float.IsFinite(options.LearningRate), nameof(options.LearningRate), options.LearningRate, "a finite positive learning rate");
        Require.That(options.Momentum >= 0 && options.Momentum < 1, nameof(options.Momentum), options.Momentum, "a momentum in [0, 1)");
        Require.That(!options.Nesterov || options.Momentum > 0, nameof(options.Nesterov), options.Nesterov, "Nesterov momentum only with Momentum > 0");
        Require.That(options.WeightDecay >= 0 && float.IsFinite(options.WeightDecay), nameof(options.WeightDecay), options.WeightDecay, "a finite weight decay ≥ 0");
        Require.That(options.Beta1 >= 0 && options.Beta1 < 1, nameof(options.Beta1), options.Beta1, "a first-moment decay β₁ in [0, 1) (0.9 is Adam's usual value)");
        Require.That(options.Beta2 >= 0 && options.Beta2 < 1, nameof(options.Beta2), options.Beta2, "a second-moment decay β₂ in [0, 1) (0.999 is Adam's usual value)");
        Require.That(options.AdamEpsilon > 0 && float.IsFinite(options.AdamEpsilon), nameof(options.AdamEpsilon), options.AdamEpsilon, "a finite ε > 0 (1e-8 is Adam's usual value)");
        Require.That(options.GradientClipNorm >= 0 && float.IsFinite(options.GradientClipNorm), nameof(options.GradientClipNorm), options.GradientClipNorm,
            "a finite norm ≥ 0 (0 turns clipping off)");
        Require.That(options.LabelSmoothing >= 0 && options.LabelSmoothing < 1, nameof(options.LabelSmoothing), options.LabelSmoothing, "a label smoothing in [0, 1)");
        Require.That(options.StepEpochs > 0, nameof(options.StepEpochs), options.StepEpochs, "a positive number of epochs between decays");
        Require.That(options.StepGamma > 0 && options.StepGamma <= 1, nameof(options.StepGamma), options.StepGamma, "a decay factor in (0, 1]");
        Require.That(options.ResNetBlocksPerStage > 0, nameof(options.ResNetBlocksPerStage), options.ResNetBlocksPerStage, "a positive number of blocks");
        Require.That(options.WideResNetDepth >= 10 && (options.WideResNetDepth - 4) % 6 == 0, nameof(options.WideResNetDepth), options.WideResNetDepth,
            "a depth 6n + 4 with n ≥ 1 blocks per group (10, 16, 22, 28, …)");
        Require.That(options.WideResNetWidth > 0, nameof(options.WideResNetWidth), options.WideResNetWidth, "a positive widening factor k");
        Require.That(options.WideResNetDropout >= 0 && options.WideResNetDropout < 1, nameof(options.WideResNetDropout), options.WideResNetDropout, "a dropout probability in [0, 1)");
        Require.That(options.ValidationFraction >= 0 && options.ValidationFraction < 1, nameof(options.ValidationFraction), options.ValidationFraction,
            "a fraction in [0, 1) of the training rows to hold out (0: none)");
        Require.That(options.ValidationFraction == 0 || options.ValidationSet is null, nameof(options.ValidationFraction), options.ValidationFraction,
            $"0 when a {nameof(options.ValidationSet)} is given (one source of validation rows)");
        Require.That(options.EarlyStoppingPatience >= 0, nameof(options.EarlyStoppingPatience), options.EarlyStoppingPatience, "a number of epochs ≥ 0 (0 turns early stopping off)");
        Require.That(options.EarlyStoppingPatience == 0 || options.ValidationSet is not null || options.ValidationFraction > 0,
            nameof(options.EarlyStoppingPatience), options.EarlyStoppingPatience,
            $"0 without validation rows: early stopping watches the validation set, so give a {nameof(options.ValidationSet)} or a {nameof(options.ValidationFraction)} > 0");
        Require.Defined(options.EarlyStoppingMetric, nameof(options.EarlyStoppingMetric));
        Require.That(options.AdditionalValidationSets?.All(set => !string.IsNullOrWhiteSpace(set.Key) && set.Value is not null) ?? true,
            nameof(options.AdditionalValidationSets), string.Join(", ", options.AdditionalValidationSets?.Keys ?? []), "named sets (a non-empty name each) of data, none null");
        Require.That((options.Augmentation & ~(ImageAugmentation.CropAndFlip | ImageAugmentation.Cutout)) == 0, nameof(options.Augmentation), options.Augmentation,
            "None, CropAndFlip, Cutout or CropAndFlip | Cutout");
        Require.That(options.AugmentationPadding >= 0, nameof(options.AugmentationPadding), options.AugmentationPadding, "a padding ≥ 0 pixels");
        Require.That(options.CutoutSize > 0, nameof(options.CutoutSize), options.CutoutSize, "a square side ≥ 1 pixel");
        Require.That(options.CheckpointDirectory is null || !string.IsNullOrWhiteSpace(options.CheckpointDirectory), nameof(options.CheckpointDirectory),
            options.CheckpointDirectory, "null (no checkpoints) or a folder");
        Require.That(options.NumberOfThreads is null or > 0, nameof(options.NumberOfThreads), options.NumberOfThreads, "null (TorchSharp's choice) or a positive thread count");
        Require.That(options.DataCacheMemoryLimitMB is null or >= 0 and <= long.MaxValue >> 20, nameof(options.DataCacheMemoryLimitMB), options.DataCacheMemoryLimitMB,
            "null (a quarter of the memory) or MiB ≥ 0 (0 keeps every image in the cache file)");
        Require.That(options.CacheDirectory is null || (!string.IsNullOrWhiteSpace(options.CacheDirectory) && options.CacheDirectory.IndexOf('\0') < 0),
            nameof(options.CacheDirectory), options.CacheDirectory, "null (the system's temp folder) or a folder path");
        CheckPretrainedOptions(options);
        CheckSharpnessMonitor(options.SharpnessMonitor);
        Require.Defined(options.Optimizer, nameof(options.Optimizer));
        Require.Defined(options.BaseOptimizer, nameof(options.BaseOptimizer));
        CheckBaseOptimizerOptions(options);
        Require.Defined(options.Architecture, nameof(options.Architecture));
        Require.Defined(options.LearningRateSchedule, nameof(options.LearningRateSchedule));
        Require.Defined(options.Device, nameof(options.Device));
        foreach (var (name, value) in new[]
        {
            (nameof(options.LabelColumnName), options.LabelColumnName), (nameof(options.FeatureColumnName), options.FeatureColumnName),
            (nameof(options.ScoreColumnName), options.ScoreColumnName), (nameof(options.PredictedLabelColumnName), options.PredictedLabelColumnName),
        })
            Require.That(!string.IsNullOrWhiteSpace(value), name, value, "a column name");
    }

    /// <summary>The options that depend on the images' size, checked once the feature column's H×W is known.</summary>
    public static void CheckImageSize(SamImageClassifierOptions options, int height, int width)
    {
        if (options.Augmentation.HasFlag(ImageAugmentation.CropAndFlip))
            Require.That(options.AugmentationPadding <= Math.Min(height, width), nameof(options.AugmentationPadding), options.AugmentationPadding,
                $"at most the images' {height}×{width} size (a crop of a padding wider than the image would show only padding)");
        if (options.Augmentation.HasFlag(ImageAugmentation.Cutout))
            Require.That(options.CutoutSize <= Math.Max(height, width), nameof(options.CutoutSize), options.CutoutSize,
                $"at most the images' larger side ({height}×{width} images)");
    }

    /// <summary>The fine-tuning options: a readable ONNX file, and the options that only fine-tuning reads set only with one.</summary>
    private static void CheckPretrainedOptions(SamImageClassifierOptions options)
    {
        Require.That(options.BackboneLearningRateScale > 0 && float.IsFinite(options.BackboneLearningRateScale), nameof(options.BackboneLearningRateScale),
            options.BackboneLearningRateScale, "a finite positive multiple of the learning rate (0.1 is usual; set FreezeBackbone to train the head alone)");
        if (options.InputNormalization is { } normalization)
            normalization.For(normalization.Mean.Count, nameof(options.InputNormalization));
        if (options.PretrainedModelPath is not { } path)
        {
            string needsPath = $"its default with {nameof(options.PretrainedModelPath)} null (it applies only to fine-tuning a pretrained ONNX model)";
            Require.That(options.PretrainedFeatureNode is null, nameof(options.PretrainedFeatureNode), options.PretrainedFeatureNode, needsPath);
            Require.That(!options.FreezeBackbone, nameof(options.FreezeBackbone), options.FreezeBackbone, needsPath);
            Require.That(!options.FreezeBackboneStatistics, nameof(options.FreezeBackboneStatistics), options.FreezeBackboneStatistics, needsPath);
            Require.That(options.PerturbBackbone, nameof(options.PerturbBackbone), options.PerturbBackbone, needsPath);
            Require.That(options.BackboneLearningRateScale == new TrainingSettings().BackboneLearningRateScale, nameof(options.BackboneLearningRateScale),
                options.BackboneLearningRateScale, needsPath);
            Require.That(options.InputNormalization is null, nameof(options.InputNormalization), "set", needsPath);
            Require.That(options.PretrainedPreprocessingPath is null, nameof(options.PretrainedPreprocessingPath), options.PretrainedPreprocessingPath, needsPath);
            return;
        }
        Require.That(!string.IsNullOrWhiteSpace(path) && File.Exists(path), nameof(options.PretrainedModelPath), path,
            $"the path of an existing .onnx file (current directory '{Environment.CurrentDirectory}')");
        Require.That(options.PretrainedPreprocessingPath is not { } preprocessing || !string.IsNullOrWhiteSpace(preprocessing) && File.Exists(preprocessing),
            nameof(options.PretrainedPreprocessingPath), options.PretrainedPreprocessingPath,
            $"null or the path of an existing .onnx file (current directory '{Environment.CurrentDirectory}')");
        Require.That(options.PretrainedFeatureNode is null || options.PretrainedFeatureNode.Length > 0, nameof(options.PretrainedFeatureNode), options.PretrainedFeatureNode,
            "null (the penultimate features) or a node name");
    }

    /// <summary>The sharpness monitor's settings, when it is on; each named as <c>SharpnessMonitor.Name</c>.</summary>
    private static void CheckSharpnessMonitor(SharpnessMonitorOptions? monitor)
    {
        if (monitor is null) return;
        const string prefix = nameof(SamImageClassifierOptions.SharpnessMonitor) + ".";
        Require.That(monitor.EveryEpochs > 0, prefix + nameof(monitor.EveryEpochs), monitor.EveryEpochs, "a positive number of epochs between snapshots");
        Require.That(monitor.EverySteps >= 0, prefix + nameof(monitor.EverySteps), monitor.EverySteps, "0 (by epochs) or a positive number of steps between snapshots");
        Require.That(monitor.Rows >= 1, prefix + nameof(monitor.Rows), monitor.Rows, "a positive number of training rows to measure (256 by default)");
        Require.That(monitor.PowerIterations >= 1, prefix + nameof(monitor.PowerIterations), monitor.PowerIterations, "at least 1 power iteration per snapshot");
        Require.That(monitor.Rho > 0 && float.IsFinite(monitor.Rho), prefix + nameof(monitor.Rho), monitor.Rho, "a finite radius ρ > 0 (0.05 by default)");
        Require.That(monitor.NoiseBatchSize >= 1, prefix + nameof(monitor.NoiseBatchSize), monitor.NoiseBatchSize, "a positive number of rows per minibatch");
        Require.That(monitor.NoisePairs >= 0, prefix + nameof(monitor.NoisePairs), monitor.NoisePairs, "a number of minibatch pairs ≥ 0 (0 leaves the noise trace out)");
    }

    /// <summary>An option of one base optimizer set away from its default while another one trains would be silently ignored: rejected, naming both options.</summary>
    private static void CheckBaseOptimizerOptions(SamImageClassifierOptions options)
    {
        var defaults = new TrainingSettings();
        string kind = $"{nameof(options.BaseOptimizer)} {options.BaseOptimizer}";
        if (options.BaseOptimizer == BaseOptimizer.Sgd)
        {
            foreach (var (name, value, standard) in new[]
            {
                (nameof(options.Beta1), options.Beta1, defaults.Beta1), (nameof(options.Beta2), options.Beta2, defaults.Beta2),
                (nameof(options.AdamEpsilon), options.AdamEpsilon, defaults.AdamEpsilon),
            })
                Require.That(value == standard, name, value,
                    $"its default {standard} with {kind}, which does not use it ({name} is Adam's and AdamW's: set {nameof(options.BaseOptimizer)} to Adam or AdamW)");
            return;
        }
        Require.That(!options.Nesterov, nameof(options.Nesterov), options.Nesterov,
            $"false with {kind} (Nesterov momentum is SGD's; Adam's momentum is {nameof(options.Beta1)})");
        Require.That(options.Momentum == defaults.Momentum, nameof(options.Momentum), options.Momentum,
            $"its default {defaults.Momentum} with {kind}, which does not use it ({nameof(options.Momentum)} is SGD's; Adam's momentum is {nameof(options.Beta1)}, now {options.Beta1})");
    }
}

using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Imported;
using Microsoft.ML.Sharpness.Onnx;
using Microsoft.ML.Sharpness.Persistence;
using Microsoft.ML.Sharpness.Runtime;
using Microsoft.ML.Sharpness.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness;

/// <summary>
/// Trains a TorchSharp image classifier (<see cref="ImageClassifierArchitecture"/>) with SGD, Adam or AdamW, alone or under SAM or ASAM, on a
/// <c>Vector&lt;Single, C, H, W&gt;</c> feature column and a key label. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.SamImageClassifier(...)</c>.
/// </summary>
public sealed class SamImageClassifierTrainer : IEstimator<SamImageClassifierTransformer>
{
    private readonly IHostEnvironment environment;
    private readonly SamImageClassifierOptions options;

    internal SamImageClassifierTrainer(IHostEnvironment environment, SamImageClassifierOptions options)
    {
        OptionsValidation.Check(options);
        this.environment = environment;
        this.options = options;
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckColumn(inputSchema, options.FeatureColumnName, "feature", c => c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single,
            "a known-size Vector<Single, C, H, W> (ExtractPixels(..., interleavePixelColors: false))");
        CheckColumn(inputSchema, options.LabelColumnName, "label", c => c.IsKey && c.Kind == SchemaShape.Column.VectorKind.Scalar,
            "a key (MapValueToKey)");
        // Score is a known-size Vector<Single> like the features; PredictedLabel a key like the label. ML.NET's column-shape
        // constructor is internal, so the shapes come from copying those columns.
        var transforms = MLHost.Of(environment).Transforms;
        return transforms.CopyColumns(options.ScoreColumnName, options.FeatureColumnName)
            .Append(transforms.CopyColumns(options.PredictedLabelColumnName, options.LabelColumnName))
            .GetOutputSchema(inputSchema);
    }

    /// <summary>
    /// Trains on <paramref name="input"/> and returns the model; progress goes to <c>MLContext.Log</c> and <see cref="SamImageClassifierOptions.Progress"/>.
    /// The options are copied and checked again here. Throws <see cref="OperationCanceledException"/> when the context is canceled
    /// (<see cref="MLContextExtensions.CancelExecution"/>).
    /// </summary>
    public SamImageClassifierTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = this.options.Copy();
        OptionsValidation.Check(options);
        var host = MLHost.Of(environment);
        host.ThrowIfCanceled("Training");
        var columns = ImageColumns.Inspect(input.Schema, options.FeatureColumnName, options.LabelColumnName);
        OptionsValidation.CheckImageSize(options, columns.Height, columns.Width);
        int seed = options.Seed ?? host.Seed ?? 1;
        options.Seed = seed;
        using IChannel channel = environment.Start("SamImageClassifier");
        void Log(string message) => channel.Info(MessageSensitivity.None, message);

        Device device = TorchRuntime.Prepare(options.NumberOfThreads, options.Device, options.FallbackToCpu, Log);
        using var cache = DataCache.Open(options.DataCacheMemoryLimitMB, options.CacheDirectory);
        void ThrowIfCanceled() => host.ThrowIfCanceled("Training");
        using var rows = ImageRowsLoader.Load(input, options.FeatureColumnName, options.LabelColumnName, columns, cache, options.SkipUnreadableImages, "training data", Log, ThrowIfCanceled);
        using var validationRows = options.ValidationSet is { } validationSet ? LoadValidation(options, validationSet, columns, cache, Log, ThrowIfCanceled) : null;
        var (train, validation) = Split(options, rows, validationRows, seed);
        using var additional = new AdditionalValidationRows();
        foreach (var (name, data) in options.AdditionalValidationSets ?? new Dictionary<string, IDataView>())
            additional.Add(name, LoadValidation(options, data, columns, cache, Log, ThrowIfCanceled, $"validation set '{name}'"));
        var shape = NetworkShape.Of(options, columns.Channels, columns.Height, columns.Width, columns.Classes);
        Log($"Training a {shape.Describe()} with {StepDescription(options)} " +
            $"on {train.Count} rows{(validation is null ? "" : $", validating on {validation.Count}")}, {options.Epochs} epochs of batch {options.BatchSize}" +
            $"{(options.Augmentation == ImageAugmentation.None ? "" : $", augmented with {options.Augmentation}")}, seed {seed}, on {device.type}.");

        manual_seed(seed);
        var network = options.PretrainedModelPath is null
            ? NetworkFactory.Create(shape)
            : PretrainedNetwork.Create(options, columns.Channels, columns.Height, columns.Width, columns.Classes, Log);
        try
        {
            if (options.InitialModel is { } initial)
                WarmStart.CopyWeights(initial, network, shape, Log);
            network.to(device);
            var checkpoint = options.CheckpointDirectory is { } folder
                ? new TrainingCheckpoint(folder, options, rows.Fingerprint + (validationRows is null ? "" : "+" + validationRows.Fingerprint))
                : null;
            var loop = new TrainingLoop(options, seed, host, report =>
            {
                Log(report.ToString());
                options.Progress?.Report(report);
            }, Log);
            TrainingProgress progress;
            if (FrozenBackboneFeatures.Apply(options))
            {
                using var features = new FrozenBackboneFeatures(network, options.BatchSize, device, cache, ThrowIfCanceled, Log);
                var (featureTrain, featureValidation) = (features.Of(train), validation is null ? null : features.Of(validation));
                var featureAdditional = additional.Sets.Select(set => (set.Name, features.Of(set.Rows))).ToList();
                progress = loop.Run(features.Head, featureTrain, featureValidation, featureAdditional, device, checkpoint);
            }
            else
                progress = loop.Run(network, train, validation, additional.Sets, device, checkpoint);
            network.to(CPU);

            var info = Describe(options, columns, train.Count, rows.SkippedRows, progress);
            var names = new OnnxColumnNames(options.FeatureColumnName, ScoringChain.LogitsColumn(info));
            byte[] onnx = OnnxModelExport.Export(network, shape, names, new Dictionary<string, string> { [SamImageClassifierModel.MetadataKey] = info.ToJson() });
            var scoring = ScoringChain.Create(environment, onnx, input.Schema, info);
            return new SamImageClassifierTransformer(scoring, new SamImageClassifierModel(info, network, onnx));
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The rows to train on and to validate on: all rows and the <see cref="SamImageClassifierOptions.ValidationSet"/>, a held-out share of the rows, or all rows alone.</summary>
    private static (RowSet Train, RowSet? Validation) Split(SamImageClassifierOptions options, ImageRows rows, ImageRows? validationSet, int seed)
    {
        if (validationSet is not null)
            return (RowSet.All(rows), RowSet.All(validationSet));
        if (options.ValidationFraction <= 0)
            return (RowSet.All(rows), null);
        var (trainRows, validationRows) = ValidationSplit.Split(rows.Labels, options.ValidationFraction, seed);
        if (validationRows.Length == 0)
            throw new ArgumentOutOfRangeException(nameof(SamImageClassifierOptions.ValidationFraction), options.ValidationFraction,
                $"{nameof(SamImageClassifierOptions.ValidationFraction)} {options.ValidationFraction} of {rows.Count} rows holds out no row (every class has a single row); give a {nameof(SamImageClassifierOptions.ValidationSet)}.");
        return (new RowSet(rows, trainRows), new RowSet(rows, validationRows));
    }

    /// <summary>"Sam over AdamW", "AdaptiveSam over Sgd", or the base optimizer alone ("plain Adam") when nothing perturbs the weights.</summary>
    private static string StepDescription(SamImageClassifierOptions options) =>
        (options.Optimizer == SharpnessOptimizer.Sgd ? $"plain {options.BaseOptimizer}" : $"{options.Optimizer} over {options.BaseOptimizer}") +
        (options.GradientClipNorm > 0 ? $" (gradients clipped to norm {options.GradientClipNorm:G4})" : "");

    private static ImageRows LoadValidation(SamImageClassifierOptions options, IDataView data, ImageColumns trainColumns, DataCache cache, Action<string> log, Action throwIfCanceled,
        string role = "validation set")
    {
        var columns = ImageColumns.Inspect(data.Schema, options.FeatureColumnName, options.LabelColumnName);
        if (columns.Channels != trainColumns.Channels || columns.Height != trainColumns.Height || columns.Width != trainColumns.Width || columns.Classes != trainColumns.Classes)
            throw new ArgumentOutOfRangeException(role == "validation set" ? nameof(SamImageClassifierOptions.ValidationSet) : nameof(SamImageClassifierOptions.AdditionalValidationSets),
                $"The {role} has {columns.Channels}×{columns.Height}×{columns.Width} images and {columns.Classes} classes; the training data has " +
                $"{trainColumns.Channels}×{trainColumns.Height}×{trainColumns.Width} and {trainColumns.Classes}. Transform both with the same pipeline.");
        return ImageRowsLoader.Load(data, options.FeatureColumnName, options.LabelColumnName, columns, cache, options.SkipUnreadableImages, role, log, throwIfCanceled);
    }

    private static SamImageClassifierModelInfo Describe(SamImageClassifierOptions options, ImageColumns columns, long rows, long skippedRows, TrainingProgress progress) => new()
    {
        Channels = columns.Channels,
        Height = columns.Height,
        Width = columns.Width,
        ClassNames = columns.ClassNames,
        FeatureColumnName = options.FeatureColumnName,
        LabelColumnName = options.LabelColumnName,
        ScoreColumnName = options.ScoreColumnName,
        PredictedLabelColumnName = options.PredictedLabelColumnName,
        Training = options.CopySettings(),
        TrainingRows = rows,
        SkippedTrainingRows = skippedRows,
        TrainingHistory = progress.History,
        SharpnessHistory = progress.SharpnessHistory,
        BestEpoch = progress.EarlyStopping?.BestEpoch,
    };

    private static void CheckColumn(SchemaShape schema, string name, string role, Func<SchemaShape.Column, bool> isValid, string expected)
    {
        var column = schema.FirstOrDefault(c => c.Name == name);
        if (column.Name is null)
            throw new ArgumentOutOfRangeException(nameof(schema), $"The {role} column '{name}' is not in the data. Columns present: {string.Join(", ", schema.Select(c => $"'{c.Name}'"))}.");
        if (!isValid(column))
            throw new ArgumentOutOfRangeException(nameof(schema), $"The {role} column '{name}' is {column.Kind} of {column.ItemType}{(column.IsKey ? " (key)" : "")}; expected {expected}.");
    }
}

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
        var mlContext = TorchRuntime.MLContextOf(environment);
        return mlContext.Transforms.CopyColumns(options.ScoreColumnName, options.FeatureColumnName)
            .Append(mlContext.Transforms.CopyColumns(options.PredictedLabelColumnName, options.LabelColumnName))
            .GetOutputSchema(inputSchema);
    }

    /// <summary>Trains on <paramref name="input"/> and returns the model; progress goes to <c>MLContext.Log</c> and <see cref="SamImageClassifierOptions.Progress"/>.</summary>
    public SamImageClassifierTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var columns = ImageColumns.Inspect(input.Schema, options.FeatureColumnName, options.LabelColumnName);
        using IChannel channel = environment.Start("SamImageClassifier");
        void Log(string message) => channel.Info(MessageSensitivity.None, message);

        Device device = TorchRuntime.Prepare(options.NumberOfThreads, options.Device, options.FallbackToCpu, Log);
        using var train = ImageTensors.Load(input, options.FeatureColumnName, options.LabelColumnName, columns, device, "training data");
        using var validation = LoadValidation(columns, device);
        var shape = NetworkShape.Of(options, columns.Channels, columns.Height, columns.Width, columns.Classes);
        Log($"Training a {shape.Describe()} with {StepDescription()} " +
            $"on {train.Count} rows{(validation is null ? "" : $", validating on {validation.Count}")}, {options.Epochs} epochs of batch {options.BatchSize}, on {device.type}.");

        manual_seed(options.Seed);
        var network = options.PretrainedModelPath is null
            ? NetworkFactory.Create(shape)
            : PretrainedNetwork.Create(options, columns.Channels, columns.Height, columns.Width, columns.Classes, Log);
        if (options.InitialModel is { } initial)
            WarmStart.CopyWeights(initial, network, shape, Log);
        network.to(device);
        var loop = new TrainingLoop(options, report =>
        {
            Log(report.ToString());
            options.Progress?.Report(report);
        });
        var history = loop.Run(network, train, validation, device);
        network.to(CPU);

        var info = Describe(columns, train.Count, history);
        var names = new OnnxColumnNames(options.FeatureColumnName, ScoringChain.LogitsColumn(info));
        byte[] onnx = OnnxModelExport.Export(network, shape, names, new Dictionary<string, string> { [SamImageClassifierModel.MetadataKey] = info.ToJson() });
        var scoring = ScoringChain.Create(environment, onnx, input.Schema, info);
        return new SamImageClassifierTransformer(scoring, new SamImageClassifierModel(info, network, onnx));
    }

    /// <summary>"Sam over AdamW", "AdaptiveSam over Sgd", or the base optimizer alone ("plain Adam") when nothing perturbs the weights.</summary>
    private string StepDescription() =>
        (options.Optimizer == SharpnessOptimizer.Sgd ? $"plain {options.BaseOptimizer}" : $"{options.Optimizer} over {options.BaseOptimizer}") +
        (options.GradientClipNorm > 0 ? $" (gradients clipped to norm {options.GradientClipNorm:G4})" : "");

    private ImageTensors? LoadValidation(ImageColumns trainColumns, Device device)
    {
        if (options.ValidationSet is not { } data)
            return null;
        var columns = ImageColumns.Inspect(data.Schema, options.FeatureColumnName, options.LabelColumnName);
        if (columns.Channels != trainColumns.Channels || columns.Height != trainColumns.Height || columns.Width != trainColumns.Width || columns.Classes != trainColumns.Classes)
            throw new ArgumentOutOfRangeException(nameof(SamImageClassifierOptions.ValidationSet),
                $"The validation set has {columns.Channels}×{columns.Height}×{columns.Width} images and {columns.Classes} classes; the training data has " +
                $"{trainColumns.Channels}×{trainColumns.Height}×{trainColumns.Width} and {trainColumns.Classes}. Transform both with the same pipeline.");
        return ImageTensors.Load(data, options.FeatureColumnName, options.LabelColumnName, columns, device, "validation set");
    }

    private SamImageClassifierModelInfo Describe(ImageColumns columns, long rows, IReadOnlyList<TrainingEpochReport> history) => new()
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
        TrainingHistory = history,
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

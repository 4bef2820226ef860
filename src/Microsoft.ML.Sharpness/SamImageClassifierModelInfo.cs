using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Sharpness.Networks;

namespace Microsoft.ML.Sharpness;

/// <summary>
/// What a trained <see cref="SamImageClassifierTrainer"/> model says about itself; saved (as JSON) inside the model file,
/// so that a model loaded with <c>mlContext.Model.Load</c> can be rebuilt as a TorchSharp network.
/// </summary>
public sealed record SamImageClassifierModelInfo
{
    /// <summary>The version of this description's format.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>The network family.</summary>
    public ImageClassifierArchitecture Architecture { get; init; }

    /// <summary>Residual blocks per stage (ResNet only).</summary>
    public int ResNetBlocksPerStage { get; init; }

    /// <summary>Image channels C of the feature column.</summary>
    public int Channels { get; init; }

    /// <summary>Image height H.</summary>
    public int Height { get; init; }

    /// <summary>Image width W.</summary>
    public int Width { get; init; }

    /// <summary>The label's key values as text, in key order; Score slot k is the probability of ClassNames[k].</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = Array.Empty<string>();

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; init; } = "Features";

    /// <summary>The label column it was trained on.</summary>
    public string LabelColumnName { get; init; } = "Label";

    /// <summary>The output column of class probabilities.</summary>
    public string ScoreColumnName { get; init; } = "Score";

    /// <summary>The output column of the predicted key.</summary>
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";

    /// <summary>The optimizer it was trained with.</summary>
    public SharpnessOptimizer Optimizer { get; init; }

    /// <summary>SAM's ρ.</summary>
    public float Rho { get; init; }

    /// <summary>ASAM's η.</summary>
    public float AdaptiveEta { get; init; }

    /// <summary>m of m-sharpness (0 = whole batch).</summary>
    public int SharpnessBatchSize { get; init; }

    /// <summary>The base learning rate.</summary>
    public float LearningRate { get; init; }

    /// <summary>SGD momentum.</summary>
    public float Momentum { get; init; }

    /// <summary>Whether Nesterov momentum was used.</summary>
    public bool Nesterov { get; init; }

    /// <summary>L2 weight decay.</summary>
    public float WeightDecay { get; init; }

    /// <summary>The learning-rate schedule.</summary>
    public LearningRateSchedule LearningRateSchedule { get; init; }

    /// <summary>Epochs trained.</summary>
    public int Epochs { get; init; }

    /// <summary>Rows per step.</summary>
    public int BatchSize { get; init; }

    /// <summary>Label smoothing of the training loss.</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>The training seed.</summary>
    public int Seed { get; init; }

    /// <summary>Rows in the training set.</summary>
    public long TrainingRows { get; init; }

    /// <summary>Per-epoch training history.</summary>
    public IReadOnlyList<TrainingEpochReport> TrainingHistory { get; init; } = Array.Empty<TrainingEpochReport>();

    /// <summary>The shape of the network this model describes.</summary>
    [JsonIgnore]
    public NetworkShape NetworkShape => new(Architecture, Channels, Height, Width, ClassNames.Count, ResNetBlocksPerStage);

    internal static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    internal string ToJson() => JsonSerializer.Serialize(this, Json);

    internal static SamImageClassifierModelInfo FromJson(string json) =>
        JsonSerializer.Deserialize<SamImageClassifierModelInfo>(json, Json) ?? throw new InvalidDataException("The model description is empty.");
}

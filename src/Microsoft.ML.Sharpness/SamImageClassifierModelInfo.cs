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
    /// <summary>The format this library writes: 2 keeps the training settings under <see cref="Training"/>; version 1 (read too) kept them at the top level.</summary>
    internal const int CurrentFormatVersion = 2;

    /// <summary>The version of this description's format.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Image channels C of the feature column.</summary>
    public int Channels { get; init; }

    /// <summary>Image height H.</summary>
    public int Height { get; init; }

    /// <summary>Image width W.</summary>
    public int Width { get; init; }

    /// <summary>The label's key values as text, in key order; Score slot k is the probability of ClassNames[k].</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = Array.Empty<string>();

    /// <summary>
    /// For a model imported with <see cref="SamImageClassifierModel.FromOnnxFile"/> that has no classifier (a feature extractor such
    /// as <see cref="PretrainedModels.ResNet18ImageNet"/>): the length of its flattened output, the feature vector; 0 for a classifier.
    /// </summary>
    public int FeatureLength { get; init; }

    /// <summary>Whether the model is a feature extractor (<see cref="FeatureLength"/> features, no <see cref="ClassNames"/>), not a classifier.</summary>
    [JsonIgnore]
    public bool IsFeatureExtractor => FeatureLength > 0;

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; init; } = "Features";

    /// <summary>The label column it was trained on.</summary>
    public string LabelColumnName { get; init; } = "Label";

    /// <summary>The output column of class probabilities.</summary>
    public string ScoreColumnName { get; init; } = "Score";

    /// <summary>The output column of the predicted key.</summary>
    public string PredictedLabelColumnName { get; init; } = "PredictedLabel";

    /// <summary>The settings it was trained with: network, optimizer, hyperparameters, schedule, seed.</summary>
    public TrainingSettings Training { get; init; } = new();

    /// <summary>Rows in the training set.</summary>
    public long TrainingRows { get; init; }

    /// <summary>Training rows left out because their image could not be read (<see cref="SamImageClassifierOptions.SkipUnreadableImages"/>).</summary>
    public long SkippedTrainingRows { get; init; }

    /// <summary>Per-epoch training history.</summary>
    public IReadOnlyList<TrainingEpochReport> TrainingHistory { get; init; } = Array.Empty<TrainingEpochReport>();

    /// <summary>Every snapshot of the sharpness monitor (<see cref="TrainingSettings.SharpnessMonitor"/>), in order; empty when it was off.</summary>
    public IReadOnlyList<SharpnessSnapshot> SharpnessHistory { get; init; } = Array.Empty<SharpnessSnapshot>();

    /// <summary>With early stopping (<see cref="TrainingSettings.EarlyStoppingPatience"/>): the epoch whose weights the model holds; otherwise null (the last epoch's).</summary>
    public int? BestEpoch { get; init; }

    /// <summary>The shape of the network this model describes.</summary>
    [JsonIgnore]
    public NetworkShape NetworkShape => NetworkShape.Of(Training, Channels, Height, Width, ClassNames.Count);

    internal static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    internal string ToJson() => JsonSerializer.Serialize(this, Json);

    internal static SamImageClassifierModelInfo FromJson(string json)
    {
        var info = JsonSerializer.Deserialize<SamImageClassifierModelInfo>(json, Json) ?? throw new InvalidDataException("The model description is empty.");
        return info.FormatVersion switch
        {
            CurrentFormatVersion => info,
            // Version 1 wrote the same setting names at the top level of the description.
            1 => info with { Training = JsonSerializer.Deserialize<TrainingSettings>(json, Json)!, FormatVersion = CurrentFormatVersion },
            _ => throw new InvalidDataException($"The model was saved in format version {info.FormatVersion}; this library reads versions 1 and {CurrentFormatVersion}."),
        };
    }
}

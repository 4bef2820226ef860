namespace Microsoft.ML.Sharpness.Networks;

/// <summary>Everything needed to rebuild a network: its architecture, the image shape it reads and the number of classes.</summary>
/// <param name="Architecture">The network family.</param>
/// <param name="Channels">Image channels (C).</param>
/// <param name="Height">Image height in pixels (H).</param>
/// <param name="Width">Image width in pixels (W).</param>
/// <param name="Classes">Number of classes (K).</param>
/// <param name="ResNetBlocksPerStage">Residual blocks per stage (ResNet only; 3 gives ResNet-20).</param>
/// <param name="WideResNetDepth">The depth d of WRN-d-k, 6n + 4 (WideResNet only).</param>
/// <param name="WideResNetWidth">The widening factor k of WRN-d-k (WideResNet only).</param>
/// <param name="WideResNetDropout">The dropout probability between a wide block's convolutions (WideResNet only; 0: none).</param>
/// <param name="PretrainedModel">The file name of the ONNX model fine-tuned instead of building <paramref name="Architecture"/>; null: none.</param>
/// <param name="PretrainedFeatureNode">The node of <paramref name="PretrainedModel"/> that feeds the new head; null: the default.</param>
public sealed record NetworkShape(
    ImageClassifierArchitecture Architecture,
    int Channels,
    int Height,
    int Width,
    int Classes,
    int ResNetBlocksPerStage = 3,
    int WideResNetDepth = 16,
    int WideResNetWidth = 8,
    float WideResNetDropout = 0,
    string? PretrainedModel = null,
    string? PretrainedFeatureNode = null)
{
    /// <summary>
    /// The shape a run with <paramref name="settings"/> builds for these images and classes; options its architecture does not
    /// read keep their defaults, so that networks of the same layout compare equal (warm starts, interpolation).
    /// </summary>
    internal static NetworkShape Of(TrainingSettings settings, int channels, int height, int width, int classes)
    {
        var shape = new NetworkShape(settings.Architecture, channels, height, width, classes);
        if (settings.PretrainedModelPath is { } path)
            return shape with { Architecture = default, PretrainedModel = Path.GetFileName(path), PretrainedFeatureNode = settings.PretrainedFeatureNode };
        return settings.Architecture switch
        {
            ImageClassifierArchitecture.ResNet => shape with { ResNetBlocksPerStage = settings.ResNetBlocksPerStage },
            ImageClassifierArchitecture.WideResNet => shape with
            {
                WideResNetDepth = settings.WideResNetDepth, WideResNetWidth = settings.WideResNetWidth, WideResNetDropout = settings.WideResNetDropout,
            },
            _ => shape,
        };
    }

    /// <summary>E.g. "ConvNet for 1×28×28 images and 10 classes", for messages.</summary>
    public string Describe() => PretrainedModel is not null
        ? $"network fine-tuned from '{PretrainedModel}' (head on {(PretrainedFeatureNode is null ? "its penultimate features" : $"'{PretrainedFeatureNode}'")}) for {Channels}×{Height}×{Width} images and {Classes} classes"
        : Architecture switch
    {
        ImageClassifierArchitecture.ResNet => $"ResNet ({ResNetBlocksPerStage} blocks per stage)",
        ImageClassifierArchitecture.WideResNet => $"WideResNet (WRN-{WideResNetDepth}-{WideResNetWidth}{(WideResNetDropout > 0 ? $", dropout {WideResNetDropout}" : "")})",
        _ => $"{Architecture}",
    } + $" for {Channels}×{Height}×{Width} images and {Classes} classes";
}

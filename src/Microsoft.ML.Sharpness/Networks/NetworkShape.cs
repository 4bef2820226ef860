namespace Microsoft.ML.Sharpness.Networks;

/// <summary>Everything needed to rebuild a network: its architecture, the image shape it reads and the number of classes.</summary>
/// <param name="Architecture">The network family.</param>
/// <param name="Channels">Image channels (C).</param>
/// <param name="Height">Image height in pixels (H).</param>
/// <param name="Width">Image width in pixels (W).</param>
/// <param name="Classes">Number of classes (K).</param>
/// <param name="ResNetBlocksPerStage">Residual blocks per stage (ResNet only; 3 gives ResNet-20).</param>
public sealed record NetworkShape(
    ImageClassifierArchitecture Architecture,
    int Channels,
    int Height,
    int Width,
    int Classes,
    int ResNetBlocksPerStage = 3)
{
    /// <summary>E.g. "ConvNet for 1×28×28 images and 10 classes", for messages.</summary>
    public string Describe() =>
        $"{Architecture}{(Architecture == ImageClassifierArchitecture.ResNet ? $" ({ResNetBlocksPerStage} blocks per stage)" : "")} " +
        $"for {Channels}×{Height}×{Width} images and {Classes} classes";
}

namespace Microsoft.ML.Sharpness;

/// <summary>
/// Per-channel normalization y_c = (x_c − Mean[c]) / Std[c] that a fine-tuned network applies to its input images, inside the
/// network (so it is exported with it and scoring needs no extra transform). Pretrained models expect the normalization they
/// were trained with: torchvision's ImageNet models expect <see cref="ImageNet"/> on pixels scaled to [0, 1].
/// </summary>
public sealed record InputNormalization
{
    /// <summary>The per-channel means (one value: the same for every channel).</summary>
    public IReadOnlyList<float> Mean { get; init; } = new[] { 0f };

    /// <summary>The per-channel standard deviations, all positive (one value: the same for every channel).</summary>
    public IReadOnlyList<float> Std { get; init; } = new[] { 1f };

    /// <summary>ImageNet's RGB statistics as torchvision uses them: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), for pixels in [0, 1].</summary>
    public static InputNormalization ImageNet { get; } = new() { Mean = new[] { 0.485f, 0.456f, 0.406f }, Std = new[] { 0.229f, 0.224f, 0.225f } };

    /// <summary>Equal when the means and deviations are (record equality would compare the lists by reference).</summary>
    public bool Equals(InputNormalization? other) => other is not null && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Mean.Count > 0 ? Mean[0] : 0, Std.Count > 0 ? Std[0] : 0, Mean.Count);

    /// <summary>The means and deviations for <paramref name="channels"/> channels (a single value repeated).</summary>
    internal (float[] Mean, float[] Std) For(int channels, string optionName)
    {
        if (Mean.Count == 0 || Std.Count != Mean.Count || (Mean.Count != 1 && Mean.Count != channels))
            throw new ArgumentOutOfRangeException(optionName,
                $"{optionName} has {Mean.Count} means and {Std.Count} deviations; the images have {channels} channels: give one value per channel (or one for all).");
        if (Std.Any(s => !(s > 0) || !float.IsFinite(s)) || Mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentOutOfRangeException(optionName, $"{optionName}'s means must be finite and its deviations finite and positive; got mean ({string.Join(", ", Mean)}), std ({string.Join(", ", Std)}).");
        float[] Expand(IReadOnlyList<float> v) => v.Count == channels ? v.ToArray() : Enumerable.Repeat(v[0], channels).ToArray();
        return (Expand(Mean), Expand(Std));
    }
}

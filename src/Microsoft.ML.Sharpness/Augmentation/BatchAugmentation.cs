using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Augmentation;

/// <summary>
/// <see cref="ImageAugmentation"/> of whole training batches on their device: random crop of the P-pixel zero-padded image and
/// horizontal flip with p = ½ (He et al. 2016), then Cutout (DeVries and Taylor 2017). Every random number comes from one seeded CPU
/// generator, drawn in a fixed order per batch, so a seed gives the same augmented batches on any device.
/// </summary>
internal sealed class BatchAugmentation : IDisposable
{
    private readonly ImageAugmentation kinds;
    private readonly int padding;
    private readonly int cutoutSize;

    private BatchAugmentation(ImageAugmentation kinds, int padding, int cutoutSize, long seed)
    {
        this.kinds = kinds;
        this.padding = padding;
        this.cutoutSize = cutoutSize;
        Generator = new Generator((ulong)seed);
    }

    /// <summary>The generator every random draw comes from; its state is part of a checkpoint.</summary>
    public Generator Generator { get; }

    /// <summary>The augmentation <paramref name="settings"/> ask for, or null for <see cref="ImageAugmentation.None"/>.</summary>
    public static BatchAugmentation? For(TrainingSettings settings, long seed) =>
        settings.Augmentation == ImageAugmentation.None ? null : new BatchAugmentation(settings.Augmentation, settings.AugmentationPadding, settings.CutoutSize, seed);

    /// <summary>A new batch: every image of <paramref name="images"/> [B, C, H, W] transformed with its own random draws.</summary>
    public Tensor Apply(Tensor images)
    {
        Tensor result = images;
        if (kinds.HasFlag(ImageAugmentation.CropAndFlip))
            result = Flip(Crop(result));
        if (kinds.HasFlag(ImageAugmentation.Cutout))
            result = Cutout(result);
        return ReferenceEquals(result, images) ? images.clone() : result;
    }

    /// <summary>out[b, c, i, j] = pad(x)[b, c, i + dᵧ(b), j + dₓ(b)] with offsets uniform in {0, …, 2P}: a random H×W window of the padded image.</summary>
    private Tensor Crop(Tensor images)
    {
        long batch = images.shape[0], channels = images.shape[1], height = images.shape[2], width = images.shape[3];
        var device = images.device;
        Tensor offsets = randint(0, 2 * padding + 1, new[] { batch, 2 }, dtype: ScalarType.Int64, generator: Generator).to(device);
        Tensor padded = nn.functional.pad(images, new long[] { padding, padding, padding, padding });
        Tensor rows = (offsets.select(1, 0).view(batch, 1, 1, 1) + arange(height, device: device).view(1, 1, height, 1))
            .expand(batch, channels, height, width + 2 * padding);
        Tensor columns = (offsets.select(1, 1).view(batch, 1, 1, 1) + arange(width, device: device).view(1, 1, 1, width))
            .expand(batch, channels, height, width);
        return padded.gather(2, rows).gather(3, columns);
    }

    /// <summary>Each image mirrored left–right when its uniform draw is below ½.</summary>
    private Tensor Flip(Tensor images)
    {
        long batch = images.shape[0];
        Tensor flipped = rand(new[] { batch }, generator: Generator).lt(0.5).to(images.device).view(batch, 1, 1, 1);
        return where(flipped, images.flip(3), images);
    }

    /// <summary>Cutout: the pixels of the S×S square [cᵧ − ⌊S/2⌋, cᵧ − ⌊S/2⌋ + S) × [cₓ − ⌊S/2⌋, cₓ − ⌊S/2⌋ + S), centre (cᵧ, cₓ) uniform over the image and the square clipped at its borders, set to 0.</summary>
    private Tensor Cutout(Tensor images)
    {
        long batch = images.shape[0], height = images.shape[2], width = images.shape[3];
        var device = images.device;
        Tensor top = randint(0, height, new[] { batch }, dtype: ScalarType.Int64, generator: Generator).to(device).sub(cutoutSize / 2).view(batch, 1, 1, 1);
        Tensor left = randint(0, width, new[] { batch }, dtype: ScalarType.Int64, generator: Generator).to(device).sub(cutoutSize / 2).view(batch, 1, 1, 1);
        Tensor i = arange(height, device: device).view(1, 1, height, 1);
        Tensor j = arange(width, device: device).view(1, 1, 1, width);
        Tensor inside = i.ge(top).logical_and(i.lt(top + cutoutSize)).logical_and(j.ge(left)).logical_and(j.lt(left + cutoutSize));
        return images.masked_fill(inside, 0);
    }

    public void Dispose() => Generator.Dispose();
}

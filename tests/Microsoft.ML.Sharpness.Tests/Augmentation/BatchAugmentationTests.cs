using Microsoft.ML.Sharpness.Augmentation;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Augmentation;

[TestClass]
public sealed class BatchAugmentationTests
{
    private static readonly TrainingSettings CropAndFlip = new() { Augmentation = ImageAugmentation.CropAndFlip, AugmentationPadding = 2 };

    /// <summary>Distinct pixel values 1…, so that every window of the padded image is recognisable.</summary>
    private static Tensor Images(long batch, long channels = 2, long side = 6) =>
        arange(1, batch * channels * side * side + 1, dtype: ScalarType.Float32).view(batch, channels, side, side);

    [TestMethod]
    public void EachCroppedImageIsAWindowOfItsZeroPaddedImageMirroredOrNot()
    {
        using var scope = NewDisposeScope();
        using var augmentation = BatchAugmentation.For(CropAndFlip, seed: 3)!;
        Tensor images = Images(40);
        Tensor output = augmentation.Apply(images);
        Tensor padded = nn.functional.pad(images, new long[] { 2, 2, 2, 2 });
        int flipped = 0;
        for (long b = 0; b < 40; b++)
        {
            var matches = new List<(long Dy, long Dx, bool Flip)>();
            for (long dy = 0; dy <= 4; dy++)
                for (long dx = 0; dx <= 4; dx++)
                {
                    Tensor window = padded[b].narrow(1, dy, 6).narrow(2, dx, 6);
                    if (window.eq(output[b]).all().item<bool>()) matches.Add((dy, dx, false));
                    if (window.flip(2).eq(output[b]).all().item<bool>()) matches.Add((dy, dx, true));
                }
            Assert.AreEqual(1, matches.Count, $"image {b} must be exactly one window of its padded image, mirrored or not");
            if (matches[0].Flip) flipped++;
        }
        Assert.IsTrue(flipped is > 8 and < 32, $"about half of 40 images should be mirrored; {flipped} were");
    }

    [TestMethod]
    public void OffsetsCoverEveryPositionAndTheInputIsLeftAlone()
    {
        using var scope = NewDisposeScope();
        using var augmentation = BatchAugmentation.For(new TrainingSettings { Augmentation = ImageAugmentation.CropAndFlip, AugmentationPadding = 1 }, seed: 5)!;
        Tensor images = ones(400, 1, 3, 3);
        Tensor output = augmentation.Apply(images);
        Assert.IsTrue(images.eq(1).all().item<bool>(), "the input batch is not modified");
        // With a ones image and 1 pixel of padding, the number of zero pixels tells the offset: 0 (centre), 3 (edge) or 5 (corner).
        var zeros = output.eq(0).sum(new long[] { 1, 2, 3 }).data<long>().ToArray();
        CollectionAssert.AreEquivalent(new long[] { 0, 3, 5 }, zeros.Distinct().ToArray());
        Assert.AreEqual(400.0 / 9, zeros.Count(z => z == 0), 15, "the centre offset is 1 of 9 equally likely ones");
    }

    [TestMethod]
    public void CutoutZeroesOneSquareClippedAtTheBorders()
    {
        using var scope = NewDisposeScope();
        using var augmentation = BatchAugmentation.For(new TrainingSettings { Augmentation = ImageAugmentation.Cutout, CutoutSize = 4 }, seed: 1)!;
        Tensor output = augmentation.Apply(ones(200, 3, 10, 10));
        for (long b = 0; b < 200; b++)
        {
            Tensor zeroRows = output[b, 0].eq(0).any(dim: 1), zeroColumns = output[b, 0].eq(0).any(dim: 0);
            long height = zeroRows.sum().item<long>(), width = zeroColumns.sum().item<long>();
            Assert.IsTrue(height is >= 2 and <= 4 && width is >= 2 and <= 4, $"image {b}: the square is {height}×{width}; 4×4 clipped to at least 2×2");
            Assert.AreEqual(height * width, output[b, 0].eq(0).sum().item<long>(), $"image {b}: the zeros form one rectangle");
            Assert.IsTrue(output[b].eq(0).sum(dim: 0).eq(0).logical_or(output[b].eq(0).sum(dim: 0).eq(3)).all().item<bool>(), $"image {b}: every channel is cut at the same pixels");
        }
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameBatchesAndAnotherSeedOthers()
    {
        using var scope = NewDisposeScope();
        var settings = new TrainingSettings { Augmentation = ImageAugmentation.CropAndFlip | ImageAugmentation.Cutout, AugmentationPadding = 2, CutoutSize = 3 };
        Tensor images = Images(16);
        using var first = BatchAugmentation.For(settings, seed: 7)!;
        using var second = BatchAugmentation.For(settings, seed: 7)!;
        using var other = BatchAugmentation.For(settings, seed: 8)!;
        for (int batch = 0; batch < 3; batch++)
        {
            Tensor a = first.Apply(images), b = second.Apply(images), c = other.Apply(images);
            Assert.IsTrue(a.eq(b).all().item<bool>(), $"batch {batch}: same seed, same augmentation");
            Assert.IsFalse(a.eq(c).all().item<bool>(), $"batch {batch}: another seed, another augmentation");
        }
    }

    [TestMethod]
    public void NoneMeansNoAugmentation() => Assert.IsNull(BatchAugmentation.For(new TrainingSettings(), seed: 1));
}

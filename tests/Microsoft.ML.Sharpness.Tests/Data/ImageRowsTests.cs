using Microsoft.ML.Sharpness.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Data;

/// <summary>The trainer's image storage: the encoding chosen, bit-for-bit restoration, the cache file, the fingerprint and the batch reader.</summary>
[TestClass]
public sealed class ImageRowsTests
{
    private readonly MLContext ml = new(seed: 1);

    private static SyntheticImages.Row[] Rows(int count, Func<int, int, float> value)
    {
        var rows = SyntheticImages.Rows(count, 2, seed: 1);
        for (int r = 0; r < rows.Length; r++)
            for (int i = 0; i < rows[r].Features.Length; i++)
                rows[r].Features[i] = value(r, i);
        return rows;
    }

    private ImageRows Load(SyntheticImages.Row[] rows, DataCache cache)
    {
        var data = SyntheticImages.Keyed(ml, rows);
        var columns = ImageColumns.Inspect(data.Schema, "Features", "Label");
        return ImageRowsLoader.Load(data, "Features", "Label", columns, cache, skipUnreadableImages: false, "test rows", _ => { });
    }

    private static void AssertRestoredBitForBit(SyntheticImages.Row[] expected, ImageRows stored)
    {
        using var all = stored.Gather(stored.InOrder(), CPU);
        CollectionAssert.AreEqual(new long[] { expected.Length, 1, SyntheticImages.Size, SyntheticImages.Size }, all.shape);
        int[] actual = all.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
        int[] given = expected.SelectMany(r => r.Features).Select(BitConverter.SingleToInt32Bits).ToArray();
        CollectionAssert.AreEqual(given, actual);
    }

    [TestMethod]
    public void EightBitPixelValuesAreStoredAsBytesAndRestoredBitForBit()
    {
        var rows = Rows(10, (r, i) => (r * 64 + i) % 256 * (1f / 255));
        using var cache = DataCache.InMemory();
        using var stored = Load(rows, cache);
        Assert.AreEqual(PixelEncoding.Byte, stored.Encoding);
        AssertRestoredBitForBit(rows, stored);
    }

    [TestMethod]
    public void ValuesThatFloat16HoldsAreStoredAsFloat16()
    {
        var rows = Rows(10, (r, i) => (i % 7 - 3) * 0.125f + r);
        using var cache = DataCache.InMemory();
        using var stored = Load(rows, cache);
        Assert.AreEqual(PixelEncoding.Half, stored.Encoding);
        AssertRestoredBitForBit(rows, stored);
    }

    [TestMethod]
    public void OtherValuesAreStoredAsFloat32()
    {
        var rows = SyntheticImages.Rows(10, 2, seed: 3);
        using var cache = DataCache.InMemory();
        using var stored = Load(rows, cache);
        Assert.AreEqual(PixelEncoding.Single, stored.Encoding);
        AssertRestoredBitForBit(rows, stored);
    }

    [TestMethod]
    public void k255ComputedByDivisionIsNotMistakenForExtractPixelsBytes()
    {
        // k / 255f differs from ExtractPixels' k · (1f/255) in the last bit for some k; such a value must not be stored as a byte.
        int k = Enumerable.Range(0, 256).First(k => BitConverter.SingleToInt32Bits(k / 255f) != BitConverter.SingleToInt32Bits(k * (1f / 255)));
        var rows = Rows(4, (r, i) => i == 5 && r == 2 ? k / 255f : i % 256 * (1f / 255));
        using var cache = DataCache.InMemory();
        using var stored = Load(rows, cache);
        Assert.AreNotEqual(PixelEncoding.Byte, stored.Encoding);
        AssertRestoredBitForBit(rows, stored);
    }

    [TestMethod]
    public void ARowThatBytesCannotHoldWidensEveryEarlierRowOnce()
    {
        // Rows 0–5 are 0 or 1 (bytes 0 and 255, which float16 also holds); row 6 has 0.5 (float16, not a byte); row 8 has 0.1 (float32 only).
        var rows = Rows(10, (r, i) => r == 6 && i == 3 ? 0.5f : r == 8 && i == 9 ? 0.1f : (r + i) % 2);
        using var cache = DataCache.InMemory();
        using (var firstSeven = Load(rows.Take(7).ToArray(), cache))
        {
            Assert.AreEqual(PixelEncoding.Half, firstSeven.Encoding);
            AssertRestoredBitForBit(rows.Take(7).ToArray(), firstSeven);
        }
        using var all = Load(rows, cache);
        Assert.AreEqual(PixelEncoding.Single, all.Encoding);
        AssertRestoredBitForBit(rows, all);
    }

    [TestMethod]
    public void RowsBeyondTheBudgetGoToACacheFileThatIsDeletedAfterUse()
    {
        var rows = Rows(40, (r, i) => (r + 3 * i) % 256 * (1f / 255));
        string folder = Directory.CreateTempSubdirectory("sharpness-test-cache-").FullName;
        try
        {
            string fingerprintInMemory;
            using (var memory = DataCache.InMemory())
            using (var inMemory = Load(rows, memory))
            {
                Assert.IsFalse(inMemory.InCacheFile);
                fingerprintInMemory = inMemory.Fingerprint;
            }
            using (var cache = DataCache.Open(memoryLimitMB: 0, folder))
            {
                using var cached = Load(rows, cache);
                Assert.IsTrue(cached.InCacheFile, cached.Describe());
                Assert.AreEqual(PixelEncoding.Byte, cached.Encoding);
                Assert.AreEqual(1, Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length, "one cache file while the rows are in use");
                AssertRestoredBitForBit(rows, cached);
                Assert.AreEqual(fingerprintInMemory, cached.Fingerprint, "the fingerprint depends on the data, not on where they are kept");
            }
            Assert.AreEqual(0, Directory.GetFileSystemEntries(folder).Length, "the cache folder is empty after use");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TheFingerprintChangesWithAPixelOrALabel()
    {
        var rows = Rows(6, (r, i) => (r + i) % 256 * (1f / 255));
        using var cache = DataCache.InMemory();
        string Fingerprint(SyntheticImages.Row[] data) { using var stored = Load(data, cache); return stored.Fingerprint; }
        string original = Fingerprint(rows);
        StringAssert.Matches(original, new System.Text.RegularExpressions.Regex("^[0-9a-f]{64}$"));
        Assert.AreEqual(original, Fingerprint(rows));
        rows[3].Features[7] = 1f;
        string pixelChanged = Fingerprint(rows);
        Assert.AreNotEqual(original, pixelChanged);
        rows[4].Label = rows[4].Label == "class0" ? "class1" : "class0";
        Assert.AreNotEqual(pixelChanged, Fingerprint(rows));
    }

    [TestMethod]
    public void BatchesFollowTheOrderExactlyWithTheLastPartialBatch()
    {
        var rows = Rows(11, (r, i) => r * (1f / 255));   // every pixel of row r is r/255, so a batch's rows can be read back
        using var cache = DataCache.InMemory();
        using var stored = Load(rows, cache);
        long[] order = { 4, 9, 0, 10, 2, 7, 1, 3, 8, 6, 5 };
        var seen = new List<long>();
        var sizes = new List<long>();
        foreach (var (features, labels) in stored.Batches(order, 4, CPU))
        {
            sizes.Add(features.shape[0]);
            float[] pixels = features.data<float>().ToArray();
            long[] classes = labels.data<long>().ToArray();
            for (int b = 0; b < features.shape[0]; b++)
            {
                long row = (long)MathF.Round(pixels[b * 64] * 255);
                seen.Add(row);
                Assert.AreEqual(stored.Labels[row], classes[b], $"label of row {row}");
            }
        }
        CollectionAssert.AreEqual(order, seen);
        CollectionAssert.AreEqual(new long[] { 4, 4, 3 }, sizes);
    }

    [TestMethod]
    public void StoppingEarlyOrFailingLeavesNoTensorBehind()
    {
        var rows = Rows(64, (r, i) => (r + i) % 256 * (1f / 255));
        using var cache = DataCache.InMemory();
        using var stored = Load(rows, cache);
        long[] order = stored.InOrder();
        long before = Tensor.TotalCount;
        foreach (var _ in stored.Batches(order, 8, CPU))
            break;
        Assert.IsLessThanOrEqualTo(before, Tensor.TotalCount, "after a break");
        Assert.ThrowsExactly<InvalidOperationException>(() =>
        {
            foreach (var _ in stored.Batches(order, 8, CPU))
                throw new InvalidOperationException("the consumer fails");
        });
        Assert.IsLessThanOrEqualTo(before, Tensor.TotalCount, "after an exception in the consumer");
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => stored.Batches(new long[] { 0, 1, 64 }, 2, CPU).Count());
        StringAssert.Contains(error.Message, "0 to 63");
        Assert.IsLessThanOrEqualTo(before, Tensor.TotalCount, "after a batch that could not be gathered");
    }
}

using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// A data view's images, stored compactly once (<see cref="PixelEncoding"/>; in memory or in a memory-mapped cache file, see
/// <see cref="ImageRowsWriter"/>), and its labels in memory. Training reads shuffled batches with <see cref="Batches"/>; every
/// gathered row is bit for bit the float32 value the data view gave. Made by <see cref="ImageRowsLoader.Load"/>.
/// </summary>
internal sealed class ImageRows : IDisposable
{
    private readonly RowStore store;

    internal ImageRows(RowStore store, PixelEncoding encoding, long[] labels, string fingerprint, int channels, int height, int width, long skippedRows)
    {
        (this.store, Encoding, Labels, Fingerprint) = (store, encoding, labels, fingerprint);
        (Channels, Height, Width, SkippedRows) = (channels, height, width, skippedRows);
    }

    public long Count => Labels.Length;

    /// <summary>0-based class indices, one per row.</summary>
    public long[] Labels { get; }

    /// <summary>SHA-256 (hex) of the image shape, every row's float32 pixel values and the labels, in row order: the same data give the same value whatever the storage.</summary>
    public string Fingerprint { get; }

    public PixelEncoding Encoding { get; }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Rows left out because their image could not be read (<see cref="SamImageClassifierOptions.SkipUnreadableImages"/>).</summary>
    public long SkippedRows { get; }

    /// <summary>Whether the rows are in a cache file rather than in memory.</summary>
    public bool InCacheFile => store is CacheFileRowStore;

    /// <summary>"4000 rows of 1×28×28 as bytes (3.0 MiB) in memory".</summary>
    public string Describe() =>
        $"{Count} rows of {Channels}×{Height}×{Width} as {Encoding switch { PixelEncoding.Byte => "bytes", PixelEncoding.Half => "float16", _ => "float32" }} " +
        $"({store.SizeBytes / 1048576.0:F1} MiB) {store.Place}";

    /// <summary>The rows <paramref name="rowIndices"/> as a float32 [n, C, H, W] tensor on <paramref name="device"/>.</summary>
    public Tensor Gather(ReadOnlySpan<long> rowIndices, Device device)
    {
        int rowBytes = store.RowBytes;
        var encoded = empty(new long[] { rowIndices.Length, Channels, Height, Width }, PixelCodec.TensorType(Encoding));
        Span<byte> target = encoded.bytes;
        for (int i = 0; i < rowIndices.Length; i++)
        {
            long index = rowIndices[i];
            if ((ulong)index >= (ulong)Count)
            {
                encoded.Dispose();
                throw new ArgumentOutOfRangeException(nameof(rowIndices), index, $"Row indices go from 0 to {Count - 1}.");
            }
            store.Row(index).CopyTo(target.Slice(i * rowBytes, rowBytes));
        }
        store.Release();
        return PixelCodec.ToFloat(encoded, Encoding, device);
    }

    /// <summary>The labels of rows <paramref name="rowIndices"/> as an int64 [n] tensor on <paramref name="device"/>.</summary>
    public Tensor GatherLabels(ReadOnlySpan<long> rowIndices, Device device)
    {
        var values = new long[rowIndices.Length];
        for (int i = 0; i < values.Length; i++) values[i] = Labels[rowIndices[i]];
        return tensor(values, new long[] { values.Length }, device: device);
    }

    /// <summary>
    /// (Features, Labels) of the rows in <paramref name="order"/>, <paramref name="batchSize"/> at a time, the last batch partial; the next
    /// batch is gathered on a background thread while the caller works on this one (<see cref="PrefetchedBatches"/>). A batch's tensors
    /// belong to the sequence: they are disposed when the caller moves to the next batch or stops.
    /// </summary>
    public IEnumerable<(Tensor Features, Tensor Labels)> Batches(long[] order, int batchSize, Device device) =>
        PrefetchedBatches.Of(this, order, batchSize, device);

    /// <summary>0, 1, …, Count − 1: the order that reads every row once as stored.</summary>
    public long[] InOrder()
    {
        var order = new long[Count];
        for (long i = 0; i < order.Length; i++) order[i] = i;
        return order;
    }

    public void Dispose() => store.Dispose();
}

using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// Stores rows as they come from the one pass over a data view, in the narrowest <see cref="PixelEncoding"/> that restores every value
/// seen so far bit for bit: rows start as bytes and the store is rewritten once in a wider encoding when a row needs it. Rows stay in
/// memory while they fit the <see cref="DataCache"/> budget and move to a cache file when they do not. Hashes shape, pixels and labels
/// into the fingerprint as it goes.
/// </summary>
internal sealed class ImageRowsWriter : IDisposable
{
    private readonly DataCache cache;
    private readonly string name;
    private readonly int channels, height, width, rowValues;
    private readonly List<long> labels = new();
    private readonly bool[] usedByteCodes = new bool[256];
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private PixelEncoding encoding = PixelEncoding.Byte;
    private RowStore store;
    private byte[] encoded;

    /// <summary>A writer of C×H×W rows within <paramref name="cache"/>'s budget; when the data view knows its row count (<paramref name="expectedRows"/>)
    /// and they will not fit, rows go to a cache file (named after <paramref name="name"/>) from the start.</summary>
    public ImageRowsWriter(DataCache cache, string name, int channels, int height, int width, long? expectedRows)
    {
        (this.cache, this.name, this.channels, this.height, this.width) = (cache, name, channels, height, width);
        rowValues = channels * height * width;
        encoded = new byte[rowValues * PixelCodec.BytesPerValue(PixelEncoding.Single)];
        hash.AppendData(MemoryMarshal.AsBytes(stackalloc[] { channels, height, width }));
        store = NewStore(PixelEncoding.Byte, (expectedRows ?? 0) * rowValues);
    }

    public long Count => labels.Count;

    /// <summary>Adds one row of finite pixel values and its 0-based label.</summary>
    public void Add(ReadOnlySpan<float> values, long label)
    {
        hash.AppendData(MemoryMarshal.AsBytes(values));
        var needed = NarrowestEncoding(values);
        if (needed != encoding)
            Rewrite(needed);
        else if (store is MemoryRowStore && store.SizeBytes + store.RowBytes > cache.RemainingBytes)
            Rewrite(encoding);
        int rowBytes = store.RowBytes;
        if (encoding != PixelEncoding.Byte) // bytes were encoded while checking them
            PixelCodec.Encode(values, encoding, encoded);
        store.Append(encoded.AsSpan(0, rowBytes));
        labels.Add(label);
    }

    /// <summary>The stored rows; this writer gives up the store.</summary>
    public ImageRows Finish(long skippedRows)
    {
        store.Complete();
        if (store is MemoryRowStore) cache.Reserve(store.SizeBytes);
        long[] labelArray = labels.ToArray();
        hash.AppendData(MemoryMarshal.AsBytes(labelArray.AsSpan()));
        var rows = new ImageRows(store, encoding, labelArray, Convert.ToHexStringLower(hash.GetHashAndReset()), channels, height, width, skippedRows);
        store = new MemoryRowStore(1);
        return rows;
    }

    /// <summary>The encoding this row and all earlier ones fit; for bytes the row is encoded into <see cref="encoded"/> on the way.</summary>
    private PixelEncoding NarrowestEncoding(ReadOnlySpan<float> values)
    {
        if (encoding == PixelEncoding.Byte && EncodeBytes(values))
            return PixelEncoding.Byte;
        bool earlierFitHalf = encoding == PixelEncoding.Half || (encoding == PixelEncoding.Byte && PixelCodec.ByteCodesFitHalf(usedByteCodes));
        if (earlierFitHalf && AllFitHalf(values))
            return PixelEncoding.Half;
        return PixelEncoding.Single;
    }

    private bool EncodeBytes(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            int code = PixelCodec.ByteCode(values[i]);
            if (code < 0) return false;
            encoded[i] = (byte)code;
        }
        for (int i = 0; i < values.Length; i++) usedByteCodes[encoded[i]] = true;
        return true;
    }

    private static bool AllFitHalf(ReadOnlySpan<float> values)
    {
        foreach (float value in values)
            if (!PixelCodec.FitsHalf(value)) return false;
        return true;
    }

    /// <summary>Copies the stored rows into a new store in <paramref name="to"/>, in memory if they and the next row fit the budget, else in a cache file.</summary>
    private void Rewrite(PixelEncoding to)
    {
        var next = NewStore(to, (store.Count + 1) * rowValues);
        store.Complete();
        var values = new float[rowValues];
        var row = new byte[rowValues * PixelCodec.BytesPerValue(to)];
        for (long i = 0; i < store.Count; i++)
        {
            PixelCodec.Decode(store.Row(i), encoding, values);
            PixelCodec.Encode(values, to, row);
            next.Append(row);
        }
        bool leftMemory = store is MemoryRowStore && next is CacheFileRowStore;
        store.Dispose();
        (store, encoding) = (next, to);
        if (leftMemory)
            GC.Collect(); // the blocks just dropped are as large as the memory budget: hand them back now, before training allocates
    }

    private RowStore NewStore(PixelEncoding kind, long values)
    {
        int rowBytes = rowValues * PixelCodec.BytesPerValue(kind);
        return values * PixelCodec.BytesPerValue(kind) > cache.RemainingBytes
            ? new CacheFileRowStore(cache.NewFilePath(name), rowBytes)
            : new MemoryRowStore(rowBytes);
    }

    public void Dispose()
    {
        store.Dispose();
        hash.Dispose();
    }
}

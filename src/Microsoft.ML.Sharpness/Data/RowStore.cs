namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// Fixed-size encoded rows, appended once during the pass over the data view and then read in any order: in memory
/// (<see cref="MemoryRowStore"/>) or in a memory-mapped cache file (<see cref="CacheFileRowStore"/>).
/// </summary>
internal abstract class RowStore : IDisposable
{
    protected RowStore(int rowBytes) => RowBytes = rowBytes;

    /// <summary>Bytes per encoded row.</summary>
    public int RowBytes { get; }

    public long Count { get; protected set; }

    public long SizeBytes => Count * RowBytes;

    /// <summary>Where the rows are, for the log: "in memory" or the cache file's path.</summary>
    public abstract string Place { get; }

    public abstract void Append(ReadOnlySpan<byte> row);

    /// <summary>Ends appending; rows can be read from then on, from any thread.</summary>
    public abstract void Complete();

    /// <summary>Encoded row <paramref name="index"/>; valid until the store is disposed.</summary>
    public abstract ReadOnlySpan<byte> Row(long index);

    /// <summary>Tells the store that the rows read so far are not needed soon (the cache file lets its mapped pages go).</summary>
    public virtual void Release() { }

    public abstract void Dispose();
}

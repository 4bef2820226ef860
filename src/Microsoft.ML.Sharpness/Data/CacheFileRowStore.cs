using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// Rows in a cache file: written sequentially during the pass (the page cache holds them, not this process), then mapped read-only.
/// After each batch the mapped pages are handed back (<c>madvise(MADV_DONTNEED)</c> on Linux), so the file does not accumulate in
/// the process's resident memory over an epoch; the kernel keeps the pages in its cache while memory allows.
/// The file is deleted on <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class CacheFileRowStore : RowStore
{
    private const int MadviseDontNeed = 4;
    private readonly string path;
    private FileStream? writer;
    private MemoryMappedFile? map;
    private MemoryMappedViewAccessor? view;
    private byte* rows;

    public CacheFileRowStore(string path, int rowBytes) : base(rowBytes)
    {
        this.path = path;
        writer = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 20);
    }

    public override string Place => $"in the cache file {path}";

    public override void Append(ReadOnlySpan<byte> row)
    {
        (writer ?? throw new InvalidOperationException("The cache file is complete; no rows can be added.")).Write(row);
        Count++;
    }

    public override void Complete()
    {
        if (writer is null) return;
        writer.Flush();
        if (Count > 0)
        {
            map = MemoryMappedFile.CreateFromFile(writer, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref rows);
            rows += view.PointerOffset;
        }
        else
            writer.Dispose();
        writer = null;
    }

    public override ReadOnlySpan<byte> Row(long index)
    {
        if (rows == null) throw new InvalidOperationException("The cache file is read only after the pass over the data is complete.");
        return new ReadOnlySpan<byte>(rows + index * RowBytes, RowBytes);
    }

    public override void Release()
    {
        if (rows == null || !OperatingSystem.IsLinux()) return;
        // The whole mapping, not just the rows read: the kernel maps neighbouring pages in on each fault ("fault-around"), so releasing
        // only the rows read would leave most of the file resident after an epoch.
        madvise((nint)(rows - view!.PointerOffset), (nuint)(view.PointerOffset + SizeBytes), MadviseDontNeed);
    }

    public override void Dispose()
    {
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            rows = null;
        }
        map?.Dispose();
        writer?.Dispose();
        File.Delete(path);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int madvise(nint address, nuint length, int advice);
}

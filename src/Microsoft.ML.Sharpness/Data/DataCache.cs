namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// Where one Fit keeps its images: the memory budget (<see cref="SamImageClassifierOptions.DataCacheMemoryLimitMB"/>) that the training
/// and validation rows share, and a folder of its own under <see cref="SamImageClassifierOptions.CacheDirectory"/> for the rows that do
/// not fit, made on first use and deleted with its files on <see cref="Dispose"/>.
/// </summary>
internal sealed class DataCache : IDisposable
{
    private readonly string root;
    private string? folder;
    private int files;

    private DataCache(long memoryLimitBytes, string root)
    {
        MemoryLimitBytes = memoryLimitBytes;
        RemainingBytes = memoryLimitBytes;
        this.root = root;
    }

    /// <summary>The budget in bytes for rows held in memory.</summary>
    public long MemoryLimitBytes { get; }

    /// <summary>What the rows loaded so far have left of <see cref="MemoryLimitBytes"/>.</summary>
    public long RemainingBytes { get; private set; }

    /// <summary>The default budget: a quarter of the memory this process may use (physical memory, or the container's limit).</summary>
    public static long DefaultMemoryLimitBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    /// <summary>
    /// The cache of one Fit; checks before any row is read that the folder (<paramref name="directory"/>, or the system's temp folder
    /// when null) can be created and written, and says which folder and why not otherwise.
    /// </summary>
    public static DataCache Open(long? memoryLimitMB, string? directory)
    {
        string root = directory ?? Path.GetTempPath();
        string option = directory is null ? "the system's temp folder (CacheDirectory is null)" : $"{nameof(SamImageClassifierOptions.CacheDirectory)} '{directory}'";
        try
        {
            Directory.CreateDirectory(root);
            using var probe = new FileStream(Path.Combine(root, $".sharpness-write-check-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
            probe.WriteByte(0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"The image cache folder {option} is not writable: {e.Message} The cache holds the images that do not fit " +
                $"{nameof(SamImageClassifierOptions.DataCacheMemoryLimitMB)}; set {nameof(SamImageClassifierOptions.CacheDirectory)} to a folder this process can write.", e);
        }
        return new DataCache(memoryLimitMB is long mb ? mb << 20 : DefaultMemoryLimitBytes, root);
    }

    /// <summary>A cache that never spills: for the evaluator's rows, which it needs in memory as tensors anyway.</summary>
    public static DataCache InMemory() => new(long.MaxValue, Path.GetTempPath());

    /// <summary>Takes <paramref name="bytes"/> of the memory budget for rows that stay in memory.</summary>
    public void Reserve(long bytes) => RemainingBytes -= Math.Min(bytes, RemainingBytes);

    /// <summary>A new, not yet existing file path in this Fit's folder (the folder is made now if needed).</summary>
    public string NewFilePath(string name)
    {
        folder ??= Directory.CreateDirectory(Path.Combine(root, $"sharpness-cache-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        return Path.Combine(folder, $"{name}-{files++}.rows");
    }

    public void Dispose()
    {
        if (folder is not null && Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        folder = null;
    }
}

namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// Splits N rows into consecutive chunks for every row loop that needs no batch semantics (inference scores, losses, gradients
/// and Hessian-vector products, per-example gradients, BatchNorm recalibration).
/// </summary>
internal static class RowChunks
{
    /// <summary>
    /// 128 rows: the largest temporaries of a chunk (the ConvNet's second-layer unfolded patches, [128, 288, 196] floats ≈ 29 MB)
    /// stay under glibc's 32 MiB mmap threshold, above which every chunk's blocks are mapped and unmapped again — 1,024-row
    /// chunks made validation 14× slower (docs/known-issues.md) — while a chunk is still large enough for libtorch's kernels.
    /// </summary>
    public const long Size = 128;

    /// <summary>(start, length) of each chunk of <paramref name="rows"/> rows, in order.</summary>
    public static IEnumerable<(long Start, long Length)> Of(long rows)
    {
        for (long start = 0; start < rows; start += Size)
            yield return (start, Math.Min(Size, rows - start));
    }
}

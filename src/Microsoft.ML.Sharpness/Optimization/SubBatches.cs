namespace Microsoft.ML.Sharpness.Optimization;

/// <summary>Splits a batch into the sub-batches of m-sharpness.</summary>
internal static class SubBatches
{
    /// <summary>
    /// Consecutive sub-batches of <paramref name="rowsPerSubBatch"/> rows (0 or ≥ <paramref name="rows"/>: one sub-batch);
    /// a remainder forms its own sub-batch, except a single leftover row (which BatchNorm cannot train on), which joins the last one.
    /// </summary>
    public static IReadOnlyList<(long Start, long Length)> Split(long rows, int rowsPerSubBatch)
    {
        if (rowsPerSubBatch <= 0 || rowsPerSubBatch >= rows)
            return new[] { (0L, rows) };
        var chunks = new List<(long Start, long Length)>();
        for (long start = 0; start < rows; start += rowsPerSubBatch)
            chunks.Add((start, Math.Min(rowsPerSubBatch, rows - start)));
        if (chunks.Count > 1 && chunks[^1].Length == 1)
        {
            var last = chunks[^2];
            chunks.RemoveAt(chunks.Count - 1);
            chunks[^1] = (last.Start, last.Length + 1);
        }
        return chunks;
    }
}

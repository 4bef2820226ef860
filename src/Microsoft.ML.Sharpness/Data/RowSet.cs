namespace Microsoft.ML.Sharpness.Data;

/// <summary>Some of the stored rows, by index: the rows a run trains on, or those it holds out for validation.</summary>
/// <param name="Rows">The stored rows.</param>
/// <param name="Indices">The selected rows' indices, ascending.</param>
internal sealed record RowSet(ImageRows Rows, long[] Indices)
{
    /// <summary>Every stored row.</summary>
    public static RowSet All(ImageRows rows) => new(rows, rows.InOrder());

    public long Count => Indices.Length;
}

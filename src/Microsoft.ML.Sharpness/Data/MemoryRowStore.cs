namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// Rows in managed blocks of whole rows: the first block doubles until it holds 4 MiB, then blocks of that size follow, so that small
/// data take little memory, no array outgrows .NET's limits, and large data are copied at most once (within the first 4 MiB) and
/// waste less than one block.
/// </summary>
internal sealed class MemoryRowStore : RowStore
{
    private const int BlockBytes = 4 << 20;
    private readonly List<byte[]> blocks = new();
    private readonly int rowsPerBlock;

    public MemoryRowStore(int rowBytes) : base(rowBytes) => rowsPerBlock = Math.Max(1, BlockBytes / rowBytes);

    public override string Place => "in memory";

    public override void Append(ReadOnlySpan<byte> row)
    {
        int slot = (int)(Count % rowsPerBlock);
        if (slot == 0)
            blocks.Add(new byte[(blocks.Count == 0 ? Math.Min(16, rowsPerBlock) : rowsPerBlock) * RowBytes]);
        else if ((slot + 1) * RowBytes > blocks[^1].Length)
        {
            var last = blocks[^1];
            Array.Resize(ref last, Math.Min(2 * slot, rowsPerBlock) * RowBytes);
            blocks[^1] = last;
        }
        row.CopyTo(blocks[^1].AsSpan(slot * RowBytes, RowBytes));
        Count++;
    }

    public override void Complete() { }

    public override ReadOnlySpan<byte> Row(long index) =>
        blocks[(int)(index / rowsPerBlock)].AsSpan((int)(index % rowsPerBlock) * RowBytes, RowBytes);

    public override void Dispose() => blocks.Clear();
}

using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// Reads <see cref="ImageRows"/> batch by batch in a given order, one batch ahead on a thread-pool thread, so that gathering and
/// converting the next batch (and, from a cache file, reading it) overlaps the caller's step.
/// </summary>
internal static class PrefetchedBatches
{
    public static IEnumerable<(Tensor Features, Tensor Labels)> Of(ImageRows rows, long[] order, int batchSize, Device device)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return Read(rows, order, batchSize, device);
    }

    private static IEnumerable<(Tensor Features, Tensor Labels)> Read(ImageRows rows, long[] order, int batchSize, Device device)
    {
        long batches = (order.LongLength + batchSize - 1) / batchSize;
        Task<(Tensor Features, Tensor Labels)>? next = batches > 0 ? Start(rows, order, 0, batchSize, device) : null;
        (Tensor Features, Tensor Labels)? current = null;
        try
        {
            for (long b = 0; b < batches; b++)
            {
                current = next!.GetAwaiter().GetResult();
                next = b + 1 < batches ? Start(rows, order, b + 1, batchSize, device) : null;
                yield return current.Value;
                Dispose(current.Value);
                current = null;
            }
        }
        finally
        {
            // The caller stopped early (an exception, a break, cancellation) or the last batch failed: dispose what was made for it.
            if (current is { } taken) Dispose(taken);
            if (next is not null) DisposeWhenDone(next);
        }
    }

    private static Task<(Tensor Features, Tensor Labels)> Start(ImageRows rows, long[] order, long batch, int batchSize, Device device)
    {
        long start = batch * batchSize;
        int length = (int)Math.Min(batchSize, order.LongLength - start);
        return Task.Run(() =>
        {
            var indices = new ReadOnlySpan<long>(order, (int)start, length);
            var features = rows.Gather(indices, device);
            return (features, rows.GatherLabels(indices, device));
        });
    }

    /// <summary>Waits for a batch nobody will read and disposes it; its failure, if any, no longer matters to anyone.</summary>
    private static void DisposeWhenDone(Task<(Tensor Features, Tensor Labels)> pending)
    {
        try { pending.Wait(); }
        catch (AggregateException) { return; }
        Dispose(pending.Result);
    }

    private static void Dispose((Tensor Features, Tensor Labels) batch)
    {
        batch.Features.Dispose();
        batch.Labels.Dispose();
    }
}

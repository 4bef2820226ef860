using Microsoft.ML.Sharpness.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>Tensors of a benchmark's made-up data as the trainer's stored rows (in memory, in the narrowest exact encoding).</summary>
internal static class StoredRows
{
    public static ImageRows From(Tensor features, Tensor labels)
    {
        using var cache = DataCache.InMemory();
        using var writer = new ImageRowsWriter(cache, "benchmark", (int)features.shape[1], (int)features.shape[2], (int)features.shape[3], features.shape[0]);
        float[] pixels = features.data<float>().ToArray();
        long[] classes = labels.data<long>().ToArray();
        int rowSize = (int)(features.numel() / features.shape[0]);
        for (int i = 0; i < classes.Length; i++)
            writer.Add(pixels.AsSpan(i * rowSize, rowSize), classes[i]);
        return writer.Finish(skippedRows: 0);
    }
}

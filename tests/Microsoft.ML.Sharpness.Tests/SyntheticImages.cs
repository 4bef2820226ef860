using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Tests;

/// <summary>Small image data sets made in code: each class lights up its own horizontal band of an 8×8 image, plus noise.</summary>
internal static class SyntheticImages
{
    public const int Size = 8;

    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(1, Size, Size)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public static Row[] Rows(int count, int classes, int seed, float noise = 0.3f)
    {
        var random = new Random(seed);
        var rows = new Row[count];
        int band = Size / classes;
        for (int i = 0; i < count; i++)
        {
            int label = i % classes;
            var pixels = new float[Size * Size];
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    pixels[y * Size + x] = (y / band == label ? 1f : 0f) + noise * (float)(random.NextDouble() - 0.5);
            rows[i] = new Row { Label = $"class{label}", Features = pixels };
        }
        return rows;
    }

    /// <summary>The rows as a data view with the label mapped to a key, as a user's pipeline would give the trainer.</summary>
    public static IDataView Keyed(MLContext mlContext, Row[] rows)
    {
        var data = mlContext.Data.LoadFromEnumerable(rows);
        return mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }
}

using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Tests;

/// <summary>Small image data sets made in code: each class lights up its own horizontal band of an 8×8 image (or any C×S×S), plus noise.</summary>
internal static class SyntheticImages
{
    public const int Size = 8;

    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(1, Size, Size)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    /// <summary><paramref name="count"/> rows of <paramref name="channels"/>×<paramref name="side"/>×<paramref name="side"/> images; load other sizes than 1×8×8 with <see cref="Schema"/>.</summary>
    public static Row[] Rows(int count, int classes, int seed, float noise = 0.3f, int channels = 1, int side = Size)
    {
        var random = new Random(seed);
        var rows = new Row[count];
        int band = side / classes;
        for (int i = 0; i < count; i++)
        {
            int label = i % classes;
            var pixels = new float[channels * side * side];
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < side; y++)
                    for (int x = 0; x < side; x++)
                        pixels[(c * side + y) * side + x] = (y / band == label ? 1f : 0f) + noise * (float)(random.NextDouble() - 0.5);
            rows[i] = new Row { Label = $"class{label}", Features = pixels };
        }
        return rows;
    }

    /// <summary>The schema of <see cref="Row"/> with C×S×S features.</summary>
    public static SchemaDefinition Schema(int channels, int side)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, channels, side, side);
        return schema;
    }

    /// <summary>The rows as a data view with the label mapped to a key, as a user's pipeline would give the trainer.</summary>
    public static IDataView Keyed(MLContext mlContext, Row[] rows, SchemaDefinition? schema = null)
    {
        var data = mlContext.Data.LoadFromEnumerable(rows, schema);
        return mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }
}

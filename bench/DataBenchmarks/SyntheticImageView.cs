using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// A data view of RGB images made row by row as it is read (nothing is held): each class a colour, plus per-pixel noise, every value
/// k/255 as ExtractPixels(scaleImage: 1f / 255) gives from 8-bit pixels; the label a key with <see cref="Classes"/> values.
/// </summary>
internal static class SyntheticImageView
{
    public const int Classes = 5;

    private sealed class Row
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public static IDataView Create(MLContext ml, int rows, int side)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, side, side);
        var data = ml.Data.LoadFromEnumerable(Rows(rows, side), schema);
        // The key's values from a list of the class names, so that making the key does not read the images.
        var classNames = ml.Data.LoadFromEnumerable(Enumerable.Range(0, Classes).Select(c => new ClassName { Label = ClassNameOf(c) }));
        return ml.Transforms.Conversion.MapValueToKey("Label", keyData: classNames).Fit(data).Transform(data);
    }

    private sealed class ClassName
    {
        public string Label { get; set; } = "";
    }

    private static string ClassNameOf(int label) => $"colour{label}";

    private static IEnumerable<Row> Rows(int rows, int side)
    {
        var pixels = new float[3 * side * side]; // one array for all rows: ML.NET copies each row out before it asks for the next
        for (int i = 0; i < rows; i++)
        {
            var random = new Random(i);
            int label = i % Classes;
            for (int c = 0; c < 3; c++)
            {
                int tint = (label * 50 + c * 80) % 256;
                for (int p = 0; p < side * side; p++)
                    pixels[c * side * side + p] = Math.Clamp(tint + random.Next(-40, 41), 0, 255) * (1f / 255);
            }
            yield return new Row { Label = ClassNameOf(label), Features = pixels };
        }
    }
}

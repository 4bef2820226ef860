using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>The benchmarks' images: a seeded draw of training images as ExtractPixels' default 224×224 pixels, cached in memory (decoding is in no timing).</summary>
internal static class CachedPixels
{
    public const int Side = 224;

    /// <summary>About <paramref name="rows"/> images (a fifth from each of five classes) as an ML.NET-cached view with a key Label, and their pixels flat.</summary>
    public static (IDataView View, float[] Pixels, int Count) Load(MLContext ml, string data, int rows)
    {
        var images = TransferRows.Sample(TransferRows.Read(ml, Path.Combine(data, "train.tsv"), []), rows / 5, seed: 1);
        var view = ml.Data.LoadFromEnumerable(images);
        var pixels = ml.Transforms.LoadImages("Image", data, nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", Side, Side))
            .Append(ml.Transforms.ExtractPixels("Features", "Image"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Fit(view);
        var cached = ml.Data.Cache(pixels.Transform(view), "Features", "Label");
        float[] all = cached.GetColumn<float[]>("Features").SelectMany(f => f).ToArray();
        return (cached, all, images.Length);
    }
}

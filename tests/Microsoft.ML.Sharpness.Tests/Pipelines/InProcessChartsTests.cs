using System.Buffers.Binary;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Lab.Charts.Drawing;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

/// <summary>ImageAnalytics 6.0 and ScottPlot 5 share SkiaSharp 3.119, so the lab draws its charts in its own process.</summary>
[TestClass]
public sealed class InProcessChartsTests
{
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-small");

    private sealed class ImageRow
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
    }

    [TestMethod]
    public void ImagesAreReadAndAChartIsDrawnInOneProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromTextFile<ImageRow>(Path.Combine(Images, "test.tsv"), separatorChar: '\t', hasHeader: true);
        var pixels = ml.Transforms.LoadImages("Image", Images, nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", 14, 14))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, interleavePixelColors: false))
            .Fit(data).Transform(data).GetColumn<VBuffer<float>>("Pixels").ToList();
        Assert.HasCount(200, pixels);
        Assert.IsTrue(pixels.All(p => p.Length == 3 * 14 * 14));
        Assert.IsGreaterThan(0.0, pixels.Average(p => p.DenseValues().Average()), "the images are not blank");

        string folder = Path.Combine(Path.GetTempPath(), $"charts-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllLines(Path.Combine(folder, "training-curves.csv"),
                ["run,epoch,train_accuracy,test_accuracy", "SGD,1,0.5,0.45", "SGD,2,0.7,0.6", "SAM,1,0.45,0.44", "SAM,2,0.65,0.62"]);
            var drawn = ChartFolder.Draw(folder);
            CollectionAssert.AreEqual(new[] { "training-curves: 900×560 PNG and SVG" }, drawn.ToArray());
            byte[] png = File.ReadAllBytes(Path.Combine(folder, "training-curves.png"));
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.AreEqual(900, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), "IHDR width");
            Assert.AreEqual(560, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)), "IHDR height");
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "training-curves.svg")), "<svg");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var skia = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "SkiaSharp").ToList();
        Assert.HasCount(1, skia, "one SkiaSharp serves both");
        Assert.AreEqual(3, skia[0].GetName().Version!.Major);
    }
}

using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Sharpness.Tests.Images;

[TestClass]
public sealed class ColorShapesDatasetTests
{
    private sealed class IndexRow
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
        [LoadColumn(1)] public string Label { get; set; } = "";
    }

    private static string Folder() => Directory.CreateTempSubdirectory("color-shapes-").FullName;

    private static IEstimator<ITransformer> Pixels(MLContext ml, string folder, int size) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder, "ImagePath"))
            .Append(ml.Transforms.ResizeImages("Image", size, size))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", interleavePixelColors: false, scaleImage: 1f / 255));

    [TestMethod]
    public void WritesTheFolderLayoutAndTheSameBytesForTheSameSeed()
    {
        string a = Folder(), b = Folder(), c = Folder();
        try
        {
            ColorShapesDataset.Write(a, trainPerClass: 3, testPerClass: 2, imageSize: 16, seed: 4);
            ColorShapesDataset.Write(b, trainPerClass: 3, testPerClass: 2, imageSize: 16, seed: 4);
            ColorShapesDataset.Write(c, trainPerClass: 3, testPerClass: 2, imageSize: 16, seed: 5);
            var train = File.ReadAllLines(Path.Combine(a, "train.tsv"));
            Assert.AreEqual("ImagePath\tLabel", train[0]);
            Assert.HasCount(1 + 3 * 5, train);
            Assert.HasCount(1 + 2 * 5, File.ReadAllLines(Path.Combine(a, "test.tsv")));
            CollectionAssert.AreEquivalent(ColorShapesDataset.ClassNames.ToArray(), train.Skip(1).Select(l => l.Split('\t')[1]).Distinct().ToArray());
            foreach (var line in train.Skip(1))
            {
                string image = line.Split('\t')[0];
                CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a, image)), File.ReadAllBytes(Path.Combine(b, image)), $"{image}: same seed, same bytes");
            }
            Assert.IsTrue(train.Skip(1).Any(l => !File.ReadAllBytes(Path.Combine(a, l.Split('\t')[0])).SequenceEqual(File.ReadAllBytes(Path.Combine(c, l.Split('\t')[0])))),
                "another seed draws other images");
        }
        finally
        {
            foreach (var folder in new[] { a, b, c }) Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void TheImagesLoadInMLNetAsColourPicturesOfTwoColours()
    {
        string folder = Folder();
        try
        {
            ColorShapesDataset.Write(folder, trainPerClass: 4, testPerClass: 0, imageSize: 20, seed: 1);
            var ml = new MLContext(seed: 1);
            var index = ml.Data.LoadFromTextFile<IndexRow>(Path.Combine(folder, "train.tsv"), separatorChar: '\t', hasHeader: true);
            var pixels = Pixels(ml, folder, 20).Fit(index).Transform(index);
            var type = (VectorDataViewType)pixels.Schema["Features"].Type;
            CollectionAssert.AreEqual(new[] { 3, 20, 20 }, type.Dimensions.ToArray());
            foreach (var image in pixels.GetColumn<VBuffer<float>>("Features").Select(v => v.DenseValues().ToArray()))
            {
                // Two colours plus noise of ±12/255: the pixels fall into two clusters far apart in RGB, not one grey level.
                var colors = Enumerable.Range(0, 400).Select(p => (R: image[p], G: image[400 + p], B: image[800 + p])).ToArray();
                var first = colors[0];
                var far = colors.Where(q => Math.Abs(q.R - first.R) + Math.Abs(q.G - first.G) + Math.Abs(q.B - first.B) > 150f / 255).ToArray();
                Assert.IsTrue(far.Length is > 10 and < 390, $"a shape in one colour on a background of another; {far.Length} of 400 pixels differ from the first");
                Assert.IsTrue(colors.Any(q => Math.Abs(q.R - q.G) > 0.2f || Math.Abs(q.G - q.B) > 0.2f), "colour, not grey");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

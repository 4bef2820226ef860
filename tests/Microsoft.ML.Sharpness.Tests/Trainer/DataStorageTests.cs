using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

/// <summary>Fit with its images in a cache file, and the data-side bad inputs: an unwritable cache folder, unreadable images, mixed sizes.</summary>
[TestClass]
public sealed class DataStorageTests
{
    private static readonly string ShippedImages = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-small");
    private readonly MLContext ml = new(seed: 1);
    private string folder = "";

    [TestInitialize]
    public void MakeFolder() => folder = Directory.CreateTempSubdirectory("sharpness-data-test-").FullName;

    [TestCleanup]
    public void RemoveFolder() => Directory.Delete(folder, recursive: true);

    private sealed class ImageRow
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
        [LoadColumn(1)] public string Label { get; set; } = "";
    }

    private static SamImageClassifierOptions Options(Action<SamImageClassifierOptions>? change = null)
    {
        var options = new SamImageClassifierOptions { Architecture = ImageClassifierArchitecture.ConvNet, Epochs = 2, BatchSize = 16, NumberOfThreads = 1 };
        change?.Invoke(options);
        return options;
    }

    /// <summary>Byte-valued 1×8×8 images, as ExtractPixels(scaleImage: 1f / 255) gives.</summary>
    private IDataView ByteImages(int count)
    {
        var rows = SyntheticImages.Rows(count, 2, seed: 2);
        foreach (var row in rows)
            for (int i = 0; i < row.Features.Length; i++)
                row.Features[i] = (int)Math.Clamp(row.Features[i] * 200 + 20, 0, 255) * (1f / 255);
        return SyntheticImages.Keyed(ml, rows);
    }

    private static float[] Weights(SamImageClassifierTransformer model) =>
        model.Model.Network.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [TestMethod]
    public void TheCachePathTrainsBitIdenticalWeightsToTheInMemoryPathAndDeletesItsFile()
    {
        var data = ByteImages(48);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "SamImageClassifier") messages.Add(e.Message); };
        using var inMemory = ml.MulticlassClassification.Trainers.SamImageClassifier(Options()).Fit(data);
        using var cached = ml.MulticlassClassification.Trainers.SamImageClassifier(Options(o => { o.DataCacheMemoryLimitMB = 0; o.CacheDirectory = folder; })).Fit(data);

        Assert.IsTrue(messages.Any(m => m.Contains("as bytes") && m.Contains("in memory")), string.Join("\n", messages));
        Assert.IsTrue(messages.Any(m => m.Contains("as bytes") && m.Contains("in the cache file " + folder)), string.Join("\n", messages));
        CollectionAssert.AreEqual(Weights(inMemory).Select(BitConverter.SingleToInt32Bits).ToArray(), Weights(cached).Select(BitConverter.SingleToInt32Bits).ToArray());
        Assert.AreEqual(0, Directory.GetFileSystemEntries(folder).Length, "Fit deletes its cache folder");
    }

    [TestMethod]
    public void AFailingFitDeletesItsCacheFileToo()
    {
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(Options(o =>
        {
            o.DataCacheMemoryLimitMB = 0;
            o.CacheDirectory = folder;
            o.Architecture = ImageClassifierArchitecture.Mlp;
            o.LearningRate = 1e30f;
            o.LearningRateSchedule = LearningRateSchedule.Constant;
        })).Fit(ByteImages(48)));
        StringAssert.Contains(error.Message, "diverged");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(folder).Length, "the failed Fit deleted its cache folder");
    }

    [TestMethod]
    public void ACacheDirectoryThatCannotBeWrittenIsNamedBeforeTheDataAreRead()
    {
        string file = Path.Combine(folder, "a-file");
        File.WriteAllText(file, "not a folder");
        string cacheDirectory = Path.Combine(file, "cache");
        var data = ByteImages(16);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.MulticlassClassification.Trainers.SamImageClassifier(Options(o => o.CacheDirectory = cacheDirectory)).Fit(data));
        StringAssert.Contains(error.Message, $"CacheDirectory '{cacheDirectory}' is not writable");
        StringAssert.Contains(error.Message, "set CacheDirectory to a folder this process can write");
    }

    [TestMethod]
    [DataRow(-1L)]
    public void ANegativeMemoryLimitIsRejected(long limit)
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.SamImageClassifier(Options(o => o.DataCacheMemoryLimitMB = limit)));
        StringAssert.Contains(error.Message, "SamImageClassifierOptions.DataCacheMemoryLimitMB is -1");
    }

    /// <summary>12 of the shipped PNGs (2 classes) copied to a folder of the test's own, as a TSV of paths a user's LoadImages pipeline reads.</summary>
    private (IDataView Data, string[] Paths) ImageFolder()
    {
        var rows = File.ReadAllLines(Path.Combine(ShippedImages, "train.tsv")).Skip(1).Select(l => l.Split('\t'))
            .GroupBy(r => r[1]).Take(2).SelectMany(g => g.Take(6)).ToArray();
        var lines = new List<string> { "ImagePath\tLabel" };
        foreach (var row in rows)
        {
            string target = Path.Combine(folder, row[0]);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(ShippedImages, row[0]), target);
            lines.Add($"{row[0]}\t{row[1]}");
        }
        File.WriteAllLines(Path.Combine(folder, "train.tsv"), lines);
        return (ml.Data.LoadFromTextFile<ImageRow>(Path.Combine(folder, "train.tsv"), separatorChar: '\t', hasHeader: true), rows.Select(r => r[0]).ToArray());
    }

    private IEstimator<ITransformer> Pipeline(SamImageClassifierOptions options) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoadImages("Image", folder, "ImagePath"))
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, interleavePixelColors: false, scaleImage: 1f / 255))
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(options));

    [TestMethod]
    public void AMissingImageFileIsNamedWithItsRow()
    {
        var (data, paths) = ImageFolder();
        File.Delete(Path.Combine(folder, paths[3]));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Pipeline(Options()).Fit(data));
        StringAssert.Contains(error.Message, "Row 3 of the training data");
        StringAssert.Contains(error.Message, $"ImagePath = '{paths[3]}'");
        StringAssert.Contains(error.Message, "could not be read");
        StringAssert.Contains(error.Message, "SkipUnreadableImages");
    }

    [TestMethod]
    public void AFileThatIsNotAnImageIsNamedWithItsRow()
    {
        var (data, paths) = ImageFolder();
        File.WriteAllText(Path.Combine(folder, paths[7]), "this is not a PNG");
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Pipeline(Options()).Fit(data));
        StringAssert.Contains(error.Message, "Row 7 of the training data");
        StringAssert.Contains(error.Message, $"ImagePath = '{paths[7]}'");
    }

    [TestMethod]
    public void SkipUnreadableImagesLeavesThemOutCountsAndLogsThem()
    {
        var (data, paths) = ImageFolder();
        File.Delete(Path.Combine(folder, paths[2]));
        File.WriteAllText(Path.Combine(folder, paths[9]), "this is not a PNG");
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "SamImageClassifier") messages.Add(e.Message); };
        var model = Pipeline(Options(o => { o.SkipUnreadableImages = true; o.Epochs = 1; })).Fit(data);

        var info = SamImageClassifierModel.FromTransformer(model).Info;
        Assert.AreEqual(2, info.SkippedTrainingRows);
        Assert.AreEqual(10, info.TrainingRows);
        Assert.IsTrue(messages.Any(m => m.Contains("Row 2 of the training data") && m.Contains(paths[2]) && m.Contains("skipped")), string.Join("\n", messages));
        Assert.IsTrue(messages.Any(m => m.Contains("Skipped 2 of 12 rows")), string.Join("\n", messages));
        Assert.IsTrue(messages.Any(m => m.Contains("as bytes")), "ExtractPixels(scaleImage: 1/255) values are stored as bytes: " + string.Join("\n", messages));
    }

    private sealed class LooseRow
    {
        public string Label { get; set; } = "";
        [VectorType(1, 8, 8)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void AnImageOfAnotherSizeIsNamedWithItsRowAndBothShapes()
    {
        var rows = Enumerable.Range(0, 8).Select(i => new LooseRow { Label = $"c{i % 2}", Features = new float[i == 5 ? 16 : 64] }).ToArray();
        var raw = ml.Data.LoadFromEnumerable(rows);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.SamImageClassifier(Options()).Fit(data));
        StringAssert.Contains(error.Message, "Row 5 of the training data has 16 values (1×4×4 if square)");
        StringAssert.Contains(error.Message, "1×8×8 = 64");
        StringAssert.Contains(error.Message, "ResizeImages");
    }
}

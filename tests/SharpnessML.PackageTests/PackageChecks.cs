using System.IO.Compression;
using System.Xml.Linq;

namespace SharpnessML.PackageTests;

/// <summary>
/// What a user gets from the two packages: their metadata, an app that trains with the SharpnessML package, an app with
/// ML.NET only that scores the saved model without libtorch, and the sharpness-lab tool installed from the package folder.
/// </summary>
[TestClass]
public sealed class PackageChecks
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);
    private static LocalPackages? packed;
    private static readonly Lazy<string> TrainAndSaveOutput = new(() => BuildAndRun("TrainAndSave", [ShippedData, ModelPath]));
    private static readonly Lazy<string> InstalledTool = new(InstallTool);

    private static LocalPackages Packages => packed ?? throw new InvalidOperationException("The packages were not packed.");

    private static string ShippedData => Path.Combine(LocalPackages.Repository, "tests", "data", "fashion-mnist-small");

    private static string ModelPath => Path.Combine(Packages.Root, "model.zip");

    [ClassInitialize]
    public static void PackBoth(TestContext _) => packed = LocalPackages.Pack();

    [ClassCleanup]
    public static void DeletePacks() => packed?.Delete();

    [TestMethod]
    public void LibraryPackage_IsSharpnessMLWithLicenseReadmeSymbolsAndTransitiveTargets()
    {
        using var package = ZipFile.OpenRead(Packages.PackageFile("SharpnessML"));
        var metadata = Nuspec(package);
        Assert.AreEqual("SharpnessML", Value(metadata, "id"));
        Assert.AreEqual(Packages.Version, Value(metadata, "version"));
        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.AreEqual("expression", license.Attribute("type")?.Value);
        Assert.AreEqual("MIT", license.Value);
        Assert.AreEqual("README.md", Value(metadata, "readme"));
        Assert.AreNotEqual("SharpnessML", Value(metadata, "authors"), "authors must name people, not repeat the id");
        StringAssert.Contains(Value(metadata, "tags"), "ml.net");
        StringAssert.StartsWith(Value(metadata, "projectUrl"), "https://");
        StringAssert.StartsWith(metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("url")?.Value ?? "", "https://");
        string[] files = [.. package.Entries.Select(e => e.FullName)];
        CollectionAssert.IsSubsetOf(new[]
        {
            "README.md", "LICENSE", "lib/net10.0/Microsoft.ML.Sharpness.dll", "lib/net10.0/Microsoft.ML.Sharpness.xml",
            "buildTransitive/SharpnessML.targets", "buildTransitive/PatchTorchSharpNativeLibrary.cs",
        }, files, "package files: " + string.Join(", ", files));

        using var symbols = ZipFile.OpenRead(Packages.PackageFile("SharpnessML", "snupkg"));
        Assert.IsTrue(symbols.Entries.Any(e => e.FullName == "lib/net10.0/Microsoft.ML.Sharpness.pdb"), "the symbols package holds the PDB");
    }

    [TestMethod]
    public void ToolPackage_IsTheSharpnessLabToolWithScottPlotAndLinuxLibtorch()
    {
        using var package = ZipFile.OpenRead(Packages.PackageFile("SharpnessML.Lab"));
        var metadata = Nuspec(package);
        Assert.AreEqual("SharpnessML.Lab", Value(metadata, "id"));
        Assert.AreEqual("MIT", Value(metadata, "license"));
        Assert.IsTrue(metadata.Descendants().Any(e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool"));
        var settings = XDocument.Load(package.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
        Assert.AreEqual("sharpness-lab", settings.Descendants("Command").Single().Attribute("Name")?.Value);
        string[] files = [.. package.Entries.Select(e => e.FullName)];
        CollectionAssert.IsSubsetOf(new[]
        {
            "README.md", "tools/net10.0/any/sharpness-lab.dll", "tools/net10.0/any/ScottPlot.dll",
            "tools/net10.0/any/runtimes/linux-x64/native/libSkiaSharp.so",
            "tools/net10.0/any/runtimes/linux-x64/native/libLibTorchSharp.so", "tools/net10.0/any/runtimes/linux-x64/native/libtorch_cpu.so",
        }, files);
    }

    [TestMethod]
    public void AppReferencingThePackage_TrainsSavesAndReloadsAModel()
    {
        string output = TrainAndSaveOutput.Value;
        StringAssert.Contains(output, $"SharpnessML {Packages.Version}");
        StringAssert.Contains(output, "reloaded: scores differ");
        Assert.IsTrue(File.Exists(ModelPath));
        string assets = File.ReadAllText(Path.Combine(Packages.Root, "consumers", "TrainAndSave", "obj", "project.assets.json"));
        StringAssert.Contains(assets, $"\"SharpnessML/{Packages.Version}\"", "the app restores SharpnessML as a package");
    }

    [TestMethod]
    public void AppWithMLNetOnly_ScoresTheSavedModelWithoutLibtorch()
    {
        _ = TrainAndSaveOutput.Value;
        string output = BuildAndRun("ScoreOnly", [ModelPath, Path.Combine(ShippedData, "test.tsv")]);
        StringAssert.Contains(output, "predicted 200 images");
        StringAssert.Contains(output, "mapped: ONNX Runtime yes; libtorch libraries: none; TorchSharp/SharpnessML assemblies: none");
        string assets = File.ReadAllText(Path.Combine(Packages.Root, "consumers", "ScoreOnly", "obj", "project.assets.json"));
        Assert.IsFalse(assets.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase), "the scoring app restores no TorchSharp package");
    }

    [TestMethod]
    public void ToolInstalledFromThePackageFolder_ListsThePresets()
    {
        string output = DotnetCli.Run(Packages.Root, RunTimeout, InstalledTool.Value, "presets");
        foreach (string preset in new[] { "small-vs-large-batch", "piggybacked-large-batch", "sgd-vs-sam", "rho-sweep" })
            StringAssert.Contains(output, preset + ": ");
    }

    [TestMethod]
    public void ToolInstalledFromThePackageFolder_TrainsEvaluatesAndDrawsAQuickStudy()
    {
        string study = Path.Combine(Packages.Root, "tiny-study.json");
        File.WriteAllText(study, $$"""
            {
              "name": "tiny", "data": "{{ShippedData.Replace("\\", "/")}}", "seeds": [1], "threads": 2, "trainRows": 100, "testRows": 50,
              "defaults": { "architecture": "Mlp", "epochs": 1, "batchSize": 50 },
              "runs": [{ "name": "SGD", "optimizer": "Sgd" }, { "name": "SAM", "optimizer": "Sam" }],
              "evaluation": { "profile": "Quick", "trainMeasures": "Sam", "testMeasures": "Sam" },
              "landscapes": { "randomDirections": ["SGD"], "surfaces": ["SGD"], "points": 3 }
            }
            """);
        string report = Path.Combine(Packages.Root, "tiny-report");
        string output = DotnetCli.Run(Packages.Root, RunTimeout, InstalledTool.Value, "study", "--config", study, "--out", report, "--plain");
        StringAssert.Contains(output, "SAM (seed 1) epoch 1:", "libtorch loads from the tool's folder and trains");
        string html = File.ReadAllText(Path.Combine(report, "report.html"));
        StringAssert.Contains(html, "100 training and 50 test rows");
        StringAssert.Contains(html, "quick profile");
        Assert.IsTrue(File.Exists(Path.Combine(report, "plots", "random-direction.png")), "the tool drew the charts");
        Assert.IsFalse(File.Exists(Path.Combine(report, "plots", "surface-sgd.png")), "the quick profile draws no surfaces");
    }

    /// <summary>Installs SharpnessML.Lab from the package folder into a tool folder, as a user would; returns the command's path.</summary>
    private static string InstallTool()
    {
        string tools = Path.Combine(Packages.Root, "tools");
        DotnetCli.Run(Packages.Root, BuildTimeout, "dotnet", "tool", "install", "SharpnessML.Lab", "--tool-path", tools,
            "--add-source", Packages.Feed, "--version", Packages.Version);
        return Path.Combine(tools, "sharpness-lab");
    }

    /// <summary>Builds the consumer app <paramref name="name"/> against the packed packages and runs it.</summary>
    private static string BuildAndRun(string name, string[] arguments)
    {
        string folder = Packages.CopyConsumer(name);
        string output = Path.Combine(folder, "out");
        DotnetCli.Run(folder, BuildTimeout, "dotnet", "build", "-c", "Release", "-o", output, $"-p:SharpnessMLVersion={Packages.Version}");
        return DotnetCli.Run(folder, RunTimeout, "dotnet", [Path.Combine(output, name + ".dll"), .. arguments]);
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string Value(XElement metadata, string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
}

namespace SharpnessML.PackageTests;

/// <summary>
/// SharpnessML and SharpnessML.Lab packed once from this repository into a temporary folder, with a version of their own
/// (0.1.0-check.TIMESTAMP, so NuGet's cache never serves an older pack), built in their own artifacts folder (so the pack
/// shares no bin/obj with the build that runs the tests), as a release build (ContinuousIntegrationBuild).
/// </summary>
internal sealed class LocalPackages
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(30);

    private LocalPackages(string root, string version)
    {
        Root = root;
        Version = version;
    }

    /// <summary>The repository the tests were built from.</summary>
    public static string Repository { get; } = FindRepository();

    /// <summary>The temporary folder everything is packed, built and installed in.</summary>
    public string Root { get; }

    /// <summary>The packages' version.</summary>
    public string Version { get; }

    /// <summary>The folder holding the .nupkg and .snupkg files (a package source).</summary>
    public string Feed => Path.Combine(Root, "packages");

    /// <summary>The path of package <paramref name="id"/>'s file (<paramref name="extension"/> nupkg or snupkg).</summary>
    public string PackageFile(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Version}.{extension}");

    /// <summary>Packs both packages into a new temporary folder.</summary>
    public static LocalPackages Pack()
    {
        string version = $"0.1.0-check.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var packages = new LocalPackages(Directory.CreateTempSubdirectory("sharpnessml-package-checks-").FullName, version);
        foreach (string project in new[] { "src/Microsoft.ML.Sharpness/Microsoft.ML.Sharpness.csproj", "src/Pipelines/SharpnessLab.csproj" })
            DotnetCli.Run(Repository, PackTimeout, "dotnet", "pack", project, "-c", "Release", "-o", packages.Feed,
                "--artifacts-path", Path.Combine(packages.Root, "artifacts"), $"-p:VersionSuffix={version["0.1.0-".Length..]}",
                "-p:ContinuousIntegrationBuild=true");
        return packages;
    }

    /// <summary>
    /// Copies the consumer app <paramref name="name"/> (tests/consumers) into the temporary folder with a nuget.config that adds
    /// the package folder to the machine's sources; returns its folder.
    /// </summary>
    public string CopyConsumer(string name)
    {
        string source = Path.Combine(Repository, "tests", "consumers", name);
        string target = Path.Combine(Root, "consumers", name);
        foreach (string file in Directory.EnumerateFiles(source).Where(f => Path.GetExtension(f) is ".cs" or ".csproj"))
        {
            Directory.CreateDirectory(target);
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
        File.WriteAllText(Path.Combine(target, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="sharpnessml-checks" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        return target;
    }

    /// <summary>Deletes the temporary folder and this version's copies in NuGet's global packages folder.</summary>
    public void Delete()
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string folder in new[] { Root, Path.Combine(cache, "sharpnessml", Version), Path.Combine(cache, "sharpnessml.lab", Version) })
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private static string FindRepository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "SharpnessML.sln")))
                return folder.FullName;
        throw new InvalidOperationException($"No SharpnessML.sln above {AppContext.BaseDirectory}: the package checks run from the repository's build output.");
    }
}

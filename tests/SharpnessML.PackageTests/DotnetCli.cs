using System.Diagnostics;
using System.Text;

namespace SharpnessML.PackageTests;

/// <summary>Runs <c>dotnet</c> (or an installed tool) as a user would, in a clean environment, and returns what it printed.</summary>
internal static class DotnetCli
{
    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/> in <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidOperationException">The process failed or did not end within <paramref name="timeout"/>; the message has its output.</exception>
    public static string Run(string folder, TimeSpan timeout, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        // The test host runs under `dotnet test`, whose MSBuild variables would steer the child builds.
        foreach (string name in start.Environment.Keys.Where(IsInherited).ToList()) start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string command = $"{program} {string.Join(' ', arguments)}";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"'{command}' in {folder} did not finish within {timeout.TotalMinutes:F0} min:\n{output}");
        }
        process.WaitForExit();
        string text;
        lock (output) text = output.ToString();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{command}' in {folder} failed with exit code {process.ExitCode}:\n{text}");
        Console.WriteLine($"{command}: {clock.Elapsed.TotalSeconds:F0} s");
        return text;
    }

    private static bool IsInherited(string name) => name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name == "DOTNET_HOST_PATH";
}

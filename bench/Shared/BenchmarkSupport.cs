using System.Diagnostics;
using System.Text.Json;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>What the side-by-side benchmarks share: medians, options, the repository root and the PyTorch peer scripts.</summary>
internal static class Bench
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>The median over rounds of the per-round ratio a[r] / b[r].</summary>
    public static double MedianRatio(IReadOnlyList<double> a, IReadOnlyList<double> b) => Median(a.Zip(b, (x, y) => x / y));

    public static string Join(IEnumerable<double> values, string format = "F3") => string.Join(" ", values.Select(v => v.ToString(format)));

    public static int Option(string[] args, string name, int fallback) => Option(args, name) is { } s ? int.Parse(s) : fallback;

    public static double Option(string[] args, string name, double fallback) =>
        Option(args, name) is { } s ? double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    public static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static string RepositoryRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SharpnessML.sln")))
            root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("Run from inside the repository.");
        return root;
    }

    /// <summary>This process's peak resident set size so far, in MiB (VmHWM of /proc/self/status; NaN elsewhere).</summary>
    public static double PeakResidentMiB()
    {
        try
        {
            string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return double.NaN;
        }
    }

    /// <summary>1-minute load average (above 0: something else was using the shared cores).</summary>
    public static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (IOException) { return double.NaN; }
    }
}

/// <summary>Runs a script of bench/python with Debian's PyTorch (default /usr/bin/python3, or $SHARPNESS_PYTHON).</summary>
internal static class PythonPeer
{
    public static string Interpreter => Environment.GetEnvironmentVariable("SHARPNESS_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>Runs bench/python/<paramref name="script"/> with <paramref name="arguments"/>; OpenBLAS gets the same thread
    /// count as torch. Returns stdout parsed as JSON when <paramref name="json"/> (the scripts print one JSON object).</summary>
    public static JsonElement Run(string script, IEnumerable<string> arguments, int threads, bool json = true)
    {
        using var process = Process.Start(StartInfo(script, arguments, threads, redirectInput: false)) ?? throw new InvalidOperationException($"Could not start {Interpreter}.");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Interpreter} {script} exited with {process.ExitCode}:\n{error.Result}\n{output}\n" +
                "(Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread; see bench/python/README.md.)");
        return json ? JsonDocument.Parse(output).RootElement.Clone() : default;
    }

    /// <summary>Starts bench/python/<paramref name="script"/> as a server (its --serve line protocol: one JSON line when ready,
    /// then one JSON line per command line), so that a driver can interleave it with its own work at a fine grain.</summary>
    public static Server Serve(string script, IEnumerable<string> arguments, int threads) => new(StartInfo(script, arguments.Append("--serve"), threads, redirectInput: true), script);

    private static ProcessStartInfo StartInfo(string script, IEnumerable<string> arguments, int threads, bool redirectInput)
    {
        string folder = Path.Combine(Bench.RepositoryRoot(), "bench", "python");
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = redirectInput, WorkingDirectory = folder,
        };
        start.ArgumentList.Add(Path.Combine(folder, script));
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        start.Environment["OMP_NUM_THREADS"] = threads.ToString();
        return start;
    }

    internal sealed class Server : IDisposable
    {
        private readonly Process process;
        private readonly string script;
        private readonly System.Text.StringBuilder errors = new();

        internal Server(ProcessStartInfo start, string script)
        {
            this.script = script;
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Interpreter}.");
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            Ready = ReadLine();
        }

        /// <summary>The line the server printed when ready.</summary>
        public JsonElement Ready { get; }

        public JsonElement Ask(string command)
        {
            process.StandardInput.WriteLine(command);
            process.StandardInput.Flush();
            return ReadLine();
        }

        private JsonElement ReadLine()
        {
            string? line = process.StandardOutput.ReadLine();
            if (line is null)
            {
                process.WaitForExit();
                lock (errors)
                    throw new InvalidOperationException($"{Interpreter} {script} --serve ended (exit code {process.ExitCode}):\n{errors}\n" +
                        "(Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread; see bench/python/README.md.)");
            }
            return JsonDocument.Parse(line).RootElement.Clone();
        }

        public void Dispose()
        {
            try { process.StandardInput.Close(); if (!process.WaitForExit(10_000)) process.Kill(); }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
    }
}

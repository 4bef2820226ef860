using System.Diagnostics;
using Microsoft.ML.Sharpness.Lab.Commands;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class StudyShardTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-small");

    /// <summary>Runs A … E, where B warm-starts from A and D from B (one chain: A, B, D), over three seeds.</summary>
    private static StudyDefinition ChainedStudy() => StudyDefinition.Parse("""
        {
          "data": "d", "seeds": [1, 2, 3],
          "runs": [
            { "name": "A" }, { "name": "B", "warmStartFrom": "A" }, { "name": "C" }, { "name": "D", "warmStartFrom": "B" }, { "name": "E" }
          ]
        }
        """, "test");

    private static string[] Names(IEnumerable<StudyUnit> units) => [.. units.Select(unit => unit.ToString())];

    [TestMethod]
    public void ShardsSplitAStudyDeterministicallyCoveringEveryRunAndSeedOnceWithWarmStartChainsTogether()
    {
        var study = ChainedStudy();
        var all = Names(StudyShard.AllUnits(study));
        Assert.AreEqual(15, all.Length);

        // The groups {A, B, D}, {C}, {E} of each seed (3, 1 and 1 runs of equal epochs), heaviest first, each to the shard with
        // the fewest epochs so far: 8 and 7 runs' epochs. Each shard trains its units in the study's order.
        CollectionAssert.AreEqual(new[] { "A (seed 1)", "B (seed 1)", "D (seed 1)", "E (seed 2)", "A (seed 3)", "B (seed 3)", "D (seed 3)", "E (seed 3)" },
            Names(new StudyShard(0, 2).Units(study)));
        CollectionAssert.AreEqual(new[] { "C (seed 1)", "E (seed 1)", "A (seed 2)", "B (seed 2)", "C (seed 2)", "D (seed 2)", "C (seed 3)" },
            Names(new StudyShard(1, 2).Units(study)));

        for (int count = 1; count <= 10; count++)
        {
            var shards = Enumerable.Range(0, count).Select(index => new StudyShard(index, count).Units(study)).ToList();
            CollectionAssert.AreEquivalent(all, shards.SelectMany(Names).ToArray(), $"{count} shards hold every unit exactly once");
            foreach (var (units, index) in shards.Select((units, index) => (units, index)))
            {
                CollectionAssert.AreEqual(Names(units), Names(new StudyShard(index, count).Units(ChainedStudy())), "the same slice every time");
                var names = Names(units).ToList();
                foreach (var unit in units.Where(unit => unit.Run.WarmStartFrom is not null))
                    Assert.IsTrue(names.IndexOf($"{unit.Run.WarmStartFrom} (seed {unit.Seed})") is int from && from >= 0 && from < names.IndexOf(unit.ToString()),
                        $"shard {index}/{count}: {unit} is trained after the run it warm-starts from, in the same shard");
            }
            if (count > 9) Assert.AreEqual(0, shards[^1].Count, "more shards than the 9 groups: the last has nothing to do");
        }
    }

    [TestMethod]
    public void BadShardValuesAreRefusedWithAClearMessage()
    {
        Assert.AreEqual(new StudyShard(3, 4), StudyShard.Parse("3/4"));
        foreach (string text in new[] { "2/2", "5/4" })
            StringAssert.Contains(Assert.ThrowsExactly<StudyException>(() => StudyShard.Parse(text)).Message, "is not below n", text);
        StringAssert.Contains(Assert.ThrowsExactly<StudyException>(() => StudyShard.Parse("2/2")).Message, "i is 0-based: Slurm --array=0-1");
        StringAssert.Contains(Assert.ThrowsExactly<StudyException>(() => StudyShard.Parse("0/0")).Message, "asks for 0 shards");
        foreach (string text in new[] { "1", "-1/2", "a/2", "1/2/3", " 1/2", "1/", "" })
            Assert.AreEqual($"--shard takes i/n, the 0-based shard i of n shards (0 ≤ i < n), e.g. --shard 0/4 … --shard 3/4; '{text}' is not of that form.",
                Assert.ThrowsExactly<StudyException>(() => StudyShard.Parse(text)).Message);

        // On the command line: a bad value fails before the study is read; a shard and a report at once is refused.
        Assert.AreEqual(1, Study("--config", "absent.json", "--out", "unused", "--shard", "2/2"));
        Assert.AreNotEqual(0, Study("--config", "absent.json", "--out", "unused", "--shard", "0/2", "--report"));
    }

    [TestMethod]
    public void AShardRefusesAFolderOfAnotherStudyAndAReportAFolderWithoutOne()
    {
        string output = NewFolder();
        try
        {
            var study = ChainedStudy();
            var error = Assert.ThrowsExactly<StudyException>(() => StudyFolder.RequireSame(study, output));
            StringAssert.Contains(error.Message, "holds no study (no study.json)");

            StudyFolder.ClaimForShard(study, output);
            StudyFolder.ClaimForShard(ChainedStudy(), output); // the second shard of the same study
            StudyFolder.RequireSame(study, output);
            var other = ChainedStudy();
            other.Seeds = [1, 2];
            error = Assert.ThrowsExactly<StudyException>(() => StudyFolder.ClaimForShard(other, output));
            StringAssert.Contains(error.Message, "holds a different study: its study.json differs from this one at line");
            StringAssert.Contains(error.Message, "or use another --out folder");
            Assert.AreEqual(1, Directory.GetFiles(output).Length, $"no temporary file is left: {string.Join(", ", Directory.GetFiles(output))}");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [TestMethod]
    public void TwoShardsRunSideBySideGiveTheResultsAndReportOfOneProcess()
    {
        string root = NewFolder();
        try
        {
            string config = Path.Combine(root, "tiny.json");
            File.WriteAllText(config, $$"""
                {
                  "name": "tiny", "data": "{{Data.Replace("\\", "/")}}", "seeds": [1, 2], "threads": 1, "trainRows": 200,
                  "defaults": { "architecture": "ConvNet", "optimizer": "Sgd", "epochs": 1, "batchSize": 50 },
                  "runs": [
                    { "name": "SB", "batchSize": 20 },
                    { "name": "LB", "batchFraction": 0.5 },
                    { "name": "LB from SB", "batchFraction": 0.5, "warmStartFrom": "SB" }
                  ],
                  "evaluation": { "trainRows": 32, "testRows": 32, "trainMeasures": "Sam", "testMeasures": "Sam" },
                  "landscapes": { "interpolations": [["SB", "LB"]], "randomDirections": ["LB"], "rows": 32, "points": 3 }
                }
                """);
            string one = Path.Combine(root, "one"), two = Path.Combine(root, "two");
            Assert.AreEqual(0, Study("--config", config, "--out", one, "--plain"));

            // Before the shards: no study to report; a folder that holds the study but no finished unit has nothing to report.
            Assert.AreEqual(1, Study("--config", config, "--out", two, "--plain", "--report"));
            StudyFolder.ClaimForShard(StudyDefinition.Load(config), two);
            StringAssert.Contains(Assert.ThrowsExactly<StudyException>(() => new StudyRunner(StudyDefinition.Load(config), two, new LineProgress(TextWriter.Null)).Report()).Message,
                "None of the study's 6 run × seed units has finished");

            var shards = Enumerable.Range(0, 2).Select(i => Lab("study", "--config", config, "--out", two, "--plain", "--shard", $"{i}/2")).ToList();
            foreach (var (shard, i) in shards.Select((shard, i) => (shard, i)))
            {
                string printed = shard.Wait();
                Assert.AreEqual(0, shard.ExitCode, printed);
                StringAssert.Contains(printed, $"Shard {i}/2: 3 of the study's 6 run × seed units: SB (seed {i + 1}), LB (seed {i + 1}), LB from SB (seed {i + 1})", printed);
                StringAssert.Contains(printed, $"When every shard has finished, write the report with: sharpness-lab study --config {config} --out {two} --plain --report", printed);
            }
            Assert.IsTrue(shards.Select(s => s.Started).Max() < shards.Select(s => s.Exited).Min(), "the shards ran side by side");
            foreach (string drawnByTheReport in new[] { "landscapes", "plots", "summary.md", "report.html" })
                Assert.IsFalse(Path.Exists(Path.Combine(two, drawnByTheReport)), $"a shard writes no {drawnByTheReport}");

            Assert.AreEqual(0, Study("--config", config, "--out", two, "--plain", "--report"));
            foreach (string run in new[] { "sb", "lb", "lb-from-sb" })
                foreach (int seed in new[] { 1, 2 })
                    AssertSameResult(RunResult.TryLoad(Path.Combine(one, "runs", $"{run}-seed{seed}", "result.json"))!,
                        RunResult.TryLoad(Path.Combine(two, "runs", $"{run}-seed{seed}", "result.json"))!);
            Assert.AreEqual(WithoutTimes(File.ReadAllText(Path.Combine(one, "summary.md")), '|'), WithoutTimes(File.ReadAllText(Path.Combine(two, "summary.md")), '|'));
            Assert.AreEqual(WithoutTimes(File.ReadAllText(Path.Combine(one, "results.csv")), ','), WithoutTimes(File.ReadAllText(Path.Combine(two, "results.csv")), ','));
            foreach (string landscape in Directory.GetFiles(Path.Combine(one, "landscapes")).Select(file => Path.GetFileName(file)))
                Assert.AreEqual(File.ReadAllText(Path.Combine(one, "landscapes", landscape)), File.ReadAllText(Path.Combine(two, "landscapes", landscape)), landscape);
            CollectionAssert.AreEquivalent(Directory.GetFiles(Path.Combine(one, "plots")).Select(file => Path.GetFileName(file)).ToArray(),
                Directory.GetFiles(Path.Combine(two, "plots")).Select(file => Path.GetFileName(file)).ToArray());
            Assert.IsFalse(Directory.EnumerateFiles(two, "*.partial", SearchOption.AllDirectories).Any(), "no temporary file is left");

            // A report while a unit is missing shows the rest and says what is missing.
            Directory.Delete(Path.Combine(two, "runs", "lb-seed1"), recursive: true);
            Assert.AreEqual(0, Study("--config", config, "--out", two, "--plain", "--report"));
            string summary = File.ReadAllText(Path.Combine(two, "summary.md"));
            StringAssert.Contains(summary, "| LB | 1 of 2 |");
            StringAssert.Contains(summary, "| SB | 2 |");
            StringAssert.Contains(summary, "Not finished yet, so left out of the tables and charts (1 run × seed): LB (seed 1).");
            StringAssert.Contains(summary, "Landscapes not drawn yet: interpolation SB → LB (LB (seed 1) has not finished); random-direction curve of LB (LB (seed 1) has not finished).");
            string report = File.ReadAllText(Path.Combine(two, "report.html"));
            StringAssert.Contains(report, "<td>LB</td><td>1 of 2</td>");
            StringAssert.Contains(report, "<p class=\"not-finished\">Not finished yet");
            Assert.IsFalse(report.Contains("plots/interpolation-sb-to-lb.png"), "the interpolation is not drawn without LB's first seed");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The same run: every value but the wall-clock times (and the machine line, which names the thread setting, not the process).</summary>
    private static void AssertSameResult(RunResult expected, RunResult actual)
    {
        string unit = $"{expected.Run} (seed {expected.Seed})";
        Assert.AreEqual((expected.Run, expected.Seed, expected.Settings, expected.StudySettings), (actual.Run, actual.Seed, actual.Settings, actual.StudySettings), unit);
        Assert.AreEqual((expected.TrainAccuracy, expected.TrainLogLoss, expected.TestAccuracy, expected.TestLogLoss),
            (actual.TrainAccuracy, actual.TrainLogLoss, actual.TestAccuracy, actual.TestLogLoss), unit);
        CollectionAssert.AreEqual(expected.History.Select(h => h with { Seconds = 0 }).ToArray(), actual.History.Select(h => h with { Seconds = 0 }).ToArray(), unit);
        foreach (var (mine, theirs) in new[] { (expected.TrainSharpness, actual.TrainSharpness), (expected.TestSharpness, actual.TestSharpness) })
            CollectionAssert.AreEquivalent(WithoutSeconds(mine), WithoutSeconds(theirs), unit);
        Assert.IsTrue(expected.TrainSharpness.Count > 2 && expected.History.Count == 1, unit);
    }

    private static KeyValuePair<string, double>[] WithoutSeconds(Dictionary<string, double> metrics) =>
        [.. metrics.Where(p => !p.Key.StartsWith("Seconds.", StringComparison.Ordinal))];

    /// <summary>
    /// A table (Markdown or CSV) without its columns of wall-clock seconds ("training s", "training_seconds", "Seconds.…"); a
    /// separator inside double quotes (a CSV heading such as "train:Sam[rho=0.05,k=1]") does not split.
    /// </summary>
    private static string WithoutTimes(string table, char separator)
    {
        string[] Split(string line) => System.Text.RegularExpressions.Regex.Split(line, $"{System.Text.RegularExpressions.Regex.Escape($"{separator}")}(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)");
        var lines = table.Split('\n');
        var times = Split(lines[0]).Select((heading, i) => (heading, i))
            .Where(p => p.heading.Contains("seconds", StringComparison.OrdinalIgnoreCase) || p.heading.Trim() == "training s").Select(p => p.i).ToHashSet();
        Assert.IsTrue(times.Count > 0, "the table has a time column");
        return string.Join('\n', lines.Select(line => line.Contains(separator) ? string.Join(separator, Split(line).Where((_, i) => !times.Contains(i))) : line));
    }

    private static int Study(params string[] args) => StudyCommand.Create().Parse(args).Invoke();

    private static string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "sharpness-shards-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>sharpness-lab as a child process (the lab is built into the tests' folder), started now.</summary>
    private static LabProcess Lab(params string[] args)
    {
        string lab = Path.Combine(AppContext.BaseDirectory, "sharpness-lab.dll");
        Assert.IsTrue(File.Exists(lab), $"the lab is built next to the tests: {lab}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(lab);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return new LabProcess(Process.Start(start)!);
    }

    /// <summary>A running lab process: what it prints, when it started and exited.</summary>
    private sealed class LabProcess
    {
        private readonly Process process;
        private readonly Task<string> output, error;

        public LabProcess(Process process)
        {
            this.process = process;
            Started = DateTime.UtcNow;
            output = process.StandardOutput.ReadToEndAsync();
            error = process.StandardError.ReadToEndAsync();
        }

        public DateTime Started { get; }

        public DateTime Exited => process.ExitTime.ToUniversalTime();

        public int ExitCode => process.ExitCode;

        /// <summary>Waits (at most 5 minutes) for the process to exit; returns its output and errors.</summary>
        public string Wait()
        {
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"the lab did not finish in 5 minutes:\n{output.Result}");
            }
            return output.Result + error.Result;
        }
    }
}

using System.Buffers.Binary;
using System.Globalization;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class StudyRunnerTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-small");

    private static string StudyJson(int lbEpochs, int evaluationRows = 64) => $$"""
        {
          "name": "tiny", "data": "{{Data.Replace("\\", "/")}}", "seeds": [1], "threads": 2, "trainRows": 300,
          "defaults": { "architecture": "ConvNet", "optimizer": "Sgd", "epochs": 2, "batchSize": 50 },
          "runs": [
            { "name": "SB", "batchSize": 30 },
            { "name": "LB", "batchFraction": 0.5, "epochs": {{lbEpochs}} },
            { "name": "LB from SB", "batchFraction": 0.5, "epochs": 1, "warmStartFrom": "SB" }
          ],
          "evaluation": { "trainRows": {{evaluationRows}}, "testRows": 64, "trainMeasures": "KeskarFullSpace, Sam", "testMeasures": "Sam" },
          "landscapes": {
            "interpolations": [["SB", "LB"]], "randomDirections": ["SB", "LB"], "surfaces": ["SB"], "spectra": ["SB"],
            "rows": 64, "points": 5, "surfacePoints": 3, "lanczosSteps": 5
          }
        }
        """;

    private sealed class Recorder : IStudyProgress
    {
        public List<(string Run, bool Resumed)> Runs { get; } = [];
        public List<string> Stages { get; } = [];
        public int Epochs { get; private set; }
        public void Stage(string message) => Stages.Add(message);
        public void RunStarted(string run, int seed, int epochs, bool resumed) => Runs.Add((run, resumed));
        public void Epoch(TrainingEpochReport report) => Epochs++;
        public void RunStage(string message) { }
        public void RunFinished(RunResult result) { }
    }

    [TestMethod]
    public void AStudyWritesItsResultsChartsAndReportFromRealNumbersAndResumesWhereItStopped()
    {
        string output = Path.Combine(Path.GetTempPath(), "sharpness-study-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = new Recorder();
            var results = new StudyRunner(StudyDefinition.Parse(StudyJson(lbEpochs: 2), "test"), output, first).Run();

            Assert.AreEqual(3, results.Count);
            Assert.AreEqual(2 + 2 + 1, first.Epochs);
            Assert.IsTrue(first.Runs.All(r => !r.Resumed));
            var sb = results[0];
            Assert.AreEqual(300, sb.TrainRows, "a stratified sample of 300 of the 500 rows: 30 of each class's 50");
            Assert.AreEqual(sb.TrainRows / 2, results[1].BatchSize, 1, "batchFraction 0.5 of the training rows");
            Assert.AreEqual("SB", results[2].WarmStartFrom);

            // The results are the saved models' real numbers: ML.NET's evaluator on the saved pipeline gives the reported accuracy.
            var ml = new MLContext(seed: 1);
            var model = ml.Model.Load(Path.Combine(output, "runs", "sb-seed1", "model.zip"), out _);
            var test = ml.Data.LoadFromEnumerable(StudyData.ReadIndex(Data, "test.tsv", null, seed: 1));
            Assert.AreEqual(sb.TestAccuracy, ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy, 1e-9);

            var table = ReadCsv(Path.Combine(output, "results.csv"));
            Assert.AreEqual(3, table.Rows.Count);
            Assert.AreEqual(sb.TestAccuracy, Number(table, 0, "test_accuracy"), 1e-12);
            Assert.AreEqual(sb.TrainSharpness["Keskar[full space,eps=0.001]"], Number(table, 0, "train:Keskar[full space,eps=0.001]"), 1e-12);
            string summary = File.ReadAllText(Path.Combine(output, "summary.md"));
            StringAssert.Contains(summary, "| SB | 1 |");
            StringAssert.Contains(summary, "| LB from SB | 1 |");

            // Every chart: a PNG of the stated size, an SVG, and the CSV of the numbers it shows.
            string plots = Path.Combine(output, "plots");
            string[] charts = ["training-curves", "sharpness-vs-batch-size", "interpolation-sb-to-lb", "random-direction", "surface-sb", "hessian-density"];
            foreach (string chart in charts)
            {
                var (width, height) = PngSize(Path.Combine(plots, chart + ".png"));
                Assert.AreEqual((900, 560), (width, height), chart);
                StringAssert.Contains(File.ReadAllText(Path.Combine(plots, chart + ".svg")), "<svg", chart);
                StringAssert.Contains(File.ReadAllText(Path.Combine(output, "report.html")), $"plots/{chart}.png");
            }
            var curves = ReadCsv(Path.Combine(plots, "training-curves.csv"));
            var sbEpochs = curves.Rows.Where(r => r[0] == "SB").ToList();
            Assert.AreEqual(sb.History.Count, sbEpochs.Count);
            Assert.AreEqual(sb.History[^1].ValidationAccuracy!.Value, Parse(sbEpochs[^1][curves.Column["test_accuracy"]]), 1e-12);
            var interpolation = ReadCsv(Path.Combine(plots, "interpolation-sb-to-lb.csv"));
            CollectionAssert.AreEqual(new[] { -1.0, -0.25, 0.5, 1.25, 2.0 }, interpolation.Rows.Select(r => Parse(r[interpolation.Column["alpha"]])).ToArray());
            var batch = ReadCsv(Path.Combine(plots, "sharpness-vs-batch-size.csv"));
            Assert.AreEqual(2, batch.Rows.Count, "the warm-started run is not a batch-size point");
            Assert.AreEqual(sb.TrainSharpness["Keskar[full space,eps=0.001]"], Parse(batch.Rows[0][batch.Column["keskar_sharpness"]]), 1e-12);
            var surface = ReadCsv(Path.Combine(plots, "surface-sb.csv"));
            Assert.AreEqual(9, surface.Rows.Count);
            string report = File.ReadAllText(Path.Combine(output, "report.html"));
            StringAssert.Contains(report, "300 training and 200 test rows");
            StringAssert.Contains(report, "Sharpness on 64 training rows, measures marked test on 64 test rows.");
            StringAssert.Contains(report, "<div class=\"table-scroll\"><table>", "the results table scrolls inside its box");

            // Run again: nothing is retrained or recomputed. Change one run: only it retrains. Change the evaluation: all do.
            var again = new Recorder();
            new StudyRunner(StudyDefinition.Parse(StudyJson(lbEpochs: 2), "test"), output, again).Run();
            Assert.IsTrue(again.Runs.All(r => r.Resumed));
            Assert.AreEqual(0, again.Epochs);
            Assert.IsTrue(again.Stages.Count(s => s.Contains("computed earlier")) == 6, string.Join("\n", again.Stages));
            var changed = new Recorder();
            new StudyRunner(StudyDefinition.Parse(StudyJson(lbEpochs: 1), "test"), output, changed).Run();
            CollectionAssert.AreEqual(new[] { ("SB", true), ("LB", false), ("LB from SB", true) }, changed.Runs);
            Assert.AreEqual(1, changed.Epochs);
            var reevaluated = new Recorder();
            new StudyRunner(StudyDefinition.Parse(StudyJson(lbEpochs: 1, evaluationRows: 400), "test"), output, reevaluated).Run();
            Assert.IsTrue(reevaluated.Runs.All(r => !r.Resumed), "other evaluation settings make every result stale");
            StringAssert.Contains(File.ReadAllText(Path.Combine(output, "report.html")), "Sharpness on 300 training rows,",
                "the report states the rows evaluated, not the 400 asked for");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    [TestMethod]
    public void AStudyConnectsTwoSeedsOfARunByABezierCurveChartsItAndReadsItBackWhenRunAgain()
    {
        string output = Path.Combine(Path.GetTempPath(), "sharpness-study-" + Guid.NewGuid().ToString("N"));
        string json = $$"""
            {
              "name": "curve", "data": "{{Data.Replace("\\", "/")}}", "seeds": [1, 2], "threads": 2, "trainRows": 200,
              "defaults": { "architecture": "ConvNet", "optimizer": "Sgd", "epochs": 2, "batchSize": 50 },
              "runs": [{ "name": "SGD" }],
              "evaluation": { "trainRows": 32, "testRows": 32, "trainMeasures": "Sam", "testMeasures": "Sam" },
              "landscapes": { "curves": [["SGD#1", "SGD#2"]], "rows": 64, "points": 5, "curveEpochs": 2 }
            }
            """;
        try
        {
            var first = new Recorder();
            new StudyRunner(StudyDefinition.Parse(json, "test"), output, first).Run();

            string plots = Path.Combine(output, "plots");
            Assert.AreEqual((900, 560), PngSize(Path.Combine(plots, "curve-sgd-1-to-sgd-2.png")));
            var curve = ReadCsv(Path.Combine(plots, "curve-sgd-1-to-sgd-2.csv"));
            CollectionAssert.AreEqual(new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }, curve.Rows.Select(r => Parse(r[curve.Column["t"]])).ToArray());
            foreach (string rows in new[] { "train", "test" })
                foreach (int end in new[] { 0, 4 })
                    Assert.AreEqual(Parse(curve.Rows[end][curve.Column[$"line_{rows}_loss"]]), Parse(curve.Rows[end][curve.Column[$"curve_{rows}_loss"]]),
                        $"the curve and the line share their ends ({rows}, row {end})");
            string report = File.ReadAllText(Path.Combine(output, "report.html"));
            StringAssert.Contains(report, "<h2>Mode connectivity</h2>");
            StringAssert.Contains(report, "<td>SGD#1</td><td>SGD#2</td>");
            StringAssert.Contains(report, "plots/curve-sgd-1-to-sgd-2.png");
            Assert.IsTrue(first.Stages.Any(s => s.StartsWith("Bézier curve SGD#1 → SGD#2: training-loss barrier")), string.Join("\n", first.Stages));

            var again = new Recorder();
            new StudyRunner(StudyDefinition.Parse(json, "test"), output, again).Run();
            Assert.IsTrue(again.Stages.Any(s => s == "Bézier curve SGD#1 → SGD#2: computed earlier (curve-sgd-seed1-to-sgd-seed2.json)"), string.Join("\n", again.Stages));
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    private static (int Width, int Height) PngSize(string path)
    {
        byte[] header = File.ReadAllBytes(path)[..24];
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, header[..8], $"{path} is a PNG");
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(header, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(20)));
    }

    private sealed record CsvFile(Dictionary<string, int> Column, List<string[]> Rows);

    /// <summary>Reads the lab's CSV; test fields here never contain quoted commas except run names, which the lab quotes only when needed.</summary>
    private static CsvFile ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = SplitQuoted(lines[0]);
        return new CsvFile(header.Select((h, i) => (h, i)).ToDictionary(p => p.h, p => p.i), [.. lines.Skip(1).Where(l => l.Length > 0).Select(SplitQuoted)]);
    }

    private static string[] SplitQuoted(string line) =>
        [.. System.Text.RegularExpressions.Regex.Matches(line, "(?:^|,)(\"(?:[^\"]|\"\")*\"|[^,]*)").Select(m => m.Groups[1].Value.Trim('"').Replace("\"\"", "\""))];

    private static double Number(CsvFile table, int row, string column) => Parse(table.Rows[row][table.Column[column]]);

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}

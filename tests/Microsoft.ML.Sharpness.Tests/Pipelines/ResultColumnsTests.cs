using Microsoft.ML.Sharpness.Lab.Reports;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class ResultColumnsTests
{
    private static StudyDefinition Study(string runs, string evaluation) =>
        StudyDefinition.Parse($$"""{ "data": "d", "seeds": [3], "runs": [{{runs}}], "evaluation": {{evaluation}} }""", "study.json");

    /// <summary>A result with every value the lab's table can show, on training and test rows.</summary>
    private static RunResult Everything(string run)
    {
        string[] keys =
        [
            "Keskar[full space,eps=0.001]", "Keskar[full space,eps=0.0005]", "Keskar[100-d subspace,eps=0.001]", "Sam[rho=0.05,k=1]", "Sam[rho=0.1,k=1]",
            "AdaptiveSam[rho=0.05,k=1]", "HessianEigenvalue[1]", "HessianTrace", "Fisher.EmpiricalTrace", "Minibatch.LocalGeneralization",
        ];
        return new RunResult
        {
            Run = run, Seed = 3, BatchSize = 64, TestAccuracy = 0.9, TrainAccuracy = 0.95,
            TrainSharpness = keys.ToDictionary(k => k, _ => 1.0), TestSharpness = keys.ToDictionary(k => k, _ => 2.0),
        };
    }

    [TestMethod]
    public void TheTableShowsTheMeasuresAndSettingsTheStudyAsksForAndNoOthers()
    {
        var study = Study("""{ "name": "A", "batchSize": 64 }, { "name": "B", "batchSize": 64, "optimizer": "Sgd" }""",
            """{ "trainMeasures": "Sam, HessianTrace", "testMeasures": "KeskarFullSpace", "rhos": [0.05, 0.1], "keskarEpsilons": [0.001] }""");
        var columns = ResultColumns.For(study);
        CollectionAssert.AreEqual(new[]
        {
            "TestAccuracy", "TrainAccuracy", "GeneralizationGap", "TestLogLoss", "TrainLogLoss",
            "train:Sam[rho=0.05,k=1]", "train:Sam[rho=0.1,k=1]", "train:HessianTrace", "test:Keskar[full space,eps=0.001]", "TrainingSeconds",
        }, columns.Select(c => c.Key).ToArray(), "one batch size: no batch column; only the measures, ε and ρ asked for");
        CollectionAssert.AreEqual(new[] { "SAM ρ=0.05", "SAM ρ=0.1", "Hessian trace", "test Keskar ε=1e-3 full" }, columns.Skip(5).Take(4).Select(c => c.Heading).ToArray());

        // The results hold more values than asked for (an earlier, wider evaluation); the table shows only the asked-for ones.
        var summaries = RunSummary.Of(study, [Everything("A"), Everything("B")]);
        ResultColumns.RequireValues(columns, summaries.SelectMany(s => s.Results));
        string table = StudyReport.SummaryMarkdown(summaries, columns);
        StringAssert.Contains(table, "| run | seeds | test accuracy | train accuracy | gap | test log-loss | train log-loss | SAM ρ=0.05 | SAM ρ=0.1 | Hessian trace | test Keskar ε=1e-3 full | training s |");
        foreach (string absent in new[] { "batch", "Keskar ε=5e-4", "100-d", "ASAM", "λ₁", "Fisher", "LGM", "test SAM" })
            Assert.IsFalse(table.Contains(absent), $"\"{absent}\" was not asked for:\n{table}");

        var varied = ResultColumns.For(Study("""{ "name": "A", "batchSize": 64 }, { "name": "B", "batchFraction": 0.1 }""", """{ "trainMeasures": "None", "testMeasures": "None" }"""));
        Assert.AreEqual("BatchSize", varied[0].Key, "runs of different batch sizes get the batch column");
        Assert.AreEqual(7, varied.Count, "no sharpness columns when no measure is asked for");
    }

    [TestMethod]
    public void AResultLackingAnAskedForValueIsAnErrorNamingTheColumnTheRunAndTheSeed()
    {
        var study = Study("""{ "name": "A" }, { "name": "B" }""", """{ "trainMeasures": "Sam, AdaptiveSam", "testMeasures": "None" }""");
        var incomplete = Everything("B");
        incomplete.TrainSharpness.Remove("AdaptiveSam[rho=0.05,k=1]");
        string output = Path.Combine(Path.GetTempPath(), "sharpness-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var error = Assert.ThrowsExactly<StudyException>(() => StudyReport.Write(study, output, [Everything("A"), incomplete], LandscapeResults.Empty));
            Assert.AreEqual("The result of run \"B\" (seed 3) has no \"train:AdaptiveSam[rho=0.05,k=1]\", which the study's evaluation asks for.", error.Message);
            Assert.IsFalse(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any(), "nothing is written");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }
}

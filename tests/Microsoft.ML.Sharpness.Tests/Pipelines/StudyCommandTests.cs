using Microsoft.ML.Sharpness.Lab.Commands;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class StudyCommandTests
{
    [TestMethod]
    public void AnUnknownPresetIsAParseErrorNamingThePresetsNotACrash()
    {
        var parse = StudyCommand.Create().Parse(["--preset", "no-such-study", "--out", Path.GetTempPath()]);
        Assert.IsTrue(parse.Errors.Count > 0);
        StringAssert.Contains(string.Join("\n", parse.Errors.Select(e => e.Message)), "label-noise");
        Assert.AreNotEqual(0, parse.Invoke(new System.CommandLine.InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null }));
    }

    [TestMethod]
    public void AStudyNeedsExactlyOneOfConfigAndPreset()
    {
        var neither = StudyCommand.Create().Parse(["--out", Path.GetTempPath()]);
        StringAssert.Contains(string.Join("\n", neither.Errors.Select(e => e.Message)), "Give either --config FILE or --preset NAME.");
        var both = StudyCommand.Create().Parse(["--config", "a.json", "--preset", "sgd-vs-sam", "--out", Path.GetTempPath()]);
        StringAssert.Contains(string.Join("\n", both.Errors.Select(e => e.Message)), "Give either --config FILE or --preset NAME.");
    }
}

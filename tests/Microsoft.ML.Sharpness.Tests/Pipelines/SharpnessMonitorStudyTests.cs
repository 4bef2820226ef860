using Microsoft.ML.Sharpness.Lab.Charts;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

/// <summary>Study files turn the sharpness monitor on like any training setting; the charts' edge-of-stability threshold follows the base optimizer.</summary>
[TestClass]
public sealed class SharpnessMonitorStudyTests
{
    [TestMethod]
    public void ARunOrTheDefaultsTurnTheMonitorOn()
    {
        var study = StudyDefinition.Parse("""
            { "data": "d", "defaults": { "sharpnessMonitor": { "everySteps": 50, "rows": 128 } },
              "runs": [{ "name": "A" }, { "name": "B", "sharpnessMonitor": { "powerIterations": 5 } }] }
            """, "study.json");
        var runs = study.ResolvedRuns();
        var a = runs[0].ToOptions(1000, 1, null).SharpnessMonitor!;
        Assert.AreEqual((50, 128, 3), (a.EverySteps, a.Rows, a.PowerIterations));
        var b = runs[1].ToOptions(1000, 1, null).SharpnessMonitor!;
        Assert.AreEqual(5, b.PowerIterations, "a run's monitor replaces the defaults' whole");
    }

    [TestMethod]
    public void AMisspelledMonitorSettingIsRejected()
    {
        var e = Assert.ThrowsExactly<StudyException>(() => StudyDefinition.Parse("""
            { "data": "d", "runs": [{ "name": "A", "sharpnessMonitor": { "everyStep": 50 } }] }
            """, "study.json"));
        StringAssert.Contains(e.Message, "sharpnessMonitor");
    }

    [TestMethod]
    public void TheEdgeOfStabilityThresholdIsTheBaseOptimizers()
    {
        Assert.AreEqual(2.0, EdgeOfStability.Factor(new TrainingSettings { Momentum = 0 }));
        Assert.AreEqual(3.8, EdgeOfStability.Factor(new TrainingSettings { Momentum = 0.9f })!.Value, 1e-6, "heavy ball: 2 + 2μ");
        Assert.AreEqual(3.8 / 2.8, EdgeOfStability.Factor(new TrainingSettings { Momentum = 0.9f, Nesterov = true })!.Value, 1e-6, "Nesterov: (2 + 2μ)/(1 + 2μ)");
        Assert.IsNull(EdgeOfStability.Factor(new TrainingSettings { BaseOptimizer = BaseOptimizer.Adam }));
        StringAssert.Contains(EdgeOfStability.Describe(new TrainingSettings { BaseOptimizer = BaseOptimizer.AdamW }), "preconditioned");
    }
}

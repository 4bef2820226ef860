using Microsoft.ML.Sharpness.Optimization;

namespace Microsoft.ML.Sharpness.Tests.Optimization;

[TestClass]
public sealed class LearningRateSchedulerTests
{
    private const int StepsPerEpoch = 10, Epochs = 10;

    private static LearningRateScheduler Schedule(LearningRateSchedule kind) => new(kind, 0.1, StepsPerEpoch, Epochs, stepEpochs: 3, stepGamma: 0.5);

    [TestMethod]
    public void ConstantStaysPut() =>
        Assert.AreEqual(0.1, Schedule(LearningRateSchedule.Constant).RateAt(57), 1e-15);

    [TestMethod]
    public void StepDecaysEveryStepEpochs()
    {
        var schedule = Schedule(LearningRateSchedule.Step);
        Assert.AreEqual(0.1, schedule.RateAt(29), 1e-15);
        Assert.AreEqual(0.05, schedule.RateAt(30), 1e-15);
        Assert.AreEqual(0.0125, schedule.RateAt(99), 1e-15);
    }

    [TestMethod]
    public void CosineFollowsHalfACosine()
    {
        var schedule = Schedule(LearningRateSchedule.Cosine);
        Assert.AreEqual(0.1, schedule.RateAt(0), 1e-15);
        Assert.AreEqual(0.05, schedule.RateAt(50), 1e-12);
        Assert.AreEqual(0.05 * (1 + Math.Cos(Math.PI * 0.25)), schedule.RateAt(25), 1e-12);
    }

    [TestMethod]
    public void OneCycleWarmsUpThenAnneals()
    {
        var schedule = Schedule(LearningRateSchedule.OneCycle);
        Assert.AreEqual(0.1 / 25, schedule.RateAt(0), 1e-15);
        Assert.AreEqual(0.1, schedule.RateAt(30), 1e-12);
        Assert.IsLessThan(schedule.RateAt(30), schedule.RateAt(15));
        Assert.IsLessThan(schedule.RateAt(30), schedule.RateAt(60));
        Assert.AreEqual(0.1 / 1e4, schedule.RateAt(100), 1e-12);
    }
}

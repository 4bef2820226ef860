namespace Microsoft.ML.Sharpness.Optimization;

/// <summary>The learning rate of each step under a <see cref="LearningRateSchedule"/>.</summary>
internal sealed class LearningRateScheduler
{
    private const double OneCycleWarmupFraction = 0.3, OneCycleStartDivisor = 25, OneCycleFinalDivisor = 1e4;
    private readonly LearningRateSchedule schedule;
    private readonly double baseRate;
    private readonly long totalSteps;
    private readonly long stepsPerEpoch;
    private readonly int stepEpochs;
    private readonly double stepGamma;

    public LearningRateScheduler(LearningRateSchedule schedule, double baseRate, long stepsPerEpoch, int epochs, int stepEpochs, double stepGamma)
    {
        this.schedule = schedule;
        this.baseRate = baseRate;
        this.stepsPerEpoch = stepsPerEpoch;
        totalSteps = stepsPerEpoch * epochs;
        this.stepEpochs = stepEpochs;
        this.stepGamma = stepGamma;
    }

    /// <summary>The rate of 0-based step t of T: constant lr; step lr·γ^⌊epoch/s⌋; cosine ½·lr·(1 + cos(π·t/T)); one-cycle warm-up then cosine.</summary>
    public double RateAt(long step)
    {
        switch (schedule)
        {
            case LearningRateSchedule.Constant:
                return baseRate;
            case LearningRateSchedule.Step:
                return baseRate * Math.Pow(stepGamma, step / stepsPerEpoch / stepEpochs);
            case LearningRateSchedule.Cosine:
                return 0.5 * baseRate * (1 + Math.Cos(Math.PI * step / totalSteps));
            case LearningRateSchedule.OneCycle:
                double warmupSteps = Math.Max(1, OneCycleWarmupFraction * totalSteps);
                double start = baseRate / OneCycleStartDivisor, end = baseRate / OneCycleFinalDivisor;
                if (step < warmupSteps)
                    return start + (baseRate - start) * step / warmupSteps;
                double progress = (step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
                return end + 0.5 * (baseRate - end) * (1 + Math.Cos(Math.PI * progress));
            default:
                throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown learning-rate schedule.");
        }
    }
}

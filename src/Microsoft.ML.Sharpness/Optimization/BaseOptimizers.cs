using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Optimization;

/// <summary>Parameters that learn at <see cref="LearningRateScale"/> times the scheduled learning rate (a pretrained backbone's 0.1).</summary>
internal sealed record ParameterGroup(IReadOnlyList<Parameter> Parameters, double LearningRateScale);

/// <summary>Creates the <see cref="BaseOptimizer"/> a run's settings name, over the network's parameters.</summary>
internal static class BaseOptimizers
{
    /// <summary>
    /// SGD (momentum, Nesterov, L2 decay), Adam (Kingma and Ba 2015, L2 decay added to the gradient) or AdamW (Loshchilov and
    /// Hutter 2019, decoupled decay) at the settings' learning rate; the schedule sets each param group's rate every step.
    /// </summary>
    public static OptimizerHelper Create(IEnumerable<Parameter> parameters, TrainingSettings settings) =>
        Create(new[] { new ParameterGroup(parameters.ToArray(), 1) }, settings).Optimizer;

    /// <summary>The settings' base optimizer with one param group per <see cref="ParameterGroup"/>, each at its scale of the learning rate.</summary>
    public static ScaledOptimizer Create(IReadOnlyList<ParameterGroup> groups, TrainingSettings settings)
    {
        double Rate(ParameterGroup g) => settings.LearningRate * g.LearningRateScale;
        OptimizerHelper optimizer = settings.BaseOptimizer switch
        {
            BaseOptimizer.Sgd => optim.SGD(groups.Select(g => new SGD.ParamGroup(g.Parameters, new SGD.Options { LearningRate = Rate(g) })),
                settings.LearningRate, settings.Momentum, 0, settings.WeightDecay, settings.Nesterov),
            // Every argument given: TorchSharp's optim.Adam/AdamW factories default β₂ to 0.99, not the paper's 0.999.
            BaseOptimizer.Adam => optim.Adam(groups.Select(g => new Adam.ParamGroup(g.Parameters, new Adam.Options { LearningRate = Rate(g) })),
                settings.LearningRate, settings.Beta1, settings.Beta2, settings.AdamEpsilon, settings.WeightDecay, amsgrad: false),
            BaseOptimizer.AdamW => optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, new AdamW.Options { LearningRate = Rate(g) })),
                settings.LearningRate, settings.Beta1, settings.Beta2, settings.AdamEpsilon, settings.WeightDecay, amsgrad: false),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.BaseOptimizer, "Unknown base optimizer."),
        };
        return new ScaledOptimizer(optimizer, groups.Select(g => g.LearningRateScale).ToArray());
    }
}

/// <summary>A base optimizer whose param groups each keep their scale of the scheduled learning rate.</summary>
internal sealed class ScaledOptimizer : IDisposable
{
    private readonly double[] scales;

    public ScaledOptimizer(OptimizerHelper optimizer, double[] scales)
    {
        Optimizer = optimizer;
        this.scales = scales;
    }

    public OptimizerHelper Optimizer { get; }

    /// <summary>Sets group g's learning rate to <paramref name="rate"/>·scale_g.</summary>
    public void SetLearningRate(double rate)
    {
        int g = 0;
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = rate * scales[g++];
    }

    public void Dispose() => Optimizer.Dispose();
}

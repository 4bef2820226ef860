using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Optimization;

/// <summary>Creates the <see cref="BaseOptimizer"/> a run's settings name, over the network's parameters.</summary>
internal static class BaseOptimizers
{
    /// <summary>
    /// SGD (momentum, Nesterov, L2 decay), Adam (Kingma and Ba 2015, L2 decay added to the gradient) or AdamW (Loshchilov and
    /// Hutter 2019, decoupled decay) at the settings' learning rate; the schedule sets each param group's rate every step.
    /// </summary>
    public static OptimizerHelper Create(IEnumerable<Parameter> parameters, TrainingSettings settings) => settings.BaseOptimizer switch
    {
        BaseOptimizer.Sgd => optim.SGD(parameters, settings.LearningRate, settings.Momentum, 0, settings.WeightDecay, settings.Nesterov),
        // Every argument given: TorchSharp's optim.Adam/AdamW factories default β₂ to 0.99, not the paper's 0.999.
        BaseOptimizer.Adam => optim.Adam(parameters, settings.LearningRate, settings.Beta1, settings.Beta2, settings.AdamEpsilon, settings.WeightDecay, amsgrad: false),
        BaseOptimizer.AdamW => optim.AdamW(parameters, settings.LearningRate, settings.Beta1, settings.Beta2, settings.AdamEpsilon, settings.WeightDecay, amsgrad: false),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.BaseOptimizer, "Unknown base optimizer."),
    };
}

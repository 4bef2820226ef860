using Microsoft.ML.Sharpness.Optimization;
using TorchSharp.Modules;

namespace Microsoft.ML.Sharpness.Networks.Imported;

/// <summary>
/// The parameters a run trains, grouped by learning-rate scale: everything at 1, or for a fine-tuned pretrained network the
/// backbone at <see cref="TrainingSettings.BackboneLearningRateScale"/> and the rest (head) at 1; frozen parameters are left out. A head
/// trained alone on cached features (<see cref="Trainer.FrozenBackboneFeatures"/>) is one group at 1.
/// </summary>
internal static class TrainableGroups
{
    public static IReadOnlyList<ParameterGroup> Of(Sequential network, TrainingSettings settings)
    {
        if (BackboneOf(network, settings) is not { } inBackbone)
            return new[] { new ParameterGroup(network.parameters().Where(p => p.requires_grad).ToArray(), 1) };
        var backbone = network.parameters().Where(p => p.requires_grad && inBackbone.Contains(p.Handle)).ToArray();
        var rest = network.parameters().Where(p => p.requires_grad && !inBackbone.Contains(p.Handle)).ToArray();
        var groups = new List<ParameterGroup> { new(rest, 1) };
        if (backbone.Length > 0) groups.Add(new ParameterGroup(backbone, settings.BackboneLearningRateScale));
        return groups;
    }

    /// <summary>Which parameters SAM perturbs: all, or all but the backbone's when <see cref="TrainingSettings.PerturbBackbone"/> is false.</summary>
    public static Func<Parameter, bool>? Perturbed(Sequential network, TrainingSettings settings) =>
        settings.PerturbBackbone || BackboneOf(network, settings) is not { } inBackbone ? null : p => !inBackbone.Contains(p.Handle);

    /// <summary>The handles of a fine-tuned pretrained network's backbone parameters; null for a network without a pretrained backbone.</summary>
    private static HashSet<IntPtr>? BackboneOf(Sequential network, TrainingSettings settings) =>
        settings.PretrainedModelPath is null || !network.named_children().Any(c => c.name == PretrainedNetwork.Backbone) ? null
            : PretrainedNetwork.BackboneOf(network).parameters().Select(p => p.Handle).ToHashSet();
}

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
        if (settings.PretrainedModelPath is null || !network.named_children().Any(c => c.name == PretrainedNetwork.Backbone))
            return new[] { new ParameterGroup(network.parameters().Where(p => p.requires_grad).ToArray(), 1) };
        var backbone = PretrainedNetwork.BackboneOf(network).parameters().Where(p => p.requires_grad).ToArray();
        var inBackbone = backbone.Select(p => p.Handle).ToHashSet();
        var rest = network.parameters().Where(p => p.requires_grad && !inBackbone.Contains(p.Handle)).ToArray();
        var groups = new List<ParameterGroup> { new(rest, 1) };
        if (backbone.Length > 0) groups.Add(new ParameterGroup(backbone, settings.BackboneLearningRateScale));
        return groups;
    }

    /// <summary>Which parameters SAM perturbs: all, or all but the backbone's when <see cref="TrainingSettings.PerturbBackbone"/> is false.</summary>
    public static Func<Parameter, bool>? Perturbed(Sequential network, TrainingSettings settings)
    {
        if (settings.PerturbBackbone || settings.PretrainedModelPath is null || !network.named_children().Any(c => c.name == PretrainedNetwork.Backbone))
            return null;
        var inBackbone = PretrainedNetwork.BackboneOf(network).parameters().Select(p => p.Handle).ToHashSet();
        return p => !inBackbone.Contains(p.Handle);
    }
}

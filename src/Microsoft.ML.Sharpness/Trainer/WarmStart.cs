using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Persistence;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>Copies a trained model's weights and BatchNorm statistics into a fresh network (<see cref="SamImageClassifierOptions.InitialModel"/>).</summary>
internal static class WarmStart
{
    public static void CopyWeights(ITransformer initialModel, Sequential network, NetworkShape shape, Action<string> log)
    {
        using var lease = ModelLease.Of(initialModel);
        var initial = lease.Model;
        var from = initial.Info.NetworkShape;
        if (from != shape)
            throw new ArgumentOutOfRangeException(nameof(SamImageClassifierOptions.InitialModel),
                $"{nameof(SamImageClassifierOptions)}.{nameof(SamImageClassifierOptions.InitialModel)} is a {from.Describe()}; this training builds a {shape.Describe()}. " +
                "A warm start needs the same architecture, image shape and classes.");
        var source = initial.Network.state_dict();
        var target = network.state_dict();
        string? differing = target.Keys.FirstOrDefault(k => !source.TryGetValue(k, out var s) || !s.shape.SequenceEqual(target[k].shape))
            ?? source.Keys.FirstOrDefault(k => !target.ContainsKey(k));
        if (differing is not null)
            throw new ArgumentOutOfRangeException(nameof(SamImageClassifierOptions.InitialModel),
                $"{nameof(SamImageClassifierOptions)}.{nameof(SamImageClassifierOptions.InitialModel)} and this network differ in '{differing}' " +
                $"(present in one only, or of another shape); " +
                $"it was trained with other fine-tuning settings (e.g. {nameof(TrainingSettings.PretrainedPreprocessingPath)} or {nameof(TrainingSettings.InputNormalization)}). " +
                "A warm start needs the same network.");
        using (no_grad())
        {
            foreach (var (name, tensor) in target)
                tensor.copy_(source[name]);
        }
        log($"Starting from the weights of a {from.Describe()} trained {initial.Info.Training.Epochs} epochs with {initial.Info.Training.Optimizer} (batch {initial.Info.Training.BatchSize}).");
    }
}

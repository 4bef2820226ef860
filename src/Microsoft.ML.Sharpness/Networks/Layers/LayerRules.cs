using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>
/// Finds the <see cref="LayerRule"/> of a layer, and applies the rules to whole networks. The rules are every concrete
/// <see cref="LayerRule"/> in this assembly, so adding a layer type touches only its rule's file (and its test).
/// </summary>
internal static class LayerRules
{
    private static readonly LayerRule[] All = typeof(LayerRule).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(LayerRule)))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (LayerRule)Activator.CreateInstance(t)!)
        .ToArray();

    /// <summary>The rule of <paramref name="layer"/>; a layer no rule knows is an error naming its type.</summary>
    public static LayerRule For(nn.Module layer) =>
        Find(layer) ?? throw new NotSupportedException($"SharpnessML has no rule for layers of type {layer.GetType().Name}; add one in Networks/Layers.");

    /// <summary>The rule of <paramref name="layer"/>, or null.</summary>
    public static LayerRule? Find(nn.Module layer) => All.FirstOrDefault(rule => rule.Handles(layer));

    /// <summary>Adds the nodes of <paramref name="layer"/> (and its children) reading <paramref name="input"/>; returns the output name.</summary>
    public static string ExportOnnx(nn.Module layer, OnnxGraphBuilder graph, string input, string prefix) =>
        For(layer).ExportOnnx(layer, graph, input, prefix);

    /// <summary>
    /// The exact second-order forward pass of <paramref name="layer"/> (and its children) on <paramref name="input"/>; a layer
    /// without a rule runs its own forward pass, as <see cref="LayerRule.SecondOrderForward"/> does by default.
    /// </summary>
    public static Tensor SecondOrderForward(nn.Module layer, Tensor input) =>
        Find(layer) is { } rule ? rule.SecondOrderForward(layer, input) : ((nn.Module<Tensor, Tensor>)layer).call(input);

    /// <summary>Adds the nodes of a block's chain of layers (names relative to the block's <paramref name="prefix"/>) reading <paramref name="input"/>; returns the output name.</summary>
    public static string ExportOnnx(IReadOnlyList<(string Name, nn.Module Layer)> path, OnnxGraphBuilder graph, string input, string prefix)
    {
        foreach (var (name, layer) in path) input = ExportOnnx(layer, graph, input, Child(prefix, name));
        return input;
    }

    /// <summary>Whether every layer of <paramref name="network"/> that owns parameters has a per-row gradient rule.</summary>
    public static bool HavePerRowGradients(nn.Module network) =>
        ParameterOwners(network).All(layer => Find(layer)?.HasPerRowGradients(layer) == true);

    /// <summary>The layers that own parameters directly, in module order.</summary>
    public static nn.Module[] ParameterOwners(nn.Module network) =>
        network.modules().Where(m => m.named_parameters(recurse: false).Any()).ToArray();

    /// <summary>The child name under <paramref name="prefix"/>, as in the state dict.</summary>
    public static string Child(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";
}

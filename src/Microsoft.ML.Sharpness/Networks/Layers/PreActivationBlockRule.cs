using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>main(a) + (shortcut(a) or x) with a = relu(bn(x)) (Zagoruyko and Komodakis 2016); every layer follows its own rule.</summary>
internal sealed class PreActivationBlockRule : LayerRule<PreActivationBlock>
{
    protected override string Export(PreActivationBlock block, OnnxGraphBuilder graph, string input, string prefix)
    {
        string Chain(IReadOnlyList<(string Name, nn.Module Layer)> path, string x)
        {
            foreach (var (name, layer) in path) x = LayerRules.ExportOnnx(layer, graph, x, LayerRules.Child(prefix, name));
            return x;
        }
        string activated = Chain(block.PreActivation, input);
        string skip = block.ShortcutPath.Count == 0 ? input : Chain(block.ShortcutPath, activated);
        return graph.AddNode("Add", new[] { Chain(block.MainPath, activated), skip });
    }

    protected override Tensor SecondOrder(PreActivationBlock block, Tensor input) =>
        block.Combine(input, (layer, x) => LayerRules.SecondOrderForward(layer, x));
}

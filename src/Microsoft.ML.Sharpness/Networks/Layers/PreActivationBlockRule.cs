using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>main(a) + (shortcut(a) or x) with a = relu(bn(x)) (Zagoruyko and Komodakis 2016); every layer follows its own rule.</summary>
internal sealed class PreActivationBlockRule : LayerRule<PreActivationBlock>
{
    protected override string Export(PreActivationBlock block, OnnxGraphBuilder graph, string input, string prefix)
    {
        string activated = LayerRules.ExportOnnx(block.PreActivation, graph, input, prefix);
        string skip = block.ShortcutPath.Count == 0 ? input : LayerRules.ExportOnnx(block.ShortcutPath, graph, activated, prefix);
        return graph.AddNode("Add", new[] { LayerRules.ExportOnnx(block.MainPath, graph, activated, prefix), skip });
    }

    protected override Tensor SecondOrder(PreActivationBlock block, Tensor input) =>
        block.Combine(input, (layer, x) => LayerRules.SecondOrderForward(layer, x));
}

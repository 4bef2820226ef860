using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>relu(main(x) + shortcut(x)), each path a chain of layers that follow their own rules (identity when the shortcut is empty).</summary>
internal sealed class ResidualBlockRule : LayerRule<ResidualBlock>
{
    protected override string Export(ResidualBlock block, OnnxGraphBuilder graph, string input, string prefix)
    {
        string Chain(IReadOnlyList<(string Name, nn.Module Layer)> path)
        {
            string x = input;
            foreach (var (name, layer) in path) x = LayerRules.ExportOnnx(layer, graph, x, LayerRules.Child(prefix, name));
            return x;
        }
        string sum = graph.AddNode("Add", new[] { Chain(block.MainPath), Chain(block.ShortcutPath) });
        return graph.AddNode("Relu", new[] { sum });
    }

    protected override Tensor SecondOrder(ResidualBlock block, Tensor input) =>
        block.Combine(input, (layer, x) => LayerRules.SecondOrderForward(layer, x));
}

using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>relu(main(x) + shortcut(x)), each path a chain of layers that follow their own rules (identity when the shortcut is empty).</summary>
internal sealed class ResidualBlockRule : LayerRule<ResidualBlock>
{
    protected override string Export(ResidualBlock block, OnnxGraphBuilder graph, string input, string prefix)
    {
        string sum = graph.AddNode("Add", new[]
        {
            LayerRules.ExportOnnx(block.MainPath, graph, input, prefix), LayerRules.ExportOnnx(block.ShortcutPath, graph, input, prefix),
        });
        return graph.AddNode("Relu", new[] { sum });
    }

    protected override Tensor SecondOrder(ResidualBlock block, Tensor input) =>
        block.Combine(input, (layer, x) => LayerRules.SecondOrderForward(layer, x));
}

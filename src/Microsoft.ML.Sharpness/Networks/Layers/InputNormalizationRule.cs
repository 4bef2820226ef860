using Microsoft.ML.Sharpness.Onnx;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>Per-channel input normalization y = (x − mean) / std: a Sub and a Div node with the constants as initializers.</summary>
internal sealed class InputNormalizationRule : LayerRule<InputNormalizationLayer>
{
    protected override string Export(InputNormalizationLayer layer, OnnxGraphBuilder graph, string input, string prefix) =>
        graph.AddNode("Div", new[] { graph.AddNode("Sub", new[] { input, Weight(graph, prefix, "mean", layer.Mean) }), Weight(graph, prefix, "std", layer.Std) });
}

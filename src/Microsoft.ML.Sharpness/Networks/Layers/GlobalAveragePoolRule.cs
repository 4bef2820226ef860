using Microsoft.ML.Sharpness.Onnx;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>The mean of each channel over its positions, [N, C, H, W] → [N, C].</summary>
internal sealed class GlobalAveragePoolRule : LayerRule<GlobalAveragePool>
{
    protected override string Export(GlobalAveragePool pool, OnnxGraphBuilder graph, string input, string prefix)
    {
        string pooled = graph.AddNode("GlobalAveragePool", new[] { input });
        return graph.AddNode("Flatten", new[] { pooled }, attributes: new[] { OnnxGraphBuilder.Int("axis", 1) });
    }
}

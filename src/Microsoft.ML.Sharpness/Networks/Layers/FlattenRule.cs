using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>[N, …] → [N, ∏…].</summary>
internal sealed class FlattenRule : LayerRule<Flatten>
{
    protected override string Export(Flatten flatten, OnnxGraphBuilder graph, string input, string prefix) =>
        graph.AddNode("Flatten", new[] { input }, new[] { OnnxGraphBuilder.Int("axis", 1) });
}

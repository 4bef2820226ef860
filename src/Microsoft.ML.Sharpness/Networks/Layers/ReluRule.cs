using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>y = max(x, 0).</summary>
internal sealed class ReluRule : LayerRule<ReLU>
{
    protected override string Export(ReLU relu, OnnxGraphBuilder graph, string input, string prefix) => graph.AddNode("Relu", new[] { input });
}

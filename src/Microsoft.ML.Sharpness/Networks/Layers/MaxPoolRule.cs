using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>2-D max pooling (no padding).</summary>
internal sealed class MaxPoolRule : LayerRule<MaxPool2d>
{
    protected override string Export(MaxPool2d pool, OnnxGraphBuilder graph, string input, string prefix) =>
        graph.AddNode("MaxPool", new[] { input }, new[]
        {
            OnnxGraphBuilder.Ints("kernel_shape", pool.kernel_size),
            OnnxGraphBuilder.Ints("strides", pool.stride ?? pool.kernel_size),
        });
}

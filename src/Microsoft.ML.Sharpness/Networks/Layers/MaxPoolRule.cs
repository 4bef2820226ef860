using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>2-D max pooling, with implicit −∞ padding when the pool has padding (e.g. ResNet-18's 3×3/2 stem pool, padding 1).</summary>
internal sealed class MaxPoolRule : LayerRule<MaxPool2d>
{
    protected override string Export(MaxPool2d pool, OnnxGraphBuilder graph, string input, string prefix)
    {
        if (pool.ceil_mode || pool.dilation is { } dilation && dilation.Any(d => d != 1))
            throw new NotSupportedException($"Layer '{prefix}': only max pooling without dilation or ceil mode can be exported.");
        long[] padding = pool.padding is { Length: > 0 } p ? (p.Length == 1 ? new[] { p[0], p[0] } : p) : new[] { 0L, 0L };
        return graph.AddNode("MaxPool", new[] { input }, new[]
        {
            OnnxGraphBuilder.Ints("kernel_shape", pool.kernel_size),
            OnnxGraphBuilder.Ints("strides", pool.stride ?? pool.kernel_size),
            OnnxGraphBuilder.Ints("pads", padding[0], padding[1], padding[0], padding[1]),
        });
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Onnx;

/// <summary>Writes inference-mode ONNX nodes for the TorchSharp layers the networks are made of.</summary>
internal static class OnnxLayerExport
{
    /// <summary>Adds the nodes of <paramref name="module"/> reading <paramref name="input"/>; returns the output name.</summary>
    public static string Export(OnnxGraphBuilder graph, nn.Module module, string input, string prefix)
    {
        string Weight(string name, Tensor tensor) => graph.AddInitializer(prefix.Length == 0 ? name : $"{prefix}.{name}", tensor);

        switch (module)
        {
            case IOnnxExportable block:
                return block.ExportOnnx(graph, input, prefix);
            case Sequential sequential:
                string x = input;
                foreach (var (name, child) in sequential.named_children())
                    x = Export(graph, child, x, prefix.Length == 0 ? name : $"{prefix}.{name}");
                return x;
            case Conv2d conv:
                var convInputs = new List<string> { input, Weight("weight", conv.weight!) };
                if (conv.bias is not null) convInputs.Add(Weight("bias", conv.bias));
                long[] padding = conv.padding ?? throw new NotSupportedException("Only explicit convolution padding can be exported.");
                return graph.AddNode("Conv", convInputs, new[]
                {
                    OnnxGraphBuilder.Ints("kernel_shape", conv.kernel_size),
                    OnnxGraphBuilder.Ints("strides", conv.stride),
                    OnnxGraphBuilder.Ints("pads", padding[0], padding[1], padding[0], padding[1]),
                });
            case BatchNorm norm:
                return graph.AddNode("BatchNormalization", new[]
                {
                    input, Weight("weight", norm.weight!), Weight("bias", norm.bias!),
                    Weight("running_mean", norm.running_mean!), Weight("running_var", norm.running_var!),
                }, new[] { OnnxGraphBuilder.Float("epsilon", (float)norm.eps) });
            case ReLU:
                return graph.AddNode("Relu", new[] { input });
            case MaxPool2d pool:
                return graph.AddNode("MaxPool", new[] { input }, new[]
                {
                    OnnxGraphBuilder.Ints("kernel_shape", pool.kernel_size),
                    OnnxGraphBuilder.Ints("strides", pool.stride ?? pool.kernel_size),
                });
            case Flatten:
                return graph.AddNode("Flatten", new[] { input }, new[] { OnnxGraphBuilder.Int("axis", 1) });
            case Linear linear:
                var gemmInputs = new List<string> { input, Weight("weight", linear.weight!) };
                if (linear.bias is not null) gemmInputs.Add(Weight("bias", linear.bias));
                return graph.AddNode("Gemm", gemmInputs, new[] { OnnxGraphBuilder.Int("transB", 1) });
            default:
                throw new NotSupportedException($"No ONNX export for layer '{prefix}' of type {module.GetType().Name}.");
        }
    }
}

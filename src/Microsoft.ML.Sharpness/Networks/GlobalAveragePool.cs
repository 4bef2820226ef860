using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>Averages each channel over its spatial positions: [N, C, H, W] → [N, C].</summary>
internal sealed class GlobalAveragePool : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    public GlobalAveragePool(string name) : base(name) { }

    public override Tensor forward(Tensor input) => input.mean(new long[] { 2, 3 });

    public string ExportOnnx(OnnxGraphBuilder graph, string input, string prefix)
    {
        string pooled = graph.AddNode("GlobalAveragePool", new[] { input });
        return graph.AddNode("Flatten", new[] { pooled }, attributes: new[] { OnnxGraphBuilder.Int("axis", 1) });
    }
}

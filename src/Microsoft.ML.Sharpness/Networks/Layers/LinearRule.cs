using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>Fully connected layer y = W·x + b.</summary>
internal sealed class LinearRule : LayerRule<Linear>
{
    protected override string Export(Linear linear, OnnxGraphBuilder graph, string input, string prefix) =>
        graph.AddNode("Gemm", WeightedInputs(graph, prefix, input, linear.weight!, linear.bias), new[] { OnnxGraphBuilder.Int("transB", 1) });

    protected override bool SupportsPerRowGradients(Linear linear) => true;

    /// <summary>‖GᵢXᵢᵀ‖² = ‖Gᵢ‖²·‖Xᵢ‖², plus ‖Gᵢ‖² for the bias.</summary>
    protected override Tensor PerRowNorms(Linear linear, Tensor x, Tensor g)
    {
        Tensor inputSquares = x.pow(2).sum(1);
        return g.pow(2).sum(1).mul(linear.bias is null ? inputSquares : inputSquares.add(1));
    }
}

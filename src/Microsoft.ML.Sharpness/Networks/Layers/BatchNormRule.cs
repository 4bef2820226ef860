using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>BatchNorm1d/2d in inference mode: y = γ·(x − μ)/√(σ² + ε) + β with the running statistics μ, σ².</summary>
internal sealed class BatchNormRule : LayerRule<BatchNorm>
{
    protected override string Export(BatchNorm norm, OnnxGraphBuilder graph, string input, string prefix) =>
        graph.AddNode("BatchNormalization", new[]
        {
            input, Weight(graph, prefix, "weight", norm.weight!), Weight(graph, prefix, "bias", norm.bias!),
            Weight(graph, prefix, "running_mean", norm.running_mean!), Weight(graph, prefix, "running_var", norm.running_var!),
        }, new[] { OnnxGraphBuilder.Float("epsilon", (float)norm.eps) });

    protected override bool SupportsPerRowGradients(BatchNorm norm) => norm.affine && norm.track_running_stats && norm.running_mean is not null;

    /// <summary>γ's gradient is the per-channel sum of Gᵢ·x̂ᵢ, β's the per-channel sum of Gᵢ.</summary>
    protected override Tensor PerRowNorms(BatchNorm norm, Tensor x, Tensor g)
    {
        long rows = x.shape[0];
        var channelShape = new long[x.dim()];
        Array.Fill(channelShape, 1L);
        channelShape[1] = -1;
        Tensor normalized = x.sub(norm.running_mean!.view(channelShape)).div(norm.running_var!.add(norm.eps).sqrt().view(channelShape));
        Tensor weightGradient = g.mul(normalized).reshape(rows, g.shape[1], -1).sum(2);
        Tensor biasGradient = g.reshape(rows, g.shape[1], -1).sum(2);
        return weightGradient.pow(2).sum(1).add(biasGradient.pow(2).sum(1));
    }
}

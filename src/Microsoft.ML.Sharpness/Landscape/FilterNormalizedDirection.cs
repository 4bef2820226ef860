using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>Random directions in weight space for loss-landscape plots.</summary>
internal static class FilterNormalizedDirection
{
    /// <summary>
    /// Li et al. (2018), §4: d ~ N(0, I), then each filter d_{i,j} ← d_{i,j}·‖θ_{i,j}‖/‖d_{i,j}‖ (filter j = one output channel or
    /// output unit of weight tensor i); 1-D parameters (biases, BatchNorm scales and shifts) get d = 0. Flat, in parameter order.
    /// </summary>
    public static Tensor Create(IReadOnlyList<Parameter> parameters, Generator generator)
    {
        using var noGrad = no_grad();
        var pieces = new Tensor[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            Tensor weight = parameters[i].detach();
            if (weight.dim() < 2)
            {
                pieces[i] = zeros(weight.numel());
                continue;
            }
            using var scope = NewDisposeScope();
            Tensor filters = weight.flatten(1);
            Tensor direction = randn(filters.shape, generator: generator);
            Tensor scale = filters.norm(1, keepdim: true) / direction.norm(1, keepdim: true).clamp_min(1e-10);
            pieces[i] = (direction * scale).flatten().MoveToOuterDisposeScope();
        }
        Tensor flat = cat(pieces);
        foreach (var piece in pieces) piece.Dispose();
        return flat;
    }
}

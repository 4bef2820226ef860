using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>Reads and writes a network's trainable parameters as one flat vector, in parameter order.</summary>
internal static class ParameterVector
{
    public static Tensor Get(IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = no_grad();
        return cat(parameters.Select(p => p.detach().flatten()).ToArray());
    }

    public static void Set(IReadOnlyList<Parameter> parameters, Tensor flat)
    {
        using var noGrad = no_grad();
        long offset = 0;
        foreach (var p in parameters)
        {
            long count = p.numel();
            p.copy_(flat.narrow(0, offset, count).view(p.shape));
            offset += count;
        }
    }
}

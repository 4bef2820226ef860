using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>A block's chain of layers with their state-dict names (a residual block's main path or shortcut).</summary>
internal static class LayerPath
{
    /// <summary>x through every layer of <paramref name="path"/> in order, each applied by <paramref name="apply"/>.</summary>
    public static Tensor Apply(IReadOnlyList<(string Name, nn.Module Layer)> path, Tensor x, Func<nn.Module, Tensor, Tensor> apply)
    {
        foreach (var (_, layer) in path) x = apply(layer, x);
        return x;
    }
}

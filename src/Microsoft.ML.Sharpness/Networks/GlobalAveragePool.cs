using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>Averages each channel over its spatial positions: [N, C, H, W] → [N, C].</summary>
internal sealed class GlobalAveragePool : nn.Module<Tensor, Tensor>
{
    public GlobalAveragePool(string name) : base(name) { }

    public override Tensor forward(Tensor input) => input.mean(new long[] { 2, 3 });
}

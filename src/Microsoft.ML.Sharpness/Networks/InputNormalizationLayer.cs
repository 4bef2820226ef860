using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>y = (x − mean_c) / std_c for each channel c of images [N, C, H, W] (constants, not parameters).</summary>
internal sealed class InputNormalizationLayer : nn.Module<Tensor, Tensor>
{
    public InputNormalizationLayer(string name, IReadOnlyList<float> mean, IReadOnlyList<float> std) : base(name)
    {
        register_buffer("mean", tensor(mean.ToArray()).view(1, -1, 1, 1));
        register_buffer("std", tensor(std.ToArray()).view(1, -1, 1, 1));
    }

    public Tensor Mean => get_buffer("mean")!;

    public Tensor Std => get_buffer("std")!;

    public override Tensor forward(Tensor input) => input.sub(Mean).div(Std);
}

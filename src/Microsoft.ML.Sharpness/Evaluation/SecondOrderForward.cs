using Microsoft.ML.Sharpness.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// The network's forward pass with every Conv2d computed as a matrix product over unfolded patches (im2col: y = W·unfold(x) + b),
/// with the same parameters. Its second derivatives go through unfold/fold and matrix products instead of libtorch's
/// convolution double backward, which this libtorch 2.10 CPU build gets wrong — off by up to 35 %, sometimes NaN — when
/// two convolutions are stacked (docs/known-issues.md). Used for Hessian-vector products only.
/// </summary>
internal static class SecondOrderForward
{
    public static Func<Tensor, Tensor> Of(nn.Module<Tensor, Tensor> module) => module switch
    {
        Sequential sequential => Compose(sequential.children().Cast<nn.Module<Tensor, Tensor>>().Select(Of).ToArray()),
        Conv2d conv => x => Convolve(conv, x),
        ResidualBlock block => x => block.Forward(x, Convolve),
        _ => module.call,
    };

    /// <summary>
    /// conv(x) as W·unfold(x) + b when x depends on the parameters; otherwise (the first layer, the costliest) libtorch's
    /// convolution, whose second derivatives are right when none flows to its input.
    /// </summary>
    public static Tensor Convolve(Conv2d conv, Tensor x)
    {
        if (!x.requires_grad || conv.groups != 1 || conv.padding_type is not null || conv.padding_mode != TorchSharp.PaddingModes.Zeros)
            return conv.call(x);
        long[] k = conv.kernel_size, d = conv.dilation, p = conv.padding!, s = conv.stride;
        long rows = x.shape[0];
        long height = (x.shape[2] + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0] + 1;
        long width = (x.shape[3] + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1] + 1;
        Tensor patches = nn.functional.unfold(x, (k[0], k[1]), (d[0], d[1]), (p[0], p[1]), (s[0], s[1]));
        // one large matrix product: [N·L, C·k·k] × [C·k·k, C_out]
        Tensor columns = patches.transpose(1, 2).reshape(-1, patches.shape[1]);
        Tensor y = conv.bias is { } bias
            ? addmm(bias, columns, conv.weight!.view(conv.out_channels, -1).t(), 1, 1)
            : columns.mm(conv.weight!.view(conv.out_channels, -1).t());
        return y.view(rows, height, width, conv.out_channels).permute(0, 3, 1, 2);
    }

    private static Func<Tensor, Tensor> Compose(Func<Tensor, Tensor>[] layers) => x =>
    {
        foreach (var layer in layers) x = layer(x);
        return x;
    };
}

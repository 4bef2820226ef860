using Microsoft.ML.Sharpness.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>2-D convolution y = W ⋆ x + b (zero padding; G groups, each of C/G input channels with its own O/G filters: depthwise when G = C).</summary>
internal sealed class Conv2dRule : LayerRule<Conv2d>
{
    protected override string Export(Conv2d conv, OnnxGraphBuilder graph, string input, string prefix)
    {
        long[] padding = conv.padding ?? throw new NotSupportedException($"Layer '{prefix}': only explicit convolution padding can be exported.");
        return graph.AddNode("Conv", WeightedInputs(graph, prefix, input, conv.weight!, conv.bias), new[]
        {
            OnnxGraphBuilder.Ints("kernel_shape", conv.kernel_size),
            OnnxGraphBuilder.Ints("strides", conv.stride),
            OnnxGraphBuilder.Ints("pads", padding[0], padding[1], padding[0], padding[1]),
            OnnxGraphBuilder.Ints("dilations", conv.dilation),
            OnnxGraphBuilder.Int("group", conv.groups),
        });
    }

    /// <summary>
    /// Libtorch's convolution with second derivatives from first-order convolution kernels only (<see cref="SecondOrderConvolution"/>)
    /// when x depends on the parameters: libtorch 2.10's CPU convolution double backward is wrong for stacked convolutions
    /// (docs/known-issues.md). Otherwise (the first layer, or other padding modes) libtorch's convolution, whose
    /// second derivatives are right when none flows to its input.
    /// </summary>
    protected override Tensor SecondOrder(Conv2d conv, Tensor x) =>
        x.requires_grad && IsPlain(conv) ? SecondOrderConvolution.Convolve(conv, x) : conv.call(x);

    protected override bool SupportsPerRowGradients(Conv2d conv) => IsPlain(conv);

    /// <summary>
    /// Σ_groups ‖Gᵢ,g·unfold(Xᵢ)_gᵀ‖² for the weight (group g's output-gradient rows against its input channels' unfolded patches,
    /// which are contiguous in unfold's channel-major order), plus ‖Σ_positions Gᵢ‖² for the bias.
    /// </summary>
    protected override Tensor PerRowNorms(Conv2d conv, Tensor x, Tensor g)
    {
        long rows = x.shape[0], groups = conv.groups;
        Tensor outputGradient = g.reshape(rows, g.shape[1], -1);
        Tensor patches = Unfold(conv, x);
        Tensor squares = outputGradient.reshape(rows * groups, g.shape[1] / groups, -1)
            .bmm(patches.reshape(rows * groups, patches.shape[1] / groups, -1).transpose(1, 2))
            .pow(2).reshape(rows, -1).sum(1);
        return conv.bias is null ? squares : squares.add(outputGradient.sum(2).pow(2).sum(1));
    }

    private static bool IsPlain(Conv2d conv) => conv.padding_type is null && conv.padding_mode == PaddingModes.Zeros;

    private static Tensor Unfold(Conv2d conv, Tensor x) =>
        nn.functional.unfold(x, (conv.kernel_size[0], conv.kernel_size[1]), (conv.dilation[0], conv.dilation[1]),
            (conv.padding![0], conv.padding[1]), (conv.stride[0], conv.stride[1]));
}

using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>
/// A Conv2d whose second derivatives are built from first-order convolution kernels only. y = W ⋆ x (libtorch's conv2d);
/// its backward is (∂/∂x, ∂/∂W) = (Wᵀ ⋆ g, x ⋆ g) computed by libtorch's first-order conv backward of the recorded forward;
/// that backward is itself differentiated by hand: for incoming (ġx, ġW),
/// ∂/∂g = W ⋆ ġx + ġW ⋆ x (two conv2d), ∂/∂W = ġx ⋆ g (conv2d's first-order weight gradient), ∂/∂x = ġWᵀ ⋆ g (conv_transpose2d).
/// These are the terms of PyTorch's convolution double backward (<c>_convolution_double_backward</c> in
/// aten/src/ATen/native/Convolution.cpp), without its batch-and-channel-swapped convolution for the weight term, which is
/// the kind of layer (channels = batch size, kernel = feature-map size) where this libtorch 2.10 CPU build was seen to
/// go wrong (docs/known-issues.md). Hessian-vector products by double backward (Pearlmutter 1994) through it need no
/// third derivative; the hand-written backward is not differentiable again.
/// </summary>
internal static class SecondOrderConvolution
{
    /// <summary>conv(x) with the parameters of <paramref name="conv"/> (zero padding, any groups: <see cref="Conv2dRule"/> decides when).</summary>
    public static Tensor Convolve(Conv2d conv, Tensor x)
    {
        var geometry = new Geometry(conv.stride, conv.padding!, conv.dilation, conv.weight!.shape[2..], x.shape[2..], conv.groups);
        Tensor y = Forward.apply(x, conv.weight!, geometry);
        return conv.bias is { } bias ? y + bias.view(1, -1, 1, 1) : y;
    }

    /// <summary>A convolution's geometry; with G groups each group of C/G input channels is convolved with its own O/G filters (depthwise: G = C).</summary>
    private sealed record Geometry(long[] Stride, long[] Padding, long[] Dilation, long[] Kernel, long[] InputSize, long Groups)
    {
        public Tensor Conv(Tensor input, Tensor weight) => nn.functional.conv2d(input, weight, null, Stride, Padding, Dilation, Groups);

        /// <summary>wᵀ ⋆ g: the input gradient of conv(·, w) for output gradient g, shaped like the input.</summary>
        public Tensor TransposedConv(Tensor g, Tensor w)
        {
            var outputPadding = new long[2];
            for (int i = 0; i < 2; i++)
                outputPadding[i] = InputSize[i] - ((g.shape[2 + i] - 1) * Stride[i] - 2 * Padding[i] + Dilation[i] * (Kernel[i] - 1) + 1);
            return nn.functional.conv_transpose2d(g, w, null, Stride, Padding, outputPadding, Dilation, Groups);
        }
    }

    /// <summary>y = W ⋆ x; records the convolution on detached leaves so that its backward can ask libtorch for (∂/∂x, ∂/∂W) in one call.</summary>
    private sealed class Forward : autograd.SingleTensorFunction<Forward>
    {
        public override string Name => "SecondOrderConvolution";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            Tensor x = (Tensor)vars[0], w = (Tensor)vars[1];
            var geometry = (Geometry)vars[2];
            using var grad = enable_grad();
            Tensor xLeaf = x.detach().requires_grad_(true), wLeaf = w.detach().requires_grad_(true);
            Tensor y = geometry.Conv(xLeaf, wLeaf);
            // Saved variables keep the native tensors (and y's graph) alive as long as this node, whatever dispose scope the wrappers are in.
            ctx.save_for_backward(new List<Tensor> { x, w, xLeaf, wLeaf, y });
            ctx.save_data("geometry", geometry);
            return y.detach();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g)
        {
            var saved = ctx.get_saved_variables();
            var gradients = Backward.apply(saved[0], saved[1], g, new Recording(saved[2], saved[3], saved[4]), (Geometry)ctx.get_data("geometry"));
            return new List<Tensor> { gradients[0], gradients[1], null! };
        }
    }

    /// <summary>The recorded forward: leaves x, W and y = W ⋆ x (passed as a non-tensor argument, so that it is no input of the graph).</summary>
    private sealed record Recording(Tensor X, Tensor W, Tensor Y);

    /// <summary>(∂/∂x, ∂/∂W) = (Wᵀ ⋆ g, x ⋆ g) as a function of (x, W, g), with its derivatives written out.</summary>
    private sealed class Backward : autograd.MultiTensorFunction<Backward>
    {
        public override string Name => "SecondOrderConvolutionBackward";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            Tensor x = (Tensor)vars[0], w = (Tensor)vars[1], g = (Tensor)vars[2];
            var recording = (Recording)vars[3];
            ctx.save_for_backward(new List<Tensor> { x, w, g });
            ctx.save_data("geometry", vars[4]);
            using var grad = enable_grad();
            var gradients = autograd.grad(new[] { recording.Y }, new[] { recording.X, recording.W }, new[] { g }, retain_graph: true);
            return new List<Tensor> { gradients[0], gradients[1] };
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> incoming)
        {
            var saved = ctx.get_saved_variables();
            Tensor x = saved[0], w = saved[1], g = saved[2], dx = incoming[0], dw = incoming[1];
            var geometry = (Geometry)ctx.get_data("geometry");
            Tensor gradG, gradW;
            using (enable_grad())
            {
                // W ⋆ ġx, recorded so that libtorch's first-order backward gives ġx ⋆ g, the term for W.
                Tensor wLeaf = w.detach().requires_grad_(true);
                Tensor z = geometry.Conv(dx.detach(), wLeaf);
                gradW = autograd.grad(new[] { z }, new[] { wLeaf }, new[] { g })[0];
                gradG = z.detach();
            }
            gradG.add_(geometry.Conv(x, dw));
            Tensor gradX = geometry.TransposedConv(g, dw);
            return new List<Tensor> { gradX, gradW, gradG, null!, null! };
        }
    }
}

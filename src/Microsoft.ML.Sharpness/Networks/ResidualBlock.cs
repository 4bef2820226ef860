using Microsoft.ML.Sharpness.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>A basic residual block (He et al. 2016): relu(bn(conv(relu(bn(conv(x))))) + shortcut(x)), with a 1×1 conv+BN shortcut when the shape changes.</summary>
internal sealed class ResidualBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? shortcut;

    public ResidualBlock(string name, long inChannels, long outChannels, int stride) : base(name)
    {
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(outChannels);
        conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
            shortcut = Sequential(("conv", Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(outChannels)));
        RegisterComponents();
    }

    // Layers are invoked with call() so that forward hooks (per-example gradients) see them.
    public override Tensor forward(Tensor input) => Forward(input, (conv, x) => conv.call(x));

    /// <summary>The block with its convolutions computed by <paramref name="convolve"/> (the evaluator's second-order pass swaps them).</summary>
    internal Tensor Forward(Tensor input, Func<Conv2d, Tensor, Tensor> convolve)
    {
        using var scope = NewDisposeScope();
        Tensor residual = functional.relu(bn1.call(convolve(conv1, input)));
        residual = bn2.call(convolve(conv2, residual));
        Tensor identity = shortcut is null ? input : ((BatchNorm2d)shortcut[1]).call(convolve((Conv2d)shortcut[0], input));
        return functional.relu(residual + identity).MoveToOuterDisposeScope();
    }

    public string ExportOnnx(OnnxGraphBuilder graph, string input, string prefix)
    {
        string x = OnnxLayerExport.Export(graph, conv1, input, $"{prefix}.conv1");
        x = OnnxLayerExport.Export(graph, bn1, x, $"{prefix}.bn1");
        x = graph.AddNode("Relu", new[] { x });
        x = OnnxLayerExport.Export(graph, conv2, x, $"{prefix}.conv2");
        x = OnnxLayerExport.Export(graph, bn2, x, $"{prefix}.bn2");
        string identity = shortcut is null ? input : OnnxLayerExport.Export(graph, shortcut, input, $"{prefix}.shortcut");
        string sum = graph.AddNode("Add", new[] { x, identity });
        return graph.AddNode("Relu", new[] { sum });
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose(); bn1.Dispose(); conv2.Dispose(); bn2.Dispose(); shortcut?.Dispose();
        }
        base.Dispose(disposing);
    }
}

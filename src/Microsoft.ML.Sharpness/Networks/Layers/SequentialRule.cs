using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>Layers applied one after another; each child follows its own rule.</summary>
internal sealed class SequentialRule : LayerRule<Sequential>
{
    protected override string Export(Sequential sequential, OnnxGraphBuilder graph, string input, string prefix)
    {
        string x = input;
        foreach (var (name, child) in sequential.named_children())
            x = LayerRules.ExportOnnx(child, graph, x, LayerRules.Child(prefix, name));
        return x;
    }

    protected override Tensor SecondOrder(Sequential sequential, Tensor input)
    {
        Tensor x = input;
        foreach (var child in sequential.children()) x = LayerRules.SecondOrderForward(child, x);
        return x;
    }
}

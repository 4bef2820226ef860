using Microsoft.ML.Sharpness.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>Dropout (Srivastava et al. 2014) in inference mode: the identity, so it adds no ONNX node and no term to second derivatives.</summary>
internal sealed class DropoutRule : LayerRule<Dropout>
{
    protected override string Export(Dropout dropout, OnnxGraphBuilder graph, string input, string prefix) => input;

    protected override Tensor SecondOrder(Dropout dropout, Tensor input) => input;
}

using Microsoft.ML.Sharpness.Networks.Imported;
using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>
/// An imported ONNX graph: its layers (Conv, BatchNorm, Linear) follow their own rules, every other node is copied with its
/// tensors renamed under the layer's prefix, its constants become initializers. The exported graph is bracketed by two
/// Identity nodes whose outputs, <see cref="InputMarker"/> and <see cref="OutputMarker"/>, let a saved model's graph be imported again.
/// </summary>
internal sealed class OnnxGraphRule : LayerRule<OnnxGraphNetwork>
{
    /// <summary>The exported tensor that carries the graph's input.</summary>
    public static string InputMarker(string prefix) => $"{prefix}/input";

    /// <summary>The exported tensor that carries the graph's output.</summary>
    public static string OutputMarker(string prefix) => $"{prefix}/output";

    protected override string Export(OnnxGraphNetwork network, OnnxGraphBuilder graph, string input, string prefix)
    {
        graph.RequireOpset(network.Opset);
        var names = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [network.InputName] = graph.AddNode("Identity", new[] { input }, output: InputMarker(prefix)),
        };
        string Name(string tensor)
        {
            if (tensor.Length == 0) return "";
            if (names.TryGetValue(tensor, out var name)) return name;
            var constant = network.ConstantProtos[tensor].Clone();
            constant.Name = $"{prefix}/{tensor}";
            return names[tensor] = graph.AddInitializer(constant);
        }
        foreach (var step in network.Steps)
        {
            if (step.LayerName is { } layerName)
            {
                names[step.Node.Output[0]] = LayerRules.ExportOnnx(network.Layer(step), graph, Name(step.Node.Input[0]), LayerRules.Child(prefix, layerName));
                continue;
            }
            var node = step.Node.Clone();
            node.Name = $"{prefix}/{step.Node.Label()}";
            node.Input.Clear();
            node.Input.AddRange(step.Node.Input.Select(Name));
            node.Output.Clear();
            node.Output.AddRange(step.Node.Output.Select(o => names[o] = $"{prefix}/{o}"));
            graph.AddNode(node);
        }
        return graph.AddNode("Identity", new[] { names[network.OutputName] }, output: OutputMarker(prefix));
    }

    protected override Tensor SecondOrder(OnnxGraphNetwork network, Tensor input) => network.Run(input, LayerRules.SecondOrderForward);
}

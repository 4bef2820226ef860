using System.Runtime.InteropServices;
using Microsoft.ML.Sharpness.Onnx.Proto;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Imported;

/// <summary>
/// One node of an imported graph: a layer with weights (Conv, BatchNormalization, Gemm/MatMul with a constant weight), run
/// as a registered TorchSharp module so that its parameters and BatchNorm statistics are real module state, or a
/// parameter-free operator run by <see cref="OnnxOperators"/>. <see cref="Node"/> holds the ONNX node in opset-13 form.
/// </summary>
/// <param name="Node">The node: its operator, attributes, and the names of the tensors it reads and writes.</param>
/// <param name="LayerName">The registered module's name, or null for a parameter-free operator.</param>
internal sealed record GraphStep(NodeProto Node, string? LayerName);

/// <summary>
/// An ONNX graph (or the part of one that computes a chosen tensor) as a TorchSharp module: images [N, C, H, W] → the
/// output tensor. Layers with weights are submodules named after their weights, constants stay on the side with their
/// ONNX form (for export), and every other node runs through <see cref="OnnxOperators"/>; the layer rules export it back
/// to ONNX and run it in the exact second-order forward (<see cref="Layers.OnnxGraphRule"/>).
/// </summary>
internal sealed class OnnxGraphNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Dictionary<string, nn.Module> layers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> constants;

    public OnnxGraphNetwork(string name, string inputName, string outputName, IReadOnlyList<GraphStep> steps,
        IReadOnlyList<(string Name, nn.Module Layer)> layerList, IReadOnlyDictionary<string, TensorProto> constantProtos, long opset) : base(name)
    {
        InputName = inputName;
        OutputName = outputName;
        Steps = steps;
        Opset = opset;
        ConstantProtos = constantProtos;
        foreach (var (layerName, layer) in layerList)
        {
            layers.Add(layerName, layer);
            register_module(layerName, layer);
        }
        constants = constantProtos.ToDictionary(c => c.Key, c => Onnx.OnnxTensors.ToTensor(c.Value, "constant").DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    /// <summary>The graph tensor the images are bound to.</summary>
    public string InputName { get; }

    /// <summary>The graph tensor this module returns.</summary>
    public string OutputName { get; }

    /// <summary>The nodes in execution order.</summary>
    public IReadOnlyList<GraphStep> Steps { get; }

    /// <summary>The ONNX opset of the nodes (13 or later: older graphs are rewritten to opset-13 forms on import).</summary>
    public long Opset { get; }

    /// <summary>Constant tensors (initializers that are no layer's weights, Constant nodes) in their ONNX form, by tensor name.</summary>
    public IReadOnlyDictionary<string, TensorProto> ConstantProtos { get; }

    /// <summary>The module of a layer step.</summary>
    public nn.Module Layer(GraphStep step) => layers[step.LayerName!];

    /// <summary>Whether the backbone stays in inference mode (BatchNorm statistics, no dropout) even when the network trains.</summary>
    public bool AlwaysInInferenceMode { get; set; }

    public override void train(bool on = true) => base.train(on && !AlwaysInInferenceMode);

    // Layers are invoked with call() so that forward hooks (per-example gradients) see them.
    public override Tensor forward(Tensor input) => Run(input, (layer, x) => ((nn.Module<Tensor, Tensor>)layer).call(x));

    /// <summary>Runs the graph on <paramref name="input"/>, each layer applied by <paramref name="apply"/>.</summary>
    public Tensor Run(Tensor input, Func<nn.Module, Tensor, Tensor> apply)
    {
        using var scope = NewDisposeScope();
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [InputName] = input };
        foreach (var step in Steps)
        {
            var node = step.Node;
            var inputs = node.Input.Select(name => name.Length == 0 ? null : Value(values, name, input.device)).ToArray();
            try
            {
                var outputs = step.LayerName is null ? OnnxOperators.Apply(node, inputs, training) : new[] { ApplyLayer(step, inputs[0]!, apply) };
                for (int i = 0; i < outputs.Length; i++)
                    if (node.Output[i].Length > 0) values[node.Output[i]] = outputs[i];
            }
            catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or NotSupportedException)
            {
                throw new InvalidOperationException(
                    $"The imported network failed at {node.Describe()} on inputs of shape {string.Join(" and ", inputs.Where(t => t is not null).Select(t => $"[{string.Join(", ", t!.shape)}]"))} " +
                    $"(network input [{string.Join(", ", input.shape)}]): {e.Message.Split('\n')[0]}", e);
            }
        }
        return values[OutputName].MoveToOuterDisposeScope();
    }

    /// <summary>A layer's output; BatchNorm of a [N, C] input runs on [N, C, 1, 1].</summary>
    private Tensor ApplyLayer(GraphStep step, Tensor x, Func<nn.Module, Tensor, Tensor> apply)
    {
        var layer = layers[step.LayerName!];
        if (layer is TorchSharp.Modules.BatchNorm && x.dim() == 2)
            return apply(layer, x.view(x.shape[0], x.shape[1], 1, 1)).view(x.shape[0], x.shape[1]);
        return apply(layer, x);
    }

    private Tensor Value(Dictionary<string, Tensor> values, string name, Device device)
    {
        if (values.TryGetValue(name, out var value)) return value;
        var constant = constants[name];
        return constant.is_floating_point() && constant.device != device ? constant.to(device) : constant;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var constant in constants.Values) constant.Dispose();
            foreach (var layer in layers.Values) layer.Dispose();
        }
        base.Dispose(disposing);
    }
}

using Google.Protobuf;
using Microsoft.ML.Sharpness.Onnx;
using Microsoft.ML.Sharpness.Onnx.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DataType = Microsoft.ML.Sharpness.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Sharpness.Networks.Imported;

/// <summary>What an imported graph reads: its image input (name, channels, and height and width when fixed).</summary>
/// <param name="Name">The graph input's name.</param>
/// <param name="Channels">C.</param>
/// <param name="Height">H, or null when the model takes any height.</param>
/// <param name="Width">W, or null when the model takes any width.</param>
/// <param name="Batch">N when the model was exported with a fixed batch size, else null.</param>
internal sealed record ImageInput(string Name, long Channels, long? Height, long? Width, long? Batch);

/// <summary>
/// Turns an ONNX image classifier into an <see cref="OnnxGraphNetwork"/>: checks that the file is ONNX, that its input is a
/// float NCHW image and that every node is an operator SharpnessML runs (refusing others, control flow and custom domains by
/// name, node and opset), keeps the nodes that compute the requested tensor, rewrites opset 7–12 node forms to opset 13,
/// and builds Conv, BatchNormalization and Gemm/MatMul (with a constant weight) as TorchSharp layers holding the file's
/// weights and BatchNorm statistics.
/// </summary>
internal static class OnnxImporter
{
    /// <summary>The oldest and newest default-domain opsets imported.</summary>
    public const long MinOpset = 7, MaxOpset = 21;

    private static readonly HashSet<string> LayerOperators = new(StringComparer.Ordinal) { "Conv", "BatchNormalization", "Gemm" };
    private static readonly HashSet<string> ControlFlow = new(StringComparer.Ordinal) { "If", "Loop", "Scan", "SequenceMap" };

    /// <summary>Every operator an imported graph may hold.</summary>
    public static IEnumerable<string> SupportedOperators => LayerOperators.Concat(OnnxOperators.Names).Append("Constant").OrderBy(n => n, StringComparer.Ordinal);

    /// <summary>Parses an ONNX file's bytes; <paramref name="source"/> names it in errors.</summary>
    public static ModelProto Parse(byte[] bytes, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{source}' is not an ONNX model ({e.Message}).", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0 || model.IrVersion <= 0)
            throw new InvalidDataException($"'{source}' is not an ONNX model: it holds no graph of nodes (ir_version {model.IrVersion}).");
        return model;
    }

    /// <summary>The model's default-domain opset, checked to be one this importer reads.</summary>
    public static long Opset(ModelProto model, string source)
    {
        long opset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;
        if (opset < MinOpset || opset > MaxOpset)
            throw new NotSupportedException($"'{source}' uses ONNX opset {opset}; SharpnessML imports opsets {MinOpset} to {MaxOpset}. Re-export the model with an opset in that range.");
        return opset;
    }

    /// <summary>The graph's single image input, checked to be float NCHW with a fixed channel count.</summary>
    public static ImageInput Input(ModelProto model, string source)
    {
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = model.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToArray();
        if (inputs.Length != 1)
            throw new NotSupportedException($"'{source}' has {inputs.Length} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); an image classifier has one, the images [N, C, H, W].");
        var input = inputs[0];
        var type = input.Type?.TensorType;
        string described = $"'{source}' reads '{input.Name}' as {(type is null ? "a non-tensor value" : $"{(DataType)type.ElemType} [{string.Join(", ", type.Shape?.Dim.Select(DimText) ?? Array.Empty<string>())}]")}";
        if (type is null || type.ElemType != (int)DataType.Float)
            throw new NotSupportedException($"{described}; SharpnessML imports image classifiers whose input is float32 images [N, C, H, W].");
        var dims = type.Shape?.Dim;
        if (dims is null || dims.Count != 4)
            throw new NotSupportedException($"{described}; expected a 4-D image input [N, C, H, W] (NCHW). Models that take NHWC images or flat vectors cannot be imported.");
        if (dims[1].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[1].DimValue <= 0 || dims[1].DimValue > 4)
            throw new NotSupportedException($"{described}; expected NCHW images with a fixed channel count of 1 to 4 in the second axis (an NHWC model has the channels last).");
        static long? Fixed(TensorShapeProto.Types.Dimension d) => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : null;
        return new ImageInput(input.Name, dims[1].DimValue, Fixed(dims[2]), Fixed(dims[3]), Fixed(dims[0]));
    }

    /// <summary>
    /// The tensor <paramref name="featureNode"/> names (a node, meaning its first output, or a tensor), or by default the input of
    /// the model's classifier layer (<see cref="ClassifierNode"/>: its penultimate features), or the graph's output when it has
    /// none (a headless backbone such as ML.NET's ImageNet ResNet-18, whose output is the feature vector).
    /// </summary>
    public static string FeatureTensor(ModelProto model, string? featureNode, string source)
    {
        var nodes = model.Graph.Node;
        if (featureNode is not null)
        {
            var named = nodes.FirstOrDefault(n => n.Name == featureNode);
            if (named is not null) return named.Output[0];
            if (nodes.Any(n => n.Output.Contains(featureNode)) || model.Graph.Input.Any(i => i.Name == featureNode)) return featureNode;
            var nearby = nodes.Where(n => LayerOperators.Contains(n.OpType) || n.OpType is "MatMul" or "Flatten" or "GlobalAveragePool" or "Relu").TakeLast(8).Select(n => $"'{n.Label()}'");
            throw new ArgumentException($"'{source}' has no node or tensor named '{featureNode}'. Some of its last nodes: {string.Join(", ", nearby)}.");
        }
        return ClassifierNode(model)?.Input[0] ?? model.Graph.Output[0].Name;
    }

    /// <summary>
    /// The model's classifier layer: the Gemm, MatMul or Conv (SqueezeNet's 1×1 convolution) that computes the graph's first output
    /// through nothing but element-wise activations, pooling, reshapes, dropout and arithmetic with constants; null when there is
    /// none (the output comes from a BatchNormalization, a residual Add, a Concat…): the graph is a headless backbone, a feature extractor.
    /// </summary>
    public static NodeProto? ClassifierNode(ModelProto model)
    {
        var constants = model.Graph.Initializer.Select(i => i.Name).Concat(model.Graph.Node.Where(n => n.OpType == "Constant").Select(n => n.Output[0]))
            .ToHashSet(StringComparer.Ordinal);
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Node) foreach (var o in node.Output) producer[o] = node;
        string tensor = model.Graph.Output[0].Name;
        while (producer.TryGetValue(tensor, out var node))
        {
            if (node.OpType is "Gemm" or "MatMul" or "Conv") return node;
            string? from = node.OpType switch
            {
                "Relu" or "Sigmoid" or "Softmax" or "LogSoftmax" or "Identity" or "Dropout" or "Flatten" or "Reshape" or "Squeeze" or "Unsqueeze"
                    or "Transpose" or "GlobalAveragePool" or "AveragePool" or "ReduceMean" => node.Input[0],
                "Add" or "Sub" or "Mul" or "Div" when node.Input.Count == 2 && constants.Contains(node.Input[1]) => node.Input[0],
                "Add" or "Mul" when node.Input.Count == 2 && constants.Contains(node.Input[0]) => node.Input[1],
                _ => null,
            };
            if (from is null) return null;
            tensor = from;
        }
        return null;
    }

    /// <summary>
    /// The network computing tensor <paramref name="output"/> from tensor <paramref name="input"/>; layer modules are named after
    /// their weights, less <paramref name="weightPrefix"/> (so that a network exported under that prefix imports with the same names).
    /// A model exported with a fixed batch size <paramref name="staticBatch"/> may hold that size in constant Reshape targets of
    /// image tensors (x.view(x.size(0), -1) folded); those entries become 0 ("keep the batch axis") so that any batch runs.
    /// </summary>
    public static OnnxGraphNetwork Build(ModelProto model, string input, string output, string source, string weightPrefix = "", long? staticBatch = null)
    {
        long opset = Opset(model, source);
        var graph = model.Graph;
        var constants = graph.Initializer.ToDictionary(i => i.Name, i => i, StringComparer.Ordinal);
        var nodes = new List<NodeProto>();
        foreach (var node in graph.Node)
        {
            CheckSupported(node, opset, source);
            if (node.OpType == "Constant") constants[node.Output[0]] = ConstantValue(node);
            else nodes.Add(opset < 13 ? ToOpset13(node, opset, constants) : node);
        }
        if (staticBatch is { } batch) KeepBatchAxis(nodes, input, batch, constants);
        var needed = Ancestors(nodes, output, input, constants, source);

        var steps = new List<GraphStep>();
        var layers = new List<(string, nn.Module)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes.Where(needed.Contains))
        {
            var layer = CreateLayer(node, constants, source);
            if (layer is null)
            {
                steps.Add(new GraphStep(node, null));
                continue;
            }
            var (module, weightName, prePad) = layer.Value;
            if (prePad is not null) steps.Add(new GraphStep(prePad, null));
            string name = UniqueName(LayerName(weightName, weightPrefix), used);
            layers.Add((name, module));
            var layerNode = node.Clone();
            layerNode.Input.Clear();
            layerNode.Input.Add(prePad?.Output[0] ?? node.Input[0]);
            steps.Add(new GraphStep(layerNode, name));
        }
        var read = steps.Where(s => s.LayerName is null).SelectMany(s => s.Node.Input).ToHashSet(StringComparer.Ordinal);
        var stepConstants = constants.Where(c => read.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        return new OnnxGraphNetwork("graph", input, output, steps, layers, stepConstants, Math.Max(opset, 13));
    }

    private static void CheckSupported(NodeProto node, long opset, string source)
    {
        if (node.Domain is not ("" or "ai.onnx"))
            throw new NotSupportedException($"'{source}': {node.Describe()} is from operator domain '{node.Domain}' (opset {opset}); SharpnessML imports only standard ONNX operators.");
        if (ControlFlow.Contains(node.OpType))
            throw new NotSupportedException($"'{source}': {node.Describe()} is dynamic control flow (opset {opset}); SharpnessML imports only feed-forward graphs.");
        if (!LayerOperators.Contains(node.OpType) && !OnnxOperators.Supports(node.OpType) && node.OpType != "Constant")
            throw new NotSupportedException($"'{source}': {node.Describe()} uses operator '{node.OpType}' (opset {opset}), which SharpnessML cannot import. " +
                $"Supported operators: {string.Join(", ", SupportedOperators)}.");
        if (node.OpType is "BatchNormalization" or "Dropout" && node.Output.Count(o => o.Length > 0) > 1)
            throw new NotSupportedException($"'{source}': {node.Describe()} has training outputs (opset {opset}); export the model in inference mode.");
    }

    /// <summary>Constant Reshape targets of image tensors (computed from the input other than through Shape) whose first entry is the fixed batch size: that entry becomes 0.</summary>
    private static void KeepBatchAxis(List<NodeProto> nodes, string input, long batch, Dictionary<string, TensorProto> constants)
    {
        var images = new HashSet<string>(StringComparer.Ordinal) { input };
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (node.OpType != "Shape" && node.Input.Any(images.Contains)) foreach (var o in node.Output) images.Add(o);
            if (node.OpType != "Reshape" || !images.Contains(node.Input[0]) || !constants.TryGetValue(node.Input[1], out var target)) continue;
            using var values = OnnxTensors.ToTensor(target, node.Describe());
            long[] shape = values.data<long>().ToArray();
            if (shape.Length < 2 || shape[0] != batch) continue;
            shape[0] = 0;
            string name = $"{node.Input[1]}__batch";
            constants[name] = Int64Proto(name, shape);
            nodes[i] = node.Clone();
            nodes[i].Input[1] = name;
        }
    }

    /// <summary>The nodes needed to compute <paramref name="output"/> from the input and the constants.</summary>
    private static HashSet<NodeProto> Ancestors(List<NodeProto> nodes, string output, string input, Dictionary<string, TensorProto> constants, string source)
    {
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in nodes) foreach (var o in node.Output) producer[o] = node;
        var needed = new HashSet<NodeProto>();
        var pending = new Stack<string>(new[] { output });
        bool readsInput = output == input;
        while (pending.Count > 0)
        {
            string name = pending.Pop();
            if (name.Length == 0 || constants.ContainsKey(name)) continue;
            if (name == input) { readsInput = true; continue; }
            if (!producer.TryGetValue(name, out var node))
                throw new InvalidDataException($"'{source}': the tensor '{name}' is read but no node computes it, and it is neither the input '{input}' nor a constant.");
            if (needed.Add(node)) foreach (var i in node.Input) pending.Push(i);
        }
        if (!readsInput)
            throw new ArgumentException($"'{source}': the tensor '{output}' does not depend on the input '{input}'.");
        return needed;
    }

    /// <summary>A TorchSharp layer holding the node's weights (with the name of its weight tensor, and a Pad node to run first for unequal pads), or null for a parameter-free node.</summary>
    private static (nn.Module Module, string WeightName, NodeProto? PrePad)? CreateLayer(NodeProto node, Dictionary<string, TensorProto> constants, string source)
    {
        Tensor Constant(int index, string role) =>
            index < node.Input.Count && constants.TryGetValue(node.Input[index], out var proto) ? OnnxTensors.ToTensor(proto, $"'{source}' {node.Describe()}").to_type(ScalarType.Float32)
            : throw new NotSupportedException($"'{source}': {node.Describe()} takes its {role} from a computed tensor; SharpnessML imports layers whose weights are constants (initializers).");
        bool Has(int index) => index < node.Input.Count && node.Input[index].Length > 0;

        using var noGrad = no_grad();
        switch (node.OpType)
        {
            case "Conv":
                return Convolution(node, Constant(1, "weight"), Has(2) ? Constant(2, "bias") : null, constants, source);
            case "BatchNormalization":
            {
                Tensor scale = Constant(1, "scale"), bias = Constant(2, "bias"), mean = Constant(3, "mean"), variance = Constant(4, "variance");
                var norm = nn.BatchNorm2d(scale.shape[0], eps: node.Float("epsilon", 1e-5f), momentum: 1 - node.Float("momentum", 0.9f));
                norm.weight!.copy_(scale); norm.bias!.copy_(bias); norm.running_mean!.copy_(mean); norm.running_var!.copy_(variance);
                norm.eval();
                return (norm, node.Input[1], null);
            }
            case "Gemm":
            {
                if (node.Int("transA", 0) != 0)
                    throw new NotSupportedException($"'{source}': {node.Describe()} transposes its input (transA = 1); only Gemm layers y = x·Wᵀ + b are imported.");
                Tensor b = Constant(1, "weight");
                Tensor weight = (node.Int("transB", 0) == 1 ? b : b.t()).mul(node.Float("alpha", 1f));
                Tensor? bias = Has(2) ? Constant(2, "bias").mul(node.Float("beta", 1f)).expand(weight.shape[0]) : null;
                return (Dense(weight, bias), node.Input[1], null);
            }
            case "MatMul" when constants.ContainsKey(node.Input[1]) && constants[node.Input[1]].Dims.Count == 2:
                return (Dense(Constant(1, "weight").t(), null), node.Input[1], null);
            default:
                return null;
        }
    }

    private static Linear Dense(Tensor weight, Tensor? bias)
    {
        var linear = nn.Linear(weight.shape[1], weight.shape[0], hasBias: bias is not null);
        linear.weight!.copy_(weight);
        if (bias is not null) linear.bias!.copy_(bias);
        return linear;
    }

    private static (nn.Module, string, NodeProto?) Convolution(NodeProto node, Tensor weight, Tensor? bias, Dictionary<string, TensorProto> constants, string source)
    {
        if (weight.dim() != 4)
            throw new NotSupportedException($"'{source}': {node.Describe()} is a {weight.dim() - 2}-D convolution; SharpnessML imports 2-D convolutions.");
        string autoPad = node.Text("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID"))
            throw new NotSupportedException($"'{source}': {node.Describe()} pads with auto_pad = {autoPad}; re-export it with explicit pads.");
        long groups = node.Int("group", 1);
        long[] stride = node.Ints("strides") ?? new long[] { 1, 1 }, dilation = node.Ints("dilations") ?? new long[] { 1, 1 };
        long[] pads = autoPad == "VALID" ? new long[4] : node.Ints("pads") ?? new long[4];
        bool symmetric = pads[0] == pads[2] && pads[1] == pads[3];
        var conv = nn.Conv2d(weight.shape[1] * groups, weight.shape[0], (weight.shape[2], weight.shape[3]), stride: (stride[0], stride[1]),
            padding: symmetric ? (pads[0], pads[1]) : (0, 0), dilation: (dilation[0], dilation[1]), groups: groups, bias: bias is not null);
        conv.weight!.copy_(weight);
        if (bias is not null) conv.bias!.copy_(bias);
        NodeProto? prePad = null;
        if (!symmetric)
        {
            // Unequal begin/end pads: an explicit zero Pad node (ONNX order [N, C, H, W] begins, then ends), then the unpadded convolution.
            string padded = $"{node.Output[0]}__padded", padsName = $"{node.Output[0]}__pads";
            prePad = new NodeProto { OpType = "Pad", Name = $"{node.Label()}__pad", Input = { node.Input[0], padsName }, Output = { padded } };
            prePad.Attribute.Add(new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("constant") });
            constants[padsName] = Int64Proto(padsName, 0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]);
        }
        return (conv, node.Input[1], prePad);
    }

    /// <summary>A Constant node's value as a tensor.</summary>
    private static TensorProto ConstantValue(NodeProto node)
    {
        var attribute = node.Attribute.FirstOrDefault() ?? throw new InvalidDataException($"{node.Describe()} has no value.");
        TensorProto value = attribute.Name switch
        {
            "value" => attribute.T.Clone(),
            "value_float" => new TensorProto { DataType = (int)DataType.Float, FloatData = { attribute.F } },
            "value_floats" => new TensorProto { DataType = (int)DataType.Float, Dims = { attribute.Floats.Count }, FloatData = { attribute.Floats } },
            "value_int" => new TensorProto { DataType = (int)DataType.Int64, Int64Data = { attribute.I } },
            "value_ints" => Int64Proto("", attribute.Ints.ToArray()),
            _ => throw new NotSupportedException($"{node.Describe()}: a Constant given as '{attribute.Name}' is not supported."),
        };
        value.Name = node.Output[0];
        return value;
    }

    private static TensorProto Int64Proto(string name, params long[] values) =>
        new() { Name = name, DataType = (int)DataType.Int64, Dims = { values.Length }, Int64Data = { values } };

    /// <summary>Opset 7–12 node forms rewritten as opset 13's: attributes that became inputs (Clip, Pad, Unsqueeze, Squeeze, Slice, Split, Dropout) and Softmax's axis.</summary>
    private static NodeProto ToOpset13(NodeProto node, long opset, Dictionary<string, TensorProto> constants)
    {
        var result = node.Clone();
        void MoveToInputs(params (string Attribute, Func<AttributeProto, TensorProto> Value)[] moved)
        {
            foreach (var (attributeName, value) in moved)
            {
                var attribute = result.Find(attributeName);
                if (attribute is null) { result.Input.Add(""); continue; }
                string name = $"{node.Output[0]}__{attributeName}";
                var proto = value(attribute);
                proto.Name = name;
                constants[name] = proto;
                result.Input.Add(name);
                result.Attribute.Remove(attribute);
            }
            while (result.Input.Count > 0 && result.Input[^1].Length == 0) result.Input.RemoveAt(result.Input.Count - 1);
        }
        static TensorProto Floats(float v) => new() { DataType = (int)DataType.Float, FloatData = { v } };
        static TensorProto Longs(AttributeProto a) => Int64Proto("", a.Ints.ToArray());
        switch (node.OpType)
        {
            case "Clip" when opset < 11: MoveToInputs(("min", a => Floats(a.F)), ("max", a => Floats(a.F))); break;
            case "Pad" when opset < 11: MoveToInputs(("pads", Longs), ("value", a => Floats(a.F))); break;
            case "Unsqueeze" or "Squeeze": MoveToInputs(("axes", Longs)); break;
            case "Slice" when opset < 10: MoveToInputs(("starts", Longs), ("ends", Longs), ("axes", Longs)); break;
            case "Split" when opset < 13: MoveToInputs(("split", Longs)); break;
            case "Dropout" when opset < 12: MoveToInputs(("ratio", a => Floats(a.F))); break;
            case "Softmax" or "LogSoftmax" when result.Find("axis") is null:
                result.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
                break;
        }
        return result;
    }

    /// <summary>A layer's module name from its weight's name: "layer1.0.conv1.weight" → "layer1_0_conv1".</summary>
    private static string LayerName(string weightName, string prefix)
    {
        string name = prefix.Length > 0 && weightName.StartsWith(prefix + ".", StringComparison.Ordinal) ? weightName[(prefix.Length + 1)..] : weightName;
        if (name.EndsWith(".weight", StringComparison.Ordinal)) name = name[..^".weight".Length];
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        return chars.Length == 0 ? "layer" : new string(chars);
    }

    private static string UniqueName(string name, HashSet<string> used)
    {
        string unique = name;
        for (int i = 1; !used.Add(unique); i++) unique = $"{name}_{i}";
        return unique;
    }

    private static string DimText(TensorShapeProto.Types.Dimension d) =>
        d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString() : d.DimParam.Length > 0 ? d.DimParam : "?";
}

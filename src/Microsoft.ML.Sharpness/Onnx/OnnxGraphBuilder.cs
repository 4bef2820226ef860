using Google.Protobuf;
using Microsoft.ML.Sharpness.Onnx.Proto;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Onnx;

/// <summary>Collects the nodes, weights, inputs and outputs of an ONNX graph and writes the model file.</summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX operator set the exported graphs use (or a later one that an imported graph's nodes need).</summary>
    public const int OpsetVersion = 13;

    private readonly GraphProto graph = new() { Name = "SharpnessML" };
    private int nodeCount;
    private long opset = OpsetVersion;

    /// <summary>Raises the model's opset to <paramref name="version"/> (nodes copied from an imported graph of that opset); never lowers it.</summary>
    public void RequireOpset(long version) => opset = Math.Max(opset, version);

    /// <summary>Adds a ready-made node (a copy of an imported graph's node, its tensors renamed).</summary>
    public void AddNode(NodeProto node)
    {
        nodeCount++;
        graph.Node.Add(node);
    }

    /// <summary>Stores a ready-made tensor as an initializer (an imported graph's constant).</summary>
    public string AddInitializer(TensorProto tensor)
    {
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Adds a node and returns the name of its (single) output.</summary>
    public string AddNode(string opType, IEnumerable<string> inputs, IEnumerable<AttributeProto>? attributes = null, string? output = null)
    {
        nodeCount++;
        output ??= $"{opType.ToLowerInvariant()}_{nodeCount}";
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{nodeCount}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (attributes != null) node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return output;
    }

    /// <summary>Stores a float32 tensor's values as a named initializer (weights, biases, running statistics).</summary>
    public string AddInitializer(string name, Tensor tensor)
    {
        using Tensor cpu = tensor.detach().to(float32).cpu().contiguous();
        var initializer = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        initializer.Dims.AddRange(cpu.shape);
        initializer.RawData = ByteString.CopyFrom(cpu.bytes);
        graph.Initializer.Add(initializer);
        return name;
    }

    /// <summary>Stores an int64 constant (shapes for Reshape).</summary>
    public string AddInt64Initializer(string name, params long[] values)
    {
        var initializer = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        initializer.Dims.Add(values.Length);
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        initializer.RawData = ByteString.CopyFrom(bytes);
        graph.Initializer.Add(initializer);
        return name;
    }

    /// <summary>The dimension <see cref="AddInput"/> and <see cref="AddOutput"/> declare as the dynamic batch axis "N".</summary>
    public const long BatchAxis = -1;

    /// <summary>Declares a graph input of fixed shape (<see cref="BatchAxis"/>: a dynamic batch axis).</summary>
    public void AddInput(string name, TensorProto.Types.DataType elementType, params long[] dims) => graph.Input.Add(Value(name, elementType, dims));

    /// <summary>Declares a graph output of fixed shape (no dimensions: a scalar; <see cref="BatchAxis"/>: a dynamic batch axis).</summary>
    public void AddOutput(string name, TensorProto.Types.DataType elementType, params long[] dims) => graph.Output.Add(Value(name, elementType, dims));

    /// <summary>Writes the model with the given metadata properties.</summary>
    public byte[] ToModelBytes(IReadOnlyDictionary<string, string> metadata, string producerVersion)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Microsoft.ML.Sharpness",
            ProducerVersion = producerVersion,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        foreach (var (key, value) in metadata)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType elementType, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
            shape.Dim.Add(dim == BatchAxis ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = dim });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = shape } },
        };
    }
}

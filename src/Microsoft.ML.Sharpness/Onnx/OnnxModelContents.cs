using Google.Protobuf;
using Microsoft.ML.Sharpness.Onnx.Proto;

namespace Microsoft.ML.Sharpness.Onnx;

/// <summary>The metadata and float weights of an ONNX model file (as <c>Persistence/OnnxModelExport</c> writes them).</summary>
internal sealed class OnnxModelContents
{
    private readonly ModelProto model;

    private OnnxModelContents(ModelProto model) => this.model = model;

    /// <summary>The parsed model.</summary>
    public ModelProto Model => model;

    public IReadOnlyDictionary<string, string> Metadata => model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);

    /// <summary>Parses ONNX bytes; a corrupted or truncated file gives an <see cref="InvalidDataException"/>.</summary>
    public static OnnxModelContents Parse(byte[] bytes)
    {
        try
        {
            var model = ModelProto.Parser.ParseFrom(bytes);
            if (model.Graph is null)
                throw new InvalidDataException("The ONNX model has no graph.");
            return new OnnxModelContents(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"The ONNX model inside the ML.NET model is corrupted or truncated ({e.Message}).", e);
        }
    }

    /// <summary>The float32 initializer of that name, with its shape.</summary>
    public (float[] Values, long[] Shape) FloatWeight(string name)
    {
        var tensor = model.Graph.Initializer.FirstOrDefault(t => t.Name == name)
            ?? throw new InvalidDataException($"The ONNX model has no weight named '{name}'.");
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw new InvalidDataException($"The ONNX weight '{name}' is not float32.");
        long[] shape = tensor.Dims.ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        byte[] raw = tensor.RawData.ToByteArray();
        if (raw.Length != count * sizeof(float))
            throw new InvalidDataException($"The ONNX weight '{name}' holds {raw.Length} bytes; {count * sizeof(float)} were expected for shape [{string.Join(", ", shape)}].");
        var values = new float[count];
        Buffer.BlockCopy(raw, 0, values, 0, raw.Length);
        return (values, shape);
    }
}

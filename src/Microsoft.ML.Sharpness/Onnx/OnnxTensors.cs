using Microsoft.ML.Sharpness.Onnx.Proto;
using static TorchSharp.torch;
using DataType = Microsoft.ML.Sharpness.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.Sharpness.Onnx;

/// <summary>Converts ONNX tensors (initializers, Constant values) to TorchSharp tensors on the CPU.</summary>
internal static class OnnxTensors
{
    /// <summary>
    /// The values of <paramref name="proto"/>, from its raw bytes or its typed field, as float32, float64, int64 (int32, int8,
    /// uint8 widened) or bool; <paramref name="owner"/> names it in errors.
    /// </summary>
    public static Tensor ToTensor(TensorProto proto, string owner)
    {
        if (proto.DataLocation == TensorProto.Types.DataLocation.External || proto.ExternalData.Count > 0)
            throw new NotSupportedException($"{owner}: the tensor '{proto.Name}' is stored in an external data file; save the model with its weights inside (onnx.save(..., save_as_external_data=False)).");
        long[] shape = proto.Dims.ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        byte[] raw = proto.RawData.ToByteArray();
        Tensor result = (DataType)proto.DataType switch
        {
            DataType.Float => raw.Length > 0 ? tensor(Values<float>(raw, count, proto.Name), shape) : tensor(proto.FloatData.ToArray(), shape),
            DataType.Double => raw.Length > 0 ? tensor(Values<double>(raw, count, proto.Name), shape) : tensor(proto.DoubleData.ToArray(), shape),
            DataType.Int64 => raw.Length > 0 ? tensor(Values<long>(raw, count, proto.Name), shape) : tensor(proto.Int64Data.ToArray(), shape),
            DataType.Int32 => tensor((raw.Length > 0 ? Values<int>(raw, count, proto.Name) : proto.Int32Data.ToArray()).Select(v => (long)v).ToArray(), shape),
            DataType.Int8 => tensor((raw.Length > 0 ? raw.Select(b => (long)(sbyte)b) : proto.Int32Data.Select(v => (long)v)).ToArray(), shape),
            DataType.Uint8 => tensor((raw.Length > 0 ? raw.Select(b => (long)b) : proto.Int32Data.Select(v => (long)v)).ToArray(), shape),
            DataType.Bool => tensor((raw.Length > 0 ? raw.Select(b => b != 0) : proto.Int32Data.Select(v => v != 0)).ToArray(), shape),
            _ => throw new NotSupportedException($"{owner}: the tensor '{proto.Name}' has ONNX data type {(DataType)proto.DataType}; SharpnessML reads float, double, int64, int32, int8, uint8 and bool tensors."),
        };
        if (result.numel() != count)
            throw new InvalidDataException($"{owner}: the tensor '{proto.Name}' holds {result.numel()} values; its shape [{string.Join(", ", shape)}] needs {count}.");
        return result;
    }

    /// <summary>The ONNX data type of a TorchSharp element type (for Cast and exported constants).</summary>
    public static ScalarType ScalarTypeOf(long onnxType, string owner) => (DataType)onnxType switch
    {
        DataType.Float => ScalarType.Float32,
        DataType.Double => ScalarType.Float64,
        DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8 or DataType.Uint8 => ScalarType.Int64,
        DataType.Bool => ScalarType.Bool,
        _ => throw new NotSupportedException($"{owner}: ONNX data type {(DataType)onnxType} is not supported (float, double, integer and bool are)."),
    };

    private static T[] Values<T>(byte[] raw, long count, string name) where T : unmanaged
    {
        int size = System.Runtime.InteropServices.Marshal.SizeOf<T>();
        if (raw.Length != count * size)
            throw new InvalidDataException($"The ONNX tensor '{name}' holds {raw.Length} bytes; its shape needs {count * size}.");
        var values = new T[count];
        Buffer.BlockCopy(raw, 0, values, 0, raw.Length);
        return values;
    }
}

using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>How <see cref="ImageRows"/> stores pixel values: the narrowest form that gives back every value bit for bit.</summary>
internal enum PixelEncoding
{
    /// <summary>One byte k per value, restored as k·(1/255) in float32 — what <c>ExtractPixels(scaleImage: 1f / 255)</c> computes from 8-bit pixels.</summary>
    Byte,
    /// <summary>IEEE float16, for values that float16 holds exactly.</summary>
    Half,
    /// <summary>float32, the values as the data view gave them.</summary>
    Single,
}

/// <summary>Encodes rows of float32 pixel values as <see cref="PixelEncoding"/> and decodes them, exactly.</summary>
internal static class PixelCodec
{
    /// <summary>The scale of 8-bit pixels: value = k · (1f/255), multiplied in float32 as ImageAnalytics' ExtractPixels does.</summary>
    public const float ByteScale = 1f / 255;

    private static readonly float[] ByteValues = Enumerable.Range(0, 256).Select(k => k * ByteScale).ToArray();

    public static int BytesPerValue(PixelEncoding encoding) => encoding switch
    {
        PixelEncoding.Byte => 1,
        PixelEncoding.Half => 2,
        _ => 4,
    };

    public static ScalarType TensorType(PixelEncoding encoding) => encoding switch
    {
        PixelEncoding.Byte => ScalarType.Byte,
        PixelEncoding.Half => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    /// <summary>The byte code of <paramref name="value"/>, or −1 when no code restores it bit for bit.</summary>
    public static int ByteCode(float value)
    {
        if (!(value >= 0f && value <= 1f)) return -1;
        int code = (int)MathF.Round(value * 255f);
        return BitConverter.SingleToInt32Bits(ByteValues[code]) == BitConverter.SingleToInt32Bits(value) ? code : -1;
    }

    /// <summary>Whether float16 holds <paramref name="value"/> exactly (−0 and the sign of zero included).</summary>
    public static bool FitsHalf(float value) => BitConverter.SingleToInt32Bits((float)(Half)value) == BitConverter.SingleToInt32Bits(value);

    /// <summary>Whether every byte code marked in <paramref name="usedCodes"/> restores to a value float16 holds exactly.</summary>
    public static bool ByteCodesFitHalf(ReadOnlySpan<bool> usedCodes)
    {
        for (int k = 0; k < usedCodes.Length; k++)
            if (usedCodes[k] && !FitsHalf(ByteValues[k])) return false;
        return true;
    }

    /// <summary>Writes <paramref name="values"/> as <paramref name="encoding"/>; the caller has checked that they fit.</summary>
    public static void Encode(ReadOnlySpan<float> values, PixelEncoding encoding, Span<byte> destination)
    {
        switch (encoding)
        {
            case PixelEncoding.Byte:
                for (int i = 0; i < values.Length; i++) destination[i] = (byte)ByteCode(values[i]);
                break;
            case PixelEncoding.Half:
                var halves = MemoryMarshal.Cast<byte, Half>(destination);
                for (int i = 0; i < values.Length; i++) halves[i] = (Half)values[i];
                break;
            default:
                MemoryMarshal.AsBytes(values).CopyTo(destination);
                break;
        }
    }

    /// <summary>The float32 values of an encoded row (the inverse of <see cref="Encode"/>).</summary>
    public static void Decode(ReadOnlySpan<byte> encoded, PixelEncoding encoding, Span<float> values)
    {
        switch (encoding)
        {
            case PixelEncoding.Byte:
                for (int i = 0; i < values.Length; i++) values[i] = ByteValues[encoded[i]];
                break;
            case PixelEncoding.Half:
                var halves = MemoryMarshal.Cast<byte, Half>(encoded);
                for (int i = 0; i < values.Length; i++) values[i] = (float)halves[i];
                break;
            default:
                encoded.CopyTo(MemoryMarshal.AsBytes(values));
                break;
        }
    }

    /// <summary>
    /// A CPU tensor of encoded rows as float32 on <paramref name="device"/>: moved first, then converted there (bytes: k → float(k)·(1f/255),
    /// the same float32 product as <see cref="ByteValues"/>; float16 → float32 is exact). Disposes <paramref name="encoded"/>.
    /// </summary>
    public static Tensor ToFloat(Tensor encoded, PixelEncoding encoding, Device device)
    {
        using (encoded)
        {
            using var moved = encoded.to(device);
            return encoding switch
            {
                PixelEncoding.Byte => moved.to_type(ScalarType.Float32).mul_(ByteScale),
                PixelEncoding.Half => moved.to_type(ScalarType.Float32),
                _ => moved.alias(),
            };
        }
    }
}

using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.Sharpness.Images;

/// <summary>
/// A minimal PNG encoder for 8-bit grayscale and RGB images: signature, IHDR, one IDAT (zlib, filter type 0 on every row)
/// and IEND, each chunk with its CRC-32 (PNG specification, ISO/IEC 15948).
/// </summary>
internal static class PngEncoder
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes <paramref name="pixels"/> (row by row, one byte per pixel) as a grayscale PNG.</summary>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> does not hold width·height bytes.</exception>
    public static byte[] EncodeGrayscale(ReadOnlySpan<byte> pixels, int width, int height) => Encode(pixels, width, height, channels: 1);

    /// <summary>Encodes <paramref name="pixels"/> (row by row, R, G, B bytes per pixel) as an RGB PNG.</summary>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> does not hold 3·width·height bytes.</exception>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> pixels, int width, int height) => Encode(pixels, width, height, channels: 3);

    private static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.Length != channels * width * height)
        {
            throw new ArgumentException($"Expected {channels}×{width}×{height} = {channels * width * height} bytes, got {pixels.Length}.", nameof(pixels));
        }

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bit depth
        header[9] = (byte)(channels == 1 ? 0 : 2);  // color type: grayscale or truecolour
        header[10] = 0; // compression method: deflate
        header[11] = 0; // filter method: adaptive filtering with five basic types
        header[12] = 0; // interlace method: none

        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR"u8, header);
        WriteChunk(png, "IDAT"u8, CompressRows(pixels, channels * width, height));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static byte[] CompressRows(ReadOnlySpan<byte> pixels, int rowBytes, int height)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            for (var row = 0; row < height; row++)
            {
                zlib.WriteByte(0); // filter type 0 (None)
                zlib.Write(pixels.Slice(row * rowBytes, rowBytes));
            }
        }

        return compressed.ToArray();
    }

    private static void WriteChunk(Stream png, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        png.Write(type);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, ~UpdateCrc(UpdateCrc(0xFFFFFFFFu, type), data));
        png.Write(word);
    }

    private static uint UpdateCrc(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    /// <summary>The CRC-32 table for the reflected polynomial 0xEDB88320 (PNG specification, annex D).</summary>
    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}

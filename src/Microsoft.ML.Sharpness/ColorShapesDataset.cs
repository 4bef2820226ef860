using System.Globalization;
using Microsoft.ML.Sharpness.Images;

namespace Microsoft.ML.Sharpness;

/// <summary>
/// A synthetic colour image folder, for trying RGB pipelines (and testing them) where no photo set is at hand: five classes of
/// shapes — circle, square, triangle, cross, ring — each drawn at a random position, size and rotation in a random colour on a
/// random background colour, with pixel noise. The colour carries no information about the class: only the shape does.
/// </summary>
public static class ColorShapesDataset
{
    /// <summary>The class names, which are also the labels and the folder names.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["circle", "square", "triangle", "cross", "ring"];

    /// <summary>
    /// Writes <c>train/&lt;class&gt;/&lt;n&gt;.png</c> and <c>test/&lt;class&gt;/&lt;n&gt;.png</c> RGB images of
    /// <paramref name="imageSize"/>×<paramref name="imageSize"/> pixels under <paramref name="folder"/>, and the index files
    /// <c>train.tsv</c> and <c>test.tsv</c> (columns <c>ImagePath</c>, relative to the folder, and <c>Label</c>), the layout of
    /// the lab's <c>data</c> command. The same seed writes the same bytes.
    /// </summary>
    /// <param name="folder">Where to write; created if needed. Existing files of the same names are replaced.</param>
    /// <param name="trainPerClass">Training images per class.</param>
    /// <param name="testPerClass">Test images per class.</param>
    /// <param name="imageSize">Width and height in pixels, at least 8.</param>
    /// <param name="seed">Seed of every random choice.</param>
    public static void Write(string folder, int trainPerClass = 200, int testPerClass = 50, int imageSize = 64, int seed = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainPerClass);
        ArgumentOutOfRangeException.ThrowIfNegative(testPerClass);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 8);
        var random = new Random(seed);
        foreach (var (split, perClass) in new[] { ("train", trainPerClass), ("test", testPerClass) })
        {
            var index = new List<string> { "ImagePath\tLabel" };
            for (int n = 0; n < perClass; n++)
                for (int shape = 0; shape < ClassNames.Count; shape++)
                {
                    string relative = $"{split}/{ClassNames[shape]}/{n}.png";
                    string path = Path.Combine(folder, split, ClassNames[shape], $"{n}.png");
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, PngEncoder.EncodeRgb(Draw(shape, imageSize, random), imageSize, imageSize));
                    index.Add($"{relative}\t{ClassNames[shape]}");
                }
            File.WriteAllLines(Path.Combine(folder, $"{split}.tsv"), index);
        }
    }

    /// <summary>One image: interleaved RGB bytes, row by row.</summary>
    private static byte[] Draw(int shape, int size, Random random)
    {
        byte[] background = RandomColor(random), foreground = RandomColor(random);
        while (Distance(background, foreground) < 200) foreground = RandomColor(random);
        double radius = size * (0.18 + 0.14 * random.NextDouble());
        double centreX = size * (0.3 + 0.4 * random.NextDouble()), centreY = size * (0.3 + 0.4 * random.NextDouble());
        double angle = 2 * Math.PI * random.NextDouble(), cos = Math.Cos(angle), sin = Math.Sin(angle);
        var pixels = new byte[3 * size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double dx = x + 0.5 - centreX, dy = y + 0.5 - centreY;
                bool inside = Inside(shape, (cos * dx + sin * dy) / radius, (-sin * dx + cos * dy) / radius);
                byte[] color = inside ? foreground : background;
                for (int c = 0; c < 3; c++)
                    pixels[(y * size + x) * 3 + c] = (byte)Math.Clamp(color[c] + random.Next(-12, 13), 0, 255);
            }
        return pixels;
    }

    /// <summary>Whether the point (u, v), in units of the shape's radius in its own rotated frame, is inside the shape.</summary>
    private static bool Inside(int shape, double u, double v) => shape switch
    {
        0 => u * u + v * v <= 1,                                                  // circle of radius 1
        1 => Math.Max(Math.Abs(u), Math.Abs(v)) <= 0.8,                           // square of side 1.6
        2 => new[] { 270.0, 30.0, 150.0 }.All(degrees =>                          // equilateral triangle, circumradius 1: inradius ½
            u * Math.Cos(degrees * Math.PI / 180) + v * Math.Sin(degrees * Math.PI / 180) <= 0.5),
        3 => (Math.Abs(u) <= 0.3 && Math.Abs(v) <= 1) || (Math.Abs(v) <= 0.3 && Math.Abs(u) <= 1), // cross of two 0.6-wide bars
        4 => u * u + v * v is >= 0.3 and <= 1,                                    // ring between radii 0.55 and 1
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape.ToString(CultureInfo.InvariantCulture)),
    };

    private static byte[] RandomColor(Random random) => [(byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)];

    private static int Distance(byte[] a, byte[] b) => Math.Abs(a[0] - b[0]) + Math.Abs(a[1] - b[1]) + Math.Abs(a[2] - b[2]);
}

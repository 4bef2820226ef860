using System.Text.Json;
using Microsoft.ML.Sharpness.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Reads an exchange directory (bench/python/make_random_exchange.py documents the format; EvaluatorBenchmarks' ExchangeExport
/// writes it): the network's shape, its weights (into a SharpnessML network) and the rows, so that SharpnessML and PyTorch run
/// on the same weights and rows.
/// </summary>
internal sealed class ExchangeImport
{
    private readonly string directory;
    private readonly JsonElement manifest;

    public ExchangeImport(string directory)
    {
        this.directory = directory;
        manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "manifest.json"))).RootElement.Clone();
        Shape = new NetworkShape(Enum.Parse<ImageClassifierArchitecture>(manifest.GetProperty("architecture").GetString()!),
            manifest.GetProperty("channels").GetInt32(), manifest.GetProperty("height").GetInt32(), manifest.GetProperty("width").GetInt32(),
            manifest.GetProperty("classes").GetInt32());
        if (manifest.TryGetProperty("wide_resnet_depth", out var depth)) Shape = Shape with { WideResNetDepth = depth.GetInt32() };
        if (manifest.TryGetProperty("wide_resnet_width", out var width)) Shape = Shape with { WideResNetWidth = width.GetInt32() };
        Rows = manifest.GetProperty("rows").GetInt64();
    }

    public NetworkShape Shape { get; }

    public long Rows { get; }

    /// <summary>A SharpnessML network of the exchanged shape with the exchanged weights (BatchNorm running statistics included).</summary>
    public Sequential Network()
    {
        var network = NetworkFactory.Create(Shape);
        float[] flat = ReadFloats("weights.bin");
        var state = network.state_dict();
        int offset = 0;
        using (no_grad())
        {
            foreach (var entry in manifest.GetProperty("tensors").EnumerateArray())
            {
                string name = entry.GetProperty("name").GetString()!;
                long[] shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                int count = (int)shape.Aggregate(1L, (a, b) => a * b);
                if (!state.TryGetValue(name, out var target) || !target.shape.SequenceEqual(shape))
                    throw new InvalidDataException($"The exchanged tensor {name} [{string.Join(", ", shape)}] has no counterpart in the SharpnessML network.");
                using var saved = tensor(flat.AsSpan(offset, count).ToArray(), shape);
                target.copy_(saved);
                offset += count;
            }
        }
        if (offset != flat.Length) throw new InvalidDataException($"weights.bin holds {flat.Length} floats; the manifest lists {offset}.");
        return network;
    }

    /// <summary>Images [N, C, H, W] float32.</summary>
    public Tensor Images() => tensor(ReadFloats("images.bin"), new[] { Rows, Shape.Channels, Shape.Height, Shape.Width });

    /// <summary>Labels [N] int64.</summary>
    public Tensor Labels()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(directory, "labels.bin"));
        var labels = new long[bytes.Length / sizeof(long)];
        Buffer.BlockCopy(bytes, 0, labels, 0, bytes.Length);
        return tensor(labels, new[] { Rows });
    }

    private float[] ReadFloats(string file)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(directory, file));
        var values = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}

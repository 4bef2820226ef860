using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Writes a network's weights and the evaluated rows as raw little-endian files with a JSON manifest, the format that
/// bench/python reads, so that PyTorch can compute the same quantities on the same model and rows.
/// </summary>
internal static class ExchangeExport
{
    public static void Write(string directory, SamImageClassifierModel model, Tensor images, Tensor labels)
    {
        Directory.CreateDirectory(directory);
        var tensors = model.Network.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        using (var weights = File.Create(Path.Combine(directory, "weights.bin")))
            foreach (var (_, value) in tensors) WriteFloats(weights, value);
        using (var file = File.Create(Path.Combine(directory, "images.bin"))) WriteFloats(file, images);
        File.WriteAllBytes(Path.Combine(directory, "labels.bin"), labels.to_type(ScalarType.Int64).data<long>().ToArray().SelectMany(BitConverter.GetBytes).ToArray());
        var manifest = new
        {
            architecture = model.Info.Training.Architecture.ToString(),
            channels = model.Info.Channels,
            height = model.Info.Height,
            width = model.Info.Width,
            classes = model.Info.ClassNames.Count,
            wide_resnet_depth = model.Info.NetworkShape.WideResNetDepth, // read for WideResNet only
            wide_resnet_width = model.Info.NetworkShape.WideResNetWidth,
            rows = images.shape[0],
            tensors = tensors.Select(kv => new { name = kv.Key, shape = kv.Value.shape }).ToArray(),
        };
        File.WriteAllText(Path.Combine(directory, "manifest.json"), JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void WriteFloats(Stream stream, Tensor tensor)
    {
        float[] values = tensor.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        stream.Write(bytes);
    }
}

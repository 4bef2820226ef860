using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;

namespace Microsoft.ML.Sharpness.Tests.Imported;

/// <summary>The ONNX models tests/data/onnx/make_models.py made (PyTorch 1.13 exports with random weights), and ONNX Runtime's logits for them.</summary>
internal static class OnnxFixtures
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "data", "onnx", file);

    /// <summary>ONNX Runtime's first output for float images [N, C, H, W].</summary>
    public static float[] RuntimeOutput(string path, Tensor images)
    {
        using var session = new InferenceSession(path);
        string input = session.InputMetadata.Keys.Single();
        var dense = new DenseTensor<float>(images.contiguous().data<float>().ToArray(), images.shape.Select(d => (int)d).ToArray());
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(input, dense) });
        return results.First().AsEnumerable<float>().ToArray();
    }

    /// <summary>max |a − b| / max |b|: the largest difference relative to the reference's scale.</summary>
    public static double RelativeDifference(float[] actual, float[] expected)
    {
        Assert.HasCount(expected.Length, actual);
        double scale = expected.Max(v => Math.Abs(v));
        return actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max() / scale;
    }
}

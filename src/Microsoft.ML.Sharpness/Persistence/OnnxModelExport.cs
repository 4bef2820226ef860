using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Layers;
using Microsoft.ML.Sharpness.Onnx;
using Microsoft.ML.Sharpness.Onnx.Proto;
using TorchSharp.Modules;

namespace Microsoft.ML.Sharpness.Persistence;

/// <summary>
/// Exports a trained network as a one-image ONNX classifier, the form ML.NET's OnnxTransformer scores row by row:
/// image [C, H, W] → logits [K].
/// </summary>
internal static class OnnxModelExport
{
    public static byte[] Export(Sequential network, NetworkShape shape, OnnxColumnNames names, IReadOnlyDictionary<string, string> metadata)
    {
        var graph = new OnnxGraphBuilder();
        graph.AddInput(names.Features, TensorProto.Types.DataType.Float, shape.Channels, shape.Height, shape.Width);

        string batch = graph.AddNode("Unsqueeze", new[] { names.Features, graph.AddInt64Initializer("batch_axis", 0) });
        string logits = LayerRules.ExportOnnx(network, graph, batch, "");
        graph.AddNode("Reshape", new[] { logits, graph.AddInt64Initializer("logits_shape", shape.Classes) }, output: names.Logits);
        graph.AddOutput(names.Logits, TensorProto.Types.DataType.Float, shape.Classes);

        return graph.ToModelBytes(metadata, Version);
    }

    /// <summary>
    /// Exports a network as a standard batched ONNX image classifier, images "input" [N, C, H, W] → "logits" [N, K] with a dynamic
    /// batch axis N: the form PyTorch exports and <see cref="TrainingSettings.PretrainedModelPath"/> imports.
    /// </summary>
    public static byte[] ExportBatched(Sequential network, long channels, long height, long width, long classes, IReadOnlyDictionary<string, string> metadata)
    {
        var graph = new OnnxGraphBuilder();
        graph.AddInput("input", TensorProto.Types.DataType.Float, OnnxGraphBuilder.BatchAxis, channels, height, width);
        graph.AddNode("Identity", new[] { LayerRules.ExportOnnx(network, graph, "input", "") }, output: "logits");
        graph.AddOutput("logits", TensorProto.Types.DataType.Float, OnnxGraphBuilder.BatchAxis, classes);
        return graph.ToModelBytes(metadata, Version);
    }

    private static string Version => typeof(OnnxModelExport).Assembly.GetName().Version?.ToString() ?? "0";
}

/// <summary>Names of the exported graph's input and output, which are the ML.NET column names they map to.</summary>
/// <param name="Features">The image input.</param>
/// <param name="Logits">The network's logits.</param>
internal sealed record OnnxColumnNames(string Features, string Logits);

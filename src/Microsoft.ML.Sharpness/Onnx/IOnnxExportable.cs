namespace Microsoft.ML.Sharpness.Onnx;

/// <summary>A network block that writes its own inference-mode ONNX nodes.</summary>
internal interface IOnnxExportable
{
    /// <summary>Adds the block's nodes reading <paramref name="input"/>; weights are named <paramref name="prefix"/>.parameter as in the state dict. Returns the output name.</summary>
    string ExportOnnx(OnnxGraphBuilder graph, string input, string prefix);
}

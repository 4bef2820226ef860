using Microsoft.ML.Sharpness.Onnx.Proto;

namespace Microsoft.ML.Sharpness.Networks.Imported;

/// <summary>Reads a node's attributes by name, with the ONNX default when absent.</summary>
internal static class OnnxAttributes
{
    public static long Int(this NodeProto node, string name, long fallback) => Find(node, name)?.I ?? fallback;

    public static float Float(this NodeProto node, string name, float fallback) => Find(node, name)?.F ?? fallback;

    public static long[]? Ints(this NodeProto node, string name) => Find(node, name)?.Ints.ToArray();

    public static string Text(this NodeProto node, string name, string fallback) => Find(node, name)?.S.ToStringUtf8() ?? fallback;

    public static AttributeProto? Find(this NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>"node 'name' (OpType)", for messages.</summary>
    public static string Describe(this NodeProto node) => $"node '{Label(node)}' ({node.OpType})";

    /// <summary>The node's name, or its first output's when it has none.</summary>
    public static string Label(this NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? node.OpType;
}

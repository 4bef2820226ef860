using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Onnx;
using Microsoft.ML.Transforms.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness;

/// <summary>
/// A trained SamImageClassifier network as TorchSharp sees it: its self-description and the network with its trained
/// weights (in inference mode, on the CPU). Get one from a model fresh from <c>Fit</c> or loaded with <c>mlContext.Model.Load</c>
/// through <see cref="FromTransformer"/>.
/// </summary>
public sealed class SamImageClassifierModel : IDisposable
{
    /// <summary>The key under which the model description is stored in the ONNX model's metadata.</summary>
    internal const string MetadataKey = "Microsoft.ML.Sharpness.ModelInfo";

    internal SamImageClassifierModel(SamImageClassifierModelInfo info, Sequential network, byte[] onnxModel)
    {
        Info = info;
        Network = network;
        OnnxModel = onnxModel;
    }

    /// <summary>Architecture, image shape, class names, training options and history.</summary>
    public SamImageClassifierModelInfo Info { get; }

    /// <summary>The trained network: images [N, C, H, W] → logits [N, K]. It is in inference mode; call <c>train()</c> to change that.</summary>
    public Sequential Network { get; }

    /// <summary>The ONNX form of the network that ML.NET scores with.</summary>
    internal byte[] OnnxModel { get; }

    /// <summary>
    /// Finds the SamImageClassifier model in <paramref name="model"/> — a <see cref="SamImageClassifierTransformer"/>, or a
    /// transformer chain holding one, fresh from <c>Fit</c> or loaded with <c>mlContext.Model.Load</c> — and rebuilds its network.
    /// The last one wins when the chain holds several.
    /// </summary>
    public static SamImageClassifierModel FromTransformer(ITransformer model) => Locate(model).Model;

    /// <summary>As <see cref="FromTransformer"/>, and whether the result was rebuilt from a loaded model (<c>Owned</c>: the caller's
    /// to dispose) or is shared with the fitted transformer that holds it. Use it through <c>ModelLease</c>.</summary>
    internal static (SamImageClassifierModel Model, bool Owned) Locate(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Search(model) ?? throw new ArgumentException(
            $"The model ({model.GetType().Name}) holds no SamImageClassifier model: expected a pipeline fitted with " +
            "mlContext.MulticlassClassification.Trainers.SamImageClassifier(...), fresh from Fit or loaded with mlContext.Model.Load.", nameof(model));
    }

    /// <summary>Class probabilities [N, K] of images [N, C, H, W] (inference mode, no gradient).</summary>
    public Tensor PredictProbabilities(Tensor images)
    {
        using var noGrad = no_grad();
        return nn.functional.softmax(Network.forward(images), 1);
    }

    private static (SamImageClassifierModel Model, bool Owned)? Search(ITransformer model)
    {
        switch (model)
        {
            case SamImageClassifierTransformer trained:
                return (trained.Model, false);
            case OnnxTransformer onnx:
                return FromOnnx(OnnxBytesOf(onnx)) is { } rebuilt ? (rebuilt, true) : null;
            case IEnumerable<ITransformer> chain:
                return chain.Reverse().Select(Search).FirstOrDefault(found => found != null);
            default:
                return null;
        }
    }

    /// <summary>Rebuilds the network from ONNX bytes that carry a model description; null when they carry none.</summary>
    internal static SamImageClassifierModel? FromOnnx(byte[] onnxModel)
    {
        var contents = OnnxModelContents.Parse(onnxModel);
        if (!contents.Metadata.TryGetValue(MetadataKey, out string? json))
            return null;
        var info = SamImageClassifierModelInfo.FromJson(json);
        Sequential network = NetworkFactory.Create(info.NetworkShape);
        using (no_grad())
        {
            foreach (var (name, target) in network.state_dict())
            {
                if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
                var (values, shape) = contents.FloatWeight(name);
                if (!shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"The saved weight '{name}' has shape [{string.Join(", ", shape)}]; the network expects [{string.Join(", ", target.shape)}].");
                using Tensor saved = tensor(values, shape);
                target.copy_(saved);
            }
        }
        network.eval();
        return new SamImageClassifierModel(info, network, onnxModel);
    }

    /// <summary>The ONNX bytes inside an OnnxTransformer, read back from the model file ML.NET writes for it.</summary>
    private static byte[] OnnxBytesOf(OnnxTransformer onnx)
    {
        using var stream = new MemoryStream();
        new MLContext().Model.Save(onnx, null, stream);
        stream.Position = 0;
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
        var entry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("OnnxModel", StringComparison.Ordinal))
            ?? throw new InvalidDataException("The OnnxTransformer saved no ONNX model.");
        using var reader = new BinaryReader(entry.Open());
        int length = reader.ReadInt32();
        return reader.ReadBytes(length);
    }

    /// <inheritdoc/>
    public void Dispose() => Network.Dispose();
}

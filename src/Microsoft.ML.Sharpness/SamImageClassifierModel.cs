using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Imported;
using Microsoft.ML.Sharpness.Onnx;
using Microsoft.ML.Sharpness.Persistence;
using Microsoft.ML.Sharpness.Runtime;
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
    /// <exception cref="InvalidOperationException">The model is a feature extractor (<see cref="SamImageClassifierModelInfo.IsFeatureExtractor"/>): it has no classes.</exception>
    public Tensor PredictProbabilities(Tensor images)
    {
        if (Info.IsFeatureExtractor)
            throw new InvalidOperationException($"'{Info.Training.PretrainedModelPath}' is a feature extractor ({Info.FeatureLength} features, no classes): " +
                "call Network.forward for its features, or fine-tune it with a new head (SamImageClassifierOptions.PretrainedModelPath).");
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
                return FromOnnx(MLNetInternals.OnnxModelBytes(onnx)) is { } rebuilt ? (rebuilt, true) : null;
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
        Sequential network = NetworkOf(info, contents);
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

    /// <summary>A network of this model's layout (with its weights only when imported: copy them from the state dict).</summary>
    internal Sequential NewNetwork() => NetworkOf(Info, OnnxModelContents.Parse(OnnxModel));

    /// <summary>The network a description names: built by <see cref="NetworkFactory"/>, or a fine-tuned pretrained network imported again from its saved ONNX.</summary>
    private static Sequential NetworkOf(SamImageClassifierModelInfo info, OnnxModelContents contents) =>
        info.Training.PretrainedModelPath is null
            ? NetworkFactory.Create(info.NetworkShape)
            : PretrainedNetwork.Rebuild(contents.Model, info.Training, info.Channels, info.Height, info.Width, info.ClassNames.Count);

    /// <summary>
    /// Imports an ONNX model whole (images [N, C, H, W] → its first output), e.g. to compare its outputs with ONNX Runtime's or
    /// to evaluate it: <see cref="Network"/> holds the file's weights in inference mode. The file must take float NCHW images and
    /// use only the operators SharpnessML imports (see <see cref="TrainingSettings.PretrainedModelPath"/>); <see cref="Info"/> gives
    /// its image shape (0 for a size the model leaves open) and, for a classifier, one class name per output ("0", "1", …). A model
    /// without a classifier (such as <see cref="PretrainedModels.ResNet18ImageNet"/>) is a feature extractor: its Info has no class
    /// names and <see cref="SamImageClassifierModelInfo.FeatureLength"/> features.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not ONNX.</exception>
    /// <exception cref="NotSupportedException">An unsupported operator (named with its node and opset), control flow, or an input that is not float NCHW images.</exception>
    public static SamImageClassifierModel FromOnnxFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (network, input, outputs, headless) = PretrainedNetwork.ImportWhole(path);
        var info = new SamImageClassifierModelInfo
        {
            Channels = (int)input.Channels,
            Height = (int)(input.Height ?? 0),
            Width = (int)(input.Width ?? 0),
            ClassNames = headless ? Array.Empty<string>() : Enumerable.Range(0, (int)outputs).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            FeatureLength = headless ? (int)outputs : 0,
            FeatureColumnName = input.Name,
            Training = new TrainingSettings { PretrainedModelPath = path },
        };
        return new SamImageClassifierModel(info, network, File.ReadAllBytes(path));
    }

    /// <summary>
    /// Writes the network as a standard ONNX image classifier: input "input" float [N, C, H, W] with a dynamic batch axis, output
    /// "logits" [N, K] (no softmax), opset 13 or the imported graph's. Any ONNX runtime scores it, and
    /// <see cref="TrainingSettings.PretrainedModelPath"/> fine-tunes it (transfer learning from a SharpnessML model).
    /// </summary>
    public void ExportOnnx(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Info.Height <= 0 || Info.Width <= 0 || Info.ClassNames.Count == 0)
            throw new InvalidOperationException("This model's image size or class count is not fixed, so it cannot be exported.");
        File.WriteAllBytes(path, OnnxModelExport.ExportBatched(Network, Info.Channels, Info.Height, Info.Width, Info.ClassNames.Count,
            new Dictionary<string, string> { ["Microsoft.ML.Sharpness.ClassNames"] = string.Join("\n", Info.ClassNames) }));
    }

    /// <inheritdoc/>
    public void Dispose() => Network.Dispose();
}

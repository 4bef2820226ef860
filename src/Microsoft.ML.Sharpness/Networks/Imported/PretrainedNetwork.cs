using Microsoft.ML.Sharpness.Networks.Layers;
using Microsoft.ML.Sharpness.Onnx.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Networks.Imported;

/// <summary>
/// The network that fine-tunes an imported ONNX classifier (<see cref="TrainingSettings.PretrainedModelPath"/>): the optional
/// input normalization ("normalize"), the imported graph up to the feature tensor ("backbone", with the file's weights and
/// BatchNorm statistics) and a new head ("head": global average pooling when the features are [N, C, H, W], then a Linear
/// layer sized for the label's classes, initialized from TorchSharp's random state).
/// </summary>
internal static class PretrainedNetwork
{
    /// <summary>The child names of the network's parts.</summary>
    public const string Normalize = "normalize", Backbone = "backbone", Head = "head";

    /// <summary>Imports <paramref name="path"/> whole: images → the graph's (first) output, with the file's image input.</summary>
    public static (Sequential Network, ImageInput Input, long Outputs) ImportWhole(string path)
    {
        var model = OnnxImporter.Parse(ReadFile(path, "path"), path);
        var input = OnnxImporter.Input(model, path);
        var backbone = OnnxImporter.Build(model, input.Name, model.Graph.Output[0].Name, path, staticBatch: input.Batch);
        var network = Sequential((Backbone, (Module<Tensor, Tensor>)backbone));
        network.eval();
        var declared = model.Graph.Output[0].Type?.TensorType?.Shape?.Dim;
        long outputs = declared is { Count: 2 } && declared[1].DimValue > 0 ? declared[1].DimValue
            : input is { Height: { } h, Width: { } w } ? Probe(backbone, input.Channels, h, w, path).shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 0;
        return (network, input, outputs);
    }

    /// <summary>The network that fine-tunes the settings' pretrained model on C×H×W images with <paramref name="classes"/> classes.</summary>
    public static Sequential Create(TrainingSettings settings, int channels, int height, int width, int classes, Action<string> log)
    {
        string path = settings.PretrainedModelPath!;
        var model = OnnxImporter.Parse(ReadFile(path, nameof(TrainingSettings.PretrainedModelPath)), path);
        var input = OnnxImporter.Input(model, path);
        if (input.Channels != channels || input.Height is { } h && h != height || input.Width is { } w && w != width)
            throw new ArgumentOutOfRangeException(nameof(TrainingSettings.PretrainedModelPath),
                $"The pretrained model '{path}' takes {input.Channels}×{input.Height?.ToString() ?? "H"}×{input.Width?.ToString() ?? "W"} images; the feature column holds " +
                $"{channels}×{height}×{width}. Resize the images (ResizeImages) and extract {input.Channels} color channel(s) (ExtractPixels) to match.");
        string feature = OnnxImporter.FeatureTensor(model, settings.PretrainedFeatureNode, path);
        var backbone = OnnxImporter.Build(model, input.Name, feature, path, staticBatch: input.Batch);
        var network = Assemble(backbone, settings, channels, height, width, classes, path);
        log($"Imported '{path}' up to '{feature}': {backbone.Steps.Count} nodes, {backbone.parameters().Sum(p => p.numel()):N0} pretrained parameters; " +
            $"a new {classes}-class head{(settings.FreezeBackbone ? "; the backbone is frozen" : $"; the backbone learns at {settings.BackboneLearningRateScale:G3}× the learning rate")}.");
        return network;
    }

    /// <summary>Rebuilds a fine-tuned network from the ONNX model it was saved as (its backbone imported again between <see cref="OnnxGraphRule"/>'s markers).</summary>
    public static Sequential Rebuild(ModelProto saved, TrainingSettings settings, int channels, int height, int width, int classes)
    {
        var backbone = OnnxImporter.Build(saved, OnnxGraphRule.InputMarker(Backbone), OnnxGraphRule.OutputMarker(Backbone), "the saved model", weightPrefix: Backbone);
        return Assemble(backbone, settings, channels, height, width, classes, "the saved model");
    }

    /// <summary>The imported backbone of a network this class made.</summary>
    public static OnnxGraphNetwork BackboneOf(Sequential network) =>
        network.named_children().First(c => c.name == Backbone).module as OnnxGraphNetwork ?? throw new InvalidOperationException("The network has no imported backbone.");

    private static Sequential Assemble(OnnxGraphNetwork backbone, TrainingSettings settings, int channels, int height, int width, int classes, string source)
    {
        long[] features;
        using (Tensor probe = Probe(backbone, channels, height, width, source)) features = probe.shape;
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        if (settings.InputNormalization is { } normalization)
        {
            var (mean, std) = normalization.For(channels, nameof(TrainingSettings.InputNormalization));
            layers.Add((Normalize, new InputNormalizationLayer(Normalize, mean, std)));
        }
        layers.Add((Backbone, backbone));
        var head = features.Length switch
        {
            2 => Sequential(("classifier", Linear(features[1], classes))),
            4 => Sequential(("pool", new GlobalAveragePool("pool")), ("classifier", Linear(features[1], classes))),
            _ => throw new ArgumentException($"{source}: the feature tensor has shape [{string.Join(", ", features)}]; a head needs [N, F] features or [N, C, H, W] feature maps. " +
                $"Choose another {nameof(TrainingSettings.PretrainedFeatureNode)}."),
        };
        layers.Add((Head, head));
        backbone.AlwaysInInferenceMode = settings.FreezeBackbone;
        if (settings.FreezeBackbone)
            foreach (var p in backbone.parameters()) p.requires_grad = false;
        var network = Sequential(layers);
        network.eval();
        return network;
    }

    /// <summary>The backbone's output for one black image, which checks that the network takes C×H×W images.</summary>
    private static Tensor Probe(OnnxGraphNetwork backbone, long channels, long height, long width, string source)
    {
        backbone.eval();
        using var noGrad = no_grad();
        try
        {
            return backbone.call(zeros(1, channels, height, width));
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentOutOfRangeException(nameof(TrainingSettings.PretrainedModelPath), $"{source} cannot take {channels}×{height}×{width} images. {e.Message}");
        }
    }

    private static byte[] ReadFile(string path, string option)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{option}: the ONNX file '{path}' does not exist (current directory '{Environment.CurrentDirectory}').", path);
        return File.ReadAllBytes(path);
    }
}

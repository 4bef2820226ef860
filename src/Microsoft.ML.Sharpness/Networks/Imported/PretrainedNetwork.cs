using Microsoft.ML.Sharpness.Networks.Layers;
using Microsoft.ML.Sharpness.Onnx.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Networks.Imported;

/// <summary>
/// The network that fine-tunes an imported ONNX model (<see cref="TrainingSettings.PretrainedModelPath"/>): the optional
/// preprocessing graph ("preprocess", <see cref="TrainingSettings.PretrainedPreprocessingPath"/>), the optional input
/// normalization ("normalize"), the imported graph up to the feature tensor ("backbone", with the file's weights and BatchNorm
/// statistics) and a new head ("head": global average pooling when the features are [N, C, H, W], then a Linear layer sized
/// for the label's classes, initialized from TorchSharp's random state).
/// </summary>
internal static class PretrainedNetwork
{
    /// <summary>The child names of the network's parts.</summary>
    public const string Preprocess = "preprocess", Normalize = "normalize", Backbone = "backbone", Head = "head";

    /// <summary>
    /// Imports <paramref name="path"/> whole: images → the graph's (first) output, with the file's image input, the length of the
    /// flattened output, and whether the graph is a headless backbone (no classifier: its output is a feature vector).
    /// </summary>
    public static (Sequential Network, ImageInput Input, long Outputs, bool Headless) ImportWhole(string path)
    {
        var model = OnnxImporter.Parse(ReadFile(path, "path"), path);
        var input = OnnxImporter.Input(model, path);
        var backbone = OnnxImporter.Build(model, input.Name, model.Graph.Output[0].Name, path, staticBatch: input.Batch);
        var network = Sequential((Backbone, (Module<Tensor, Tensor>)backbone));
        network.eval();
        var declared = model.Graph.Output[0].Type?.TensorType?.Shape?.Dim;
        long outputs = declared is { Count: > 1 } && declared.Skip(1).All(d => d.DimValue > 0) ? declared.Skip(1).Aggregate(1L, (a, d) => a * d.DimValue)
            : input is { Height: { } h, Width: { } w } ? Probe(backbone, input.Channels, h, w, path).shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 0;
        return (network, input, outputs, OnnxImporter.ClassifierNode(model) is null);
    }

    /// <summary>The network that fine-tunes the settings' pretrained model on C×H×W images with <paramref name="classes"/> classes.</summary>
    public static Sequential Create(TrainingSettings settings, int channels, int height, int width, int classes, Action<string> log)
    {
        string path = settings.PretrainedModelPath!;
        var model = OnnxImporter.Parse(ReadFile(path, nameof(TrainingSettings.PretrainedModelPath)), path);
        var input = OnnxImporter.Input(model, path);
        var preprocess = settings.PretrainedPreprocessingPath is { } preprocessingPath ? ImportPreprocessing(preprocessingPath, input, channels, height, width, path) : null;
        if (preprocess is null)
            CheckImages(input, channels, height, width, path, nameof(TrainingSettings.PretrainedModelPath));
        string feature = OnnxImporter.FeatureTensor(model, settings.PretrainedFeatureNode, path);
        var backbone = OnnxImporter.Build(model, input.Name, feature, path, staticBatch: input.Batch);
        var network = Assemble(preprocess, backbone, settings, channels, height, width, classes, path);
        string headless = feature == model.Graph.Output[0].Name ? " (the model has no classifier: its output is the feature vector)" : "";
        log($"Imported '{path}' up to '{feature}'{headless}: {backbone.Steps.Count} nodes, {backbone.parameters().Sum(p => p.numel()):N0} pretrained parameters" +
            $"{(preprocess is null ? "" : $", after the preprocessing '{settings.PretrainedPreprocessingPath}' ({preprocess.Steps.Count} nodes)")}; " +
            $"a new {classes}-class head{(settings.FreezeBackbone ? "; the backbone is frozen" : $"; the backbone learns at {settings.BackboneLearningRateScale:G3}× the learning rate")}.");
        if (preprocess is null && PretrainedModels.IsResNet18ImageNet(path))
            log($"'{path}' is ML.NET's ImageNet ResNet-18, which was trained on preprocessed images (BGR minus the ImageNet mean image); " +
                $"without {nameof(TrainingSettings.PretrainedPreprocessingPath)} = {nameof(PretrainedModels)}.{nameof(PretrainedModels.ResNet18ImageNetPreprocessing)} " +
                "it reads the feature column's pixels as they are.");
        return network;
    }

    /// <summary>Rebuilds a fine-tuned network from the ONNX model it was saved as (its graphs imported again between <see cref="OnnxGraphRule"/>'s markers).</summary>
    public static Sequential Rebuild(ModelProto saved, TrainingSettings settings, int channels, int height, int width, int classes)
    {
        var preprocess = settings.PretrainedPreprocessingPath is null ? null
            : OnnxImporter.Build(saved, OnnxGraphRule.InputMarker(Preprocess), OnnxGraphRule.OutputMarker(Preprocess), "the saved model", weightPrefix: Preprocess);
        var backbone = OnnxImporter.Build(saved, OnnxGraphRule.InputMarker(Backbone), OnnxGraphRule.OutputMarker(Backbone), "the saved model", weightPrefix: Backbone);
        return Assemble(preprocess, backbone, settings, channels, height, width, classes, "the saved model");
    }

    /// <summary>The imported backbone of a network this class made.</summary>
    public static OnnxGraphNetwork BackboneOf(Sequential network) =>
        network.named_children().First(c => c.name == Backbone).module as OnnxGraphNetwork ?? throw new InvalidOperationException("The network has no imported backbone.");

    /// <summary>The preprocessing graph of <paramref name="path"/>, checked to take the feature column's images and to give the pretrained model's input.</summary>
    private static OnnxGraphNetwork ImportPreprocessing(string path, ImageInput backboneInput, int channels, int height, int width, string backbonePath)
    {
        var model = OnnxImporter.Parse(ReadFile(path, nameof(TrainingSettings.PretrainedPreprocessingPath)), path);
        var input = OnnxImporter.Input(model, path);
        CheckImages(input, channels, height, width, path, nameof(TrainingSettings.PretrainedPreprocessingPath));
        var preprocess = OnnxImporter.Build(model, input.Name, model.Graph.Output[0].Name, path, staticBatch: input.Batch);
        if (preprocess.parameters().Any())
            throw new ArgumentException($"The preprocessing graph '{path}' has layers with weights (Conv, BatchNormalization, Gemm); preprocessing is parameter-free.",
                nameof(TrainingSettings.PretrainedPreprocessingPath));
        long[] output;
        using (Tensor probe = Probe(preprocess, channels, height, width, path)) output = probe.shape;
        if (output.Length != 4 || output[1] != backboneInput.Channels || backboneInput.Height is { } h && output[2] != h || backboneInput.Width is { } w && output[3] != w)
            throw new ArgumentException(
                $"The preprocessing graph '{path}' turns {channels}×{height}×{width} images into [{string.Join(", ", output.Skip(1))}] per image; the pretrained model " +
                $"'{backbonePath}' takes {Describe(backboneInput)} images. Choose the preprocessing made for that model.", nameof(TrainingSettings.PretrainedPreprocessingPath));
        return preprocess;
    }

    /// <summary>Checks that a graph whose input is <paramref name="input"/> takes the feature column's C×H×W images.</summary>
    private static void CheckImages(ImageInput input, int channels, int height, int width, string path, string option)
    {
        if (input.Channels != channels || input.Height is { } h && h != height || input.Width is { } w && w != width)
            throw new ArgumentOutOfRangeException(option,
                $"'{path}' takes {Describe(input)} images; the feature column holds {channels}×{height}×{width} (channels × height × width). " +
                $"Resize the images to {input.Height?.ToString() ?? "H"}×{input.Width?.ToString() ?? "W"} (ResizeImages) and extract {input.Channels} color " +
                $"channel(s) (ExtractPixels{(input.Channels == 3 ? ", its default" : "")}) to match.");
    }

    private static string Describe(ImageInput input) => $"{input.Channels}×{input.Height?.ToString() ?? "H"}×{input.Width?.ToString() ?? "W"}";

    private static Sequential Assemble(OnnxGraphNetwork? preprocess, OnnxGraphNetwork backbone, TrainingSettings settings, int channels, int height, int width, int classes, string source)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        long[] features;
        if (preprocess is not null)
        {
            preprocess.AlwaysInInferenceMode = true;
            layers.Add((Preprocess, preprocess));
            using var noGrad = no_grad();
            using Tensor prepared = preprocess.call(zeros(1, channels, height, width));
            using Tensor probe = Probe(backbone, prepared.shape[1], prepared.shape[2], prepared.shape[3], source);
            features = probe.shape;
        }
        else
        {
            using Tensor probe = Probe(backbone, channels, height, width, source);
            features = probe.shape;
        }
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
        backbone.AlwaysInInferenceMode = settings.FreezeBackbone || settings.FreezeBackboneStatistics;
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

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>Builds the TorchSharp network of an <see cref="ImageClassifierArchitecture"/> for a given input shape and class count.</summary>
internal static class NetworkFactory
{
    /// <summary>Creates the network; its parameters are initialized from TorchSharp's current random state.</summary>
    public static Sequential Create(NetworkShape shape)
    {
        return shape.Architecture switch
        {
            ImageClassifierArchitecture.Mlp => CreateMlp(shape),
            ImageClassifierArchitecture.ConvNet => CreateConvNet(shape),
            ImageClassifierArchitecture.ResNet => CreateResNet(shape),
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape.Architecture, "Unknown architecture."),
        };
    }

    /// <summary>Keskar et al. (2017) network F1: five hidden fully connected layers of 512 units, each with BatchNorm and ReLU.</summary>
    private static Sequential CreateMlp(NetworkShape shape)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("flatten", Flatten()) };
        long inputs = shape.Channels * shape.Height * shape.Width;
        for (int i = 0; i < 5; i++)
        {
            layers.Add(($"fc{i}", Linear(inputs, 512)));
            layers.Add(($"bn{i}", BatchNorm1d(512)));
            layers.Add(($"relu{i}", ReLU()));
            inputs = 512;
        }
        layers.Add(("classifier", Linear(inputs, shape.Classes)));
        return Sequential(layers);
    }

    /// <summary>A small convolutional net for 28×28-sized images: two conv(3×3)-BatchNorm-ReLU-maxpool stages, a 128-unit hidden layer.</summary>
    private static Sequential CreateConvNet(NetworkShape shape)
    {
        long pooledHeight = shape.Height / 4, pooledWidth = shape.Width / 4;
        if (pooledHeight < 1 || pooledWidth < 1)
            throw new ArgumentException($"The ConvNet architecture needs images of at least 4×4 pixels; the feature column holds {shape.Height}×{shape.Width}.");
        return Sequential(
            ("conv1", Conv2d(shape.Channels, 32, 3, padding: 1, bias: false)),
            ("bn1", BatchNorm2d(32)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2, 2)),
            ("conv2", Conv2d(32, 64, 3, padding: 1, bias: false)),
            ("bn2", BatchNorm2d(64)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(2, 2)),
            ("flatten", Flatten()),
            ("fc1", Linear(64 * pooledHeight * pooledWidth, 128)),
            ("relu3", ReLU()),
            ("classifier", Linear(128, shape.Classes)));
    }

    /// <summary>The CIFAR ResNet of He et al. (2016, §4.2): a 3×3 stem, three stages of basic blocks with 16, 32, 64 channels, global average pooling.</summary>
    private static Sequential CreateResNet(NetworkShape shape)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("stem", Conv2d(shape.Channels, 16, 3, padding: 1, bias: false)),
            ("stem_bn", BatchNorm2d(16)),
            ("stem_relu", ReLU()),
        };
        long channels = 16;
        int[] widths = { 16, 32, 64 };
        for (int stage = 0; stage < widths.Length; stage++)
        {
            for (int block = 0; block < shape.ResNetBlocksPerStage; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                layers.Add(($"stage{stage + 1}_{block}", new ResidualBlock($"stage{stage + 1}_{block}", channels, widths[stage], stride)));
                channels = widths[stage];
            }
        }
        layers.Add(("pool", new GlobalAveragePool("pool")));
        layers.Add(("classifier", Linear(channels, shape.Classes)));
        return Sequential(layers);
    }
}

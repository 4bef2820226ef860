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
        if (shape.PretrainedModel is not null)
            throw new ArgumentException($"A {shape.Describe()} is imported (Networks/Imported/PretrainedNetwork), not built.", nameof(shape));
        return shape.Architecture switch
        {
            ImageClassifierArchitecture.Mlp => CreateMlp(shape),
            ImageClassifierArchitecture.ConvNet => CreateConvNet(shape),
            ImageClassifierArchitecture.ResNet => CreateResNet(shape),
            ImageClassifierArchitecture.ResNet18 => CreateResNet18(shape),
            ImageClassifierArchitecture.WideResNet => CreateWideResNet(shape),
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
        long channels = AddBasicBlockStages(layers, 16, new long[] { 16, 32, 64 }, shape.ResNetBlocksPerStage);
        layers.Add(("pool", new GlobalAveragePool("pool")));
        layers.Add(("classifier", Linear(channels, shape.Classes)));
        return Sequential(layers);
    }

    /// <summary>
    /// Appends stages of basic residual blocks named stage{s}_{b}, one stage per width, the first block of every stage after the
    /// first with stride 2 (He et al. 2016); returns the channels of the last block.
    /// </summary>
    private static long AddBasicBlockStages(List<(string, Module<Tensor, Tensor>)> layers, long channels, long[] widths, int blocksPerStage)
    {
        for (int stage = 0; stage < widths.Length; stage++)
        {
            for (int block = 0; block < blocksPerStage; block++)
            {
                string name = $"stage{stage + 1}_{block}";
                layers.Add((name, new ResidualBlock(name, channels, widths[stage], stride: stage > 0 && block == 0 ? 2 : 1)));
                channels = widths[stage];
            }
        }
        return channels;
    }

    /// <summary>Inputs at least this many pixels high and wide get ResNet-18's ImageNet stem (7×7/2 conv, 3×3/2 max-pool); smaller ones the 3×3/1 stem.</summary>
    public const int ResNet18ImageNetStemSide = 64;

    /// <summary>
    /// ResNet-18 of He et al. (2016, Table 1): a stem, four stages of two basic blocks with 64, 128, 256, 512 channels (stride 2 at
    /// the first block of stages 2–4), global average pooling, a linear classifier. The stem is the ImageNet one (7×7/2 conv with
    /// 64 channels, BN, ReLU, 3×3/2 max-pool with padding 1) for images of at least 64×64 pixels, and a 3×3/1 conv with 64
    /// channels, BN, ReLU and no pool below that, as CIFAR implementations of ResNet-18 do.
    /// </summary>
    private static Sequential CreateResNet18(NetworkShape shape)
    {
        bool imageNetStem = Math.Min(shape.Height, shape.Width) >= ResNet18ImageNetStemSide;
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("stem", imageNetStem
                ? Conv2d(shape.Channels, 64, 7, stride: 2, padding: 3, bias: false)
                : Conv2d(shape.Channels, 64, 3, padding: 1, bias: false)),
            ("stem_bn", BatchNorm2d(64)),
            ("stem_relu", ReLU()),
        };
        if (imageNetStem) layers.Add(("stem_pool", MaxPool2d(3, stride: 2, padding: 1)));
        long channels = AddBasicBlockStages(layers, 64, new long[] { 64, 128, 256, 512 }, blocksPerStage: 2);
        layers.Add(("pool", new GlobalAveragePool("pool")));
        layers.Add(("classifier", Linear(channels, shape.Classes)));
        return Sequential(layers);
    }

    /// <summary>
    /// WRN-d-k of Zagoruyko and Komodakis (2016): a 3×3 conv with 16 channels, three groups of (d − 4)/6 pre-activation blocks
    /// with 16k, 32k, 64k channels (stride 2 at the first block of groups 2 and 3), BN, ReLU, global average pooling, a linear classifier.
    /// </summary>
    private static Sequential CreateWideResNet(NetworkShape shape)
    {
        int blocks = (shape.WideResNetDepth - 4) / 6;
        if (blocks < 1 || shape.WideResNetDepth != 6 * blocks + 4)
            throw new ArgumentException($"A wide ResNet's depth is 6n + 4 with n ≥ 1; it was {shape.WideResNetDepth}.", nameof(shape));
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("stem", Conv2d(shape.Channels, 16, 3, padding: 1, bias: false)) };
        long channels = 16;
        for (int group = 0; group < 3; group++)
        {
            long width = 16L * shape.WideResNetWidth << group;
            for (int block = 0; block < blocks; block++)
            {
                int stride = group > 0 && block == 0 ? 2 : 1;
                string name = $"group{group + 1}_{block}";
                layers.Add((name, new PreActivationBlock(name, channels, width, stride, shape.WideResNetDropout)));
                channels = width;
            }
        }
        layers.Add(("bn", BatchNorm2d(channels)));
        layers.Add(("relu", ReLU()));
        layers.Add(("pool", new GlobalAveragePool("pool")));
        layers.Add(("classifier", Linear(channels, shape.Classes)));
        return Sequential(layers);
    }
}

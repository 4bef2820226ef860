using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>A basic residual block (He et al. 2016): relu(bn(conv(relu(bn(conv(x))))) + shortcut(x)), with a 1×1 conv+BN shortcut when the shape changes.</summary>
internal sealed class ResidualBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? shortcut;

    public ResidualBlock(string name, long inChannels, long outChannels, int stride) : base(name)
    {
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(outChannels);
        relu1 = ReLU();
        conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
            shortcut = Sequential(("conv", Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(outChannels)));
        RegisterComponents();
    }

    /// <summary>The layers of the main path with their state-dict names.</summary>
    public IReadOnlyList<(string Name, nn.Module Layer)> MainPath => [("conv1", conv1), ("bn1", bn1), ("relu1", relu1), ("conv2", conv2), ("bn2", bn2)];

    /// <summary>The layers of the shortcut with their state-dict names; empty for the identity.</summary>
    public IReadOnlyList<(string Name, nn.Module Layer)> ShortcutPath =>
        shortcut is null ? [] : [.. shortcut.named_children().Select(c => ($"shortcut.{c.name}", c.module))];

    // Layers are invoked with call() so that forward hooks (per-example gradients) see them.
    public override Tensor forward(Tensor input) => Combine(input, (layer, x) => ((Module<Tensor, Tensor>)layer).call(x));

    /// <summary>relu(main(x) + shortcut(x)) with each layer applied by <paramref name="apply"/>.</summary>
    public Tensor Combine(Tensor input, Func<nn.Module, Tensor, Tensor> apply)
    {
        using var scope = NewDisposeScope();
        return functional.relu(LayerPath.Apply(MainPath, input, apply) + LayerPath.Apply(ShortcutPath, input, apply)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose(); bn1.Dispose(); relu1.Dispose(); conv2.Dispose(); bn2.Dispose(); shortcut?.Dispose();
        }
        base.Dispose(disposing);
    }
}

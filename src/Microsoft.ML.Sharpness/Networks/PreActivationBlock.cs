using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>
/// The wide pre-activation block of Zagoruyko and Komodakis (2016), after He et al. (2016, "Identity mappings"): a = relu(bn1(x)),
/// y = conv2(dropout(relu(bn2(conv1(a))))) + shortcut, the shortcut being x itself, or a 1×1 convolution of a when the shape changes.
/// </summary>
internal sealed class PreActivationBlock : Module<Tensor, Tensor>
{
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu1;
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn2;
    private readonly ReLU relu2;
    private readonly Dropout? dropout;
    private readonly Conv2d conv2;
    private readonly Conv2d? shortcut;

    public PreActivationBlock(string name, long inChannels, long outChannels, int stride, double dropoutProbability) : base(name)
    {
        bn1 = BatchNorm2d(inChannels);
        relu1 = ReLU();
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        relu2 = ReLU();
        if (dropoutProbability > 0) dropout = Dropout(dropoutProbability);
        conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        if (stride != 1 || inChannels != outChannels) shortcut = Conv2d(inChannels, outChannels, 1, stride: stride, bias: false);
        RegisterComponents();
    }

    /// <summary>The pre-activation a = relu(bn1(x)) with its state-dict names; both paths of a block whose shape changes read it.</summary>
    public IReadOnlyList<(string Name, nn.Module Layer)> PreActivation => [("bn1", bn1), ("relu1", relu1)];

    /// <summary>The residual path applied to the pre-activation, with its state-dict names.</summary>
    public IReadOnlyList<(string Name, nn.Module Layer)> MainPath =>
        dropout is null
            ? [("conv1", conv1), ("bn2", bn2), ("relu2", relu2), ("conv2", conv2)]
            : [("conv1", conv1), ("bn2", bn2), ("relu2", relu2), ("dropout", dropout), ("conv2", conv2)];

    /// <summary>The 1×1 projection applied to the pre-activation; empty for the identity shortcut, which adds the block's input x.</summary>
    public IReadOnlyList<(string Name, nn.Module Layer)> ShortcutPath => shortcut is null ? [] : [("shortcut", shortcut)];

    // Layers are invoked with call() so that forward hooks (per-example gradients) see them.
    public override Tensor forward(Tensor input) => Combine(input, (layer, x) => ((Module<Tensor, Tensor>)layer).call(x));

    /// <summary>main(a) + (shortcut(a) or x), a = relu(bn1(x)), with each layer applied by <paramref name="apply"/>.</summary>
    public Tensor Combine(Tensor input, Func<nn.Module, Tensor, Tensor> apply)
    {
        using var scope = NewDisposeScope();
        Tensor activated = LayerPath.Apply(PreActivation, input, apply);
        Tensor residual = LayerPath.Apply(MainPath, activated, apply);
        Tensor skip = shortcut is null ? input : LayerPath.Apply(ShortcutPath, activated, apply);
        return (residual + skip).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            bn1.Dispose(); relu1.Dispose(); conv1.Dispose(); bn2.Dispose(); relu2.Dispose(); dropout?.Dispose(); conv2.Dispose(); shortcut?.Dispose();
        }
        base.Dispose(disposing);
    }
}

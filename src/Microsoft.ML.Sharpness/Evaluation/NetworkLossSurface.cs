using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// L(w) = (1/N)·Σᵢ ℓᵢ(w), the mean cross-entropy of a network over N rows, in inference mode (BatchNorm running statistics),
/// without label smoothing or weight decay; w is every trainable parameter, flattened in <c>parameters()</c> order.
/// Rows are processed in <see cref="RowChunks"/>; Hessian-vector products use double backward (Pearlmutter 1994) through
/// the layers' exact second-order forward pass (<see cref="LayerRules.SecondOrderForward"/>).
/// </summary>
internal sealed class NetworkLossSurface : LossSurface
{
    private readonly nn.Module<Tensor, Tensor> network;
    private readonly NetworkWeights weights;
    private readonly IReadOnlyList<Parameter> parameters;
    private readonly Tensor images;
    private readonly Tensor labels;
    private readonly Action throwIfCanceled;

    /// <summary>
    /// The surface of <paramref name="network"/> (put in inference mode) over <paramref name="images"/> [N, C, H, W] and class indices
    /// <paramref name="labels"/> [N]; <paramref name="throwIfCanceled"/> runs before every evaluation of L, ∇L or H·v.
    /// </summary>
    public NetworkLossSurface(nn.Module<Tensor, Tensor> network, Tensor images, Tensor labels, Action? throwIfCanceled = null)
    {
        this.throwIfCanceled = throwIfCanceled ?? (() => { });
        if (images.shape[0] == 0 || images.shape[0] != labels.shape[0])
            throw new ArgumentException($"Expected at least one row and as many labels as images; got {images.shape[0]} images and {labels.shape[0]} labels.");
        this.network = network;
        this.images = images;
        this.labels = labels;
        weights = new NetworkWeights(network);
        parameters = weights.Parameters;
        network.eval();
    }

    /// <inheritdoc/>
    public override long Dimension => weights.Dimension;

    /// <summary>N, the number of rows.</summary>
    public long Rows => images.shape[0];

    /// <summary>w, the network's trainable parameters.</summary>
    public NetworkWeights NetworkWeights => weights;

    /// <inheritdoc/>
    public override Tensor Weights() => weights.Flatten();

    /// <inheritdoc/>
    public override double Loss(Tensor? delta = null)
    {
        throwIfCanceled();
        using var perturbed = Perturb(delta);
        using var noGrad = no_grad();
        double sum = 0;
        foreach (var (start, length) in RowChunks.Of(Rows))
        {
            using var scope = NewDisposeScope();
            sum += ChunkLossSum(start, length).item<float>();
        }
        return sum / Rows;
    }

    /// <inheritdoc/>
    public override (double Loss, Tensor Gradient) LossAndGradient(Tensor? delta = null)
    {
        throwIfCanceled();
        using var perturbed = Perturb(delta);
        Tensor gradient = zeros(Dimension);
        double sum = 0;
        foreach (var (start, length) in RowChunks.Of(Rows))
        {
            using var scope = NewDisposeScope();
            Tensor loss = ChunkLossSum(start, length);
            sum += loss.item<float>();
            gradient.add_(Gradients.Flatten(Gradients.Of(loss / Rows, parameters)));
        }
        return (sum / Rows, gradient);
    }

    /// <inheritdoc/>
    public override Tensor HessianVectorProduct(Tensor v)
    {
        weights.CheckVector(v);
        throwIfCanceled();
        Tensor product = zeros(Dimension);
        foreach (var (start, length) in RowChunks.Of(Rows))
        {
            using var scope = NewDisposeScope();
            Tensor loss = nn.functional.cross_entropy(LayerRules.SecondOrderForward(network, images.narrow(0, start, length)), labels.narrow(0, start, length), reduction: nn.Reduction.Sum) / Rows;
            Tensor directional = Gradients.Flatten(Gradients.Of(loss, parameters, createGraph: true)).dot(v);
            product.add_(Gradients.Flatten(Gradients.Of(directional, parameters)));
        }
        return product;
    }

    /// <summary>Adds δ to the parameters until disposed, then restores w bit for bit.</summary>
    public IDisposable? Perturb(Tensor? delta) => delta is null ? null : weights.Perturb(delta);

    private Tensor ChunkLossSum(long start, long length) =>
        nn.functional.cross_entropy(network.call(images.narrow(0, start, length)), labels.narrow(0, start, length), reduction: nn.Reduction.Sum);
}

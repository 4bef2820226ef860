using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// L(w) = (1/N)·Σᵢ ℓᵢ(w), the mean cross-entropy of a network over N rows, in inference mode (BatchNorm running statistics),
/// without label smoothing or weight decay; w is every trainable parameter, flattened in <c>parameters()</c> order.
/// Rows are processed in chunks; Hessian-vector products use double backward (Pearlmutter 1994) through
/// <see cref="SecondOrderForward"/>.
/// </summary>
internal sealed class NetworkLossSurface : LossSurface
{
    private const long ChunkRows = 256;
    private readonly nn.Module<Tensor, Tensor> network;
    private readonly Func<Tensor, Tensor> secondOrderNetwork;
    private readonly Parameter[] parameters;
    private readonly Tensor images;
    private readonly Tensor labels;

    /// <summary>The surface of <paramref name="network"/> (put in inference mode) over <paramref name="images"/> [N, C, H, W] and class indices <paramref name="labels"/> [N].</summary>
    public NetworkLossSurface(nn.Module<Tensor, Tensor> network, Tensor images, Tensor labels)
    {
        if (images.shape[0] == 0 || images.shape[0] != labels.shape[0])
            throw new ArgumentException($"Expected at least one row and as many labels as images; got {images.shape[0]} images and {labels.shape[0]} labels.");
        this.network = network;
        secondOrderNetwork = SecondOrderForward.Of(network);
        this.images = images;
        this.labels = labels;
        parameters = TrainableParameters(network);
        Dimension = parameters.Sum(p => p.numel());
        network.eval();
    }

    /// <inheritdoc/>
    public override long Dimension { get; }

    /// <summary>N, the number of rows.</summary>
    public long Rows => images.shape[0];

    /// <summary>The parameters that make up w, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>The trainable parameters of a network, in <c>parameters()</c> order.</summary>
    public static Parameter[] TrainableParameters(nn.Module<Tensor, Tensor> network) =>
        network.parameters().Where(p => p.requires_grad).ToArray();

    /// <inheritdoc/>
    public override Tensor Weights()
    {
        using var noGrad = no_grad();
        return cat(parameters.Select(p => p.detach().flatten()).ToArray());
    }

    /// <inheritdoc/>
    public override double Loss(Tensor? delta = null)
    {
        using var perturbed = Perturb(delta);
        using var noGrad = no_grad();
        double sum = 0;
        foreach (var (start, length) in Chunks())
        {
            using var scope = NewDisposeScope();
            sum += ChunkLossSum(start, length).item<float>();
        }
        return sum / Rows;
    }

    /// <inheritdoc/>
    public override (double Loss, Tensor Gradient) LossAndGradient(Tensor? delta = null)
    {
        using var perturbed = Perturb(delta);
        Tensor gradient = zeros(Dimension);
        double sum = 0;
        foreach (var (start, length) in Chunks())
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
        CheckVector(v);
        Tensor product = zeros(Dimension);
        foreach (var (start, length) in Chunks())
        {
            using var scope = NewDisposeScope();
            Tensor loss = nn.functional.cross_entropy(secondOrderNetwork(images.narrow(0, start, length)), labels.narrow(0, start, length), reduction: nn.Reduction.Sum) / Rows;
            Tensor directional = Gradients.Flatten(Gradients.Of(loss, parameters, createGraph: true)).dot(v);
            product.add_(Gradients.Flatten(Gradients.Of(directional, parameters)));
        }
        return product;
    }

    /// <summary>Adds δ to the parameters until disposed, then restores w bit for bit.</summary>
    public IDisposable Perturb(Tensor? delta)
    {
        if (delta is null) return NoPerturbation.Instance;
        CheckVector(delta);
        return new Perturbation(parameters, delta);
    }

    private Tensor ChunkLossSum(long start, long length) =>
        nn.functional.cross_entropy(network.call(images.narrow(0, start, length)), labels.narrow(0, start, length), reduction: nn.Reduction.Sum);

    private IEnumerable<(long Start, long Length)> Chunks()
    {
        for (long start = 0; start < Rows; start += ChunkRows)
            yield return (start, Math.Min(ChunkRows, Rows - start));
    }

    private void CheckVector(Tensor v)
    {
        if (v.dim() != 1 || v.shape[0] != Dimension)
            throw new ArgumentException($"Expected a vector of {Dimension} entries (one per parameter); got shape [{string.Join(", ", v.shape)}].");
    }

    private sealed class NoPerturbation : IDisposable
    {
        public static readonly NoPerturbation Instance = new();
        public void Dispose() { }
    }

    private sealed class Perturbation : IDisposable
    {
        private readonly Parameter[] parameters;
        private readonly Tensor[] saved;

        public Perturbation(Parameter[] parameters, Tensor delta)
        {
            this.parameters = parameters;
            saved = new Tensor[parameters.Length];
            using var noGrad = no_grad();
            long offset = 0;
            for (int i = 0; i < parameters.Length; i++)
            {
                saved[i] = parameters[i].detach().clone();
                long count = parameters[i].numel();
                parameters[i].add_(delta.narrow(0, offset, count).view(parameters[i].shape));
                offset += count;
            }
        }

        public void Dispose()
        {
            using var noGrad = no_grad();
            for (int i = 0; i < parameters.Length; i++)
            {
                parameters[i].copy_(saved[i]);
                saved[i].Dispose();
            }
        }
    }
}

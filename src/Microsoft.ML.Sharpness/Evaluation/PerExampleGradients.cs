using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Per-row statistics of the gradients ∇_w fᵢ of per-row objectives fᵢ: ‖∇_w fᵢ‖² and ⟨w, ∇_w fᵢ⟩, each of shape [N].</summary>
internal readonly record struct PerRowGradientStatistics(Tensor SquaredNorms, Tensor WeightProducts);

/// <summary>
/// Per-row gradient norms without N backward passes (Goodfellow 2015; Dangel et al. 2020): in inference mode rows do not
/// interact, so one backward pass of Σᵢ fᵢ to each layer's output gives every row's output gradient Gᵢ, and each row's
/// parameter gradient follows from Gᵢ and the layer input Xᵢ — Linear: ‖GᵢXᵢᵀ‖² = ‖Gᵢ‖²‖Xᵢ‖²; Conv2d:
/// ‖Gᵢ·unfold(Xᵢ)ᵀ‖²; BatchNorm: the per-channel sums of Gᵢ·X̂ᵢ and Gᵢ. Layers linear in their parameters give
/// ⟨θ, ∇_θ fᵢ⟩ = ⟨Gᵢ, Yᵢ⟩ with Yᵢ the layer output. Networks with other parameterized layers use the per-row loop.
/// </summary>
internal sealed class PerExampleGradients
{
    private readonly nn.Module<Tensor, Tensor> network;
    private readonly nn.Module<Tensor, Tensor>[] layers;
    private readonly Parameter[] parameters;

    public PerExampleGradients(nn.Module<Tensor, Tensor> network, bool forceRowLoop = false)
    {
        this.network = network;
        parameters = NetworkLossSurface.TrainableParameters(network);
        var owners = network.modules().Where(m => m.named_parameters(recurse: false).Any()).ToArray();
        UsesRowLoop = forceRowLoop || !owners.All(IsSupported);
        layers = UsesRowLoop ? Array.Empty<nn.Module<Tensor, Tensor>>() : owners.Cast<nn.Module<Tensor, Tensor>>().ToArray();
        network.eval();
    }

    /// <summary>Whether rows are differentiated one by one (unsupported layers, or asked for).</summary>
    public bool UsesRowLoop { get; }

    /// <summary>The network, in inference mode.</summary>
    public nn.Module<Tensor, Tensor> Network => network;

    /// <summary>
    /// Runs the network on <paramref name="images"/> [N, C, H, W] and returns the statistics of each objective that
    /// <paramref name="objectives"/> builds from logits [R, K] of the rows whose indices (into <paramref name="images"/>) it
    /// also receives: each objective is a vector [R] of per-row values.
    /// </summary>
    public PerRowGradientStatistics[] Compute(Tensor images, Func<Tensor, Tensor, IReadOnlyList<Tensor>> objectives) =>
        UsesRowLoop ? RowLoop(images, objectives) : Batched(images, objectives);

    private PerRowGradientStatistics[] Batched(Tensor images, Func<Tensor, Tensor, IReadOnlyList<Tensor>> objectives)
    {
        // Each layer's output Y gets a zero probe Z added, Y + Z flowing on: ∂f/∂Z = ∂f/∂Y, and the probes are leaves,
        // so one autograd.grad call returns every layer's output gradient.
        var records = new List<(nn.Module<Tensor, Tensor> Layer, Tensor Input, Tensor Output, Tensor Probe)>();
        var hooks = layers.Select(layer => layer.register_forward_hook((module, input, output) =>
        {
            Tensor probe = zeros_like(output).requires_grad_(true).DetachFromDisposeScope();
            records.Add((module, input.detach().DetachFromDisposeScope(), output.detach().DetachFromDisposeScope(), probe));
            return output.add(probe);
        })).ToArray();
        try
        {
            Tensor logits = network.call(images);
            var perRow = objectives(logits, arange(images.shape[0]));
            var probes = records.Select(r => r.Probe).ToArray();
            var results = new PerRowGradientStatistics[perRow.Count];
            for (int o = 0; o < perRow.Count; o++)
            {
                var outputGradients = Gradients.Of(perRow[o].sum(), probes, retainGraph: o < perRow.Count - 1);
                Tensor squared = zeros(images.shape[0]), products = zeros(images.shape[0]);
                for (int l = 0; l < records.Count; l++)
                {
                    var (layer, input, output, _) = records[l];
                    using var noGrad = no_grad();
                    Tensor g = outputGradients[l];
                    squared.add_(SquaredNorms(layer, input, g));
                    products.add_(g.mul(output).flatten(1).sum(1));
                }
                results[o] = new PerRowGradientStatistics(squared, products);
            }
            return results;
        }
        finally
        {
            foreach (var hook in hooks) hook.remove();
            foreach (var (_, input, output, probe) in records) { input.Dispose(); output.Dispose(); probe.Dispose(); }
        }
    }

    /// <summary>‖∇_θ fᵢ‖² of one layer's parameters θ for every row, from the layer input X and output gradient G.</summary>
    private static Tensor SquaredNorms(nn.Module<Tensor, Tensor> layer, Tensor x, Tensor g)
    {
        long rows = x.shape[0];
        switch (layer)
        {
            case Linear linear:
            {
                Tensor outputSquares = g.pow(2).sum(1);
                Tensor inputSquares = x.pow(2).sum(1);
                return outputSquares.mul(linear.bias is null ? inputSquares : inputSquares.add(1));
            }
            case Conv2d conv:
            {
                Tensor patches = nn.functional.unfold(x, (conv.kernel_size[0], conv.kernel_size[1]), (conv.dilation[0], conv.dilation[1]),
                    (conv.padding![0], conv.padding[1]), (conv.stride[0], conv.stride[1]));
                Tensor outputGradient = g.reshape(rows, g.shape[1], -1);
                Tensor weightGradients = outputGradient.bmm(patches.transpose(1, 2));
                Tensor squares = weightGradients.pow(2).sum(new long[] { 1, 2 });
                return conv.bias is null ? squares : squares.add(outputGradient.sum(2).pow(2).sum(1));
            }
            case BatchNorm norm:
            {
                var channelShape = new long[x.dim()];
                Array.Fill(channelShape, 1L);
                channelShape[1] = -1;
                Tensor normalized = x.sub(norm.running_mean!.view(channelShape)).div(norm.running_var!.add(norm.eps).sqrt().view(channelShape));
                Tensor weightGradient = g.mul(normalized).reshape(rows, g.shape[1], -1).sum(2);
                Tensor biasGradient = g.reshape(rows, g.shape[1], -1).sum(2);
                return weightGradient.pow(2).sum(1).add(biasGradient.pow(2).sum(1));
            }
            default:
                throw new InvalidOperationException($"No per-row gradient rule for {layer.GetType().Name}.");
        }
    }

    private static bool IsSupported(nn.Module module) => module switch
    {
        Linear => true,
        Conv2d conv => conv.groups == 1 && conv.padding_type is null && conv.padding_mode == PaddingModes.Zeros,
        BatchNorm norm => norm.affine && norm.track_running_stats && norm.running_mean is not null,
        _ => false,
    };

    /// <summary>The reference: one backward pass per row and objective.</summary>
    private PerRowGradientStatistics[] RowLoop(Tensor images, Func<Tensor, Tensor, IReadOnlyList<Tensor>> objectives)
    {
        long rows = images.shape[0];
        Tensor weights;
        using (no_grad()) weights = Gradients.Flatten(parameters.Select(p => p.detach()));
        PerRowGradientStatistics[]? results = null;
        for (long i = 0; i < rows; i++)
        {
            using var scope = NewDisposeScope();
            var perRow = objectives(network.call(images.narrow(0, i, 1)), tensor(new[] { i }));
            results ??= perRow.Select(_ => new PerRowGradientStatistics(zeros(rows).MoveToOuterDisposeScope(), zeros(rows).MoveToOuterDisposeScope())).ToArray();
            for (int o = 0; o < perRow.Count; o++)
            {
                Tensor gradient = Gradients.Flatten(Gradients.Of(perRow[o].sum(), parameters, retainGraph: o < perRow.Count - 1));
                using var noGrad = no_grad();
                results[o].SquaredNorms[i] = gradient.dot(gradient);
                results[o].WeightProducts[i] = gradient.dot(weights);
            }
        }
        return results!;
    }
}

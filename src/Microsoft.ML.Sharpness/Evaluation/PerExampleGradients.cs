using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Per-row statistics of the gradients ∇_w fᵢ of per-row objectives fᵢ: ‖∇_w fᵢ‖² and ⟨w, ∇_w fᵢ⟩, each of shape [N].</summary>
internal readonly record struct PerRowGradientStatistics(Tensor SquaredNorms, Tensor WeightProducts);

/// <summary>
/// Per-row gradient norms without N backward passes (Goodfellow 2015; Dangel et al. 2020): in inference mode rows do not
/// interact, so one backward pass of Σᵢ fᵢ to each layer's output gives every row's output gradient Gᵢ, and each row's
/// parameter gradient norm follows from Gᵢ and the layer input Xᵢ by the layer's rule (<see cref="LayerRule.PerRowSquaredNorms"/>).
/// Layers linear in their parameters give ⟨θ, ∇_θ fᵢ⟩ = ⟨Gᵢ, Yᵢ⟩ with Yᵢ the layer output. Networks with a parameterized layer
/// that has no per-row rule use the per-row loop.
/// </summary>
internal sealed class PerExampleGradients
{
    private readonly nn.Module<Tensor, Tensor> network;
    private readonly nn.Module<Tensor, Tensor>[] layers;
    private readonly NetworkWeights weights;

    public PerExampleGradients(nn.Module<Tensor, Tensor> network, bool forceRowLoop = false)
    {
        this.network = network;
        weights = new NetworkWeights(network);
        UsesRowLoop = forceRowLoop || !LayerRules.HavePerRowGradients(network);
        layers = UsesRowLoop ? Array.Empty<nn.Module<Tensor, Tensor>>() : LayerRules.ParameterOwners(network).Cast<nn.Module<Tensor, Tensor>>().ToArray();
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
                    squared.add_(LayerRules.For(layer).PerRowSquaredNorms(layer, input, g));
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

    /// <summary>The reference: one backward pass per row and objective.</summary>
    private PerRowGradientStatistics[] RowLoop(Tensor images, Func<Tensor, Tensor, IReadOnlyList<Tensor>> objectives)
    {
        long rows = images.shape[0];
        Tensor w = weights.Flatten();
        PerRowGradientStatistics[]? results = null;
        for (long i = 0; i < rows; i++)
        {
            using var scope = NewDisposeScope();
            var perRow = objectives(network.call(images.narrow(0, i, 1)), tensor(new[] { i }));
            results ??= perRow.Select(_ => new PerRowGradientStatistics(zeros(rows).MoveToOuterDisposeScope(), zeros(rows).MoveToOuterDisposeScope())).ToArray();
            for (int o = 0; o < perRow.Count; o++)
            {
                Tensor gradient = Gradients.Flatten(Gradients.Of(perRow[o].sum(), weights.Parameters, retainGraph: o < perRow.Count - 1));
                using var noGrad = no_grad();
                results[o].SquaredNorms[i] = gradient.dot(gradient);
                results[o].WeightProducts[i] = gradient.dot(w);
            }
        }
        return results!;
    }
}

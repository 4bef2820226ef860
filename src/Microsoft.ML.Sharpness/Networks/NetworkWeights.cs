using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks;

/// <summary>
/// The trainable parameters of a network as one flat vector w (in <c>parameters()</c> order): read it, set it, or move it
/// for a while and restore it bit for bit. SAM's step, the evaluator's loss surface and the landscapes all go through this.
/// </summary>
internal sealed class NetworkWeights
{
    private readonly Parameter[] parameters;

    public NetworkWeights(nn.Module network)
    {
        parameters = network.parameters().Where(p => p.requires_grad).ToArray();
        Dimension = parameters.Sum(p => p.numel());
    }

    /// <summary>The parameters that make up w, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>n, the number of entries of w.</summary>
    public long Dimension { get; }

    /// <summary>A copy of w.</summary>
    public Tensor Flatten()
    {
        using var noGrad = no_grad();
        return cat(parameters.Select(p => p.detach().flatten()).ToArray());
    }

    /// <summary>w ← <paramref name="flat"/>.</summary>
    public void Set(Tensor flat) => ForEachSlice(flat, (p, slice) => p.copy_(slice));

    /// <summary>Saves w; disposing the snapshot restores it bit for bit, whatever was done to the parameters meanwhile.</summary>
    public WeightSnapshot Snapshot() => new(parameters);

    /// <summary>w ← w + δ (flat) until the returned snapshot is disposed.</summary>
    public WeightSnapshot Perturb(Tensor delta)
    {
        var snapshot = Snapshot();
        ForEachSlice(delta, (p, slice) => p.add_(slice));
        return snapshot;
    }

    /// <summary>w ← w + δ, one tensor per parameter (null: unchanged), until the returned snapshot is disposed.</summary>
    public WeightSnapshot Perturb(IReadOnlyList<Tensor?> delta)
    {
        if (delta.Count != parameters.Length)
            throw new ArgumentException($"Expected one perturbation per parameter ({parameters.Length}); got {delta.Count}.", nameof(delta));
        var snapshot = Snapshot();
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++)
            if (delta[i] is { } d) parameters[i].add_(d);
        return snapshot;
    }

    /// <summary>Calls <paramref name="apply"/> with each parameter and its slice of <paramref name="flat"/>, shaped like it, without gradient recording.</summary>
    private void ForEachSlice(Tensor flat, Action<Parameter, Tensor> apply)
    {
        CheckVector(flat);
        using var noGrad = no_grad();
        long offset = 0;
        foreach (var p in parameters)
        {
            long count = p.numel();
            apply(p, flat.narrow(0, offset, count).view(p.shape));
            offset += count;
        }
    }

    /// <summary>Throws unless <paramref name="v"/> is a vector of <see cref="Dimension"/> entries.</summary>
    public void CheckVector(Tensor v)
    {
        if (v.dim() != 1 || v.shape[0] != Dimension)
            throw new ArgumentException($"Expected a vector of {Dimension} entries (one per parameter); got shape [{string.Join(", ", v.shape)}].");
    }
}

/// <summary>Exact copies of a network's parameters; <see cref="Dispose"/> writes them back.</summary>
internal sealed class WeightSnapshot : IDisposable
{
    private readonly Parameter[] parameters;
    private readonly Tensor[] saved;

    internal WeightSnapshot(Parameter[] parameters)
    {
        this.parameters = parameters;
        using var noGrad = no_grad();
        saved = parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Restores the saved values.</summary>
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

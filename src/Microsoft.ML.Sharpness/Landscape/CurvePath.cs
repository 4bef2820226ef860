using Microsoft.ML.Sharpness.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>
/// A network that can be placed at any point φ_θ(t) of the Bézier curve between two models of its layout: its trainable weights
/// on the curve, every other floating-point state entry (BatchNorm statistics, frozen weights) on the straight line between the models'.
/// </summary>
internal sealed class CurvePath : IDisposable
{
    private readonly Sequential network;
    private readonly Dictionary<string, Tensor> first;
    private readonly Dictionary<string, Tensor> second;
    private readonly HashSet<string> trainable;

    /// <summary>A path for <paramref name="network"/> between the states <paramref name="a"/> (t = 0) and <paramref name="b"/> (t = 1), which are copied.</summary>
    public CurvePath(Sequential network, IDictionary<string, Tensor> a, IDictionary<string, Tensor> b)
    {
        this.network = network;
        Weights = new NetworkWeights(network);
        trainable = [.. network.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name)];
        first = Copy(a);
        second = Copy(b);
        using (no_grad())
        {
            var current = network.state_dict();
            foreach (var (name, tensor) in first) current[name].copy_(tensor);
            First = Weights.Flatten().DetachFromDisposeScope();
            foreach (var (name, tensor) in second) current[name].copy_(tensor);
            Second = Weights.Flatten().DetachFromDisposeScope();
        }
    }

    /// <summary>The network being moved.</summary>
    public Sequential Network => network;

    /// <summary>The network's trainable weights w.</summary>
    public NetworkWeights Weights { get; }

    /// <summary>w₁, the first model's trainable weights, flat.</summary>
    public Tensor First { get; }

    /// <summary>w₂, the second model's trainable weights, flat.</summary>
    public Tensor Second { get; }

    /// <summary>w ← φ_θ(t) for the trainable weights and (1 − t)·s₁ + t·s₂ for every other floating-point state entry (running variances clamped at 0).</summary>
    public void MoveTo(double t, Tensor bend)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, target) in network.state_dict())
        {
            if (trainable.Contains(name) || !first.TryGetValue(name, out var a)) continue; // the trainable weights are set from the curve below
            Tensor blended = a * (1 - t) + second[name] * t;
            if (name.EndsWith("running_var", StringComparison.Ordinal)) blended = blended.clamp_min(0);
            target.copy_(blended);
        }
        Weights.Set(BezierCurve.At(First, bend, Second, t));
    }

    /// <summary>Checks that two networks have the same state entries with the same shapes, before any tensor arithmetic between them.</summary>
    public static void CheckSameLayout(IDictionary<string, Tensor> a, IDictionary<string, Tensor> b, string parameterName)
    {
        foreach (var (name, tensor) in a)
        {
            if (!b.TryGetValue(name, out var other))
                throw new ArgumentException($"The second network has no weight '{name}'; only networks of the same architecture connect.", parameterName);
            if (!tensor.shape.SequenceEqual(other.shape))
                throw new ArgumentException($"The weight '{name}' has shape [{string.Join(", ", tensor.shape)}] in the first network and [{string.Join(", ", other.shape)}] in the second; only networks of the same architecture connect.", parameterName);
        }
        if (b.Keys.FirstOrDefault(name => !a.ContainsKey(name)) is { } extra)
            throw new ArgumentException($"The first network has no weight '{extra}'; only networks of the same architecture connect.", parameterName);
    }

    public void Dispose()
    {
        First.Dispose();
        Second.Dispose();
        foreach (var tensor in first.Values.Concat(second.Values)) tensor.Dispose();
    }

    private static Dictionary<string, Tensor> Copy(IDictionary<string, Tensor> state)
    {
        using var noGrad = no_grad();
        return state.Where(entry => entry.Value.is_floating_point())
            .ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone().DetachFromDisposeScope());
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>
/// Patience-based early stopping (Prechelt 1998): after each epoch the validation metric is compared with the best so far; the best
/// epoch's weights and buffers are kept (on the CPU), and training stops once <c>patience</c> epochs in a row have not improved on it.
/// </summary>
internal sealed class EarlyStopping : IDisposable
{
    private readonly int patience;
    private readonly EarlyStoppingMetric metric;
    private Dictionary<string, Tensor>? bestState;

    public EarlyStopping(int patience, EarlyStoppingMetric metric)
    {
        this.patience = patience;
        this.metric = metric;
    }

    /// <summary>Where it stands: the best value and epoch so far, and the epochs since.</summary>
    public EarlyStoppingState State { get; private set; } = new();

    /// <summary>Records an epoch's validation result; true when training should stop.</summary>
    public bool Observe(TrainingEpochReport epoch, nn.Module network)
    {
        double value = metric == EarlyStoppingMetric.ValidationAccuracy
            ? epoch.ValidationAccuracy ?? throw new InvalidOperationException("Early stopping needs validation rows.")
            : -(epoch.ValidationLoss ?? throw new InvalidOperationException("Early stopping needs validation rows."));
        if (State.BestEpoch == 0 || value > State.Best)
        {
            State = new EarlyStoppingState { Best = value, BestEpoch = epoch.Epoch };
            Keep(network);
        }
        else
        {
            State = State with { EpochsSinceBest = State.EpochsSinceBest + 1 };
        }
        return State.EpochsSinceBest >= patience;
    }

    /// <summary>The best epoch's weights and buffers, by name (CPU copies), or null before the first epoch.</summary>
    public IReadOnlyDictionary<string, Tensor>? BestState => bestState;

    /// <summary>Puts the best epoch's weights and BatchNorm statistics back into <paramref name="network"/>.</summary>
    public void RestoreBest(nn.Module network)
    {
        if (bestState is null) return;
        using var noGrad = no_grad();
        foreach (var (name, value) in network.state_dict())
            value.copy_(bestState[name]);
    }

    /// <summary>Continues from a checkpoint's state and best weights.</summary>
    public void Resume(EarlyStoppingState state, Dictionary<string, Tensor>? best)
    {
        DisposeBest();
        State = state;
        bestState = best;
    }

    private void Keep(nn.Module network)
    {
        DisposeBest();
        bestState = network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu().clone().DetachFromDisposeScope());
    }

    private void DisposeBest()
    {
        if (bestState is null) return;
        foreach (var tensor in bestState.Values) tensor.Dispose();
        bestState = null;
    }

    public void Dispose() => DisposeBest();
}

/// <summary>Early stopping's progress: the best metric (accuracy, or minus the loss), its epoch (0: none yet) and the epochs since.</summary>
internal sealed record EarlyStoppingState
{
    public double Best { get; init; }
    public int BestEpoch { get; init; }
    public int EpochsSinceBest { get; init; }
}

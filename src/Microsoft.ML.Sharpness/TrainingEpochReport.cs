namespace Microsoft.ML.Sharpness;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training cross-entropy over the epoch's steps, at the weights each step started from.</param>
/// <param name="TrainAccuracy">Fraction of training rows classified correctly during the epoch (network in training mode).</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation set after the epoch, or null without one.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set after the epoch, or null without one.</param>
/// <param name="LearningRate">The learning rate of the epoch's last step.</param>
/// <param name="Seconds">Wall-clock seconds the epoch took (validation included).</param>
public sealed record TrainingEpochReport(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double Seconds)
{
    /// <summary>
    /// The sharpness monitor's last snapshot of the epoch (<see cref="TrainingSettings.SharpnessMonitor"/>), or null when it took none;
    /// every snapshot, several per epoch with a steps interval, is in <see cref="SamImageClassifierModelInfo.SharpnessHistory"/>.
    /// </summary>
    public SharpnessSnapshot? Sharpness { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"epoch {Epoch}: train loss {TrainLoss:F4}, train accuracy {TrainAccuracy:P2}" +
        (ValidationLoss is double vl ? $", validation loss {vl:F4}, validation accuracy {ValidationAccuracy:P2}" : "") +
        $", lr {LearningRate:G4}, {Seconds:F1} s" + (Sharpness is { } sharpness ? $"; {sharpness}" : "");
}

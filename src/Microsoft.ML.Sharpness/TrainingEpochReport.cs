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
    /// Loss and accuracy on each of <see cref="SamImageClassifierOptions.AdditionalValidationSets"/> after the epoch, by the set's
    /// name; null without such sets.
    /// </summary>
    public IReadOnlyDictionary<string, ValidationScores>? AdditionalValidation { get; init; }

    /// <summary>
    /// The sharpness monitor's last snapshot of the epoch (<see cref="TrainingSettings.SharpnessMonitor"/>), or null when it took none;
    /// every snapshot, several per epoch with a steps interval, is in <see cref="SamImageClassifierModelInfo.SharpnessHistory"/>.
    /// </summary>
    public SharpnessSnapshot? Sharpness { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"epoch {Epoch}: train loss {TrainLoss:F4}, train accuracy {TrainAccuracy:P2}" +
        (ValidationLoss is double vl ? $", validation loss {vl:F4}, validation accuracy {ValidationAccuracy:P2}" : "") +
        string.Concat(AdditionalValidation?.Select(p => $", {p.Key} loss {p.Value.Loss:F4}, accuracy {p.Value.Accuracy:P2}") ?? []) +
        $", lr {LearningRate:G4}, {Seconds:F1} s" + (Sharpness is { } sharpness ? $"; {sharpness}" : "");
}

/// <summary>Mean cross-entropy and accuracy of the network on a labelled data set, in inference mode.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction of rows classified correctly.</param>
public sealed record ValidationScores(double Loss, double Accuracy);

using Microsoft.ML.Sharpness.Landscape;

namespace Microsoft.ML.Sharpness;

/// <summary>
/// What <c>ConnectModels</c> found: the loss and accuracy along the trained Bézier curve φ_θ(t) = (1 − t)²·w_A + 2t(1 − t)·θ + t²·w_B
/// and along the straight line (1 − t)·w_A + t·w_B, for t from 0 (model A) to 1 (model B), with BatchNorm statistics recomputed at every t.
/// </summary>
public sealed class ModelConnection
{
    private readonly CurveModels models;

    internal ModelConnection(CurveModels models) => this.models = models;

    /// <summary>Loss and accuracy along the trained curve on the training rows; X holds t.</summary>
    public required LossLandscape Curve { get; init; }

    /// <summary>Loss and accuracy along the straight line on the training rows, at the same t.</summary>
    public required LossLandscape Line { get; init; }

    /// <summary>Along the curve on <see cref="ModelConnectionOptions.TestData"/>; null without it.</summary>
    public LossLandscape? TestCurve { get; init; }

    /// <summary>Along the line on <see cref="ModelConnectionOptions.TestData"/>; null without it.</summary>
    public LossLandscape? TestLine { get; init; }

    /// <summary>The curve's training: mean loss over each epoch's minibatches, each at its own random t.</summary>
    public required IReadOnlyList<TrainingEpochReport> TrainingHistory { get; init; }

    /// <summary>The trained bend θ, flat in the order of the network's trainable parameters (<c>Network.parameters()</c>).</summary>
    public IReadOnlyList<float> Bend => models.Bend;

    /// <summary>Wall-clock seconds of training and evaluation.</summary>
    public required double Seconds { get; init; }

    /// <summary>The loss barrier of the curve on the training rows: <see cref="LossBarrier"/> of <see cref="Curve"/>.</summary>
    public double CurveLossBarrier => LossBarrier(Curve);

    /// <summary>The loss barrier of the straight line on the training rows: <see cref="LossBarrier"/> of <see cref="Line"/>.</summary>
    public double LineLossBarrier => LossBarrier(Line);

    /// <summary>max_t L(t) − (L(0) + L(1))/2, the highest loss along a path above its endpoints' mean (Frankle et al. 2020's barrier, on the loss).</summary>
    public static double LossBarrier(LossLandscape path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Points.Max(p => p.Loss) - (path.Points[0].Loss + path.Points[^1].Loss) / 2;
    }

    /// <summary>
    /// The classifier at φ_θ(t) on the curve, to score, evaluate or save like a trained one; it takes the rows model A's classifier takes (after the
    /// pipeline's earlier transforms) and its <c>Model.Info</c> is model A's. BatchNorm statistics are recomputed from the first
    /// <see cref="ModelConnectionOptions.MaxRows"/> rows of <paramref name="batchNormData"/> (raw data, the pipeline's input, normally the training data),
    /// as at the evaluated points; without it they are (1 − t)·s_A + t·s_B, so t = 0 and t = 1 give the two models exactly.
    /// </summary>
    /// <param name="t">Where on the curve, in [0, 1].</param>
    /// <param name="batchNormData">Rows to recompute BatchNorm statistics from, or null.</param>
    public SamImageClassifierTransformer ModelAt(double t, IDataView? batchNormData = null)
    {
        if (!(t >= 0 && t <= 1))
            throw new ArgumentOutOfRangeException(nameof(t), t, "The curve runs from t = 0 (model A) to t = 1 (model B).");
        return models.At(t, batchNormData);
    }
}

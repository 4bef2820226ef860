namespace Microsoft.ML.Sharpness;

/// <summary>What happens to BatchNorm running statistics when <c>InterpolateModels</c> blends two models' weights.</summary>
public enum BatchNormAtInterpolation
{
    /// <summary>
    /// Recomputed at every α from <see cref="LossLandscapeOptions.BatchNormData"/> (a cumulative average of batch statistics
    /// in training mode, as PyTorch's <c>update_bn</c>; Garipov et al. 2018): the statistics of two networks do not blend.
    /// </summary>
    Recompute,
    /// <summary>Running means and variances blended like the weights (variances clamped at 0 outside [0, 1]); α = 0 and 1 give the two models exactly.</summary>
    Interpolate,
}

/// <summary>Options of <c>InterpolateModels</c> and <c>RandomDirectionLandscape</c>.</summary>
public sealed class LossLandscapeOptions
{
    /// <summary>The landscape is evaluated on the first MaxRows rows of the data. Default 1000.</summary>
    public int MaxRows { get; set; } = 1000;

    /// <summary>Points per axis, evenly spaced from <see cref="From"/> to <see cref="To"/> (at least 2). Default 31.</summary>
    public int Points { get; set; } = 31;

    /// <summary>The first coordinate. Null (default): −1 for interpolation (Keskar et al.'s α ∈ [−1, 2]) and for random directions.</summary>
    public double? From { get; set; }

    /// <summary>The last coordinate. Null (default): 2 for interpolation and 1 for random directions.</summary>
    public double? To { get; set; }

    /// <summary>Seed of the random directions. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>For <c>InterpolateModels</c>: what BatchNorm running statistics do. Default <see cref="BatchNormAtInterpolation.Recompute"/>.</summary>
    public BatchNormAtInterpolation BatchNorm { get; set; } = BatchNormAtInterpolation.Recompute;

    /// <summary>
    /// For <see cref="BatchNormAtInterpolation.Recompute"/>: raw data (the pipeline's input schema) whose first <see cref="MaxRows"/> rows
    /// give the BatchNorm statistics, normally training rows. Null (default): the evaluated rows.
    /// </summary>
    public IDataView? BatchNormData { get; set; }

    /// <summary>TorchSharp's intra-op threads (a process-wide setting); null (default) leaves TorchSharp's choice.</summary>
    public int? NumberOfThreads { get; set; }
}

namespace Microsoft.ML.Sharpness;

/// <summary>Options of <c>ConnectModels</c>: how the Bézier curve between two models is trained and where it is evaluated.</summary>
public sealed class ModelConnectionOptions
{
    /// <summary>Passes over the training rows while the bend θ is trained. Default 10.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Rows per SGD step on θ; each minibatch draws its own t ~ U(0, 1). Default 128.</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>SGD learning rate of θ, constant. Default 0.01.</summary>
    public double LearningRate { get; set; } = 0.01;

    /// <summary>SGD (heavy-ball) momentum of θ, as PyTorch's <c>SGD</c>. Default 0.9.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>L2 weight decay on θ, added to its gradient. Default 0 (the endpoints carry no decay either).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Seed of the row order and of the t drawn per minibatch. Null (default): the MLContext's seed, else 1.</summary>
    public int? Seed { get; set; }

    /// <summary>Evaluated values of t, evenly spaced over [0, 1] (at least 2). Default 21.</summary>
    public int Points { get; set; } = 21;

    /// <summary>The curve trains and is evaluated on the first MaxRows rows of the training data (and of <see cref="TestData"/> and <see cref="BatchNormData"/>). Default 10000.</summary>
    public int MaxRows { get; set; } = 10000;

    /// <summary>Raw data (the pipeline's input schema), e.g. test rows, on which the curve and the line are evaluated as well. Null (default): the training rows only.</summary>
    public IDataView? TestData { get; set; }

    /// <summary>
    /// Raw data whose first <see cref="MaxRows"/> rows give the BatchNorm statistics, recomputed at every evaluated t (Garipov et al. 2018).
    /// Null (default): the training rows.
    /// </summary>
    public IDataView? BatchNormData { get; set; }

    /// <summary>TorchSharp's intra-op threads (a process-wide setting); null (default) leaves TorchSharp's choice.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Receives the mean training loss of every epoch of θ's training (t drawn per minibatch); no validation columns. Null (default): none.</summary>
    public IProgress<TrainingEpochReport>? Progress { get; set; }
}

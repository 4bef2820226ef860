namespace Microsoft.ML.Sharpness;

/// <summary>
/// The sharpness monitor (<see cref="TrainingSettings.SharpnessMonitor"/>): during training, every <see cref="EveryEpochs"/> epochs
/// or every <see cref="EverySteps"/> steps, it measures a fixed, seeded sample of <see cref="Rows"/> training rows at the current
/// weights and records a <see cref="SharpnessSnapshot"/>: the top Hessian eigenvalue λ₁ (to compare with the edge of stability
/// 2/η, Cohen et al. 2021), the weight norm, SAM sharpness and the gradient-noise trace. The measures use the network in inference
/// mode (BatchNorm normalizes with its running statistics and keeps them; no dropout), the un-augmented rows and the plain
/// cross-entropy (no label smoothing or weight decay), and their own random generator: the training run takes the same steps
/// with the monitor on as off. A snapshot's cost does not depend on the data's size: at the defaults it is about 1,650/N of a
/// SAM epoch over N training rows, within 10 % from about 16,000 rows (docs/benchmarks.md); lower <see cref="Rows"/> or raise
/// <see cref="EveryEpochs"/> for smaller data. CPU only.
/// </summary>
public sealed record SharpnessMonitorOptions
{
    /// <summary>Measure after every this many epochs (after the epoch's last step, before validation). Default 1. Ignored when <see cref="EverySteps"/> is set.</summary>
    public int EveryEpochs { get; set; } = 1;

    /// <summary>
    /// When positive, measure after every this many training steps (counted over the whole run) instead of every
    /// <see cref="EveryEpochs"/> epochs; an epoch then records every snapshot it took. Default 0: by epochs.
    /// </summary>
    public int EverySteps { get; set; }

    /// <summary>
    /// The training rows measured: a sample of this many drawn once with the run's seed (all rows when there are fewer), the same for
    /// every snapshot and after a resumed checkpoint. Default 256.
    /// </summary>
    public int Rows { get; set; } = 256;

    /// <summary>
    /// Power iterations v ← Hv/‖Hv‖ per snapshot for λ₁, warm-started from the previous snapshot's vector (so k snapshots have run k
    /// times this many iterations on a slowly moving Hessian). Default 3.
    /// </summary>
    public int PowerIterations { get; set; } = 3;

    /// <summary>The radius ρ &gt; 0 of the SAM sharpness L(w + ρ·g/‖g‖₂) − L(w) (Foret et al. 2021). Default 0.05.</summary>
    public float Rho { get; set; } = 0.05f;

    /// <summary>
    /// The rows B of each minibatch gradient g_B of the gradient-noise trace E‖g_B − ḡ‖², at most half of <see cref="Rows"/> (smaller
    /// samples use half). Default 32.
    /// </summary>
    public int NoiseBatchSize { get; set; } = 32;

    /// <summary>Pairs of disjoint minibatches (two gradients each) the gradient-noise trace averages over; 0 leaves it out. Default 2.</summary>
    public int NoisePairs { get; set; } = 2;
}
